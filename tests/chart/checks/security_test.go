package main

import (
	"fmt"
	"strings"
	"testing"
)

// restrictedViolations checks one pod template against the "restricted" Pod Security Standard
// (the parts a chart controls) plus the read-only root filesystem this chart promises.
func restrictedViolations(o Object) []string {
	var v []string
	spec := podSpec(o)
	podSC, _ := spec["securityContext"].(map[string]interface{})
	if b, _ := podSC["runAsNonRoot"].(bool); !b {
		v = append(v, "pod runAsNonRoot is not true")
	}
	if u, ok := podSC["runAsUser"].(float64); ok && u == 0 {
		v = append(v, "pod runs as uid 0")
	}
	podSeccomp := str(podSC, "seccompProfile", "type")
	for _, key := range []string{"hostNetwork", "hostPID", "hostIPC"} {
		if b, _ := spec[key].(bool); b {
			v = append(v, key+" is set")
		}
	}
	for _, vol := range list(spec, "volumes") {
		m := vol.(map[string]interface{})
		if _, ok := m["hostPath"]; ok {
			v = append(v, fmt.Sprintf("volume %v uses hostPath", m["name"]))
		}
	}
	for _, c := range containers(o) {
		name := c["name"]
		sc, _ := c["securityContext"].(map[string]interface{})
		if sc == nil {
			v = append(v, fmt.Sprintf("container %v has no securityContext", name))
			continue
		}
		if b, ok := sc["allowPrivilegeEscalation"].(bool); !ok || b {
			v = append(v, fmt.Sprintf("container %v: allowPrivilegeEscalation is not false", name))
		}
		if b, _ := sc["privileged"].(bool); b {
			v = append(v, fmt.Sprintf("container %v is privileged", name))
		}
		if b, _ := sc["readOnlyRootFilesystem"].(bool); !b {
			v = append(v, fmt.Sprintf("container %v: readOnlyRootFilesystem is not true", name))
		}
		if b, ok := sc["runAsNonRoot"].(bool); ok && !b {
			v = append(v, fmt.Sprintf("container %v: runAsNonRoot false", name))
		}
		if !contains(list(sc, "capabilities", "drop"), "ALL") {
			v = append(v, fmt.Sprintf("container %v does not drop ALL capabilities", name))
		}
		for _, a := range list(sc, "capabilities", "add") {
			if a != "NET_BIND_SERVICE" {
				v = append(v, fmt.Sprintf("container %v adds capability %v", name, a))
			}
		}
		seccomp := str(sc, "seccompProfile", "type")
		if seccomp == "" {
			seccomp = podSeccomp
		}
		if seccomp != "RuntimeDefault" && seccomp != "Localhost" {
			v = append(v, fmt.Sprintf("container %v: seccomp profile %q", name, seccomp))
		}
		for _, p := range list(c, "ports") {
			if hp, ok := get(p, "hostPort").(float64); ok && hp != 0 {
				v = append(v, fmt.Sprintf("container %v uses hostPort", name))
			}
		}
		if _, ok := c["resources"].(map[string]interface{}); !ok {
			v = append(v, fmt.Sprintf("container %v has no resources block", name))
		}
	}
	return v
}

func TestEveryPodMeetsTheRestrictedPodSecurityStandard(t *testing.T) {
	workloads := 0
	for _, f := range valueSets {
		for _, o := range render(t, []string{f}) {
			if podSpec(o) == nil {
				continue
			}
			workloads++
			if v := restrictedViolations(o); len(v) > 0 {
				t.Errorf("%s: %s %s:\n  %s", f, o.Kind(), o.Name(), strings.Join(v, "\n  "))
			}
		}
	}
	if workloads < len(valueSets)+1 {
		t.Fatalf("only %d workloads checked", workloads)
	}
}

// The checker above is not vacuous: a weakened pod fails it.
func TestRestrictedCheckCatchesAWeakenedPod(t *testing.T) {
	objs := render(t, []string{"influxdb.yaml"}, "agent.securityContext.readOnlyRootFilesystem=false")
	sts := mustFind(t, objs, "StatefulSet", "edgerepl-influxdb")
	v := restrictedViolations(sts)
	if len(v) != 1 || !strings.Contains(v[0], "edgerepl-agent: readOnlyRootFilesystem") {
		t.Fatalf("violations %v, want exactly the agent's readOnlyRootFilesystem", v)
	}
	delete(podSpec(sts), "securityContext")
	if v := restrictedViolations(sts); len(v) < 2 {
		t.Fatalf("a pod without securityContext passed: %v", v)
	}
}

// Every writable path a container needs is a volume, since the root filesystem is read-only.
func TestWritablePathsAreVolumes(t *testing.T) {
	objs := render(t, []string{"influxdb.yaml"})
	sts := mustFind(t, objs, "StatefulSet", "edgerepl-influxdb")
	want := map[string][]string{
		"influxdb":       {"/var/lib/influxdb2", "/etc/influxdb2", "/tmp", "/home/influxdb"},
		"edgerepl-agent": {"/var/lib/edgerepl"},
	}
	for _, c := range containers(sts) {
		mounts := map[string]bool{}
		for _, m := range list(c, "volumeMounts") {
			mounts[str(m, "mountPath")] = true
		}
		for _, p := range want[c["name"].(string)] {
			if !mounts[p] {
				t.Errorf("container %v: %s is not a volume", c["name"], p)
			}
		}
	}
	dep := mustFind(t, render(t, nil), "Deployment", "edgerepl-operator")
	if m := list(containers(dep)[0], "volumeMounts"); len(m) == 0 || str(m[0], "mountPath") != "/tmp" {
		t.Errorf("operator: /tmp is not a volume: %v", m)
	}
}
