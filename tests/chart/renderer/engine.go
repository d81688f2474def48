package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"regexp"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig"
	"sigs.k8s.io/yaml"
)

// Release is the part of Helm's .Release the chart may read.
type Release struct {
	Name      string
	Namespace string
	Service   string
	Revision  int
	IsInstall bool
	IsUpgrade bool
}

// VersionSet is .Capabilities.APIVersions.
type VersionSet []string

// Has reports whether an API group/version (or group/version/Kind) is served.
func (v VersionSet) Has(apiVersion string) bool {
	for _, x := range v {
		if x == apiVersion {
			return true
		}
	}
	return false
}

// KubeVersion is .Capabilities.KubeVersion.
type KubeVersion struct {
	Version    string
	Major      string
	Minor      string
	GitVersion string
}

// Capabilities is the minimal .Capabilities: a fixed Kubernetes version and the API versions the
// caller says the cluster serves.
type Capabilities struct {
	KubeVersion KubeVersion
	APIVersions VersionSet
}

// Options select what a render sees besides values.
type Options struct {
	Release      Release
	Capabilities Capabilities
}

// DefaultOptions mirror `helm template` without a cluster: release "edgerepl" in "edgerepl",
// Kubernetes 1.30, only built-in API groups served.
func DefaultOptions() Options {
	return Options{
		Release: Release{Name: "edgerepl", Namespace: "edgerepl", Service: "Helm", Revision: 1, IsInstall: true},
		Capabilities: Capabilities{
			KubeVersion: KubeVersion{Version: "v1.30.0", Major: "1", Minor: "30", GitVersion: "v1.30.0"},
			APIVersions: VersionSet{"v1", "apps/v1", "rbac.authorization.k8s.io/v1", "coordination.k8s.io/v1",
				"policy/v1", "apiextensions.k8s.io/v1"},
		},
	}
}

// Manifest is one rendered YAML document and the template it came from.
type Manifest struct {
	Source string
	Body   string
}

// engine holds one parsed template set, as Helm parses every template of a chart together so that
// `define`d names are shared.
type engine struct {
	root *template.Template
}

func newEngine(c *Chart) (*engine, error) {
	e := &engine{}
	root := template.New("gotpl").Option("missingkey=zero")
	funcs := sprig.TxtFuncMap()
	// Helm removes these from sprig for safety; the chart must not depend on them.
	delete(funcs, "env")
	delete(funcs, "expandenv")
	funcs["toYaml"] = toYAML
	funcs["fromYaml"] = fromYAML
	funcs["fromYamlArray"] = fromYAMLArray
	funcs["toJson"] = toJSON
	funcs["fromJson"] = fromJSON
	funcs["required"] = required
	funcs["fail"] = func(msg string) (string, error) { return "", errors.New(msg) }
	funcs["include"] = func(name string, data interface{}) (string, error) {
		var buf bytes.Buffer
		if err := e.root.ExecuteTemplate(&buf, name, data); err != nil {
			return "", err
		}
		return buf.String(), nil
	}
	funcs["tpl"] = func(text string, data interface{}) (string, error) {
		t, err := e.root.Clone()
		if err != nil {
			return "", err
		}
		t, err = t.New("tpl").Parse(text)
		if err != nil {
			return "", fmt.Errorf("tpl: %v", err)
		}
		var buf bytes.Buffer
		if err := t.Execute(&buf, data); err != nil {
			return "", fmt.Errorf("tpl: %v", err)
		}
		return strings.ReplaceAll(buf.String(), "<no value>", ""), nil
	}
	funcs["lookup"] = func(string, string, string, string) (map[string]interface{}, error) {
		return map[string]interface{}{}, nil
	}
	root.Funcs(funcs)
	for _, name := range c.TemplateNames() {
		full := c.Name() + "/" + name
		if _, err := root.New(full).Parse(c.Templates[name]); err != nil {
			return nil, err
		}
	}
	e.root = root
	return e, nil
}

