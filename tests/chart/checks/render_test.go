package main

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

var valueSets = []string{"default.yaml", "influxdb.yaml", "namespaced.yaml", "ha.yaml", "minimal.yaml"}

// Every values file renders to well-formed objects with unique names and recommended labels.
func TestEveryValuesFileRendersValidObjects(t *testing.T) {
	entries, err := os.ReadDir(filepath.Join(repoRoot(t), "tests", "chart", "values"))
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".yaml") {
			files = append(files, e.Name())
		}
	}
	// The values files the docs tell users to pass must render too.
	examples, err := filepath.Glob(filepath.Join(chartDir(t), "examples", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, examples...)
	sort.Strings(files)
	if len(files) < len(valueSets) {
		t.Fatalf("values files %v, want at least %v", files, valueSets)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			objs := render(t, []string{f})
			if len(objs) == 0 {
				t.Fatal("nothing rendered")
			}
			seen := map[string]bool{}
			for _, o := range objs {
				if str(o, "apiVersion") == "" || o.Kind() == "" || o.Name() == "" {
					t.Errorf("object without apiVersion/kind/name: %v", o)
				}
				key := o.Kind() + "/" + o.Namespace() + "/" + o.Name()
				if seen[key] {
					t.Errorf("%s rendered twice", key)
				}
				seen[key] = true
				labels, _ := get(o, "metadata", "labels").(map[string]interface{})
				for _, l := range []string{"app.kubernetes.io/name", "app.kubernetes.io/instance",
					"app.kubernetes.io/managed-by", "helm.sh/chart"} {
					if _, ok := labels[l]; !ok {
						t.Errorf("%s lacks label %s", key, l)
					}
				}
				// helm 4 installs with server-side apply, which before Kubernetes 1.21 refuses a
				// Service port without protocol (a key of the list).
				if o.Kind() == "Service" {
					for _, p := range list(o, "spec", "ports") {
						if str(p, "protocol") == "" {
							t.Errorf("%s: port %v has no protocol", key, p)
						}
					}
				}
				if len(o.Name()) > 63 {
					t.Errorf("%s: name longer than 63 characters", key)
				}
			}
		})
	}
}

func TestDefaultValuesRenderTheOperatorWithClusterWideRBAC(t *testing.T) {
	objs := render(t, []string{"default.yaml"})
	dep := mustFind(t, objs, "Deployment", "edgerepl-operator")
	mustFind(t, objs, "ServiceAccount", "edgerepl-operator")
	mustFind(t, objs, "ClusterRole", "edgerepl-operator")
	mustFind(t, objs, "ClusterRoleBinding", "edgerepl-operator")
	mustFind(t, objs, "Role", "edgerepl-operator-leader-election")
	mustFind(t, objs, "Service", "edgerepl-operator-metrics")
	mustFind(t, objs, "ConfigMap", "edgerepl-dashboard")
	if got := ofKind(objs, "StatefulSet"); len(got) != 0 {
		t.Errorf("InfluxDB rendered although influxdb.enabled is false")
	}
	for _, kind := range []string{"ServiceMonitor", "PrometheusRule", "PodDisruptionBudget"} {
		if got := ofKind(objs, kind); len(got) != 0 {
			t.Errorf("%s rendered by default", kind)
		}
	}
	if s := str(dep, "spec", "strategy", "type"); s != "Recreate" {
		t.Errorf("single replica without leader election: strategy %q, want Recreate", s)
	}
	c := containers(dep)[0]
	for _, a := range args(c) {
		if strings.HasPrefix(a, "--leader-elect") || strings.HasPrefix(a, "--namespace") {
			t.Errorf("unexpected default argument %s", a)
		}
	}
	if img := str(c, "image"); img != "ghcr.io/edgerepl/edgerepl-operator:0.1.0" {
		t.Errorf("image %q, want the appVersion tag", img)
	}
}

// Every key of values.yaml is described in the chart's README (a key is named by its dotted path,
// or by its parent path when the README describes several leaves at once).
func TestReadmeDescribesEveryValue(t *testing.T) {
	values := chartValues(t)
	readme, err := os.ReadFile(filepath.Join(chartDir(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	var walk func(prefix string, m map[string]interface{})
	walk = func(prefix string, m map[string]interface{}) {
		for k, v := range m {
			path := k
			if prefix != "" {
				path = prefix + "." + k
			}
			if strings.Contains(text, "`"+path+"`") {
				continue
			}
			// Grouped rows name the siblings after the first one as `.leaf`.
			if strings.Contains(text, "`."+k+"`") && strings.Contains(text, "`"+prefix+".") {
				continue
			}
			sub, ok := v.(map[string]interface{})
			if !ok || len(sub) == 0 {
				t.Errorf("values key %s is not described in helm/edgerepl/README.md", path)
				continue
			}
			walk(path, sub)
		}
	}
	walk("", values)
}
