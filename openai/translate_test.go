package openai_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/geminibalance/gb/openai"
)

func toGemini(t testing.TB, body string, opts *openai.Options) (map[string]any, error) {
	t.Helper()
	req, err := openai.ParseChatRequest([]byte(body))
	if err != nil {
		return nil, err
	}
	_, out, err := openai.ToGemini(context.Background(), req, opts)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	require.NoError(t, json.Unmarshal(out, &m))
	return m, nil
}

func TestToGeminiTable(t *testing.T) {
	tests := []struct {
		name string
		opts *openai.Options
		in   string
		want string
	}{
		{"minimal, nothing injected", nil,
			`{"model":"gemini-2.0-flash","messages":[{"role":"user","content":"hi"}]}`,
			`{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}`},
		{"system, developer and merging", nil,
			`{"model":"gemini-2.0-flash","messages":[{"role":"system","content":"A"},{"role":"developer","content":[{"type":"text","text":"B"}]},
			  {"role":"user","content":"u1"},{"role":"user","content":[{"type":"text","text":"u2"}]},{"role":"assistant","content":"a1"},{"role":"assistant","content":"a2"}]}`,
			`{"contents":[{"role":"user","parts":[{"text":"u1"},{"text":"u2"}]},{"role":"model","parts":[{"text":"a1"},{"text":"a2"}]}],
			  "systemInstruction":{"parts":[{"text":"A"},{"text":"B"}]}}`},
		{"only system becomes a user turn", nil,
			`{"model":"gemini-2.0-flash","messages":[{"role":"system","content":"Say hi"}]}`,
			`{"contents":[{"role":"user","parts":[{"text":"Say hi"}]}]}`},
		{"parameters", nil,
			`{"model":"gemini-2.0-flash","messages":[{"role":"user","content":"hi"}],"temperature":0.2,"top_p":0.5,"max_tokens":10,
			  "max_completion_tokens":20,"stop":"END","n":2,"presence_penalty":0.1,"frequency_penalty":-0.1,"seed":7,"logprobs":true,"top_logprobs":3}`,
			`{"contents":[{"role":"user","parts":[{"text":"hi"}]}],"generationConfig":{"stopSequences":["END"],"candidateCount":2,
			  "maxOutputTokens":20,"temperature":0.2,"topP":0.5,"seed":7,"presencePenalty":0.1,"frequencyPenalty":-0.1,"responseLogprobs":true,"logprobs":3}}`},
		{"json_object", nil,
			`{"model":"gemini-2.0-flash","messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_object"}}`,
			`{"contents":[{"role":"user","parts":[{"text":"hi"}]}],"generationConfig":{"responseMimeType":"application/json"}}`},
		{"tool_choice named", nil,
			`{"model":"gemini-2.0-flash","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{}}}}],
			  "tool_choice":{"type":"function","function":{"name":"f"}}}`,
			`{"contents":[{"role":"user","parts":[{"text":"hi"}]}],"tools":[{"functionDeclarations":[{"name":"f"}]}],
			  "toolConfig":{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["f"]}}}`},
		{"tool_choice none/required", nil,
			`{"model":"gemini-2.0-flash","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"required"}`,
			`{"contents":[{"role":"user","parts":[{"text":"hi"}]}],"tools":[{"functionDeclarations":[{"name":"f"}]}],"toolConfig":{"functionCallingConfig":{"mode":"ANY"}}}`},
		{"tool history: name from id, unknown signature", nil,
			`{"model":"gemini-2.0-flash","messages":[{"role":"user","content":"hi"},
			  {"role":"assistant","content":null,"tool_calls":[{"id":"abc","type":"function","function":{"name":"lookup","arguments":"{\"q\":1}"}}]},
			  {"role":"tool","tool_call_id":"abc","content":"plain"},{"role":"user","content":"thanks"}]}`,
			`{"contents":[{"role":"user","parts":[{"text":"hi"}]},{"role":"model","parts":[{"functionCall":{"name":"lookup","args":{"q":1}}}]},
			  {"role":"user","parts":[{"functionResponse":{"name":"lookup","response":{"result":"plain"}}},{"text":"thanks"}]}]}`},
		{"signature restored from id", nil,
			`{"model":"gemini-3-pro-preview","messages":[{"role":"user","content":"hi"},
			  {"role":"assistant","tool_calls":[{"id":"call_gab12_AQID","type":"function","function":{"name":"f","arguments":""}}]},
			  {"role":"tool","tool_call_id":"call_gab12_AQID","content":"[1,2]"}]}`,
			`{"contents":[{"role":"user","parts":[{"text":"hi"}]},{"role":"model","parts":[{"functionCall":{"id":"ab12","name":"f","args":{}},"thoughtSignature":"AQID"}]},
			  {"role":"user","parts":[{"functionResponse":{"id":"ab12","name":"f","response":{"result":[1,2]}}}]}]}`},
		{"audio and file", nil,
			`{"model":"gemini-2.0-flash","messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"AAAA","format":"mp3"}},
			  {"type":"file","file":{"file_data":"data:application/pdf;base64,JVBERi0=","filename":"a.pdf"}},{"type":"file","file":{"file_id":"files/xyz"}}]}]}`,
			`{"contents":[{"role":"user","parts":[{"inlineData":{"mimeType":"audio/mp3","data":"AAAA"}},{"inlineData":{"mimeType":"application/pdf","data":"JVBERi0="}},
			  {"fileData":{"mimeType":"application/pdf","fileUri":"https://generativelanguage.googleapis.com/v1beta/files/xyz"}}]}]}`},
		{"reasoning 2.5 flash", &openai.Options{ShowThinking: true},
			`{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"hi"}],"reasoning_effort":"medium"}`,
			`{"contents":[{"role":"user","parts":[{"text":"hi"}]}],"generationConfig":{"thinkingConfig":{"includeThoughts":true,"thinkingBudget":8192}}}`},
		{"reasoning none on 2.5 pro is 128", nil,
			`{"model":"gemini-2.5-pro","messages":[{"role":"user","content":"hi"}],"reasoning_effort":"none"}`,
			`{"contents":[{"role":"user","parts":[{"text":"hi"}]}],"generationConfig":{"thinkingConfig":{"thinkingBudget":128}}}`},
		{"reasoning minimal off, no includeThoughts", &openai.Options{ShowThinking: true},
			`{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"hi"}],"reasoning_effort":"minimal"}`,
			`{"contents":[{"role":"user","parts":[{"text":"hi"}]}],"generationConfig":{"thinkingConfig":{"thinkingBudget":0}}}`},
		{"gemini 3 level", nil,
			`{"model":"gemini-3-flash-preview","messages":[{"role":"user","content":"hi"}],"reasoning_effort":"high"}`,
			`{"contents":[{"role":"user","parts":[{"text":"hi"}]}],"generationConfig":{"thinkingConfig":{"thinkingLevel":"HIGH"}}}`},
		{"non-thinking suffix", &openai.Options{ShowThinking: true},
			`{"model":"gemini-2.5-flash-non-thinking","messages":[{"role":"user","content":"hi"}],"reasoning_effort":"high"}`,
			`{"contents":[{"role":"user","parts":[{"text":"hi"}]}],"generationConfig":{"thinkingConfig":{"thinkingBudget":0}}}`},
		{"budget map by requested name", &openai.Options{ThinkingBudgetMap: map[string]int{"gemini-2.5-flash": 500}},
			`{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"hi"}]}`,
			`{"contents":[{"role":"user","parts":[{"text":"hi"}]}],"generationConfig":{"thinkingConfig":{"thinkingBudget":500}}}`},
		{"non-thinking model ignores reasoning", &openai.Options{ShowThinking: true},
			`{"model":"gemini-2.0-flash","messages":[{"role":"user","content":"hi"}],"reasoning_effort":"high"}`,
			`{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}`},
		{"search suffix and safety", &openai.Options{SafetySettings: json.RawMessage(`[{"category":"HARM_CATEGORY_HARASSMENT","threshold":"OFF"}]`)},
			`{"model":"gemini-2.5-flash-search","messages":[{"role":"user","content":"hi"}]}`,
			`{"contents":[{"role":"user","parts":[{"text":"hi"}]}],"tools":[{"googleSearch":{}}],"safetySettings":[{"category":"HARM_CATEGORY_HARASSMENT","threshold":"OFF"}]}`},
		{"image suffix", nil,
			`{"model":"gemini-2.0-flash-image","messages":[{"role":"system","content":"S"},{"role":"user","content":"draw"}]}`,
			`{"contents":[{"role":"user","parts":[{"text":"S"},{"text":"draw"}]}],"generationConfig":{"responseModalities":["TEXT","IMAGE"]}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := toGemini(t, tc.in, tc.opts)
			require.NoError(t, err)
			b, _ := json.Marshal(got)
			assert.JSONEq(t, tc.want, string(b))
		})
	}
}

func TestParseErrorsNameTheField(t *testing.T) {
	tests := []struct{ body, param string }{
		{`{"messages":[{"role":"user","content":"x"}]}`, "model"},
		{`{"model":"m"}`, "messages"},
		{`{"model":"m","messages":[]}`, "messages"},
		{`{"model":"m","messages":[{"role":"robot","content":"x"}]}`, "messages[0].role"},
		{`{"model":"m","messages":[{"role":"user","content":"x"},{"role":"user","content":5}]}`, "messages[1].content"},
		{`{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"image_url"}]}]}`, "messages[0].content[1].image_url"},
		{`{"model":"m","messages":[{"role":"user","content":[{"type":"video"}]}]}`, "messages[0].content[0].type"},
		{`{"model":"m","messages":[{"role":"tool","content":"x"}]}`, "messages[0].tool_call_id"},
		{`{"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"1","function":{"name":"f","arguments":"{bad"}}]}]}`, "messages[0].tool_calls[0].function.arguments"},
		{`{"model":"m","messages":[{"role":"user","content":"x"}],"temperature":3}`, "temperature"},
		{`{"model":"m","messages":[{"role":"user","content":"x"}],"temperature":"hot"}`, "temperature"},
		{`{"model":"m","messages":[{"role":"user","content":"x"}],"n":1.5}`, "n"},
		{`{"model":"m","messages":[{"role":"user","content":"x"}],"stop":[1]}`, "stop"},
		{`{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"bad name"}}]}`, "tools[0].function.name"},
		{`{"model":"m","messages":[{"role":"user","content":"x"}],"tool_choice":"sometimes"}`, "tool_choice"},
		{`{"model":"m","messages":[{"role":"user","content":"x"}],"tool_choice":{"type":"function","function":{"name":"g"}}}`, "tool_choice"},
		{`{"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":"xml"}}`, "response_format.type"},
		{`{"model":"m","messages":[{"role":"user","content":"x"}],"reasoning_effort":"extreme"}`, "reasoning_effort"},
	}
	for _, tc := range tests {
		t.Run(tc.param, func(t *testing.T) {
			_, err := openai.ParseChatRequest([]byte(tc.body))
			var e *openai.Error
			require.True(t, errors.As(err, &e), "got %v", err)
			assert.Equal(t, 400, e.Status)
			require.NotNil(t, e.Param)
			assert.Equal(t, tc.param, *e.Param)
		})
	}
	// Translation-time errors name the field too.
	for body, param := range map[string]string{
		`{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,!!!"}}]}]}`: "messages[0].content[0].image_url",
		`{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":"https://example.com/a.png"}]}]}`:         "messages[0].content[0].image_url",
		`{"model":"m","messages":[{"role":"user","content":"x"},{"role":"tool","tool_call_id":"zz","content":"r"}]}`:                  "messages[1].tool_call_id",
	} {
		_, err := toGemini(t, body, nil)
		var e *openai.Error
		require.True(t, errors.As(err, &e), "got %v for %s", err, body)
		assert.Equal(t, param, *e.Param)
	}
}