func toYAML(v interface{}) string {
	b, err := yaml.Marshal(v)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(b), "\n")
}

func fromYAML(s string) map[string]interface{} {
	m := map[string]interface{}{}
	if err := yaml.Unmarshal([]byte(s), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func fromYAMLArray(s string) []interface{} {
	a := []interface{}{}
	if err := yaml.Unmarshal([]byte(s), &a); err != nil {
		a = []interface{}{err.Error()}
	}
	return a
}

func toJSON(v interface{}) string {
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

func fromJSON(s string) map[string]interface{} {
	m := map[string]interface{}{}
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func required(msg string, v interface{}) (interface{}, error) {
	if v == nil {
		return v, errors.New(msg)
	}
	if s, ok := v.(string); ok && s == "" {
		return v, errors.New(msg)
	}
	return v, nil
}

// topLevel builds the object templates see as ".".
func topLevel(c *Chart, vals map[string]interface{}, opts Options, templateName string) map[string]interface{} {
	chart := map[string]interface{}{}
	for k, v := range c.Metadata {
		if k == "" {
			continue
		}
		chart[strings.ToUpper(k[:1])+k[1:]] = v
	}
	return map[string]interface{}{
		"Values":       vals,
		"Release":      opts.Release,
		"Chart":        chart,
		"Capabilities": opts.Capabilities,
		"Files":        c.Files,
		"Template": map[string]interface{}{
			"Name":     c.Name() + "/" + templateName,
			"BasePath": c.Name() + "/templates",
		},
	}
}

var docSeparator = regexp.MustCompile(`(?m)^---\s*$`)

// Render executes every template that is not a partial (names starting with "_") and NOTES.txt,
// splits the output into YAML documents and drops empty ones.
func Render(c *Chart, vals map[string]interface{}, opts Options) ([]Manifest, error) {
	e, err := newEngine(c)
	if err != nil {
		return nil, err
	}
	var out []Manifest
	for _, name := range c.TemplateNames() {
		base := path.Base(name)
		if strings.HasPrefix(base, "_") {
			continue
		}
		var buf bytes.Buffer
		full := c.Name() + "/" + name
		if err := e.root.ExecuteTemplate(&buf, full, topLevel(c, vals, opts, name)); err != nil {
			return nil, err
		}
		if base == "NOTES.txt" {
			continue
		}
		text := strings.ReplaceAll(buf.String(), "<no value>", "")
		for _, doc := range docSeparator.Split(text, -1) {
			if strings.TrimSpace(stripComments(doc)) == "" {
				continue
			}
			out = append(out, Manifest{Source: full, Body: strings.TrimSpace(doc) + "\n"})
		}
	}
	return out, nil
}

// RenderNotes returns the rendered NOTES.txt ("" when the chart has none).
func RenderNotes(c *Chart, vals map[string]interface{}, opts Options) (string, error) {
	if _, ok := c.Templates["templates/NOTES.txt"]; !ok {
		return "", nil
	}
	e, err := newEngine(c)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	err = e.root.ExecuteTemplate(&buf, c.Name()+"/templates/NOTES.txt", topLevel(c, vals, opts, "templates/NOTES.txt"))
	return buf.String(), err
}

// RenderDefine executes one named template (a `define`) with the chart's top-level object, for
// artifacts generated from the chart, such as the plain Prometheus rules file.
func RenderDefine(c *Chart, vals map[string]interface{}, opts Options, name string) (string, error) {
	e, err := newEngine(c)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := e.root.ExecuteTemplate(&buf, name, topLevel(c, vals, opts, "templates/_generated")); err != nil {
		return "", err
	}
	return strings.ReplaceAll(buf.String(), "<no value>", ""), nil
}

func stripComments(doc string) string {
	var b strings.Builder
	for _, l := range strings.Split(doc, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "#") {
			continue
		}
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}
