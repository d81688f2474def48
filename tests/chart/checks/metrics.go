package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

type alertRule struct {
	Alert       string            `json:"alert"`
	Expr        string            `json:"expr"`
	For         string            `json:"for"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

type ruleGroups struct {
	Groups []struct {
		Name  string      `json:"name"`
		Rules []alertRule `json:"rules"`
	} `json:"groups"`
}

// Names in a PromQL expression that are metrics: identifiers that are not functions, keywords,
// label names in grouping clauses, or inside label matchers, strings and ranges.
var (
	promStrings   = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	promMatchers  = regexp.MustCompile(`\{[^}]*\}`)
	promRanges    = regexp.MustCompile(`\[[^\]]*\]`)
	promOffset    = regexp.MustCompile(`\boffset\s+-?[0-9][0-9a-z]*`)
	promNumber    = regexp.MustCompile(`\b[0-9][0-9.]*([eE][+-]?[0-9]+)?[a-z]*\b`)
	promGrouping  = regexp.MustCompile(`\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	promIdent     = regexp.MustCompile(`[A-Za-z_:][A-Za-z0-9_:]*`)
	promKeywords  = map[string]bool{"and": true, "or": true, "unless": true, "bool": true, "offset": true}
	promFuncsCall = regexp.MustCompile(`[A-Za-z_]+\s*\(`)
)

func metricNames(expr string) []string {
	e := promStrings.ReplaceAllString(expr, `""`)
	e = promMatchers.ReplaceAllString(e, " ")
	e = promRanges.ReplaceAllString(e, " ")
	e = promOffset.ReplaceAllString(e, " ")
	e = promNumber.ReplaceAllString(e, " ")
	e = promGrouping.ReplaceAllString(e, " ")
	e = promFuncsCall.ReplaceAllString(e, "(")
	var out []string
	for _, id := range promIdent.FindAllString(e, -1) {
		if promKeywords[id] || regexp.MustCompile(`^[0-9]`).MatchString(id) {
			continue
		}
		out = append(out, id)
	}
	return out
}

// UsedMetrics collects every metric name the rules (rendered by helm with the default values) and
// the dashboard query, with histogram series suffixes (_bucket, _sum, _count) reduced to the
// histogram's name.
func UsedMetrics(helm, chartDir string) (map[string][]string, error) {
	used := map[string][]string{}
	add := func(where, expr string) {
		for _, n := range metricNames(expr) {
			used[n] = append(used[n], where)
		}
	}
	text, err := alertRulesText(helm, chartDir)
	if err != nil {
		return nil, err
	}
	var groups ruleGroups
	if err := yaml.Unmarshal([]byte(text), &groups); err != nil {
		return nil, err
	}
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			add("alert "+r.Alert, r.Expr)
		}
	}
	data, err := os.ReadFile(filepath.Join(chartDir, "files", "dashboards", "edgerepl.json"))
	if err != nil {
		return nil, err
	}
	var d struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Name  string      `json:"name"`
				Query interface{} `json:"query"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("dashboard JSON: %v", err)
	}
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			add("panel "+p.Title, strings.ReplaceAll(tg.Expr, "$__rate_interval", "5m"))
		}
	}
	lv := regexp.MustCompile(`label_values\(([A-Za-z_:][A-Za-z0-9_:]*)`)
	for _, v := range d.Templating.List {
		q, _ := v.Query.(string)
		if m, ok := v.Query.(map[string]interface{}); ok {
			q, _ = m["query"].(string)
		}
		for _, m := range lv.FindAllStringSubmatch(q, -1) {
			used[m[1]] = append(used[m[1]], "variable "+v.Name)
		}
	}
	out := map[string][]string{}
	for n, w := range used {
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			if strings.HasSuffix(n, suffix) && strings.Contains(n, "duration_seconds") {
				n = strings.TrimSuffix(n, suffix)
			}
		}
		out[n] = append(out[n], w...)
	}
	return out, nil
}

// printUsedMetrics writes one metric name per line, sorted, for tests in other languages.
func printUsedMetrics(helm, chartDir string) (string, error) {
	used, err := UsedMetrics(helm, chartDir)
	if err != nil {
		return "", err
	}
	names := make([]string, 0, len(used))
	for n := range used {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, "\n") + "\n", nil
}