func TestToolCallIDRoundTrip(t *testing.T) {
	id := openai.EncodeToolCallID("", "CiIBAbcd")
	assert.True(t, strings.HasPrefix(id, "call_r"))
	gid, sig := openai.DecodeToolCallID(id)
	assert.Empty(t, gid)
	assert.Equal(t, "CiIBAbcd", sig)
	id = openai.EncodeToolCallID("abc123", "")
	assert.Equal(t, "call_gabc123", id)
	gid, sig = openai.DecodeToolCallID(id)
	assert.Equal(t, "abc123", gid)
	assert.Empty(t, sig)
	for _, foreign := range []string{"", "toolu_01A", "call_", "call_x!y", "call_zabc"} {
		gid, sig := openai.DecodeToolCallID(foreign)
		assert.Empty(t, gid+sig, foreign)
	}
}

func TestFromGeminiTable(t *testing.T) {
	tests := []struct {
		name, in string
		opts     *openai.Options
		check    func(t *testing.T, c *openai.ChatCompletion)
	}{
		{"text parts joined, thoughts hidden", `{"candidates":[{"content":{"role":"model","parts":[{"text":"think","thought":true},{"text":"Hello, "},{"text":"world"}]},"finishReason":"STOP","index":0}],
			"usageMetadata":{"promptTokenCount":5,"candidatesTokenCount":3,"thoughtsTokenCount":7,"cachedContentTokenCount":2,"totalTokenCount":15},"responseId":"abc","modelVersion":"gemini-2.5-flash"}`, nil,
			func(t *testing.T, c *openai.ChatCompletion) {
				assert.Equal(t, "chatcmpl-abc", c.ID)
				assert.Equal(t, "Hello, world", *c.Choices[0].Message.Content)
				assert.Empty(t, c.Choices[0].Message.ReasoningContent)
				assert.Equal(t, "stop", c.Choices[0].FinishReason)
				assert.Equal(t, openai.Usage{PromptTokens: 5, CompletionTokens: 10, TotalTokens: 15,
					PromptTokensDetails:     &openai.PromptTokensDetails{CachedTokens: 2},
					CompletionTokensDetails: &openai.CompletionTokensDetails{ReasoningTokens: 7}}, *c.Usage)
			}},
		{"thoughts shown", `{"candidates":[{"content":{"parts":[{"text":"think","thought":true},{"text":"A"}]},"finishReason":"MAX_TOKENS"}]}`, &openai.Options{ShowThinking: true},
			func(t *testing.T, c *openai.ChatCompletion) {
				assert.Equal(t, "think", c.Choices[0].Message.ReasoningContent)
				assert.Equal(t, "length", c.Choices[0].FinishReason)
			}},
		{"function calls", `{"candidates":[{"content":{"parts":[{"functionCall":{"name":"a","args":{"x":1}},"thoughtSignature":"AQID"},{"functionCall":{"id":"q1","name":"b"}}]},"finishReason":"STOP"}]}`, nil,
			func(t *testing.T, c *openai.ChatCompletion) {
				m := c.Choices[0].Message
				assert.Nil(t, m.Content)
				assert.Equal(t, "tool_calls", c.Choices[0].FinishReason)
				require.Len(t, m.ToolCalls, 2)
				assert.Equal(t, `{"x":1}`, m.ToolCalls[0].Function.Arguments)
				assert.Equal(t, "{}", m.ToolCalls[1].Function.Arguments)
				_, sig := openai.DecodeToolCallID(m.ToolCalls[0].ID)
				assert.Equal(t, "AQID", sig)
				assert.Equal(t, "call_gq1", m.ToolCalls[1].ID)
			}},
		{"candidates and safety", `{"candidates":[{"content":{"parts":[{"text":"a"}]},"finishReason":"STOP","index":0},{"finishReason":"SAFETY","index":1}]}`, nil,
			func(t *testing.T, c *openai.ChatCompletion) {
				require.Len(t, c.Choices, 2)
				assert.Equal(t, 1, c.Choices[1].Index)
				assert.Equal(t, "content_filter", c.Choices[1].FinishReason)
				assert.Equal(t, "", *c.Choices[1].Message.Content)
			}},
		{"blocked prompt", `{"promptFeedback":{"blockReason":"SAFETY"}}`, nil,
			func(t *testing.T, c *openai.ChatCompletion) {
				require.Len(t, c.Choices, 1)
				assert.Equal(t, "content_filter", c.Choices[0].FinishReason)
			}},
		{"inline image and code", `{"candidates":[{"content":{"parts":[{"inlineData":{"mimeType":"image/png","data":"AAA="}},{"executableCode":{"language":"PYTHON","code":"print(1)"}},{"codeExecutionResult":{"outcome":"OUTCOME_OK","output":"1"}}]}}]}`, nil,
			func(t *testing.T, c *openai.ChatCompletion) {
				s := *c.Choices[0].Message.Content
				assert.Contains(t, s, "![image](data:image/png;base64,AAA=)")
				assert.Contains(t, s, "```python\nprint(1)\n```")
			}},
		{"logprobs", `{"candidates":[{"content":{"parts":[{"text":"Hi"}]},"logprobsResult":{"chosenCandidates":[{"token":"Hi","logProbability":-0.5}],"topCandidates":[{"candidates":[{"token":"Hi","logProbability":-0.5},{"token":"Yo","logProbability":-2}]}]}}]}`, nil,
			func(t *testing.T, c *openai.ChatCompletion) {
				lp := c.Choices[0].Logprobs
				require.NotNil(t, lp)
				assert.Equal(t, -0.5, lp.Content[0].Logprob)
				assert.Len(t, lp.Content[0].TopLogprobs, 2)
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := openai.FromGemini([]byte(tc.in), "m", tc.opts)
			require.NoError(t, err)
			assert.Equal(t, "chat.completion", c.Object)
			tc.check(t, c)
		})
	}
	_, err := openai.FromGemini([]byte(`not json`), "m", nil)
	assert.Error(t, err)
}

