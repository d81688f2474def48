package main

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

// Chart is a chart directory loaded the way Helm loads one: metadata, default values, templates
// and every other file (reachable through .Files).
type Chart struct {
	Dir       string
	Metadata  map[string]interface{}
	Values    map[string]interface{}
	Schema    []byte
	Templates map[string]string // "templates/x.yaml" -> text
	Files     Files             // every file that is not Chart.yaml, values.yaml, a schema or a template
}

// Files mirrors Helm's .Files: a map from chart-relative path to content.
type Files map[string][]byte

// Get returns a file's content, or "" when it is missing (as Helm does).
func (f Files) Get(name string) string { return string(f[name]) }

// GetBytes returns a file's content as bytes.
func (f Files) GetBytes(name string) []byte { return f[name] }

// Glob returns the files whose path matches pattern. Helm uses gobwas/glob; path.Match agrees
// with it for the patterns this chart uses (no "**", no braces).
func (f Files) Glob(pattern string) Files {
	out := Files{}
	for name, data := range f {
		if ok, _ := path.Match(pattern, name); ok {
			out[name] = data
		}
	}
	return out
}

// Lines splits a file into lines, like Helm's .Files.Lines.
func (f Files) Lines(name string) []string {
	s := string(f[name])
	if s == "" {
		return []string{}
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// LoadChart reads a chart directory. Helm ignores files listed in .helmignore; this chart has none
// to ignore, so .helmignore patterns are applied only as simple path.Match globs.
func LoadChart(dir string) (*Chart, error) {
	c := &Chart{Dir: dir, Templates: map[string]string{}, Files: Files{}}
	meta, err := os.ReadFile(filepath.Join(dir, "Chart.yaml"))
	if err != nil {
		return nil, err
	}
	if err := yaml.Unmarshal(meta, &c.Metadata); err != nil {
		return nil, fmt.Errorf("Chart.yaml: %v", err)
	}
	for _, key := range []string{"apiVersion", "name", "version"} {
		if _, ok := c.Metadata[key]; !ok {
			return nil, fmt.Errorf("Chart.yaml: %s is required", key)
		}
	}
	vals, err := os.ReadFile(filepath.Join(dir, "values.yaml"))
	if err != nil {
		return nil, err
	}
	if c.Values, err = parseValues(vals); err != nil {
		return nil, fmt.Errorf("values.yaml: %v", err)
	}
	if schema, err := os.ReadFile(filepath.Join(dir, "values.schema.json")); err == nil {
		c.Schema = schema
	}
	ignore := []string{}
	if data, err := os.ReadFile(filepath.Join(dir, ".helmignore")); err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			l = strings.TrimSpace(l)
			if l != "" && !strings.HasPrefix(l, "#") {
				ignore = append(ignore, l)
			}
		}
	}
	err = walkFollowingLinks(dir, "", func(rel string, p string) error {
		for _, pat := range ignore {
			if ok, _ := path.Match(pat, rel); ok {
				return nil
			}
			if ok, _ := path.Match(pat, path.Base(rel)); ok {
				return nil
			}
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		switch {
		case rel == "Chart.yaml" || rel == "values.yaml" || rel == "values.schema.json":
		case strings.HasPrefix(rel, "templates/"):
			c.Templates[rel] = string(data)
		default:
			c.Files[rel] = data
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// walkFollowingLinks calls fn for every regular file under root (rel is slash-separated and
// relative to root), following symbolic links to files and directories as Helm's loader does
// (so files/crds can link to the repository's crds/).
func walkFollowingLinks(root, rel string, fn func(rel, path string) error) error {
	dir := filepath.Join(root, filepath.FromSlash(rel))
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		childRel := e.Name()
		if rel != "" {
			childRel = rel + "/" + e.Name()
		}
		info, err := os.Stat(filepath.Join(dir, e.Name()))
		if err != nil {
			return fmt.Errorf("%s: %v", childRel, err)
		}
		if info.IsDir() {
			if err := walkFollowingLinks(root, childRel, fn); err != nil {
				return err
			}
			continue
		}
		if err := fn(childRel, filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// Name is the chart's name from Chart.yaml.
func (c *Chart) Name() string { return fmt.Sprint(c.Metadata["name"]) }

// TemplateNames lists the templates in a stable order.
func (c *Chart) TemplateNames() []string {
	names := make([]string, 0, len(c.Templates))
	for n := range c.Templates {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func parseValues(data []byte) (map[string]interface{}, error) {
	out := map[string]interface{}{}
	if err := yaml.Unmarshal(data, &out); err != nil {
		return nil, err
	}
	if out == nil {
		out = map[string]interface{}{}
	}
	return out, nil
}

// MergeValues overlays `over` on `base` as Helm coalesces user values onto chart defaults: maps
// merge key by key, anything else replaces, and a null removes the key.
func MergeValues(base, over map[string]interface{}) map[string]interface{} {
	out := map[string]interface{}{}
	for k, v := range base {
		out[k] = deepCopy(v)
	}
	for k, v := range over {
		if v == nil {
			delete(out, k)
			continue
		}
		bm, bok := out[k].(map[string]interface{})
		om, ook := v.(map[string]interface{})
		if bok && ook {
			out[k] = MergeValues(bm, om)
		} else {
			out[k] = deepCopy(v)
		}
	}
	return out
}

func deepCopy(v interface{}) interface{} {
	switch t := v.(type) {
	case map[string]interface{}:
		m := make(map[string]interface{}, len(t))
		for k, x := range t {
			m[k] = deepCopy(x)
		}
		return m
	case []interface{}:
		l := make([]interface{}, len(t))
		for i, x := range t {
			l[i] = deepCopy(x)
		}
		return l
	default:
		return v
	}
}

// SetValue applies one --set style assignment "a.b.c=value" (value parsed as YAML).
func SetValue(vals map[string]interface{}, assignment string) error {
	eq := strings.IndexByte(assignment, '=')
	if eq <= 0 {
		return fmt.Errorf("--set %q: want key=value", assignment)
	}
	keys := strings.Split(assignment[:eq], ".")
	var v interface{}
	if err := yaml.Unmarshal([]byte(assignment[eq+1:]), &v); err != nil {
		return fmt.Errorf("--set %q: %v", assignment, err)
	}
	m := vals
	for _, k := range keys[:len(keys)-1] {
		next, ok := m[k].(map[string]interface{})
		if !ok {
			next = map[string]interface{}{}
			m[k] = next
		}
		m = next
	}
	m[keys[len(keys)-1]] = v
	return nil
}
