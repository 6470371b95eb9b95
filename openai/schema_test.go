package openai_test

import (
	"context"
	"encoding/json"
	"testing"

	oa "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/shared"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/geminibalance/gb/gemini/geminitest"
	"github.com/geminibalance/gb/openai"
)

// Real-world agent tool schemas.
var agentTools = map[string]string{
	// A coding agent's file-edit tool (zod-to-json-schema output).
	"edit_file": `{"type":"object","properties":{"file_path":{"type":"string","description":"Absolute path"},
		"old_string":{"type":"string"},"new_string":{"type":"string"},
		"replace_all":{"type":"boolean","default":false,"description":"Replace every occurrence"}},
		"required":["file_path","old_string","new_string"],"additionalProperties":false,"$schema":"http://json-schema.org/draft-07/schema#"}`,
	// A search tool with $defs, const, anyOf, nullable type arrays and formats.
	"search_docs": `{"$defs":{"Filter":{"type":"object","properties":{"field":{"type":"string","enum":["title","body"]},"op":{"const":"eq"},
		"value":{"anyOf":[{"type":"string"},{"type":"number"}]}},"required":["field","value","missing"],"additionalProperties":false}},
		"type":"object","properties":{"query":{"type":"string","minLength":1},"filters":{"type":"array","items":{"$ref":"#/$defs/Filter"}},
		"limit":{"type":["integer","null"],"minimum":1,"exclusiveMaximum":51},"since":{"type":"string","format":"date"},
		"sort":{"anyOf":[{"type":"string","enum":["asc","desc"]},{"type":"null"}],"description":"Order"}},"required":["query"]}`,
	// A todo tool with nested arrays and a numeric enum.
	"todo_write": `{"type":"object","properties":{"todos":{"type":"array","items":{"type":"object","properties":{
		"content":{"type":"string","minLength":1},"status":{"type":"string","enum":["pending","in_progress","completed"]},
		"priority":{"type":"integer","enum":[1,2,3]},"id":{"type":"string","format":"uuid"}},
		"required":["content","status","id"],"additionalProperties":false}},
		"matrix":{"type":"array","items":{"type":"array","items":{"type":"number","multipleOf":0.5}}},
		"meta":{"allOf":[{"type":"object","properties":{"a":{"type":"string"}}},{"properties":{"b":{"type":"boolean"}},"required":["b"]}]}},
		"required":["todos"],"additionalProperties":false}`,
	// An MCP tool with a free-form map and an untyped value: not expressible
	// in Gemini's subset, so sent as parametersJsonSchema.
	"http_request": `{"type":"object","properties":{"url":{"type":"string","format":"uri"},"headers":{"type":"object","additionalProperties":{"type":"string"}},
		"body":{},"method":{"type":"string","enum":["GET","POST"]}},"required":["url"],"definitions":{"x":{"type":"string"}},"$id":"urn:x"}`,
	// A recursive tree.
	"make_tree": `{"$defs":{"Node":{"type":"object","properties":{"name":{"type":"string"},"children":{"type":"array","items":{"$ref":"#/$defs/Node"}}},"required":["name"]}},
		"type":"object","properties":{"root":{"$ref":"#/$defs/Node"}},"required":["root"]}`,
}

var allowedSchemaKeys = map[string]bool{"type": true, "format": true, "title": true, "description": true, "nullable": true, "enum": true,
	"items": true, "minItems": true, "maxItems": true, "properties": true, "required": true, "minProperties": true, "maxProperties": true,
	"minimum": true, "maximum": true, "minLength": true, "maxLength": true, "pattern": true, "example": true, "anyOf": true,
	"propertyOrdering": true, "default": true}

func checkSubset(t *testing.T, path string, s any) {
	m, ok := s.(map[string]any)
	require.True(t, ok, path)
	for k, v := range m {
		assert.True(t, allowedSchemaKeys[k], "%s: key %q not allowed", path, k)
		switch k {
		case "properties":
			for pk, pv := range v.(map[string]any) {
				checkSubset(t, path+".properties."+pk, pv)
			}
		case "items":
			checkSubset(t, path+".items", v)
		case "anyOf":
			for _, a := range v.([]any) {
				checkSubset(t, path+".anyOf", a)
			}
		case "type":
			assert.Contains(t, []string{"STRING", "NUMBER", "INTEGER", "BOOLEAN", "ARRAY", "OBJECT"}, v, path)
		case "enum":
			for _, e := range v.([]any) {
				assert.IsType(t, "", e, path)
			}
		}
	}
}