func TestStreamTranslator(t *testing.T) {
	tr := openai.NewStreamTranslator("chatcmpl-x", "gemini-2.5-flash", 42, &openai.Options{ShowThinking: true})
	tr.IncludeUsage = true
	var all []map[string]any
	feed := func(ev string) {
		chunks, err := tr.Event([]byte(ev))
		require.NoError(t, err)
		for _, c := range chunks {
			var m map[string]any
			require.NoError(t, json.Unmarshal(c, &m), string(c))
			all = append(all, m)
		}
	}
	feed(`{"candidates":[{"content":{"role":"model","parts":[{"text":"plan","thought":true},{"text":"Hel"},{"text":"lo"}]},"index":0}],"usageMetadata":{"promptTokenCount":3,"totalTokenCount":3}}`)
	feed(`{"candidates":[{"content":{"role":"model","parts":[{"text":" wo\"rld\n"},{"functionCall":{"name":"f","args":{"a":[1, 2]}}}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":3,"candidatesTokenCount":4,"totalTokenCount":7}}`)
	for _, c := range tr.Finish() {
		var m map[string]any
		require.NoError(t, json.Unmarshal(c, &m), string(c))
		all = append(all, m)
	}
	require.Len(t, all, 6)
	delta := func(i int) map[string]any {
		return all[i]["choices"].([]any)[0].(map[string]any)["delta"].(map[string]any)
	}
	for _, c := range all {
		assert.Equal(t, "chatcmpl-x", c["id"])
		assert.Equal(t, "chat.completion.chunk", c["object"])
		assert.Equal(t, float64(42), c["created"])
	}
	assert.Equal(t, map[string]any{"role": "assistant", "reasoning_content": "plan"}, delta(0))
	assert.Equal(t, map[string]any{"content": "Hello"}, delta(1))
	assert.Equal(t, map[string]any{"content": " wo\"rld\n"}, delta(2))
	tc := delta(3)["tool_calls"].([]any)[0].(map[string]any)
	assert.Equal(t, float64(0), tc["index"])
	assert.Equal(t, "function", tc["type"])
	assert.Equal(t, map[string]any{"name": "f", "arguments": `{"a":[1,2]}`}, tc["function"])
	assert.Equal(t, "tool_calls", all[4]["choices"].([]any)[0].(map[string]any)["finish_reason"])
	assert.Equal(t, []any{}, all[5]["choices"])
	assert.Equal(t, float64(7), all[5]["usage"].(map[string]any)["total_tokens"])

	_, err := tr.Event([]byte(`{"error":{"code":429,"message":"quota","status":"RESOURCE_EXHAUSTED"}}`))
	var ue *openai.UpstreamEventError
	require.ErrorAs(t, err, &ue)
	assert.Equal(t, 429, ue.Status)
}

