package openai

import (
	"encoding/json"
	"fmt"
	"strings"
)

// maxSchemaDepth bounds schema recursion (nesting and inlined references).
const maxSchemaDepth = 40

// GeminiSchema converts a JSON Schema (as decoded by encoding/json) into
// Gemini's OpenAPI-subset Schema, as sent in functionDeclarations[].parameters
// and generationConfig.responseSchema:
//
//   - $ref is inlined from $defs/definitions (any local JSON pointer);
//     $defs, $schema, $id, $comment are dropped;
//   - allOf is merged into one object; anyOf/oneOf become anyOf, with a
//     {"type": "null"} branch turned into nullable and a single remaining
//     branch inlined;
//   - type arrays such as ["string", "null"] become type + nullable (several
//     non-null types become anyOf);
//   - const becomes a one-value enum; enums of non-strings (Gemini enums
//     are strings only) move into the description;
//   - additionalProperties, patternProperties, exclusiveMinimum/Maximum,
//     multipleOf, examples, readOnly, if/then/else and every other keyword
//     Gemini rejects are dropped; formats other than date-time/enum
//     (strings), float/double (numbers) and int32/int64 (integers) are
//     dropped; required names that are not properties are dropped; types
//     are upper-cased.
//
// lossless is false when the schema holds something the subset cannot
// express without changing its meaning: an object with no properties
// (a free-form map), an array without items, a schema with no type, or a
// recursive reference. Callers should then prefer [JSONSchemaSubset] with
// parametersJsonSchema/responseJsonSchema.
func GeminiSchema(schema any) (out map[string]any, lossless bool) {
	root, _ := schema.(map[string]any)
	c := &schemaConv{root: root}
	out = c.conv(schema, 0)
	return out, !c.lossy
}

type schemaConv struct {
	root  map[string]any
	lossy bool
	refs  []string
}

func (c *schemaConv) resolve(ref string) (map[string]any, bool) {
	if c.root == nil || !strings.HasPrefix(ref, "#") {
		return nil, false
	}
	var cur any = c.root
	for _, tok := range strings.Split(strings.TrimPrefix(ref, "#"), "/") {
		if tok == "" {
			continue
		}
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		cur = m[tok]
	}
	m, ok := cur.(map[string]any)
	return m, ok
}

var okFormats = map[string]map[string]bool{
	"STRING":  {"date-time": true, "enum": true},
	"NUMBER":  {"float": true, "double": true},
	"INTEGER": {"int32": true, "int64": true},
}

// mergeAllOf folds allOf branches (references resolved) into one schema.
func (c *schemaConv) mergeAllOf(m map[string]any) map[string]any {
	all, _ := m["allOf"].([]any)
	merged := make(map[string]any, len(m))
	for k, v := range m {
		if k != "allOf" {
			merged[k] = v
		}
	}
	props, _ := merged["properties"].(map[string]any)
	var req []any
	if r, ok := merged["required"].([]any); ok {
		req = append(req, r...)
	}
	for _, sub := range all {
		sm, ok := sub.(map[string]any)
		if !ok {
			continue
		}
		if ref, ok := sm["$ref"].(string); ok {
			if t, ok := c.resolve(ref); ok && len(c.refs) < maxSchemaDepth {
				sm = t
			}
		}
		if inner, ok := sm["allOf"]; ok && inner != nil {
			sm = c.mergeAllOf(sm)
		}
		for k, v := range sm {
			switch k {
			case "properties":
				if pm, ok := v.(map[string]any); ok {
					if props == nil {
						props = map[string]any{}
					}
					for pk, pv := range pm {
						if _, exists := props[pk]; !exists {
							props[pk] = pv
						}
					}
				}
			case "required":
				if r, ok := v.([]any); ok {
					req = append(req, r...)
				}
			default:
				if _, exists := merged[k]; !exists {
					merged[k] = v
				}
			}
		}
	}
	if props != nil {
		merged["properties"] = props
	}
	if req != nil {
		merged["required"] = req
	}
	return merged
}

