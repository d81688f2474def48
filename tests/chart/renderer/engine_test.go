package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeChart lays out a throwaway chart: files maps chart-relative paths to content.
func writeChart(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	base := map[string]string{
		"Chart.yaml":  "apiVersion: v2\nname: demo\nversion: 1.2.3\nappVersion: \"9.9\"\n",
		"values.yaml": "name: world\nnested: {a: 1, b: 2}\nlist: [x, z]\n",
	}
	for k, v := range files {
		base[k] = v
	}
	for k, v := range base {
		p := filepath.Join(dir, k)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func renderDemo(t *testing.T, files map[string]string, sets ...string) (string, error) {
	t.Helper()
	return run(Input{ChartDir: writeChart(t, files), Sets: sets, Options: DefaultOptions()})
}

func TestEngineHelmFunctionsAndObjects(t *testing.T) {
	out, err := renderDemo(t, map[string]string{
		"templates/_h.tpl": `{{- define "demo.greet" -}}hello {{ .Values.name }}{{- end }}`,
		"templates/cm.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-{{ .Chart.Name }}
  namespace: {{ .Release.Namespace }}
data:
  greet: {{ include "demo.greet" . | quote }}
  tpl: {{ tpl "{{ .Values.name | upper }}" . | quote }}
  chart: "{{ .Chart.Version }}/{{ .Chart.AppVersion }}"
  template: {{ .Template.Name | quote }}
  kube: {{ .Capabilities.KubeVersion.Minor | quote }}
  hasApps: {{ .Capabilities.APIVersions.Has "apps/v1" | quote }}
  hasMon: {{ .Capabilities.APIVersions.Has "monitoring.coreos.com/v1" | quote }}
  file: {{ .Files.Get "files/a.txt" | trim | quote }}
  globbed: {{ len (.Files.Glob "files/*.txt") | quote }}
  lines: {{ .Files.Lines "files/a.txt" | len | quote }}
  missing: "{{ .Values.nothing }}"
  roundtrip: {{ (fromYaml (toYaml .Values.nested)).b | quote }}
  json: {{ toJson .Values.list | quote }}
  nested: |
    {{- toYaml .Values.nested | nindent 4 }}
`,
		"files/a.txt": "alpha\nbeta\n",
		"files/b.txt": "gamma\n",
		"files/c.md":  "not globbed\n",
	})
	if err != nil {
		t.Fatal(err)
	}
	objs := parseManifests(t, out)
	if len(objs) != 1 {
		t.Fatalf("%d objects", len(objs))
	}
	want := map[string]string{
		"greet": "hello world", "tpl": "WORLD", "chart": "1.2.3/9.9", "template": "demo/templates/cm.yaml",
		"kube": "30", "hasApps": "true", "hasMon": "false", "file": "alpha\nbeta", "globbed": "2",
		"lines": "2", "missing": "", "roundtrip": "2", "json": `["x","z"]`, "nested": "a: 1\nb: 2\n",
	}
	for k, v := range want {
		if got := str(objs[0], "data", k); got != v {
			t.Errorf("data.%s = %q, want %q", k, got, v)
		}
	}
	if objs[0].Name() != "edgerepl-demo" || objs[0].Namespace() != "edgerepl" {
		t.Errorf("metadata %v", objs[0]["metadata"])
	}
}

func TestEngineRequiredFailAndPartials(t *testing.T) {
	_, err := renderDemo(t, map[string]string{
		"templates/x.yaml": `x: {{ required "name is required" .Values.unset }}`,
	})
	if err == nil || !strings.Contains(err.Error(), "name is required") {
		t.Errorf("required: %v", err)
	}
	_, err = renderDemo(t, map[string]string{"templates/x.yaml": `{{ fail "refused on purpose" }}`})
	if err == nil || !strings.Contains(err.Error(), "refused on purpose") {
		t.Errorf("fail: %v", err)
	}
	out, err := renderDemo(t, map[string]string{
		"templates/_only.tpl": "kind: ShouldNotRender\n",
		"templates/NOTES.txt": "notes are not manifests\n",
		"templates/e.yaml":    "# only a comment\n---\n\n---\napiVersion: v1\nkind: A\nmetadata: {name: a}\n",
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "ShouldNotRender") || strings.Contains(out, "notes are") || strings.Count(out, "kind:") != 1 {
		t.Errorf("partials, notes or empty documents leaked:\n%s", out)
	}
}

func TestValuesMergeLikeHelm(t *testing.T) {
	base := map[string]interface{}{"a": map[string]interface{}{"x": 1.0, "y": 2.0}, "l": []interface{}{"p"}, "k": "v"}
	over := map[string]interface{}{"a": map[string]interface{}{"y": 3.0, "z": 4.0}, "l": []interface{}{"q"}, "k": nil}
	got := MergeValues(base, over)
	a := got["a"].(map[string]interface{})
	if a["x"] != 1.0 || a["y"] != 3.0 || a["z"] != 4.0 {
		t.Errorf("maps must merge key by key: %v", a)
	}
	if l := got["l"].([]interface{}); len(l) != 1 || l[0] != "q" {
		t.Errorf("lists must be replaced: %v", l)
	}
	if _, ok := got["k"]; ok {
		t.Errorf("null must delete the key: %v", got)
	}
	if base["a"].(map[string]interface{})["y"] != 2.0 {
		t.Errorf("merge modified its input")
	}
	vals := map[string]interface{}{}
	if err := SetValue(vals, "a.b.c=[1, two]"); err != nil {
		t.Fatal(err)
	}
	if l := get(vals, "a", "b", "c").([]interface{}); len(l) != 2 || l[1] != "two" {
		t.Errorf("--set value parsed as YAML: %v", vals)
	}
	if err := SetValue(vals, "novalue"); err == nil {
		t.Errorf("--set without = accepted")
	}
}

// Numbers are float64 as in Helm, so large integers print in exponent form unless the template
// converts them: the chart must not print such values raw.
func TestLargeIntegersNeedIntInTemplatesAsInHelm(t *testing.T) {
	out, err := renderDemo(t, map[string]string{
		"values.yaml":      "big: 67108860\n",
		"templates/x.yaml": "apiVersion: v1\nkind: A\nmetadata: {name: a}\nraw: \"{{ .Values.big }}\"\nconverted: \"{{ int64 .Values.big }}\"\n",
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, `raw: "6.710886e+07"`) || !strings.Contains(out, `converted: "67108860"`) {
		t.Errorf("output:\n%s", out)
	}
}

// Files reached through a symbolic link to a directory outside the chart are loaded, as Helm's
// loader follows links.
func TestLoaderFollowsDirectoryLinks(t *testing.T) {
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "x.yaml"), []byte("linked: true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := writeChart(t, map[string]string{"templates/t.yaml": "apiVersion: v1\nkind: A\nmetadata: {name: a}\n"})
	if err := os.Symlink(outside, filepath.Join(dir, "files")); err != nil {
		t.Fatal(err)
	}
	c, err := LoadChart(dir)
	if err != nil {
		t.Fatal(err)
	}
	if c.Files.Get("files/x.yaml") != "linked: true\n" {
		t.Fatalf("files through the link: %v", c.Files)
	}
}
