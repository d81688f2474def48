package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// flagsDeclared reads the flag names a binary's source declares, so the chart cannot pass a flag
// the binary would refuse at start.
func flagsDeclared(t *testing.T, file string, pattern *regexp.Regexp) map[string]bool {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), file))
	if err != nil {
		t.Skipf("%s not found (%v); the flag check waits for it", file, err)
	}
	out := map[string]bool{}
	for _, m := range pattern.FindAllStringSubmatch(string(data), -1) {
		out[m[1]] = true
	}
	if len(out) == 0 {
		t.Fatalf("no flags found in %s", file)
	}
	return out
}

func flagName(arg string) string {
	name := strings.TrimPrefix(arg, "--")
	if i := strings.IndexByte(name, '='); i >= 0 {
		name = name[:i]
	}
	return name
}

func TestOperatorArgsAreFlagsTheOperatorDeclares(t *testing.T) {
	declared := flagsDeclared(t, "operator/app/flags.cc", regexp.MustCompile(`\{"([a-z][a-z-]*)",`))
	for _, f := range []string{"ha.yaml", "namespaced.yaml", "influxdb.yaml"} {
		dep := mustFind(t, render(t, []string{f}), "Deployment", "edgerepl-operator")
		for _, a := range args(containers(dep)[0]) {
			if !declared[flagName(a)] {
				t.Errorf("%s: the operator has no flag %s (declared: %v)", f, a, declared)
			}
		}
	}
}

func TestAgentArgsAreFlagsTheAgentDeclares(t *testing.T) {
	declared := flagsDeclared(t, "agent/app/main.cc", regexp.MustCompile(`"--([a-z][a-z-]*)"`))
	sts := mustFind(t, render(t, []string{"influxdb.yaml"}), "StatefulSet", "edgerepl-influxdb")
	for _, c := range containers(sts) {
		if c["name"] != "edgerepl-agent" {
			continue
		}
		for _, a := range args(c) {
			if !declared[flagName(a)] {
				t.Errorf("the agent has no flag %s (declared: %v)", a, declared)
			}
		}
	}
}