func (c *schemaConv) conv(s any, depth int) map[string]any {
	m, ok := s.(map[string]any)
	if !ok || depth > maxSchemaDepth {
		c.lossy = true
		return map[string]any{}
	}
	if ref, ok := m["$ref"].(string); ok {
		for _, r := range c.refs {
			if r == ref {
				c.lossy = true
				out := map[string]any{"type": "OBJECT"}
				if d, ok := m["description"].(string); ok {
					out["description"] = d
				}
				return out
			}
		}
		t, ok := c.resolve(ref)
		if !ok {
			c.lossy = true
			return map[string]any{}
		}
		c.refs = append(c.refs, ref)
		out := c.conv(t, depth+1)
		c.refs = c.refs[:len(c.refs)-1]
		if d, ok := m["description"].(string); ok && d != "" {
			out["description"] = d
		}
		return out
	}
	if _, ok := m["allOf"]; ok {
		m = c.mergeAllOf(m)
	}
	out := map[string]any{}
	nullable, fromBranch := false, false
	typ := ""
	switch t := m["type"].(type) {
	case string:
		if t == "null" {
			nullable = true
		} else {
			typ = strings.ToUpper(t)
		}
	case []any:
		var types []string
		for _, x := range t {
			if xs, ok := x.(string); ok {
				if xs == "null" {
					nullable = true
				} else {
					types = append(types, strings.ToUpper(xs))
				}
			}
		}
		switch len(types) {
		case 0:
		case 1:
			typ = types[0]
		default:
			var branches []any
			for _, tt := range types {
				cp := make(map[string]any, len(m))
				for k, v := range m {
					cp[k] = v
				}
				cp["type"] = strings.ToLower(tt)
				branches = append(branches, c.conv(cp, depth+1))
			}
			out["anyOf"] = branches
		}
	}
	for _, key := range []string{"anyOf", "oneOf"} {
		alts, ok := m[key].([]any)
		if !ok {
			continue
		}
		var branches []any
		for _, a := range alts {
			if am, ok := a.(map[string]any); ok {
				if t, _ := am["type"].(string); t == "null" && len(am) == 1 {
					nullable = true
					continue
				}
			}
			branches = append(branches, c.conv(a, depth+1))
		}
		switch len(branches) {
		case 0:
		case 1:
			for k, v := range branches[0].(map[string]any) {
				out[k] = v
			}
			if t, ok := out["type"].(string); ok && typ == "" {
				typ = t
				fromBranch = true
			}
		default:
			if prev, ok := out["anyOf"].([]any); ok {
				branches = append(prev, branches...)
			}
			out["anyOf"] = branches
		}
	}
	for _, k := range []string{"title", "description", "minItems", "maxItems", "minProperties", "maxProperties",
		"minimum", "maximum", "minLength", "maxLength", "pattern", "example", "default"} {
		if v, ok := m[k]; ok && v != nil {
			if _, exists := out[k]; !exists || k == "description" {
				out[k] = v
			}
		}
	}
	if cv, ok := m["const"]; ok {
		m = withKey(m, "enum", []any{cv})
	}
	if e, ok := m["enum"].([]any); ok {
		var strs []any
		allStrings := true
		var shown []string
		for _, v := range e {
			switch x := v.(type) {
			case nil:
				nullable = true
			case string:
				strs = append(strs, x)
				shown = append(shown, fmt.Sprintf("%q", x))
			default:
				allStrings = false
				b, _ := json.Marshal(x)
				shown = append(shown, string(b))
			}
		}
		if allStrings && len(strs) > 0 && (typ == "" || typ == "STRING") {
			out["enum"] = strs
			typ = "STRING"
		} else if len(shown) > 0 {
			d, _ := out["description"].(string)
			out["description"] = strings.TrimSpace(d + " Allowed values: " + strings.Join(shown, ", ") + ".")
		}
	}
	if typ == "" {
		switch {
		case m["properties"] != nil:
			typ = "OBJECT"
		case m["items"] != nil:
			typ = "ARRAY"
		}
	}
	if typ != "" {
		out["type"] = typ
	} else if out["anyOf"] == nil && out["type"] == nil {
		c.lossy = true // "any" value
	}
	if ex, ok := m["examples"].([]any); ok && len(ex) > 0 && out["example"] == nil {
		out["example"] = ex[0]
	}
	if f, ok := m["format"].(string); ok && okFormats[typ][f] {
		out["format"] = f
	}
	if nullable {
		out["nullable"] = true
	}
	if fromBranch {
		return out
	}
	switch typ {
	case "OBJECT":
		props, _ := m["properties"].(map[string]any)
		if len(props) == 0 {
			if depth > 0 || m["additionalProperties"] != nil && m["additionalProperties"] != false {
				c.lossy = true
			}
			break
		}
		cp := make(map[string]any, len(props))
		for k, v := range props {
			cp[k] = c.conv(v, depth+1)
		}
		out["properties"] = cp
		if req, ok := m["required"].([]any); ok {
			var keep []any
			seen := map[string]bool{}
			for _, r := range req {
				if rs, ok := r.(string); ok && props[rs] != nil && !seen[rs] {
					keep = append(keep, rs)
					seen[rs] = true
				}
			}
			if keep != nil {
				out["required"] = keep
			}
		}
		if po, ok := m["propertyOrdering"].([]any); ok {
			out["propertyOrdering"] = po
		}
	case "ARRAY":
		items := m["items"]
		if arr, ok := items.([]any); ok {
			items = nil
			if len(arr) > 0 {
				items = arr[0]
			}
		}
		if items == nil {
			if pre, ok := m["prefixItems"].([]any); ok && len(pre) > 0 {
				items = pre[0]
			}
		}
		if items == nil || items == true {
			c.lossy = true
			break
		}
		out["items"] = c.conv(items, depth+1)
	}
	return out
}

