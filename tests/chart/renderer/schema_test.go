package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every file in values/bad is refused by values.schema.json with the message its first line names,
// and nothing is rendered.
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
			want := strings.TrimPrefix(first, "# want: ")
			if want == first || want == "" {
				t.Fatalf("first line must be '# want: <error text>', got %q", first)
			}
			_, err = tryRender(t, []string{path})
			if err == nil {
				t.Fatalf("rendered; want the schema to refuse it with %q", want)
			}
			if !strings.Contains(err.Error(), want) {
				t.Fatalf("error %q\ndoes not contain %q", err, want)
			}
		})
	}
}

// The same checks through --set, which Helm validates too (on the merged values).
func TestSchemaChecksSetValues(t *testing.T) {
	if _, err := tryRender(t, nil, "operator.replicaCount=-1"); err == nil ||
		!strings.Contains(err.Error(), "less than the minimum") {
		t.Fatalf("--set operator.replicaCount=-1: %v", err)
	}
	if _, err := tryRender(t, nil, "influxdb.enabled=yes-please"); err == nil ||
		!strings.Contains(err.Error(), ".influxdb.enabled: got string, want boolean") {
		t.Fatalf("--set influxdb.enabled=yes-please: %v", err)
	}
}

// The checker itself, on small schemas: each keyword accepts and refuses what it should.
func TestSchemaCheckerKeywords(t *testing.T) {
	cases := []struct {
		name, schema, doc string
		wantErr           string // "" = valid
	}{
		{"type ok", `{"type":"integer"}`, `3`, ""},
		{"type bad", `{"type":"integer"}`, `3.5`, "got number, want integer"},
		{"number accepts integer", `{"type":"number"}`, `3`, ""},
		{"type list", `{"type":["string","null"]}`, `null`, ""},
		{"required", `{"type":"object","required":["a"]}`, `{}`, `"a" is required`},
		{"additional false", `{"type":"object","properties":{"a":{}},"additionalProperties":false}`, `{"b":1}`, `unknown key "b"`},
		{"additional schema", `{"type":"object","additionalProperties":{"type":"string"}}`, `{"b":1}`, ".b: got integer"},
		{"enum", `{"enum":["x","y"]}`, `"z"`, "not one of"},
		{"const", `{"const":true}`, `false`, "is not true"},
		{"minimum", `{"minimum":2}`, `1`, "less than the minimum"},
		{"maximum", `{"maximum":2}`, `3`, "greater than the maximum"},
		{"exclusiveMinimum", `{"exclusiveMinimum":0}`, `0`, "must be greater than 0"},
		{"pattern", `{"pattern":"^a+$"}`, `"ab"`, "does not match"},
		{"minLength", `{"minLength":2}`, `"a"`, "shorter than"},
		{"maxLength", `{"maxLength":1}`, `"ab"`, "longer than"},
		{"items", `{"items":{"type":"string"}}`, `["a",1]`, "[1]: got integer"},
		{"minItems", `{"minItems":1}`, `[]`, "fewer than"},
		{"uniqueItems", `{"uniqueItems":true}`, `[1,1]`, "are equal"},
		{"contains ok", `{"contains":{"const":"ALL"}}`, `["X","ALL"]`, ""},
		{"contains bad", `{"contains":{"const":"ALL"}}`, `["X"]`, "no item matches"},
		{"ref", `{"definitions":{"p":{"type":"integer"}},"properties":{"a":{"$ref":"#/definitions/p"}}}`, `{"a":"x"}`, ".a: got string"},
		{"anyOf", `{"anyOf":[{"type":"string"},{"type":"integer"}]}`, `true`, "none of anyOf"},
		{"oneOf", `{"oneOf":[{"minimum":1},{"maximum":5}]}`, `3`, "matches 2 of oneOf"},
		{"not", `{"not":{"const":1}}`, `1`, "must not match"},
		{"propertyNames", `{"propertyNames":{"pattern":"^[a-z]+$"}}`, `{"A":1}`, "does not match"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := ParseSchema([]byte(c.schema))
			if err != nil {
				t.Fatal(err)
			}
			var doc interface{}
			if err := yamlUnmarshal(c.doc, &doc); err != nil {
				t.Fatal(err)
			}
			errs := strings.Join(s.Validate(doc), "; ")
			if c.wantErr == "" && errs != "" {
				t.Fatalf("want valid, got %s", errs)
			}
			if c.wantErr != "" && !strings.Contains(errs, c.wantErr) {
				t.Fatalf("errors %q do not contain %q", errs, c.wantErr)
			}
		})
	}
}

// A keyword the checker does not implement must not be silently ignored.
func TestSchemaCheckerRefusesUnknownKeywords(t *testing.T) {
	if _, err := ParseSchema([]byte(`{"properties":{"a":{"dependentRequired":{}}}}`)); err == nil ||
		!strings.Contains(err.Error(), "dependentRequired") {
		t.Fatalf("unknown keyword accepted: %v", err)
	}
}

// values.yaml itself is valid, and every key it sets is declared in the schema.
func TestDefaultValuesMeetTheSchema(t *testing.T) {
	c, err := LoadChart(chartDir(t))
	if err != nil {
		t.Fatal(err)
	}
	if c.Schema == nil {
		t.Fatal("the chart has no values.schema.json")
	}
	if err := CheckValues(c, c.Values); err != nil {
		t.Fatal(err)
	}
}
