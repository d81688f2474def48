package main

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"sort"
	"strings"
)

// A JSON Schema (draft-07) checker for the subset values.schema.json uses. A keyword outside the
// subset is an error, so the schema can never rely on a rule this checker silently ignores.
var knownKeywords = map[string]bool{
	"$schema": true, "$id": true, "$comment": true, "title": true, "description": true,
	"default": true, "examples": true, "definitions": true, "$ref": true,
	"type": true, "properties": true, "additionalProperties": true, "required": true,
	"enum": true, "const": true, "minimum": true, "maximum": true, "exclusiveMinimum": true,
	"minLength": true, "maxLength": true, "pattern": true, "items": true, "minItems": true,
	"maxItems": true, "uniqueItems": true, "anyOf": true, "oneOf": true, "allOf": true, "not": true,
	"propertyNames": true, "contains": true,
}

// Schema validates documents against one root schema.
type Schema struct {
	root map[string]interface{}
}

// ParseSchema reads a schema and checks that every keyword in it is supported.
func ParseSchema(data []byte) (*Schema, error) {
	var root map[string]interface{}
	if err := json.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("schema: %v", err)
	}
	if err := checkKeywords(root, "#"); err != nil {
		return nil, err
	}
	return &Schema{root: root}, nil
}

func checkKeywords(s map[string]interface{}, at string) error {
	for k, v := range s {
		if !knownKeywords[k] {
			return fmt.Errorf("schema %s: keyword %q is not supported by this checker", at, k)
		}
		switch k {
		case "properties", "definitions":
			for name, sub := range v.(map[string]interface{}) {
				if err := checkKeywords(sub.(map[string]interface{}), at+"/"+k+"/"+name); err != nil {
					return err
				}
			}
		case "additionalProperties", "items", "not", "propertyNames", "contains":
			if m, ok := v.(map[string]interface{}); ok {
				if err := checkKeywords(m, at+"/"+k); err != nil {
					return err
				}
			}
		case "anyOf", "oneOf", "allOf":
			for i, sub := range v.([]interface{}) {
				if err := checkKeywords(sub.(map[string]interface{}), fmt.Sprintf("%s/%s/%d", at, k, i)); err != nil {
					return err
				}
			}
		case "pattern":
			if _, err := regexp.Compile(v.(string)); err != nil {
				return fmt.Errorf("schema %s: pattern: %v", at, err)
			}
		}
	}
	return nil
}

// Validate returns every violation, each naming the value's path (".operator.replicaCount").
func (s *Schema) Validate(doc interface{}) []string {
	// Round-trip through JSON so numbers are float64 and maps are map[string]interface{}.
	b, err := json.Marshal(doc)
	if err != nil {
		return []string{err.Error()}
	}
	var v interface{}
	if err := json.Unmarshal(b, &v); err != nil {
		return []string{err.Error()}
	}
	var errs []string
	s.validate(s.root, v, "", &errs)
	sort.Strings(errs)
	return errs
}

func (s *Schema) resolve(ref string) (map[string]interface{}, error) {
	if !strings.HasPrefix(ref, "#/") {
		return nil, fmt.Errorf("$ref %q: only local references are supported", ref)
	}
	var cur interface{} = s.root
	for _, part := range strings.Split(ref[2:], "/") {
		m, ok := cur.(map[string]interface{})
		if !ok {
			return nil, fmt.Errorf("$ref %q does not resolve", ref)
		}
		cur = m[part]
	}
	m, ok := cur.(map[string]interface{})
	if !ok {
		return nil, fmt.Errorf("$ref %q does not resolve", ref)
	}
	return m, nil
}

func typeOf(v interface{}) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64:
		if t == math.Trunc(t) {
			return "integer"
		}
		return "number"
	case string:
		return "string"
	case []interface{}:
		return "array"
	case map[string]interface{}:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

func typeMatches(want, got string) bool {
	return want == got || (want == "number" && got == "integer")
}

func where(p string) string {
	if p == "" {
		return "(root)"
	}
	return p
}

