package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var backticked = regexp.MustCompile("`([^`]+)`")

// tableRows returns cell `column` of the Markdown table rows after the heading `section`, split
// into its backticked names.
func tableRows(t *testing.T, doc, section string, column int) [][]string {
	t.Helper()
	at := strings.Index(doc, "\n"+section+"\n")
	if at < 0 {
		t.Fatalf("no section %q", section)
	}
	// Up to the next heading of any level: a subsection (the selector's keys) has a table of its own.
	body := doc[at+len(section)+2:]
	if end := strings.Index(body, "\n#"); end >= 0 {
		body = body[:end]
	}
	var rows [][]string
	for _, line := range strings.Split(body, "\n") {
		if !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "|---") {
			continue
		}
		cells := strings.Split(line, " | ")
		if len(cells) <= column {
			continue
		}
		var names []string
		for _, m := range backticked.FindAllStringSubmatch(cells[column], -1) {
			names = append(names, m[1])
		}
		rows = append(rows, names)
	}
	return rows
}

func readDoc(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "docs", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// configFields lists every field of docs/config.md's field tables as a path
// (`maxBodyBytes`, `remotes[].token`, `replications[].batch.maxBytes`); the list fields `remotes`
// and `replications` themselves are sections, not settings.
func configFields(t *testing.T) map[string]bool {
	doc := readDoc(t, "config.md")
	fields := map[string]bool{}
	for section, prefix := range map[string]string{
		"## Top level":        "",
		"## `remotes[]`":      "remotes[].",
		"## `replications[]`": "replications[].",
	} {
		for _, names := range tableRows(t, doc, section, 0) {
			for _, n := range names {
				if n == "Field" || (prefix == "" && (n == "remotes" || n == "replications")) {
					continue
				}
				fields[prefix+n] = true
			}
		}
	}
	return fields
}

// The parity table of docs/crd-reference.md has a row, with a Kubernetes place, for every
// setting of docs/config.md, and names no setting config.md does not have.
func TestEveryAgentSettingHasAKubernetesRow(t *testing.T) {
	fields := configFields(t)
	if len(fields) < 40 {
		t.Fatalf("only %d fields read from docs/config.md: %v", len(fields), fields)
	}
	doc := readDoc(t, "crd-reference.md")
	covered := map[string]bool{}
	for _, line := range tableLines(t, doc, "## Agent settings on Kubernetes") {
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		if len(cells) != 3 || strings.TrimSpace(cells[2]) == "" {
			t.Errorf("row %q: want setting | standalone field | Kubernetes field", line)
			continue
		}
		for _, m := range backticked.FindAllStringSubmatch(cells[1], -1) {
			if !fields[m[1]] {
				t.Errorf("row %q names %s, which docs/config.md does not have", line, m[1])
			}
			covered[m[1]] = true
		}
	}
	for f := range fields {
		if !covered[f] {
			t.Errorf("docs/config.md's %s has no row in crd-reference.md's \"Agent settings on Kubernetes\"", f)
		}
	}
}

func tableLines(t *testing.T, doc, section string) []string {
	t.Helper()
	at := strings.Index(doc, "\n"+section+"\n")
	if at < 0 {
		t.Fatalf("no section %q", section)
	}
	body := doc[at+len(section)+2:]
	if end := strings.Index(body, "\n## "); end >= 0 {
		body = body[:end]
	}
	var out []string
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, "| ") && !strings.HasPrefix(line, "| Setting |") {
			out = append(out, line)
		}
	}
	return out
}

// docs/config.md's tables are the list the parity check reads: every key the agent's parser
// reads (common/config/parse.cc) is in them, so a new config field cannot skip the check.
func TestConfigDocListsEveryParsedField(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "common", "config", "parse.cc"))
	if err != nil {
		t.Fatal(err)
	}
	leaves := map[string]bool{}
	for f := range configFields(t) {
		leaves[f[strings.LastIndexAny(f, ".]")+1:]] = true
	}
	// The selector's own keys are in config.md's selector table; the list and map sections are
	// headings.
	skip := map[string]bool{"matchLabels": true, "matchExpressions": true, "key": true,
		"operator": true, "values": true, "local": true, "remotes": true, "replications": true,
		"batch": true, "backoff": true, "backfill": true}
	read := regexp.MustCompile(`\b(?:[a-z]*r\.(?:String|Uint|Uint32|Bool|Duration|Enum<[A-Za-z]+>|Get)\(|Required\(r, )"([A-Za-z]+)"`)
	found := 0
	for _, m := range read.FindAllStringSubmatch(string(data), -1) {
		found++
		if !skip[m[1]] && !leaves[m[1]] {
			t.Errorf("the parser reads %q, which no table of docs/config.md lists", m[1])
		}
	}
	if found < 40 {
		t.Fatalf("only %d parsed keys found in parse.cc", found)
	}
}