func TestEmbeddingParse(t *testing.T) {
	r, err := openai.ParseEmbeddingRequest([]byte(`{"model":"e","input":"a","dimensions":8,"encoding_format":"base64"}`))
	require.NoError(t, err)
	assert.Equal(t, []string{"a"}, r.Input)
	assert.Equal(t, 8, *r.Dimensions)
	method, body, err := openai.EmbeddingToGemini(r, "e")
	require.NoError(t, err)
	assert.Equal(t, "embedContent", method)
	assert.JSONEq(t, `{"content":{"parts":[{"text":"a"}]},"outputDimensionality":8}`, string(body))
	for body, param := range map[string]string{
		`{"model":"e","input":[[1,2]]}`:                   "input",
		`{"model":"e","input":[]}`:                        "input",
		`{"model":"e"}`:                                   "input",
		`{"input":"x"}`:                                   "model",
		`{"model":"e","input":"x","dimensions":0}`:        "dimensions",
		`{"model":"e","input":"x","encoding_format":"z"}`: "encoding_format",
	} {
		_, err := openai.ParseEmbeddingRequest([]byte(body))
		var e *openai.Error
		require.ErrorAs(t, err, &e, body)
		assert.Equal(t, param, *e.Param, body)
	}
}

func TestStreamTranslatorLogprobs(t *testing.T) {
	tr := openai.NewStreamTranslator("chatcmpl-x", "gemini-2.5-flash", 1, nil)
	out, err := tr.Event([]byte(`{"candidates":[{"content":{"role":"model","parts":[{"text":"Hi"}]},"index":0,
	  "logprobsResult":{"chosenCandidates":[{"token":"Hi","logProbability":-0.25}],
	  "topCandidates":[{"candidates":[{"token":"Hi","logProbability":-0.25},{"token":"Hey","logProbability":-1.5}]}]}}]}`))
	require.NoError(t, err)
	require.Len(t, out, 1)
	var chunk struct {
		Choices []struct {
			Logprobs *openai.Logprobs `json:"logprobs"`
		} `json:"choices"`
	}
	require.NoError(t, json.Unmarshal(out[0], &chunk))
	require.NotNil(t, chunk.Choices[0].Logprobs)
	require.Len(t, chunk.Choices[0].Logprobs.Content, 1)
	assert.Equal(t, "Hi", chunk.Choices[0].Logprobs.Content[0].Token)
	assert.Equal(t, -0.25, chunk.Choices[0].Logprobs.Content[0].Logprob)
	assert.Len(t, chunk.Choices[0].Logprobs.Content[0].TopLogprobs, 2)

	// Events without logprobs keep "logprobs": null.
	out, err = tr.Event([]byte(`{"candidates":[{"content":{"role":"model","parts":[{"text":" there"}]},"index":0}]}`))
	require.NoError(t, err)
	assert.Contains(t, string(out[0]), `"logprobs":null`)
}