func (s *Schema) validate(sch map[string]interface{}, v interface{}, at string, errs *[]string) {
	add := func(format string, args ...interface{}) {
		*errs = append(*errs, where(at)+": "+fmt.Sprintf(format, args...))
	}
	if ref, ok := sch["$ref"].(string); ok {
		target, err := s.resolve(ref)
		if err != nil {
			add("%v", err)
			return
		}
		s.validate(target, v, at, errs)
	}
	if t, ok := sch["type"]; ok {
		got := typeOf(v)
		var wants []string
		switch tt := t.(type) {
		case string:
			wants = []string{tt}
		case []interface{}:
			for _, x := range tt {
				wants = append(wants, x.(string))
			}
		}
		matched := false
		for _, w := range wants {
			if typeMatches(w, got) {
				matched = true
			}
		}
		if !matched {
			add("got %s, want %s", got, strings.Join(wants, " or "))
			return
		}
	}
	if e, ok := sch["enum"].([]interface{}); ok {
		found := false
		for _, x := range e {
			if reflect.DeepEqual(x, v) {
				found = true
			}
		}
		if !found {
			add("value %v is not one of %v", v, e)
		}
	}
	if c, ok := sch["const"]; ok && !reflect.DeepEqual(c, v) {
		add("value %v is not %v", v, c)
	}
	if n, ok := v.(float64); ok {
		if m, ok := sch["minimum"].(float64); ok && n < m {
			add("%v is less than the minimum %v", n, m)
		}
		if m, ok := sch["exclusiveMinimum"].(float64); ok && n <= m {
			add("%v must be greater than %v", n, m)
		}
		if m, ok := sch["maximum"].(float64); ok && n > m {
			add("%v is greater than the maximum %v", n, m)
		}
	}
	if str, ok := v.(string); ok {
		if m, ok := sch["minLength"].(float64); ok && float64(len([]rune(str))) < m {
			add("shorter than %v characters", m)
		}
		if m, ok := sch["maxLength"].(float64); ok && float64(len([]rune(str))) > m {
			add("longer than %v characters", m)
		}
		if p, ok := sch["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(str) {
			add("%q does not match %s", str, p)
		}
	}
	if arr, ok := v.([]interface{}); ok {
		if m, ok := sch["minItems"].(float64); ok && float64(len(arr)) < m {
			add("fewer than %v items", m)
		}
		if m, ok := sch["maxItems"].(float64); ok && float64(len(arr)) > m {
			add("more than %v items", m)
		}
		if u, ok := sch["uniqueItems"].(bool); ok && u {
			for i := range arr {
				for j := 0; j < i; j++ {
					if reflect.DeepEqual(arr[i], arr[j]) {
						add("items %d and %d are equal", j, i)
					}
				}
			}
		}
		if c, ok := sch["contains"].(map[string]interface{}); ok {
			found := false
			for _, x := range arr {
				var e []string
				s.validate(c, x, at, &e)
				if len(e) == 0 {
					found = true
					break
				}
			}
			if !found {
				add("no item matches %s", toJSON(c))
			}
		}
		if items, ok := sch["items"].(map[string]interface{}); ok {
			for i, x := range arr {
				s.validate(items, x, fmt.Sprintf("%s[%d]", at, i), errs)
			}
		}
	}
	if obj, ok := v.(map[string]interface{}); ok {
		props, _ := sch["properties"].(map[string]interface{})
		if req, ok := sch["required"].([]interface{}); ok {
			for _, r := range req {
				if _, present := obj[r.(string)]; !present {
					add("%q is required", r)
				}
			}
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if pn, ok := sch["propertyNames"].(map[string]interface{}); ok {
				s.validate(pn, k, at+"."+k+"(name)", errs)
			}
			if p, ok := props[k].(map[string]interface{}); ok {
				s.validate(p, obj[k], at+"."+k, errs)
				continue
			}
			switch ap := sch["additionalProperties"].(type) {
			case bool:
				if !ap {
					add("unknown key %q", k)
				}
			case map[string]interface{}:
				s.validate(ap, obj[k], at+"."+k, errs)
			}
		}
	}
	if all, ok := sch["allOf"].([]interface{}); ok {
		for _, sub := range all {
			s.validate(sub.(map[string]interface{}), v, at, errs)
		}
	}
	if any, ok := sch["anyOf"].([]interface{}); ok {
		matched := false
		for _, sub := range any {
			var e []string
			s.validate(sub.(map[string]interface{}), v, at, &e)
			if len(e) == 0 {
				matched = true
				break
			}
		}
		if !matched {
			add("matches none of anyOf")
		}
	}
	if one, ok := sch["oneOf"].([]interface{}); ok {
		n := 0
		for _, sub := range one {
			var e []string
			s.validate(sub.(map[string]interface{}), v, at, &e)
			if len(e) == 0 {
				n++
			}
		}
		if n != 1 {
			add("matches %d of oneOf, want exactly 1", n)
		}
	}
	if not, ok := sch["not"].(map[string]interface{}); ok {
		var e []string
		s.validate(not, v, at, &e)
		if len(e) == 0 {
			add("must not match the \"not\" schema")
		}
	}
}
