package main

import (
	"strings"
	"testing"
)

func TestBundledInfluxDBHasTheAgentAsItsWriteFrontDoor(t *testing.T) {
	objs := render(t, []string{"influxdb.yaml"})
	sts := mustFind(t, objs, "StatefulSet", "edgerepl-influxdb")
	if r := get(sts, "spec", "replicas"); r != 2.0 {
		t.Errorf("replicas %v", r)
	}
	labels := get(sts, "spec", "template", "metadata", "labels").(map[string]interface{})
	if labels["app.kubernetes.io/component"] != "edgerepl-agent" || labels["site"] != "plant-1" {
		t.Errorf("pod labels %v: want the agent component label and influxdb.podLabels", labels)
	}
	if sel := get(sts, "spec", "selector", "matchLabels", "app.kubernetes.io/component"); sel != "edgerepl-agent" {
		t.Errorf("selector component %v", sel)
	}
	var agent, db map[string]interface{}
	for _, c := range containers(sts) {
		switch c["name"] {
		case "edgerepl-agent":
			agent = c
		case "influxdb":
			db = c
		}
	}
	if agent == nil || db == nil {
		t.Fatalf("containers %v", containers(sts))
	}
	ports := map[string]float64{}
	for _, p := range list(agent, "ports") {
		ports[str(p, "name")] = get(p, "containerPort").(float64)
	}
	if ports["edgerepl-write"] != 8186 || ports["edgerepl-admin"] != 9186 {
		t.Errorf("agent ports %v", ports)
	}
	// Before the operator renders the config Secret the agent waits; the probes must find it on
	// the admin port meanwhile, or the pod is restarted in a loop.
	if a := strings.Join(args(agent), " "); !strings.Contains(a, "--waiting-admin-listen=:9186") {
		t.Errorf("agent args %q lack --waiting-admin-listen on the admin port", a)
	}
	if len(list(db, "ports")) != 0 {
		t.Errorf("InfluxDB exposes ports %v; only the agent may", list(db, "ports"))
	}
	bind := ""
	for _, e := range list(db, "env") {
		if str(e, "name") == "INFLUXD_HTTP_BIND_ADDRESS" {
			bind = str(e, "value")
		}
	}
	if bind != "127.0.0.1:8086" {
		t.Errorf("InfluxDB binds %q; it must listen on loopback so writes cannot bypass the agent", bind)
	}

	// The config Secret (optional), the downward-API labels file, the queue volume.
	vols := map[string]map[string]interface{}{}
	for _, v := range list(podSpec(sts), "volumes") {
		vols[str(v, "name")] = v.(map[string]interface{})
	}
	if str(vols["agent-config"], "secret", "secretName") != "edgerepl-agent-config" ||
		get(vols["agent-config"], "secret", "optional") != true {
		t.Errorf("agent-config volume %v", vols["agent-config"])
	}
	items := list(vols["podinfo"], "downwardAPI", "items")
	if len(items) != 1 || str(items[0], "path") != "labels" || str(items[0], "fieldRef", "fieldPath") != "metadata.labels" {
		t.Errorf("podinfo volume %v", vols["podinfo"])
	}
	mounts := map[string]string{}
	for _, m := range list(agent, "volumeMounts") {
		mounts[str(m, "name")] = str(m, "mountPath")
	}
	if mounts["queue"] != "/var/lib/edgerepl" || mounts["agent-config"] != "/etc/edgerepl" || mounts["podinfo"] != "/etc/podinfo" {
		t.Errorf("agent mounts %v", mounts)
	}
	claims := map[string]interface{}{}
	for _, c := range list(sts, "spec", "volumeClaimTemplates") {
		claims[str(c, "metadata", "name")] = c
	}
	if get(claims["queue"], "spec", "resources", "requests", "storage") != "4Gi" {
		t.Errorf("queue claim %v", claims["queue"])
	}
	if get(claims["data"], "spec", "resources", "requests", "storage") != "20Gi" ||
		get(claims["data"], "spec", "storageClassName") != "fast" {
		t.Errorf("data claim %v", claims["data"])
	}
	if _, ok := vols["queue"]; ok {
		t.Errorf("queue is a pod volume; it must be a claim so it survives the pod")
	}

	svc := mustFind(t, objs, "Service", "edgerepl-influxdb")
	p := list(svc, "spec", "ports")[0]
	if get(p, "port") != 8086.0 || get(p, "targetPort") != "edgerepl-write" {
		t.Errorf("InfluxDB Service port %v: must point 8086 at the agent", p)
	}
	if get(svc, "spec", "selector", "app.kubernetes.io/component") != "edgerepl-agent" {
		t.Errorf("Service selector %v", get(svc, "spec", "selector"))
	}
	mustFind(t, objs, "Service", "edgerepl-influxdb-headless")
}

func TestInfluxDBWithoutPersistenceUsesAnEmptyDirButKeepsTheQueueClaim(t *testing.T) {
	objs := render(t, []string{"influxdb.yaml"}, "influxdb.persistence.enabled=false")
	sts := mustFind(t, objs, "StatefulSet", "edgerepl-influxdb")
	claims := list(sts, "spec", "volumeClaimTemplates")
	if len(claims) != 1 || str(claims[0], "metadata", "name") != "queue" {
		t.Errorf("claims %v, want only the queue", claims)
	}
	found := false
	for _, v := range list(podSpec(sts), "volumes") {
		if str(v, "name") == "data" && get(v, "emptyDir") != nil {
			found = true
		}
	}
	if !found {
		t.Errorf("no emptyDir data volume")
	}
}