func TestGemini3ToolTurnWithoutSignatureGetsPlaceholder(t *testing.T) {
	req, err := openai.ParseChatRequest([]byte(`{"model":"gemini-3-pro-preview","messages":[
	  {"role":"user","content":"weather?"},
	  {"role":"assistant","tool_calls":[{"id":"call_abc","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Oslo\"}"}},
	                                    {"id":"call_def","type":"function","function":{"name":"get_time","arguments":"{}"}}]},
	  {"role":"tool","tool_call_id":"call_abc","content":"sunny"},
	  {"role":"tool","tool_call_id":"call_def","content":"noon"}]}`))
	require.NoError(t, err)
	_, body, err := openai.ToGemini(context.Background(), req, nil)
	require.NoError(t, err)
	var g struct {
		Contents []struct {
			Role  string `json:"role"`
			Parts []struct {
				ThoughtSignature string          `json:"thoughtSignature"`
				FunctionCall     json.RawMessage `json:"functionCall"`
			} `json:"parts"`
		} `json:"contents"`
	}
	require.NoError(t, json.Unmarshal(body, &g))
	require.Len(t, g.Contents, 3)
	model := g.Contents[1]
	assert.Equal(t, "model", model.Role)
	require.Len(t, model.Parts, 2)
	assert.Equal(t, openai.SkipThoughtSignature, model.Parts[0].ThoughtSignature, "first call carries the placeholder")
	assert.Empty(t, model.Parts[1].ThoughtSignature)

	// Gemini 2.5 needs none.
	req.Model = "gemini-2.5-flash"
	_, body, err = openai.ToGemini(context.Background(), req, nil)
	require.NoError(t, err)
	assert.NotContains(t, string(body), openai.SkipThoughtSignature)
}

func TestExtraBodyGoogle(t *testing.T) {
	req, err := openai.ParseChatRequest([]byte(`{"model":"gemini-2.5-flash","reasoning_effort":"low","messages":[{"role":"user","content":"hi"}],
	  "extra_body":{"google":{"thinking_config":{"thinking_budget":800,"include_thoughts":true},"cached_content":"cachedContents/abc"}}}`))
	require.NoError(t, err)
	_, body, err := openai.ToGemini(context.Background(), req, nil)
	require.NoError(t, err)
	assert.JSONEq(t, `{"contents":[{"role":"user","parts":[{"text":"hi"}]}],
	  "generationConfig":{"thinkingConfig":{"thinking_budget":800,"include_thoughts":true}},
	  "cachedContent":"cachedContents/abc"}`, string(body))

	_, err = openai.ParseChatRequest([]byte(`{"model":"m","messages":[{"role":"user","content":"hi"}],"extra_body":{"google":{"thinking_config":5}}}`))
	var e *openai.Error
	require.ErrorAs(t, err, &e)
	require.NotNil(t, e.Param)
	assert.Equal(t, "extra_body.google.thinking_config", *e.Param)
}
