package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// repoRoot is the source tree: EDGEREPL_SOURCE_DIR under ctest, else three levels up.
func repoRoot(t *testing.T) string {
	t.Helper()
	d, err := sourceRoot()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

var helmPaths = map[bool]string{}

// helmPath is the helm binary the tests render with: the current one, or with legacy the oldest
// the chart supports (helm 3.8).
func helmPath(t *testing.T, legacy bool) string {
	t.Helper()
	if p, ok := helmPaths[legacy]; ok {
		return p
	}
	p, err := helmBinary(legacy)
	if err != nil {
		t.Fatal(err)
	}
	helmPaths[legacy] = p
	return p
}

// helms are both helm binaries, named for subtests.
func helms(t *testing.T) map[string]string {
	return map[string]string{"helm4": helmPath(t, false), "helm3.8": helmPath(t, true)}
}

func chartDir(t *testing.T) string { return filepath.Join(repoRoot(t), "helm", "edgerepl") }

// Object is one rendered Kubernetes object.
type Object map[string]interface{}

func (o Object) Kind() string { return str(o, "kind") }
func (o Object) Name() string { return str(o, "metadata", "name") }
func (o Object) Namespace() string {
	return str(o, "metadata", "namespace")
}

// get walks maps by key and lists by position-free "*": it returns the value at the path or nil.
func get(v interface{}, path ...string) interface{} {
	cur := v
	for _, p := range path {
		switch m := cur.(type) {
		case Object:
			cur = map[string]interface{}(m)[p]
		case map[string]interface{}:
			cur = m[p]
		default:
			return nil
		}
	}
	return cur
}

func str(v interface{}, path ...string) string {
	s, _ := get(v, path...).(string)
	return s
}

func list(v interface{}, path ...string) []interface{} {
	l, _ := get(v, path...).([]interface{})
	return l
}

// render renders the chart with `helm template` (release edgerepl in namespace edgerepl) and the
// given values files (relative to tests/chart/values) and helm arguments (--set a=b, or any other
// flag such as --kube-version), and parses every document.
func render(t *testing.T, files []string, args ...string) []Object {
	t.Helper()
	objs, err := tryRender(t, files, args...)
	if err != nil {
		t.Fatalf("render %v %v: %v", files, args, err)
	}
	return objs
}

// tryRender is render with the current helm, returning helm's error.
func tryRender(t *testing.T, files []string, args ...string) ([]Object, error) {
	t.Helper()
	return renderWith(t, helmPath(t, false), files, args...)
}

// renderWith renders with the given helm binary. An argument "k=v" is passed as --set k=v; one
// starting with "-" is passed unchanged (with its value in the same argument, --flag=value).
func renderWith(t *testing.T, helm string, files []string, args ...string) ([]Object, error) {
	t.Helper()
	cmd := []string{"template", "edgerepl", chartDir(t), "--namespace", "edgerepl"}
	for _, f := range files {
		cmd = append(cmd, "-f", valuesPath(t, f))
	}
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			cmd = append(cmd, a)
		} else {
			cmd = append(cmd, "--set", a)
		}
	}
	out, err := helmRun(helm, cmd...)
	if err != nil {
		return nil, err
	}
	return parseManifests(t, out), nil
}

func valuesPath(t *testing.T, f string) string {
	if filepath.IsAbs(f) {
		return f
	}
	return filepath.Join(repoRoot(t), "tests", "chart", "values", f)
}

func parseManifests(t *testing.T, out string) []Object {
	t.Helper()
	var objs []Object
	for _, doc := range splitDocuments(out) {
		var o Object
		if err := yaml.UnmarshalStrict([]byte(doc), &o); err != nil {
			t.Fatalf("rendered document is not valid YAML: %v\n%s", err, doc)
		}
		objs = append(objs, o)
	}
	return objs
}

// chartValues is the chart's values.yaml.
func chartValues(t *testing.T) map[string]interface{} {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(chartDir(t), "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]interface{}
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func find(objs []Object, kind, name string) Object {
	for _, o := range objs {
		if o.Kind() == kind && o.Name() == name {
			return o
		}
	}
	return nil
}

func ofKind(objs []Object, kind string) []Object {
	var out []Object
	for _, o := range objs {
		if o.Kind() == kind {
			out = append(out, o)
		}
	}
	return out
}

func mustFind(t *testing.T, objs []Object, kind, name string) Object {
	t.Helper()
	o := find(objs, kind, name)
	if o == nil {
		var have []string
		for _, x := range objs {
			have = append(have, x.Kind()+"/"+x.Name())
		}
		t.Fatalf("no %s %q rendered; have %v", kind, name, have)
	}
	return o
}

// podSpec returns the pod template spec of a workload, or nil.
func podSpec(o Object) map[string]interface{} {
	m, _ := get(o, "spec", "template", "spec").(map[string]interface{})
	return m
}

func containers(o Object) []map[string]interface{} {
	var out []map[string]interface{}
	spec := podSpec(o)
	for _, key := range []string{"initContainers", "containers"} {
		for _, c := range list(spec, key) {
			out = append(out, c.(map[string]interface{}))
		}
	}
	return out
}

func contains(list []interface{}, want string) bool {
	for _, x := range list {
		if s, ok := x.(string); ok && s == want {
			return true
		}
	}
	return false
}

func args(c map[string]interface{}) []string {
	var out []string
	for _, a := range list(c, "args") {
		out = append(out, a.(string))
	}
	return out
}

func yamlUnmarshal(s string, v interface{}) error { return yaml.Unmarshal([]byte(s), v) }
