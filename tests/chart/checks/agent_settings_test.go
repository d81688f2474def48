package main

import (
	"strings"
	"testing"
)

// The agent-wide settings of docs/config.md reach the operator as --agent-setting flags with the
// chart's defaults (the agent's own defaults), and a value given to the chart replaces them.
func TestAgentSettingsBecomeOperatorFlags(t *testing.T) {
	want := []string{
		"--agent-setting=durability=sync",
		"--agent-setting=syncInterval=100ms",
		"--agent-setting=maxBodyBytes=25000000",
		"--agent-setting=queueFullPolicy=drop",
		"--agent-setting=orphanGracePeriod=24h",
		"--agent-setting=local.timeout=30s",
	}
	dep := mustFind(t, render(t, []string{"default.yaml"}), "Deployment", "edgerepl-operator")
	got := strings.Join(args(containers(dep)[0]), " ")
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("operator args %q lack %s", got, w)
		}
	}
	dep = mustFind(t, render(t, []string{"default.yaml"}, "agent.durability=interval",
		"agent.queueFullPolicy=reject", "agent.maxBodyBytes=1048576"),
		"Deployment", "edgerepl-operator")
	got = strings.Join(args(containers(dep)[0]), " ")
	for _, w := range []string{"durability=interval", "queueFullPolicy=reject", "maxBodyBytes=1048576"} {
		if !strings.Contains(got, "--agent-setting="+w) {
			t.Errorf("operator args %q lack --agent-setting=%s", got, w)
		}
	}
	for _, bad := range [][]string{
		{"agent.durability=fast"},
		{"agent.syncInterval=1.5s"},
		{"agent.queueFullPolicy=block"},
	} {
		if _, err := tryRender(t, []string{"default.yaml"}, bad...); err == nil {
			t.Errorf("%v rendered; the values schema must refuse it", bad)
		}
	}
}

func agentEnv(t *testing.T, objs []Object) map[string]interface{} {
	t.Helper()
	sts := mustFind(t, objs, "StatefulSet", "edgerepl-influxdb")
	for _, c := range containers(sts) {
		if c["name"] != "edgerepl-agent" {
			continue
		}
		env := map[string]interface{}{}
		for _, e := range list(c, "env") {
			env[str(e, "name")] = get(e, "value")
		}
		return env
	}
	t.Fatalf("no agent container")
	return nil
}

// instanceID is per pod while the config Secret is shared: the chart hands each agent its own
// value in $EDGEREPL_INSTANCE_ID, by default the pod's name, only when asked.
func TestAgentInstanceIDIsThePodsNameWhenEnabled(t *testing.T) {
	if _, ok := agentEnv(t, render(t, []string{"influxdb.yaml"}))["EDGEREPL_INSTANCE_ID"]; ok {
		t.Errorf("EDGEREPL_INSTANCE_ID set by default; instanceID is opt-in")
	}
	env := agentEnv(t, render(t, []string{"influxdb.yaml"}, "agent.instanceID.enabled=true"))
	if env["EDGEREPL_INSTANCE_ID"] != "$(POD_NAME)" {
		t.Errorf("EDGEREPL_INSTANCE_ID %v, want $(POD_NAME)", env["EDGEREPL_INSTANCE_ID"])
	}
	env = agentEnv(t, render(t, []string{"influxdb.yaml"}, "agent.instanceID.enabled=true",
		"agent.instanceID.value=$(POD_NAMESPACE)-$(POD_NAME)"))
	if env["EDGEREPL_INSTANCE_ID"] != "$(POD_NAMESPACE)-$(POD_NAME)" {
		t.Errorf("EDGEREPL_INSTANCE_ID %v", env["EDGEREPL_INSTANCE_ID"])
	}
}
