package main

import (
	"fmt"
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
	render(t, []string{"influxdb.yaml", "namespaced.yaml"}, "operator.watchNamespaces={edge-a,edgerepl}")
}

// Chart.yaml's kubeVersion is 1.20 and later, with both helms; fields and API versions newer
// than 1.20 are rendered only for clusters that have them.
func TestKubernetesVersionGatesFieldsAndTheChartRange(t *testing.T) {
	for name, helm := range helms(t) {
		if _, err := renderWith(t, helm, nil, "--kube-version=1.19.16"); err == nil ||
			!strings.Contains(err.Error(), "incompatible with Kubernetes v1.19.16") {
			t.Errorf("%s: 1.19 accepted: %v", name, err)
		}
		for _, tc := range []struct {
			version        string
			retention, cel bool
			pdb            string
		}{
			{"1.20.2", false, false, "policy/v1beta1"},
			{"1.21.0", false, false, "policy/v1"},
			{"1.24.17", false, false, "policy/v1"},
			{"1.25.0", false, true, "policy/v1"},
			{"1.26.3", false, true, "policy/v1"},
			{"1.27.0", true, true, "policy/v1"},
			{"1.35.0", true, true, "policy/v1"},
		} {
			objs, err := renderWith(t, helm, []string{"influxdb.yaml", "ha.yaml"}, "--kube-version="+tc.version)
			if err != nil {
				t.Errorf("%s, Kubernetes %s: %v", name, tc.version, err)
				continue
			}
			sts := mustFind(t, objs, "StatefulSet", "edgerepl-influxdb")
			if got := get(sts, "spec", "persistentVolumeClaimRetentionPolicy") != nil; got != tc.retention {
				t.Errorf("%s, Kubernetes %s: persistentVolumeClaimRetentionPolicy rendered=%v, want %v", name, tc.version, got, tc.retention)
			}
			if got := str(mustFind(t, objs, "PodDisruptionBudget", "edgerepl-operator"), "apiVersion"); got != tc.pdb {
				t.Errorf("%s, Kubernetes %s: PodDisruptionBudget %s, want %s", name, tc.version, got, tc.pdb)
			}
			crds := ofKind(objs, "CustomResourceDefinition")
			if len(crds) != 2 {
				t.Fatalf("%s: %d CRDs", name, len(crds))
			}
			for _, crd := range crds {
				if got := countKey(crd, "x-kubernetes-validations"); (got > 0) != tc.cel {
					t.Errorf("%s, Kubernetes %s: CRD %s has %d x-kubernetes-validations, want them=%v", name, tc.version, crd.Name(), got, tc.cel)
				}
			}
		}
	}
}

// countKey counts the maps that hold key, at any depth.
func countKey(v interface{}, key string) int {
	n := 0
	switch t := v.(type) {
	case Object:
		return countKey(map[string]interface{}(t), key)
	case map[string]interface{}:
		if _, ok := t[key]; ok {
			n++
		}
		for _, x := range t {
			n += countKey(x, key)
		}
	case []interface{}:
		for _, x := range t {
			n += countKey(x, key)
		}
	}
	return n
}

// dropKey removes key from every map, at any depth (what the chart does to CEL rules before 1.25).
func dropKey(v interface{}, key string) {
	switch t := v.(type) {
	case map[string]interface{}:
		delete(t, key)
		for _, x := range t {
			dropKey(x, key)
		}
	case []interface{}:
		for _, x := range t {
			dropKey(x, key)
		}
	}
}

// influxdb.version "1": an InfluxDB 1.x container bound to loopback with its data on the claim,
// a 1.x probe, and nothing of the 2.x layout; the agent beside it is unchanged.
func TestInfluxDB1(t *testing.T) {
	for _, set := range []string{"influxdb.version=1", "--set-string=influxdb.version=1"} {
		objs := render(t, []string{"influxdb.yaml"}, set)
		sts := mustFind(t, objs, "StatefulSet", "edgerepl-influxdb")
		var db, agent map[string]interface{}
		for _, c := range containers(sts) {
			switch c["name"] {
			case "influxdb":
				db = c
			case "edgerepl-agent":
				agent = c
			}
		}
		if db["image"] != "influxdb:1.8" {
			t.Errorf("%s: image %v, want influxdb:1.8", set, db["image"])
		}
		env := map[string]string{}
		for _, e := range list(db, "env") {
			env[str(e, "name")] = str(e, "value")
		}
		want := map[string]string{
			"INFLUXDB_HTTP_BIND_ADDRESS": "127.0.0.1:8086", "INFLUXDB_META_DIR": "/var/lib/influxdb/meta",
			"INFLUXDB_DATA_DIR": "/var/lib/influxdb/data", "INFLUXDB_DATA_WAL_DIR": "/var/lib/influxdb/wal",
		}
		for k, v := range want {
			if env[k] != v {
				t.Errorf("%s: env %s=%q, want %q", set, k, env[k], v)
			}
		}
		for k := range env {
			if strings.HasPrefix(k, "INFLUXD_") {
				t.Errorf("%s: 2.x setting %s on InfluxDB 1", set, k)
			}
		}
		probe := fmt.Sprint(list(db, "livenessProbe", "exec", "command"))
		if probe != "[influx -host 127.0.0.1 -port 8086 -execute SHOW DATABASES]" {
			t.Errorf("%s: probe %s", set, probe)
		}
		mounts := map[string]string{}
		for _, m := range list(db, "volumeMounts") {
			mounts[str(m, "name")] = str(m, "mountPath")
		}
		if mounts["data"] != "/var/lib/influxdb" || mounts["influxdb-config"] != "" || mounts["tmp"] != "/tmp" {
			t.Errorf("%s: mounts %v", set, mounts)
		}
		for _, v := range list(podSpec(sts), "volumes") {
			if str(v, "name") == "influxdb-config" {
				t.Errorf("%s: the 2.x config volume is rendered", set)
			}
		}
		if len(list(db, "ports")) != 0 {
			t.Errorf("%s: InfluxDB 1 exposes ports", set)
		}
		if a := strings.Join(args(agent), " "); !strings.Contains(a, "--config=/etc/edgerepl/agent.yaml") {
			t.Errorf("%s: agent args %q", set, a)
		}
		if v := restrictedViolations(sts); len(v) > 0 {
			t.Errorf("%s: %v", set, v)
		}
	}
	// A tag given wins over the version's default.
	sts := mustFind(t, render(t, []string{"influxdb.yaml"}, "influxdb.version=1", "influxdb.image.tag=1.8.10"), "StatefulSet", "edgerepl-influxdb")
	if img := containers(sts)[0]["image"]; img != "influxdb:1.8.10" {
		t.Errorf("image %v", img)
	}
	sts = mustFind(t, render(t, []string{"influxdb.yaml"}), "StatefulSet", "edgerepl-influxdb")
	if img := containers(sts)[0]["image"]; img != "influxdb:2.7.12" {
		t.Errorf("version 2 image %v", img)
	}
}
