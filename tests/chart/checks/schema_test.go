package main

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// schemaMessages are the texts by which each helm names a field that fails values.schema.json:
// helm 4 (santhosh-tekuri/jsonschema) "at '/a/b/0'", helm 3 (gojsonschema) "- a.b.0:".
func schemaMessages(field string) map[string]string {
	dotted := regexp.MustCompile(`\[(\d+)\]`).ReplaceAllString(field, ".$1")
	return map[string]string{
		"helm4":   "at '/" + strings.ReplaceAll(dotted, ".", "/") + "'",
		"helm3.8": "- " + dotted + ":",
	}
}

// Every file in values/bad is refused by real helm (values.schema.json, or a template's fail) with
// a message naming the field its first line names ("# want: a.b[0] [word]"; the optional word,
// e.g. an unknown key, must appear too), by helm 4 and by helm 3.8, and nothing is rendered.
func TestSchemaRejectsBadValues(t *testing.T) {
	dir := filepath.Join(repoRoot(t), "tests", "chart", "values", "bad")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) < 10 {
		t.Fatalf("only %d bad values files", len(entries))
	}
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		t.Run(e.Name(), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			first := strings.SplitN(string(data), "\n", 2)[0]
			want := strings.Fields(strings.TrimPrefix(first, "# want:"))
			if !strings.HasPrefix(first, "# want: ") || len(want) == 0 || len(want) > 2 {
				t.Fatalf("first line must be '# want: <field> [word]', got %q", first)
			}
			msgs := schemaMessages(want[0])
			for name, helm := range helms(t) {
				objs, err := renderWith(t, helm, []string{path})
				if err == nil {
					t.Errorf("%s rendered %d objects; want it to refuse the values naming %s", name, len(objs), want[0])
					continue
				}
				if !strings.Contains(err.Error(), "values don't meet the specifications of the schema") {
					t.Errorf("%s: not refused by the schema: %v", name, err)
				}
				if !strings.Contains(err.Error(), msgs[name]) {
					t.Errorf("%s: error does not name the field (%q):\n%v", name, msgs[name], err)
				}
				if len(want) == 2 && !strings.Contains(err.Error(), want[1]) {
					t.Errorf("%s: error does not name %q:\n%v", name, want[1], err)
				}
			}
		})
	}
}

// The same checks through --set, which helm validates too (on the merged values).
func TestSchemaChecksSetValues(t *testing.T) {
	for _, tc := range []struct{ set, field string }{
		{"operator.replicaCount=-1", "operator.replicaCount"},
		{"influxdb.enabled=yes-please", "influxdb.enabled"},
		{"influxdb.version=3", "influxdb.version"},
		{"agent.image.pullPolicy=Sometimes", "agent.image.pullPolicy"},
	} {
		msgs := schemaMessages(tc.field)
		for name, helm := range helms(t) {
			_, err := renderWith(t, helm, nil, tc.set)
			if err == nil || !strings.Contains(err.Error(), msgs[name]) {
				t.Errorf("%s --set %s: want an error naming %s (%q), got %v", name, tc.set, tc.field, msgs[name], err)
			}
		}
	}
}

// lintTargets are the default values and every values file the tests and docs use.
func lintTargets(t *testing.T) []string {
	files := []string{""}
	vals, err := filepath.Glob(filepath.Join(repoRoot(t), "tests", "chart", "values", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	examples, err := filepath.Glob(filepath.Join(chartDir(t), "examples", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, vals...)
	files = append(files, examples...)
	sort.Strings(files[1:])
	return files
}

// `helm lint --strict` passes, with helm 4 and helm 3.8, for the defaults and every values file
// (the chart's metadata, the templates and the values against values.schema.json).
func TestHelmLintStrict(t *testing.T) {
	for _, f := range lintTargets(t) {
		name := "default"
		if f != "" {
			name = filepath.Base(f)
		}
		t.Run(name, func(t *testing.T) {
			for hn, helm := range helms(t) {
				args := []string{"lint", "--strict", chartDir(t), "--namespace", "edgerepl"}
				if f != "" {
					args = append(args, "-f", f)
				}
				out, err := helmRun(helm, args...)
				if err != nil {
					t.Errorf("%s lint --strict: %v\n%s", hn, err, out)
					continue
				}
				if !strings.Contains(out, "0 chart(s) failed") {
					t.Errorf("%s lint --strict:\n%s", hn, out)
				}
			}
		})
	}
}

// values.yaml itself is valid, and local image names with pullPolicy Never (images loaded into
// the node, never pulled) are accepted.
func TestLocalImagesAreAccepted(t *testing.T) {
	for name, helm := range helms(t) {
		objs, err := renderWith(t, helm, []string{"influxdb.yaml"},
			"agent.image.repository=localhost/edgerepl/edgerepl-agent", "agent.image.tag=dev", "agent.image.pullPolicy=Never",
			"operator.image.repository=localhost/edgerepl/edgerepl-operator", "operator.image.tag=dev", "operator.image.pullPolicy=Never",
			"influxdb.version=1", "influxdb.image.repository=localhost/edgerepl/influxdb", "influxdb.image.tag=1.6.7",
			"influxdb.image.pullPolicy=Never")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want := map[string]string{
			"edgerepl-agent": "localhost/edgerepl/edgerepl-agent:dev",
			"influxdb":       "localhost/edgerepl/influxdb:1.6.7",
			"operator":       "localhost/edgerepl/edgerepl-operator:dev",
		}
		for _, o := range append(ofKind(objs, "StatefulSet"), ofKind(objs, "Deployment")...) {
			for _, c := range containers(o) {
				n := c["name"].(string)
				if c["image"] != want[n] || c["imagePullPolicy"] != "Never" {
					t.Errorf("%s: container %s image %v pullPolicy %v, want %s and Never", name, n, c["image"], c["imagePullPolicy"], want[n])
				}
			}
		}
	}
}
