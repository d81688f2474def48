package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

type dashPanel struct {
	ID         int    `json:"id"`
	Type       string `json:"type"`
	Title      string `json:"title"`
	Datasource *struct {
		UID string `json:"uid"`
	} `json:"datasource"`
	GridPos struct{ H, W, X, Y int } `json:"gridPos"`
	Targets []struct {
		Expr   string `json:"expr"`
		RefID  string `json:"refId"`
		Legend string `json:"legendFormat"`
	} `json:"targets"`
	FieldConfig struct {
		Defaults struct {
			Unit string `json:"unit"`
		} `json:"defaults"`
	} `json:"fieldConfig"`
}

// The checks Grafana's dashboard linter makes that matter for a dashboard shipped in a chart: it
// works on any Prometheus data source, selects by template variables, uses $__rate_interval,
// every panel has a unit and a unique id, and panels do not overlap.
func TestDashboardIsPortable(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(chartDir(t), "files", "dashboards", "edgerepl.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		UID        string      `json:"uid"`
		Title      string      `json:"title"`
		Panels     []dashPanel `json:"panels"`
		Templating struct {
			List []struct {
				Name string `json:"name"`
				Type string `json:"type"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatal(err)
	}
	if d.UID == "" || d.Title == "" {
		t.Errorf("dashboard needs a uid and a title")
	}
	vars := map[string]string{}
	for _, v := range d.Templating.List {
		vars[v.Name] = v.Type
	}
	if vars["datasource"] != "datasource" || vars["namespace"] != "query" || vars["pod"] != "query" {
		t.Errorf("template variables %v: want datasource, namespace and pod", vars)
	}
	ids := map[int]bool{}
	cells := map[string]string{}
	rangeFn := regexp.MustCompile(`\b(rate|increase|irate)\([^\[]*\[([^\]]+)\]`)
	queries := 0
	for _, p := range d.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d used twice", p.ID)
		}
		ids[p.ID] = true
		for x := p.GridPos.X; x < p.GridPos.X+p.GridPos.W; x++ {
			for y := p.GridPos.Y; y < p.GridPos.Y+p.GridPos.H; y++ {
				key := fmt.Sprintf("%d,%d", x, y)
				if other, ok := cells[key]; ok {
					t.Errorf("panels %q and %q overlap at %s", other, p.Title, key)
				}
				cells[key] = p.Title
			}
		}
		if p.GridPos.X+p.GridPos.W > 24 {
			t.Errorf("panel %q is wider than the 24-column grid", p.Title)
		}
		if p.Type == "row" {
			continue
		}
		if p.Datasource == nil || p.Datasource.UID != "${datasource}" {
			t.Errorf("panel %q does not use the $datasource variable", p.Title)
		}
		if p.FieldConfig.Defaults.Unit == "" {
			t.Errorf("panel %q has no unit", p.Title)
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			queries++
			for _, m := range rangeFn.FindAllStringSubmatch(tg.Expr, -1) {
				if m[2] != "$__rate_interval" {
					t.Errorf("panel %q: %s over [%s]; use $__rate_interval", p.Title, m[1], m[2])
				}
			}
			if strings.HasPrefix(strings.TrimSpace(tg.Expr), "edgerepl_") || strings.Contains(tg.Expr, "(edgerepl_") {
				if !strings.Contains(tg.Expr, `namespace=~"$namespace"`) {
					t.Errorf("panel %q: query %q ignores the namespace variable", p.Title, tg.Expr)
				}
			}
			if tg.Legend == "" {
				t.Errorf("panel %q: a query without legendFormat", p.Title)
			}
		}
	}
	if queries < 20 {
		t.Errorf("only %d queries", queries)
	}
}