func withKey(m map[string]any, k string, v any) map[string]any {
	cp := make(map[string]any, len(m)+1)
	for kk, vv := range m {
		cp[kk] = vv
	}
	cp[k] = v
	return cp
}

var jsonSchemaKeys = map[string]bool{
	"$id": true, "$defs": true, "$ref": true, "$anchor": true, "type": true, "format": true, "title": true,
	"description": true, "enum": true, "items": true, "prefixItems": true, "minItems": true, "maxItems": true,
	"minimum": true, "maximum": true, "anyOf": true, "oneOf": true, "properties": true,
	"additionalProperties": true, "required": true, "propertyOrdering": true,
}

// JSONSchemaSubset reduces a JSON Schema to the keywords Gemini's
// parametersJsonSchema and responseJsonSchema honour ($id, $defs, $ref,
// $anchor, type, format, title, description, enum, items, prefixItems,
// minItems, maxItems, minimum, maximum, anyOf, oneOf, properties,
// additionalProperties, required, propertyOrdering). "definitions" becomes
// "$defs" (references are rewritten), const becomes a one-value enum,
// allOf is merged and OpenAPI's nullable becomes a "null" type.
func JSONSchemaSubset(schema any) any {
	c := &schemaConv{}
	if m, ok := schema.(map[string]any); ok {
		c.root = m
	}
	return c.subset(schema, 0)
}

func (c *schemaConv) subset(s any, depth int) any {
	switch t := s.(type) {
	case bool:
		return t
	case map[string]any:
		if depth > maxSchemaDepth {
			return map[string]any{}
		}
		m := t
		if _, ok := m["allOf"]; ok {
			saved := c.refs
			c.refs = nil
			m = c.mergeAllOf(m)
			c.refs = saved
		}
		if cv, ok := m["const"]; ok && m["enum"] == nil {
			m = withKey(m, "enum", []any{cv})
		}
		out := make(map[string]any, len(m))
		for k, v := range m {
			switch k {
			case "definitions", "$defs":
				if dm, ok := v.(map[string]any); ok {
					defs, _ := out["$defs"].(map[string]any)
					if defs == nil {
						defs = map[string]any{}
					}
					for dk, dv := range dm {
						defs[dk] = c.subset(dv, depth+1)
					}
					out["$defs"] = defs
				}
			case "$ref":
				if r, ok := v.(string); ok {
					out[k] = strings.Replace(r, "#/definitions/", "#/$defs/", 1)
				}
			case "properties":
				if pm, ok := v.(map[string]any); ok {
					cp := make(map[string]any, len(pm))
					for pk, pv := range pm {
						cp[pk] = c.subset(pv, depth+1)
					}
					out[k] = cp
				}
			case "items", "additionalProperties":
				if arr, ok := v.([]any); ok && k == "items" {
					if len(arr) > 0 {
						out["prefixItems"] = c.subsetList(arr, depth)
					}
					continue
				}
				out[k] = c.subset(v, depth+1)
			case "anyOf", "oneOf", "prefixItems":
				if arr, ok := v.([]any); ok {
					out[k] = c.subsetList(arr, depth)
				}
			default:
				if jsonSchemaKeys[k] {
					out[k] = v
				}
			}
		}
		if n, ok := m["nullable"].(bool); ok && n {
			if ts, ok := out["type"].(string); ok {
				out["type"] = []any{ts, "null"}
			}
		}
		return out
	}
	return map[string]any{}
}

func (c *schemaConv) subsetList(arr []any, depth int) []any {
	out := make([]any, len(arr))
	for i, a := range arr {
		out[i] = c.subset(a, depth+1)
	}
	return out
}