func TestSeveralOperatorReplicasUseLeaderElection(t *testing.T) {
	objs := render(t, []string{"ha.yaml"})
	dep := mustFind(t, objs, "Deployment", "edgerepl-operator")
	a := strings.Join(args(containers(dep)[0]), " ")
	for _, want := range []string{"--leader-elect", "--leader-election-namespace=$(POD_NAMESPACE)",
		"--leader-election-id=edgerepl-operator"} {
		if !strings.Contains(a, want) {
			t.Errorf("args %q lack %s", a, want)
		}
	}
	if s := str(dep, "spec", "strategy", "type"); s != "RollingUpdate" {
		t.Errorf("strategy %q", s)
	}
	pdb := mustFind(t, objs, "PodDisruptionBudget", "edgerepl-operator")
	if get(pdb, "spec", "maxUnavailable") != 1.0 {
		t.Errorf("PDB %v", get(pdb, "spec"))
	}
	img := str(containers(dep)[0], "image")
	if !strings.HasPrefix(img, "ghcr.io/edgerepl/edgerepl-operator@sha256:") {
		t.Errorf("image %q: the digest must win over the tag", img)
	}
	// One replica with leader election forced on: the flag without a PDB.
	objs = render(t, nil, "operator.leaderElection.enabled=true")
	dep = mustFind(t, objs, "Deployment", "edgerepl-operator")
	if a := strings.Join(args(containers(dep)[0]), " "); !strings.Contains(a, "--leader-elect") {
		t.Errorf("leaderElection.enabled=true: args %q", a)
	}
	if len(ofKind(objs, "PodDisruptionBudget")) != 0 {
		t.Errorf("PDB over a single replica would block node drains")
	}
}

func TestMonitoringObjectsCarryAdditionalLabels(t *testing.T) {
	objs := render(t, []string{"influxdb.yaml"})
	sms := ofKind(objs, "ServiceMonitor")
	if len(sms) != 2 {
		t.Fatalf("%d ServiceMonitors, want operator and agent", len(sms))
	}
	svcByJob := map[string]Object{}
	for _, s := range ofKind(objs, "Service") {
		if j := str(s, "metadata", "labels", "edgerepl.io/scrape-job"); j != "" {
			svcByJob[j] = s
		}
	}
	for _, sm := range sms {
		if get(sm, "metadata", "labels", "release") != "kube-prometheus-stack" {
			t.Errorf("ServiceMonitor %s lacks additionalLabels", sm.Name())
		}
		job := str(sm, "spec", "selector", "matchLabels", "edgerepl.io/scrape-job")
		svc := svcByJob[job]
		if svc == nil || job != sm.Name() || str(sm, "spec", "jobLabel") != "edgerepl.io/scrape-job" {
			t.Errorf("ServiceMonitor %s selects job %q; no Service carries it", sm.Name(), job)
			continue
		}
		port := str(list(sm, "spec", "endpoints")[0], "port")
		if str(list(svc, "spec", "ports")[0], "name") != port {
			t.Errorf("ServiceMonitor %s scrapes port %q; Service %s has %v", sm.Name(), port, svc.Name(), list(svc, "spec", "ports"))
		}
	}
	pr := mustFind(t, objs, "PrometheusRule", "edgerepl")
	if get(pr, "metadata", "labels", "release") != "kube-prometheus-stack" {
		t.Errorf("PrometheusRule lacks additionalLabels")
	}
	cm := mustFind(t, objs, "ConfigMap", "edgerepl-dashboard")
	if get(cm, "metadata", "labels", "grafana_dashboard") != "1" || get(cm, "metadata", "annotations", "grafana_folder") != "Edge" {
		t.Errorf("dashboard ConfigMap metadata %v", get(cm, "metadata"))
	}
}

// Agents read the config Secret of their own namespace, so a bundled InfluxDB outside the watched
// namespaces would never be configured: the chart refuses that combination.
func TestBundledInfluxDBMustBeInAWatchedNamespace(t *testing.T) {
	_, err := tryRender(t, []string{"influxdb.yaml", "namespaced.yaml"})
	if err == nil || !strings.Contains(err.Error(), "operator.watchNamespaces (edge-a, edge-b) leaves out") {
		t.Fatalf("err %v", err)
	}
	render(t, []string{"influxdb.yaml", "namespaced.yaml"}, "operator.watchNamespaces=[edge-a, edgerepl]")
}

func TestKubernetesVersionGatesFieldsAndTheChartRange(t *testing.T) {
	c, err := LoadChart(chartDir(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckKubeVersion(c, "v1.24.9"); err == nil || !strings.Contains(err.Error(), "incompatible with Kubernetes v1.24.9") {
		t.Fatalf("1.24 accepted: %v", err)
	}
	if err := CheckKubeVersion(c, "v1.31.0"); err != nil {
		t.Fatal(err)
	}
	in := Input{ChartDir: chartDir(t), ValueFiles: []string{valuesPath(t, "influxdb.yaml")}, Options: DefaultOptions()}
	for _, tc := range []struct {
		version   string
		retention bool
	}{{"1.26.3", false}, {"1.27.0", true}} {
		kv, err := ParseKubeVersion(tc.version)
		if err != nil {
			t.Fatal(err)
		}
		in.Options.Capabilities.KubeVersion = kv
		out, err := run(in)
		if err != nil {
			t.Fatal(err)
		}
		sts := mustFind(t, parseManifests(t, out), "StatefulSet", "edgerepl-influxdb")
		if got := get(sts, "spec", "persistentVolumeClaimRetentionPolicy") != nil; got != tc.retention {
			t.Errorf("Kubernetes %s: persistentVolumeClaimRetentionPolicy rendered=%v, want %v", tc.version, got, tc.retention)
		}
	}
}
