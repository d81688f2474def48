package main

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

const syncHint = "run tests/chart/sync.sh to regenerate the copy from its single source"

func globNames(t *testing.T, pattern string) []string {
	t.Helper()
	paths, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range paths {
		names = append(names, filepath.Base(p))
	}
	sort.Strings(names)
	return names
}

// The chart's CRDs are crds/ (files/crds links there), and the chart installs exactly them,
// annotated helm.sh/resource-policy: keep.
func TestChartCRDsAreTheRepositoryCRDs(t *testing.T) {
	root := repoRoot(t)
	if target, err := os.Readlink(filepath.Join(chartDir(t), "files", "crds")); err != nil || target != "../../../crds" {
		t.Errorf("helm/edgerepl/files/crds must be a link to ../../../crds (one source), got %q, %v", target, err)
	}
	src := globNames(t, filepath.Join(root, "crds", "*.yaml"))
	cp := globNames(t, filepath.Join(chartDir(t), "files", "crds", "*.yaml"))
	if len(src) == 0 {
		t.Fatal("crds/ holds no CRDs")
	}
	if !reflect.DeepEqual(src, cp) {
		t.Fatalf("crds/ has %v, the chart has %v; %s", src, cp, syncHint)
	}
	want := map[string]Object{}
	for _, n := range src {
		a, _ := os.ReadFile(filepath.Join(root, "crds", n))
		b, _ := os.ReadFile(filepath.Join(chartDir(t), "files", "crds", n))
		if !bytes.Equal(a, b) {
			t.Errorf("helm/edgerepl/files/crds/%s differs from crds/%s; %s", n, n, syncHint)
		}
		var o Object
		if err := yaml.Unmarshal(a, &o); err != nil {
			t.Fatalf("crds/%s: %v", n, err)
		}
		want[o.Name()] = o
	}
	crds := ofKind(render(t, nil), "CustomResourceDefinition")
	if len(crds) != len(want) {
		t.Fatalf("chart renders %d CRDs, crds/ has %d", len(crds), len(want))
	}
	for _, got := range crds {
		w := want[got.Name()]
		if w == nil {
			t.Errorf("chart renders CRD %s that crds/ lacks", got.Name())
			continue
		}
		if !reflect.DeepEqual(get(got, "spec"), get(w, "spec")) {
			t.Errorf("CRD %s: rendered spec differs from crds/", got.Name())
		}
		if get(got, "metadata", "annotations", "helm.sh/resource-policy") != "keep" {
			t.Errorf("CRD %s is not annotated helm.sh/resource-policy: keep", got.Name())
		}
		for k, v := range get(w, "metadata", "labels").(map[string]interface{}) {
			if get(got, "metadata", "labels", k) != v {
				t.Errorf("CRD %s lost label %s", got.Name(), k)
			}
		}
	}
	// Before 1.25 the same schemas without their CEL rules, every other value (numbers included)
	// unchanged, with both helms.
	for name, helm := range helms(t) {
		objs, err := renderWith(t, helm, nil, "--kube-version=1.20.2")
		if err != nil {
			t.Fatal(err)
		}
		for _, got := range ofKind(objs, "CustomResourceDefinition") {
			var w Object
			a, _ := os.ReadFile(filepath.Join(root, "crds", strings.SplitN(got.Name(), ".", 2)[0]+".yaml"))
			if err := yaml.Unmarshal(a, &w); err != nil {
				t.Fatal(err)
			}
			if countKey(w, "x-kubernetes-validations") == 0 {
				t.Errorf("crds/ for %s has no CEL rules; the 1.20 check is vacuous", got.Name())
			}
			dropKey(map[string]interface{}(w), "x-kubernetes-validations")
			if !reflect.DeepEqual(get(got, "spec"), get(w, "spec")) {
				t.Errorf("%s, Kubernetes 1.20.2: CRD %s spec is not crds/ without x-kubernetes-validations", name, got.Name())
			}
		}
	}
	for _, o := range ofKind(render(t, nil, "crds.keep=false"), "CustomResourceDefinition") {
		if get(o, "metadata", "annotations", "helm.sh/resource-policy") != nil {
			t.Errorf("crds.keep=false still keeps %s", o.Name())
		}
	}
	if n := len(ofKind(render(t, nil, "crds.create=false"), "CustomResourceDefinition")); n != 0 {
		t.Errorf("crds.create=false renders %d CRDs", n)
	}
}

// monitoring/edgerepl-rules.yaml is the chart's alert template rendered with default values, and
// the PrometheusRule's spec is the same document.
func TestPlainRulesFileIsGeneratedFromTheChart(t *testing.T) {
	root := repoRoot(t)
	rules, err := alertRulesText(helmPath(t, false), chartDir(t))
	if err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile(filepath.Join(root, "monitoring", "edgerepl-rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	body := string(file)
	for strings.HasPrefix(body, "#") {
		body = body[strings.IndexByte(body, '\n')+1:]
	}
	if strings.TrimSpace(body) != strings.TrimSpace(rules) {
		t.Fatalf("monitoring/edgerepl-rules.yaml is not the chart's alert template; %s", syncHint)
	}
	var plain map[string]interface{}
	if err := yaml.Unmarshal(file, &plain); err != nil {
		t.Fatal(err)
	}
	pr := mustFind(t, render(t, nil, "metrics.prometheusRule.enabled=true"), "PrometheusRule", "edgerepl")
	if !reflect.DeepEqual(map[string]interface{}(pr["spec"].(map[string]interface{})), plain) {
		t.Fatalf("the PrometheusRule spec differs from monitoring/edgerepl-rules.yaml")
	}
}

// monitoring/dashboards is a link to the chart's dashboards, so the file users import into Grafana
// by hand is the one the chart ships and cannot go stale.
func TestDashboardCopiesAreTheChartDashboards(t *testing.T) {
	link := filepath.Join(repoRoot(t), "monitoring", "dashboards")
	fi, err := os.Lstat(link)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("monitoring/dashboards is not a link to helm/edgerepl/files/dashboards")
	}
	got, err := filepath.EvalSymlinks(link)
	if err != nil {
		t.Fatal(err)
	}
	want, err := filepath.EvalSymlinks(filepath.Join(chartDir(t), "files", "dashboards"))
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("monitoring/dashboards points at %s, not the chart's %s", got, want)
	}
	if len(globNames(t, filepath.Join(link, "*.json"))) == 0 {
		t.Fatalf("monitoring/dashboards holds no dashboard")
	}
	cm := mustFind(t, render(t, nil), "ConfigMap", "edgerepl-dashboard")
	a, _ := os.ReadFile(filepath.Join(chartDir(t), "files", "dashboards", "edgerepl.json"))
	if str(cm, "data", "edgerepl.json") != strings.TrimRight(string(a), "\n") {
		t.Errorf("the dashboard ConfigMap does not hold files/dashboards/edgerepl.json unchanged")
	}
}