func TestGeminiSchemaAgentTools(t *testing.T) {
	for name, src := range agentTools {
		t.Run(name, func(t *testing.T) {
			var in any
			require.NoError(t, json.Unmarshal([]byte(src), &in))
			out, lossless := openai.GeminiSchema(in)
			checkSubset(t, name, out)
			switch name {
			case "edit_file", "search_docs", "todo_write":
				assert.True(t, lossless)
			default:
				assert.False(t, lossless)
			}
			switch name {
			case "search_docs":
				f := out["properties"].(map[string]any)["filters"].(map[string]any)["items"].(map[string]any)
				assert.Equal(t, "OBJECT", f["type"])
				assert.Equal(t, []any{"field", "value"}, f["required"], "unknown required names dropped")
				op := f["properties"].(map[string]any)["op"].(map[string]any)
				assert.Equal(t, []any{"eq"}, op["enum"])
				limit := out["properties"].(map[string]any)["limit"].(map[string]any)
				assert.Equal(t, map[string]any{"type": "INTEGER", "nullable": true, "minimum": float64(1)}, limit)
				assert.NotContains(t, out["properties"].(map[string]any)["since"], "format")
				sort := out["properties"].(map[string]any)["sort"].(map[string]any)
				assert.Equal(t, map[string]any{"type": "STRING", "enum": []any{"asc", "desc"}, "nullable": true, "description": "Order"}, sort)
			case "todo_write":
				item := out["properties"].(map[string]any)["todos"].(map[string]any)["items"].(map[string]any)
				prio := item["properties"].(map[string]any)["priority"].(map[string]any)
				assert.Equal(t, "INTEGER", prio["type"])
				assert.Contains(t, prio["description"], "Allowed values: 1, 2, 3")
				meta := out["properties"].(map[string]any)["meta"].(map[string]any)
				assert.Len(t, meta["properties"], 2)
				assert.Equal(t, []any{"b"}, meta["required"])
			}
		})
	}
}

func TestJSONSchemaSubset(t *testing.T) {
	var in any
	require.NoError(t, json.Unmarshal([]byte(agentTools["http_request"]), &in))
	out := openai.JSONSchemaSubset(in).(map[string]any)
	assert.NotContains(t, out, "definitions")
	assert.Contains(t, out, "$defs")
	assert.Equal(t, "urn:x", out["$id"])
	headers := out["properties"].(map[string]any)["headers"].(map[string]any)
	assert.Equal(t, map[string]any{"type": "string"}, headers["additionalProperties"])
}

// The simulator checks declarations against Gemini's Schema message: every
// agent tool must be accepted.
func TestE2EAgentToolsAccepted(t *testing.T) {
	s := newStack(t, geminitest.Options{})
	var tools []oa.ChatCompletionToolUnionParam
	for name, src := range agentTools {
		var params map[string]any
		require.NoError(t, json.Unmarshal([]byte(src), &params))
		tools = append(tools, oa.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{Name: name, Parameters: params}))
	}
	for name := range agentTools {
		resp, err := s.client.Chat.Completions.New(context.Background(), oa.ChatCompletionNewParams{
			Model: "gemini-2.5-flash", Tools: tools,
			Messages: []oa.ChatCompletionMessageParamUnion{oa.UserMessage("please call " + name)},
		})
		require.NoError(t, err, name)
		require.Len(t, resp.Choices[0].Message.ToolCalls, 1)
		assert.Equal(t, name, resp.Choices[0].Message.ToolCalls[0].Function.Name)
		assert.True(t, json.Valid([]byte(resp.Choices[0].Message.ToolCalls[0].Function.Arguments)))
	}
	body := s.generateBodies(t)[0]
	for _, d := range body["tools"].([]any)[0].(map[string]any)["functionDeclarations"].([]any) {
		decl := d.(map[string]any)
		switch decl["name"] {
		case "http_request", "make_tree":
			assert.Contains(t, decl, "parametersJsonSchema", decl["name"])
		default:
			assert.Contains(t, decl, "parameters", decl["name"])
		}
	}
}
