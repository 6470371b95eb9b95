package geminitest

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGenerateContentUnary(t *testing.T) {
	s := NewServer(Options{})
	defer s.Close()
	s.SetKey("k", Behavior{})

	resp, b := post(t, s, flashGen, "k", hello)
	require.Equal(t, 200, resp.StatusCode, "%s", b)
	assert.Equal(t, "application/json; charset=UTF-8", resp.Header.Get("Content-Type"))
	assert.Equal(t, "scaffolding on HTTPServer2", resp.Header.Get("Server"))
	assert.Equal(t, "Origin, X-Origin, Referer", resp.Header.Get("Vary"))
	assert.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"))
	assert.Equal(t, "SAMEORIGIN", resp.Header.Get("X-Frame-Options"))
	assert.Equal(t, "0", resp.Header.Get("X-Xss-Protection"))
	assert.Equal(t, "standard", resp.Header.Get("X-Gemini-Service-Tier"))
	assert.True(t, strings.HasPrefix(resp.Header.Get("Server-Timing"), "gfet4t7; dur="))
	assert.True(t, bytes.HasPrefix(b, []byte("{\n  \"candidates\": [\n    {\n      \"content\": {\n        \"parts\": [")), "pretty-printed: %s", b)

	var r GenerateResponse
	require.NoError(t, json.Unmarshal(b, &r))
	require.Len(t, r.Candidates, 1)
	assert.Equal(t, "Simulated answer from gemini-2.5-flash to: Hello there, how are you today?", textOf(&r))
	assert.Equal(t, "STOP", r.Candidates[0].FinishReason)
	assert.Equal(t, "model", r.Candidates[0].Content.Role)
	assert.Equal(t, "gemini-2.5-flash", r.ModelVersion)
	assert.Len(t, r.ResponseID, 23)
	u := r.UsageMetadata
	assert.Equal(t, 6, u.PromptTokenCount)
	assert.Equal(t, 11, u.CandidatesTokenCount)
	assert.Equal(t, 24, u.ThoughtsTokenCount, "2.5 Flash thinks by default")
	assert.Equal(t, u.PromptTokenCount+u.CandidatesTokenCount+u.ThoughtsTokenCount, u.TotalTokenCount)
	assert.Equal(t, []*ModalityTokenCount{{Modality: "TEXT", TokenCount: 6}}, u.PromptTokensDetails)
	assert.Contains(t, string(b), `"index": 0`, "index is always printed")
	assert.NotContains(t, string(b), "thoughtsTokenCount\": 0")
}

func TestGenerateOptionsAnswers(t *testing.T) {
	s := NewServer(Options{AcceptAnyKey: true})
	defer s.Close()
	tests := []struct {
		name, model, body string
		check             func(t *testing.T, r *GenerateResponse, raw []byte)
	}{
		{"thoughts", "gemini-2.5-flash", `{"contents":[{"parts":[{"text":"think"}]}],"generationConfig":{"thinkingConfig":{"includeThoughts":true}}}`,
			func(t *testing.T, r *GenerateResponse, raw []byte) {
				p := r.Candidates[0].Content.Parts
				require.Len(t, p, 2)
				assert.Equal(t, &Part{Text: "**Thinking...**", Thought: true}, p[0])
				assert.Positive(t, r.UsageMetadata.ThoughtsTokenCount)
			}},
		{"snake case accepted", "gemini-2.5-flash", `{"contents":[{"parts":[{"text":"think"}]}],"generation_config":{"thinking_config":{"include_thoughts":true,"thinking_budget":8}}}`,
			func(t *testing.T, r *GenerateResponse, raw []byte) {
				assert.True(t, r.Candidates[0].Content.Parts[0].Thought)
				assert.Equal(t, 8, r.UsageMetadata.ThoughtsTokenCount)
			}},
		{"budget 0 turns thinking off", "gemini-2.5-flash", `{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"thinkingConfig":{"thinkingBudget":0}}}`,
			func(t *testing.T, r *GenerateResponse, raw []byte) {
				assert.Zero(t, r.UsageMetadata.ThoughtsTokenCount)
				assert.NotContains(t, string(raw), "thoughtsTokenCount")
			}},
		{"non-thinking model", "gemini-2.0-flash", hello,
			func(t *testing.T, r *GenerateResponse, raw []byte) {
				assert.Zero(t, r.UsageMetadata.ThoughtsTokenCount)
			}},
		{"candidateCount", "gemini-2.5-flash", `{"contents":[{"parts":[{"text":"two please"}]}],"generationConfig":{"candidateCount":2}}`,
			func(t *testing.T, r *GenerateResponse, raw []byte) {
				require.Len(t, r.Candidates, 2)
				assert.Equal(t, 1, r.Candidates[1].Index)
				assert.NotEqual(t, textOf(&GenerateResponse{Candidates: r.Candidates[:1]}), textOf(&GenerateResponse{Candidates: r.Candidates[1:]}))
			}},
		{"maxOutputTokens", "gemini-2.5-flash", `{"contents":[{"parts":[{"text":"long"}]}],"generationConfig":{"maxOutputTokens":3}}`,
			func(t *testing.T, r *GenerateResponse, raw []byte) {
				assert.Equal(t, "MAX_TOKENS", r.Candidates[0].FinishReason)
				assert.Equal(t, "Simulated answer from", textOf(r))
			}},
		{"json without schema", "gemini-2.5-flash", `{"contents":[{"parts":[{"text":"json"}]}],"generationConfig":{"responseMimeType":"application/json"}}`,
			func(t *testing.T, r *GenerateResponse, raw []byte) {
				var v map[string]string
				require.NoError(t, json.Unmarshal([]byte(textOf(r)), &v))
				assert.Contains(t, v["answer"], "Simulated answer")
			}},
		{"json with schema", "gemini-2.5-flash", `{"contents":[{"parts":[{"text":"recipe"}]}],"generationConfig":{"responseMimeType":"application/json",
			"responseSchema":{"type":"ARRAY","items":{"type":"OBJECT","properties":{"recipeName":{"type":"STRING"},"minutes":{"type":"INTEGER"},"vegan":{"type":"BOOLEAN"},"kind":{"type":"STRING","enum":["soup","cake"]}},"propertyOrdering":["recipeName","minutes"]}}}}`,
			func(t *testing.T, r *GenerateResponse, raw []byte) {
				txt := textOf(r)
				var v []map[string]any
				require.NoError(t, json.Unmarshal([]byte(txt), &v), txt)
				require.Len(t, v, 1)
				assert.Equal(t, map[string]any{"recipeName": "Alice", "minutes": 1.0, "vegan": true, "kind": "soup"}, v[0])
				assert.Less(t, strings.Index(txt, "recipeName"), strings.Index(txt, "minutes"), "propertyOrdering honoured")
			}},
		{"json schema", "gemini-2.5-flash", `{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"responseMimeType":"application/json",
			"responseJsonSchema":{"type":"object","properties":{"city":{"$ref":"#/$defs/c"},"n":{"type":["number","null"]}},"$defs":{"c":{"type":"string"}},"additionalProperties":false}}}`,
			func(t *testing.T, r *GenerateResponse, raw []byte) {
				var v map[string]any
				require.NoError(t, json.Unmarshal([]byte(textOf(r)), &v))
				assert.Equal(t, map[string]any{"city": "Tokyo", "n": 1.0}, v)
			}},
		{"BLOCKME", "gemini-2.5-flash", `{"contents":[{"parts":[{"text":"please BLOCKME now"}]}]}`,
			func(t *testing.T, r *GenerateResponse, raw []byte) {
				assert.Empty(t, r.Candidates)
				require.NotNil(t, r.PromptFeedback)
				assert.Equal(t, "SAFETY", r.PromptFeedback.BlockReason)
				assert.Equal(t, 3, r.UsageMetadata.PromptTokenCount)
			}},
		{"tts audio", "gemini-2.5-flash-preview-tts", `{"contents":[{"parts":[{"text":"Say hi"}]}],"generationConfig":{"responseModalities":["AUDIO"],"speechConfig":{"voiceConfig":{"prebuiltVoiceConfig":{"voiceName":"Kore"}}}}}`,
			func(t *testing.T, r *GenerateResponse, raw []byte) {
				d := r.Candidates[0].Content.Parts[0].InlineData
				require.NotNil(t, d)
				assert.Equal(t, "audio/L16;codec=pcm;rate=24000", d.MimeType)
				assert.Len(t, d.Data, 12000)
			}},
		{"google search grounding", "gemini-2.5-flash", `{"contents":[{"parts":[{"text":"news"}]}],"tools":[{"googleSearch":{}}]}`,
			func(t *testing.T, r *GenerateResponse, raw []byte) {
				assert.NotNil(t, r.Candidates[0].GroundingMetadata["groundingChunks"])
			}},
		{"single object for repeated field", "gemini-2.5-flash", `{"contents":{"parts":[{"text":"solo"}]}}`,
			func(t *testing.T, r *GenerateResponse, raw []byte) {
				assert.Contains(t, textOf(r), "to: solo")
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, b := post(t, s, "/v1beta/models/"+tc.model+":generateContent", "any", tc.body)
			require.Equal(t, 200, resp.StatusCode, "%s", b)
			var r GenerateResponse
			require.NoError(t, json.Unmarshal(b, &r))
			tc.check(t, &r, b)
		})
	}
}

func TestFunctionCalling(t *testing.T) {
	s := NewServer(Options{AcceptAnyKey: true})
	defer s.Close()
	tools := `"tools":[{"functionDeclarations":[
		{"name":"getWeather","description":"Weather","parameters":{"type":"OBJECT","properties":{"location":{"type":"STRING"},"days":{"type":"INTEGER"}},"required":["location"]}},
		{"name":"getTime","parameters":{"type":"OBJECT","properties":{"tz":{"type":"STRING"}}}},
		{"name":"noArgs"},
		{"name":"fourth"}]}]`
	gen := func(model, contents string) *GenerateResponse {
		resp, b := post(t, s, "/v1beta/models/"+model+":generateContent", "k", `{"contents":`+contents+`,`+tools+`}`)
		require.Equal(t, 200, resp.StatusCode, "%s", b)
		var r GenerateResponse
		require.NoError(t, json.Unmarshal(b, &r))
		return &r
	}

	r := gen("gemini-2.5-flash", `[{"role":"user","parts":[{"text":"Weather in Paris?"}]}]`)
	c := r.Candidates[0]
	assert.Equal(t, "STOP", c.FinishReason)
	assert.Equal(t, "Model generated function call(s).", c.FinishMessage)
	require.Len(t, c.Content.Parts, 1)
	fc := c.Content.Parts[0].FunctionCall
	require.NotNil(t, fc)
	assert.Equal(t, "getWeather", fc.Name)
	assert.Equal(t, map[string]any{"location": "Tokyo", "days": 1.0}, fc.Args)
	assert.NotEmpty(t, c.Content.Parts[0].ThoughtSignature)

	r = gen("gemini-2.5-flash", `[{"role":"user","parts":[{"text":"what about gettime"}]}]`)
	assert.Equal(t, "getTime", r.Candidates[0].Content.Parts[0].FunctionCall.Name, "the function named in the prompt")

	r = gen("gemini-2.5-flash", `[{"role":"user","parts":[{"text":"Call them in parallel"}]}]`)
	parts := r.Candidates[0].Content.Parts
	require.Len(t, parts, 3)
	assert.NotEmpty(t, parts[0].ThoughtSignature)
	assert.Empty(t, parts[1].ThoughtSignature)
	assert.Equal(t, map[string]any{}, parts[2].FunctionCall.Args)

	r = gen("gemini-2.5-flash", `[{"role":"user","parts":[{"text":"Weather?"}]},
		{"role":"model","parts":[{"functionCall":{"name":"getWeather","args":{"location":"Tokyo"}},"thoughtSignature":"c2ln"}]},
		{"role":"user","parts":[{"functionResponse":{"name":"getWeather","response":{"result":"sunny"}}}]}]`)
	assert.Contains(t, textOf(r), `getWeather: {"result":"sunny"}`)

	// Gemini 3 wants the signature back on the current turn's calls.
	resp, b := post(t, s, "/v1beta/models/gemini-3-pro-preview:generateContent", "k", `{"contents":[{"role":"user","parts":[{"text":"Weather?"}]},
		{"role":"model","parts":[{"functionCall":{"name":"getWeather","args":{}}}]},
		{"role":"user","parts":[{"functionResponse":{"name":"getWeather","response":{"r":1}}}]}],`+tools+`}`)
	require.Equal(t, 400, resp.StatusCode)
	assert.Contains(t, decodeError(t, b)["message"], "Function call `getWeather` in the `1.` content block is missing a `thought_signature`.")
	r = gen("gemini-3-pro-preview", `[{"role":"user","parts":[{"text":"Weather?"}]},
		{"role":"model","parts":[{"functionCall":{"name":"getWeather","args":{}},"thoughtSignature":"skip_thought_signature_validator"}]},
		{"role":"user","parts":[{"functionResponse":{"name":"getWeather","response":{"r":1}}}]}]`)
	assert.Contains(t, textOf(r), "getWeather")
	r = gen("gemini-3-pro-preview", `[{"role":"user","parts":[{"text":"Weather?"}]}]`)
	assert.NotEmpty(t, r.Candidates[0].Content.Parts[0].FunctionCall.ID)

	resp, b = post(t, s, flashGen, "k", `{"contents":[{"parts":[{"text":"x"}]}],`+tools+`,"toolConfig":{"functionCallingConfig":{"mode":"NONE"}}}`)
	require.Equal(t, 200, resp.StatusCode)
	assert.NotContains(t, string(b), "functionCall")
}

func TestStreamSSEFraming(t *testing.T) {
	s := NewServer(Options{StreamEvents: 4, AcceptAnyKey: true})
	defer s.Close()
	_, unary := post(t, s, flashGen, "k", hello)
	var full GenerateResponse
	require.NoError(t, json.Unmarshal(unary, &full))

	resp, b := post(t, s, flashSSE, "k", hello)
	require.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	require.True(t, bytes.HasSuffix(b, []byte("}\r\n\r\n")))
	frames := strings.Split(strings.TrimSuffix(string(b), "\r\n\r\n"), "\r\n\r\n")
	require.Len(t, frames, 4)
	var text strings.Builder
	ids := map[string]bool{}
	prevCount := 0
	for i, f := range frames {
		require.True(t, strings.HasPrefix(f, `data: {"candidates": [{"content": {"parts": [{"text": "`), f)
		assert.NotContains(t, f, "\n")
		assert.NotContains(t, f, `, "`, "no space after commas")
		assert.Contains(t, f, `],"role": "model"},`)
		var ev GenerateResponse
		require.NoError(t, json.Unmarshal([]byte(strings.TrimPrefix(f, "data: ")), &ev))
		text.WriteString(textOf(&ev))
		ids[ev.ResponseID] = true
		assert.Equal(t, "gemini-2.5-flash", ev.ModelVersion)
		require.NotNil(t, ev.UsageMetadata)
		assert.Greater(t, ev.UsageMetadata.CandidatesTokenCount, prevCount)
		prevCount = ev.UsageMetadata.CandidatesTokenCount
		if i < len(frames)-1 {
			assert.Empty(t, ev.Candidates[0].FinishReason)
		} else {
			assert.Equal(t, "STOP", ev.Candidates[0].FinishReason)
			assert.Equal(t, full.UsageMetadata.CandidatesTokenCount, prevCount)
		}
	}
	assert.Len(t, ids, 1, "one responseId per stream")
	assert.Equal(t, textOf(&full), text.String(), "stream text equals unary text")
}

func TestStreamJSONArray(t *testing.T) {
	s := NewServer(Options{StreamEvents: 3, AcceptAnyKey: true})
	defer s.Close()
	resp, b := post(t, s, "/v1beta/models/gemini-2.5-flash:streamGenerateContent", "k", hello)
	require.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "application/json; charset=UTF-8", resp.Header.Get("Content-Type"))
	assert.True(t, bytes.HasPrefix(b, []byte("[{\n  \"candidates\": [")), "%q", b)
	assert.True(t, bytes.HasSuffix(b, []byte("}\n]")), "%q", b)
	assert.Equal(t, 2, bytes.Count(b, []byte("}\n,\r\n{")))
	var evs []GenerateResponse
	require.NoError(t, json.Unmarshal(b, &evs))
	require.Len(t, evs, 3)
	assert.Equal(t, "STOP", evs[2].Candidates[0].FinishReason)

	// Errors before output keep the array form.
	resp, b = post(t, s, "/v1beta/models/nope:streamGenerateContent", "k", hello)
	assert.Equal(t, 404, resp.StatusCode)
	var errs []errorBody
	require.NoError(t, json.Unmarshal(b, &errs), "%s", b)
	require.Len(t, errs, 1)
	assert.Equal(t, "NOT_FOUND", errs[0].Error.Status)
}

func TestStreamSingleEventAnswers(t *testing.T) {
	s := NewServer(Options{StreamEvents: 5, AcceptAnyKey: true})
	defer s.Close()
	_, b := post(t, s, flashSSE, "k", `{"contents":[{"parts":[{"text":"x"}]}],"tools":[{"functionDeclarations":[{"name":"f"}]}]}`)
	assert.Equal(t, 1, bytes.Count(b, []byte("data: ")))
	assert.Contains(t, string(b), `"finishMessage": "Model generated function call(s)."`)
	_, b = post(t, s, flashSSE, "k", `{"contents":[{"parts":[{"text":"BLOCKME"}]}]}`)
	assert.Equal(t, 1, bytes.Count(b, []byte("data: ")))
	assert.Contains(t, string(b), `"blockReason": "SAFETY"`)
	_, b = post(t, s, flashSSE, "k", `{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"thinkingConfig":{"includeThoughts":true}}}`)
	frames := strings.Split(strings.TrimSuffix(string(b), "\r\n\r\n"), "\r\n\r\n")
	require.Len(t, frames, 5)
	assert.Contains(t, frames[0], `{"text": "**Thinking...**","thought": true}`)
	assert.NotContains(t, frames[1], `"thought": true`)
}

func TestRequestErrors(t *testing.T) {
	s := NewServer(Options{})
	defer s.Close()
	s.SetKey("k", Behavior{})
	tests := []struct {
		name, method, path, key, body string
		header                        map[string]string
		code                          int
		status, message               string
		reason                        string // ErrorInfo reason
	}{
		{name: "no key", path: flashGen, body: hello, code: 403, status: "PERMISSION_DENIED",
			message: "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API."},
		{name: "bearer only", path: flashGen, body: hello, header: map[string]string{"Authorization": "Bearer AIzaSyX"}, code: 401, status: "UNAUTHENTICATED",
			message: "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
			reason:  "ACCESS_TOKEN_TYPE_UNSUPPORTED"},
		{name: "unknown key", path: flashGen, key: "nope", body: hello, code: 400, status: "INVALID_ARGUMENT",
			message: "API key not valid. Please pass a valid API key.", reason: "API_KEY_INVALID"},
		{name: "unknown key on list", method: "GET", path: "/v1beta/models", key: "nope", code: 400, status: "INVALID_ARGUMENT", reason: "API_KEY_INVALID"},
		{name: "unknown model", path: "/v1beta/models/gemini-pro:generateContent", key: "k", body: hello, code: 404, status: "NOT_FOUND",
			message: "models/gemini-pro is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods."},
		{name: "embed on chat model", path: "/v1/models/gemini-2.5-flash:embedContent", key: "k", body: `{"content":{"parts":[{"text":"x"}]}}`, code: 404, status: "NOT_FOUND",
			message: "models/gemini-2.5-flash is not found for API version v1, or is not supported for embedContent. Call ListModels to see the list of available models and their supported methods."},
		{name: "generate on embedder", path: "/v1beta/models/gemini-embedding-001:generateContent", key: "k", body: hello, code: 404, status: "NOT_FOUND"},
		{name: "get unknown model", method: "GET", path: "/v1beta/models/nope", key: "k", code: 404, status: "NOT_FOUND"},
		{name: "malformed json", path: flashGen, key: "k", body: `{"contents": [}`, code: 400, status: "INVALID_ARGUMENT",
			message: "Invalid JSON payload received. Unexpected token.\n{\"contents\": [}\n              ^"},
		{name: "truncated json", path: flashGen, key: "k", body: `{"contents": [`, code: 400, status: "INVALID_ARGUMENT"},
		{name: "unknown top-level field", path: flashGen, key: "k", body: `{"contents":[{"parts":[{"text":"x"}]}],"foo":1}`, code: 400, status: "INVALID_ARGUMENT",
			message: "Invalid JSON payload received. Unknown name \"foo\": Cannot find field."},
		{name: "additionalProperties in schema", path: flashGen, key: "k",
			body: `{"contents":[{"parts":[{"text":"x"}]}],"tools":[{"function_declarations":[{"name":"f","parameters":{"type":"OBJECT","additionalProperties":false}}]}]}`,
			code: 400, status: "INVALID_ARGUMENT",
			message: "Invalid JSON payload received. Unknown name \"additionalProperties\" at 'tools[0].function_declarations[0].parameters': Cannot find field."},
		{name: "nested map entry path", path: flashGen, key: "k",
			body: `{"contents":[{"parts":[{"text":"x"}]}],"tools":[{"functionDeclarations":[{"name":"f","parameters":{"type":"OBJECT","properties":{"a":{"type":"STRING"},"b":{"type":"STRING","const":"x"}}}}]}]}`,
			code: 400, status: "INVALID_ARGUMENT",
			message: "Invalid JSON payload received. Unknown name \"const\" at 'tools[0].function_declarations[0].parameters.properties[1].value': Cannot find field."},
		{name: "v1 has no systemInstruction", path: "/v1/models/gemini-2.5-flash:generateContent", key: "k",
			body: `{"contents":[{"parts":[{"text":"x"}]}],"systemInstruction":{"parts":[{"text":"y"}]}}`, code: 400, status: "INVALID_ARGUMENT",
			message: "Invalid JSON payload received. Unknown name \"systemInstruction\": Cannot find field."},
		{name: "wrong type", path: flashGen, key: "k", body: `{"contents":"hi"}`, code: 400, status: "INVALID_ARGUMENT",
			message: "Invalid value at 'contents[0]' (type.googleapis.com/google.ai.generativelanguage.v1beta.Content), \"hi\""},
		{name: "no contents", path: flashGen, key: "k", body: `{}`, code: 400, status: "INVALID_ARGUMENT",
			message: "* GenerateContentRequest.contents: contents is not specified\n"},
		{name: "empty parts", path: flashGen, key: "k", body: `{"contents":[{"parts":[]}]}`, code: 400, status: "INVALID_ARGUMENT",
			message: "* GenerateContentRequest.contents[0].parts: contents.parts must not be empty.\n"},
		{name: "bad role", path: flashGen, key: "k", body: `{"contents":[{"role":"assistant","parts":[{"text":"x"}]}]}`, code: 400, status: "INVALID_ARGUMENT",
			message: "Please use a valid role: user, model."},
		{name: "thinking on non-thinking model", path: "/v1beta/models/gemini-2.0-flash:generateContent", key: "k",
			body: `{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"thinkingConfig":{"thinkingBudget":100}}}`, code: 400, status: "INVALID_ARGUMENT"},
		{name: "pro cannot stop thinking", path: "/v1beta/models/gemini-2.5-pro:generateContent", key: "k",
			body: `{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"thinkingConfig":{"thinkingBudget":0}}}`, code: 400, status: "INVALID_ARGUMENT",
			message: "Budget 0 is invalid. This model only works in thinking mode."},
		{name: "bad page size", method: "GET", path: "/v1beta/models?pageSize=abc", key: "k", code: 400, status: "INVALID_ARGUMENT"},
		{name: "bad page token", method: "GET", path: "/v1beta/models?pageToken=zzz", key: "k", code: 400, status: "INVALID_ARGUMENT"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			method := tc.method
			if method == "" {
				method = "POST"
			}
			req, err := http.NewRequest(method, s.URL+tc.path, strings.NewReader(tc.body))
			require.NoError(t, err)
			if tc.key != "" {
				req.Header.Set("x-goog-api-key", tc.key)
			}
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			require.Equal(t, tc.code, resp.StatusCode, "%s", b)
			assert.Equal(t, "application/json; charset=UTF-8", resp.Header.Get("Content-Type"))
			e := decodeError(t, b)
			assert.Equal(t, float64(tc.code), e["code"])
			assert.Equal(t, tc.status, e["status"])
			if tc.message != "" {
				assert.Equal(t, tc.message, e["message"])
			}
			if tc.reason != "" {
				require.NotNil(t, detail(e, "ErrorInfo"), "%s", b)
				assert.Equal(t, tc.reason, detail(e, "ErrorInfo")["reason"])
			}
			if tc.code == 400 && strings.HasPrefix(tc.message, "Invalid JSON") {
				br := detail(e, "BadRequest")
				require.NotNil(t, br, "%s", b)
			}
		})
	}
}

func TestInvalidKeyBodyExact(t *testing.T) {
	s := NewServer(Options{})
	defer s.Close()
	_, b := post(t, s, flashGen+"?key=bad", "", hello)
	assert.Equal(t, `{
  "error": {
    "code": 400,
    "message": "API key not valid. Please pass a valid API key.",
    "status": "INVALID_ARGUMENT",
    "details": [
      {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": "API_KEY_INVALID",
        "domain": "googleapis.com",
        "metadata": {
          "service": "generativelanguage.googleapis.com"
        }
      },
      {
        "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
        "locale": "en-US",
        "message": "API key not valid. Please pass a valid API key."
      }
    ]
  }
}
`, string(b))
}

func TestUnknownRouteHTML(t *testing.T) {
	s := NewServer(Options{AcceptAnyKey: true})
	defer s.Close()
	for _, p := range []string{"/v2/models", "/v1beta/models/gemini-2.5-flash:doMagic", "/"} {
		resp, b := post(t, s, p, "k", "{}")
		assert.Equal(t, 404, resp.StatusCode, p)
		assert.Equal(t, "text/html; charset=UTF-8", resp.Header.Get("Content-Type"))
		assert.Contains(t, string(b), "Error 404 (Not Found)!!1")
	}
	resp, _ := do(t, s, "GET", flashGen, "k", "")
	assert.Equal(t, 404, resp.StatusCode, "wrong HTTP method")
}

func TestBehaviors(t *testing.T) {
	s := NewServer(Options{})
	defer s.Close()
	s.SetKey("suspended", Behavior{Kind: Suspended})
	s.SetKey("denied-pro", Behavior{Kind: PermissionDenied, Models: []string{"gemini-2.5-pro"}})
	s.SetKey("quota", Behavior{Kind: Quota, RetryDelay: 26200 * time.Millisecond})
	s.SetKey("quota-day", Behavior{Kind: Quota, Daily: true})
	s.SetKey("flaky", Behavior{Kind: Flaky, FailTimes: 2})
	s.SetKey("flaky500", Behavior{Kind: Flaky, Status: 500})
	s.SetKey("slow", Behavior{Kind: Slow, Latency: time.Millisecond})

	t.Run("suspended", func(t *testing.T) {
		resp, b := post(t, s, flashGen, "suspended", hello)
		require.Equal(t, 403, resp.StatusCode)
		e := decodeError(t, b)
		assert.Equal(t, "PERMISSION_DENIED", e["status"])
		assert.Equal(t, "Permission denied: Consumer 'api_key:suspended' has been suspended.", e["message"])
		info := detail(e, "ErrorInfo")
		assert.Equal(t, "CONSUMER_SUSPENDED", info["reason"])
		assert.Regexp(t, `^projects/\d{12}$`, info["metadata"].(map[string]any)["consumer"])
	})
	t.Run("permission denied for one model", func(t *testing.T) {
		resp, b := post(t, s, "/v1beta/models/gemini-2.5-pro:generateContent", "denied-pro", hello)
		require.Equal(t, 403, resp.StatusCode)
		e := decodeError(t, b)
		assert.Equal(t, "The caller does not have permission", e["message"])
		assert.Nil(t, e["details"])
		resp, _ = post(t, s, flashGen, "denied-pro", hello)
		assert.Equal(t, 200, resp.StatusCode)
	})
	t.Run("quota per minute", func(t *testing.T) {
		resp, b := post(t, s, flashGen, "quota", hello)
		require.Equal(t, 429, resp.StatusCode)
		e := decodeError(t, b)
		assert.Equal(t, "RESOURCE_EXHAUSTED", e["status"])
		msg := e["message"].(string)
		assert.True(t, strings.HasPrefix(msg, "You exceeded your current quota, please check your plan and billing details."))
		assert.Contains(t, msg, "\n* Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: 10, model: gemini-2.5-flash\n")
		assert.True(t, strings.HasSuffix(msg, "Please retry in 26.2s."), msg)
		ds := e["details"].([]any)
		require.Len(t, ds, 3)
		assert.Equal(t, "type.googleapis.com/google.rpc.QuotaFailure", ds[0].(map[string]any)["@type"])
		assert.Equal(t, "type.googleapis.com/google.rpc.Help", ds[1].(map[string]any)["@type"])
		assert.Equal(t, map[string]any{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "26s"}, ds[2])
		v := detail(e, "QuotaFailure")["violations"].([]any)[0].(map[string]any)
		assert.Equal(t, "GenerateRequestsPerMinutePerProjectPerModel-FreeTier", v["quotaId"])
		assert.Equal(t, "10", v["quotaValue"])
		assert.Equal(t, map[string]any{"location": "global", "model": "gemini-2.5-flash"}, v["quotaDimensions"])
	})
	t.Run("quota per day", func(t *testing.T) {
		resp, b := post(t, s, flashGen, "quota-day", hello)
		require.Equal(t, 429, resp.StatusCode)
		e := decodeError(t, b)
		v := detail(e, "QuotaFailure")["violations"].([]any)[0].(map[string]any)
		assert.Equal(t, "GenerateRequestsPerDayPerProjectPerModel-FreeTier", v["quotaId"])
		assert.Nil(t, detail(e, "RetryInfo"))
		assert.NotContains(t, e["message"], "Please retry")
	})
	t.Run("list models ignores quota", func(t *testing.T) {
		resp, _ := do(t, s, "GET", "/v1beta/models", "quota", "")
		assert.Equal(t, 200, resp.StatusCode)
	})
	t.Run("flaky fails twice", func(t *testing.T) {
		for i := 0; i < 2; i++ {
			resp, b := post(t, s, flashGen, "flaky", hello)
			require.Equal(t, 503, resp.StatusCode)
			e := decodeError(t, b)
			assert.Equal(t, "UNAVAILABLE", e["status"])
			assert.Equal(t, "The model is overloaded. Please try again later.", e["message"])
			assert.Nil(t, e["details"])
		}
		resp, _ := post(t, s, flashGen, "flaky", hello)
		assert.Equal(t, 200, resp.StatusCode)
		s.SetKey("flaky", Behavior{Kind: Flaky, FailTimes: 1})
		resp, _ = post(t, s, flashGen, "flaky", hello)
		assert.Equal(t, 503, resp.StatusCode, "SetKey restarts the count")
	})
	t.Run("flaky 500", func(t *testing.T) {
		resp, b := post(t, s, flashGen, "flaky500", hello)
		require.Equal(t, 500, resp.StatusCode)
		assert.Equal(t, "INTERNAL", decodeError(t, b)["status"])
	})
	t.Run("slow", func(t *testing.T) {
		resp, _ := post(t, s, flashGen, "slow", hello)
		assert.Equal(t, 200, resp.StatusCode)
	})
	t.Run("behaviour by query key", func(t *testing.T) {
		resp, _ := post(t, s, flashGen+"?key=quota", "", hello)
		assert.Equal(t, 429, resp.StatusCode)
	})
}

func TestBreakStream(t *testing.T) {
	s := NewServer(Options{StreamEvents: 5})
	defer s.Close()
	s.SetKey("break", Behavior{Kind: BreakStream, BreakAfter: 2})

	req, _ := http.NewRequest("POST", s.URL+flashSSE, strings.NewReader(hello))
	req.Header.Set("x-goog-api-key", "break")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.Equal(t, 200, resp.StatusCode)
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Error(t, err, "the stream ends abruptly")
	assert.Equal(t, 2, bytes.Count(b, []byte("data: ")))

	_, err = http.Post(s.URL+flashGen+"?key=break", "application/json", strings.NewReader(hello))
	assert.Error(t, err, "unary calls are dropped")
}

func TestRequestsRecorded(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s := NewServer(Options{AcceptAnyKey: true, Now: func() time.Time { return now }})
	defer s.Close()
	body := "{\"contents\":[{\"parts\":[{\"text\":\"odd  spacing\"}]}]}  \n"
	post(t, s, flashGen+"?alt=json", "k1", body)
	post(t, s, "/v1/models/gemini-2.5-flash:streamGenerateContent?key=k2&alt=sse", "", hello)
	do(t, s, "GET", "/v1beta/models", "k1", "")

	recs := s.Requests()
	require.Len(t, recs, 3)
	r := recs[0]
	assert.Equal(t, "POST", r.Method)
	assert.Equal(t, "/v1beta/models/gemini-2.5-flash:generateContent", r.Path)
	assert.Equal(t, "alt=json", r.RawQuery)
	assert.Equal(t, []byte(body), r.Body, "byte for byte")
	assert.Equal(t, "k1", r.Key)
	assert.Equal(t, "k1", r.Header.Get("X-Goog-Api-Key"))
	assert.Equal(t, "gemini-2.5-flash", r.Model)
	assert.Equal(t, "generateContent", r.APIMethod)
	assert.Equal(t, "v1beta", r.Version)
	assert.Equal(t, now, r.Time)
	assert.Equal(t, "k2", recs[1].Key)
	assert.Equal(t, "streamGenerateContent", recs[1].APIMethod)
	assert.Equal(t, "v1", recs[1].Version)
	assert.Equal(t, "listModels", recs[2].APIMethod)
	assert.Equal(t, 2, s.Calls("k1"))
	assert.Equal(t, 1, s.Calls("k2"))
	assert.Equal(t, 0, s.Calls("k3"))

	s.Reset()
	assert.Empty(t, s.Requests())
	assert.Equal(t, 0, s.Calls("k1"))
}

func TestConnectionsKeepAlive(t *testing.T) {
	s := NewServer(Options{AcceptAnyKey: true})
	defer s.Close()
	client := &http.Client{Transport: &http.Transport{}}
	for i := 0; i < 5; i++ {
		req, _ := http.NewRequest("POST", s.URL+flashGen, strings.NewReader(hello))
		req.Header.Set("x-goog-api-key", "k")
		resp, err := client.Do(req)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	assert.Equal(t, 1, s.Connections())
	assert.Equal(t, 0, s.ConnectionsClosed())
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	for i := 0; i < 2; i++ {
		resp, err := fresh.Post(s.URL+flashGen+"?key=k", "application/json", strings.NewReader(hello))
		require.NoError(t, err)
		resp.Body.Close()
	}
	assert.Equal(t, 3, s.Connections())
	assert.Eventually(t, func() bool { return s.ConnectionsClosed() == 2 }, 5*time.Second, 5*time.Millisecond,
		"the two connections without keep-alive closed")
	client.CloseIdleConnections()
	assert.Eventually(t, func() bool { return s.ConnectionsClosed() == 3 }, 5*time.Second, 5*time.Millisecond)
}

func TestActiveDropsWhenStreamCancelled(t *testing.T) {
	s := NewServer(Options{AcceptAnyKey: true, StreamEvents: 10, EventInterval: time.Hour})
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "POST", s.URL+flashSSE, strings.NewReader(hello))
	req.Header.Set("x-goog-api-key", "k")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	buf := make([]byte, 6)
	_, err = io.ReadFull(resp.Body, buf)
	require.NoError(t, err)
	assert.Equal(t, "data: ", string(buf))
	assert.Equal(t, 1, s.Active())
	cancel()
	resp.Body.Close()
	assert.Eventually(t, func() bool { return s.Active() == 0 }, 2*time.Second, 5*time.Millisecond)
}

func TestListAndGetModels(t *testing.T) {
	s := NewServer(Options{AcceptAnyKey: true})
	defer s.Close()
	var all []Model
	tok := ""
	pages := 0
	for {
		_, b := do(t, s, "GET", "/v1beta/models?pageSize=5&pageToken="+tok, "k", "")
		var p struct {
			Models        []Model `json:"models"`
			NextPageToken string  `json:"nextPageToken"`
		}
		require.NoError(t, json.Unmarshal(b, &p), "%s", b)
		all = append(all, p.Models...)
		pages++
		if p.NextPageToken == "" {
			break
		}
		assert.True(t, strings.HasPrefix(p.NextPageToken, "C"), p.NextPageToken)
		tok = p.NextPageToken
	}
	assert.Equal(t, DefaultModels(), all)
	assert.Equal(t, 3, pages)

	resp, b := do(t, s, "GET", "/v1/models/gemini-2.5-flash", "k", "")
	require.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, `{
  "name": "models/gemini-2.5-flash",
  "version": "001",
  "displayName": "Gemini 2.5 Flash",
  "description": "Stable version of Gemini 2.5 Flash, our mid-size multimodal model that supports up to 1 million tokens, released in June of 2025.",
  "inputTokenLimit": 1048576,
  "outputTokenLimit": 65536,
  "supportedGenerationMethods": [
    "generateContent",
    "countTokens",
    "createCachedContent",
    "batchGenerateContent"
  ],
  "temperature": 1,
  "topP": 0.95,
  "topK": 64,
  "maxTemperature": 2,
  "thinking": true
}
`, string(b))

	custom := NewServer(Options{AcceptAnyKey: true, Models: []Model{{Name: "my-model", SupportedGenerationMethods: []string{"generateContent"}}}})
	defer custom.Close()
	resp, _ = post(t, custom, "/v1beta/models/my-model:generateContent", "k", hello)
	assert.Equal(t, 200, resp.StatusCode)
	resp, _ = post(t, custom, flashGen, "k", hello)
	assert.Equal(t, 404, resp.StatusCode)
}

func TestCountTokens(t *testing.T) {
	s := NewServer(Options{AcceptAnyKey: true})
	defer s.Close()
	tests := []struct {
		name, body string
		code, want int
	}{
		{"contents", `{"contents":[{"parts":[{"text":"one two three"}]}]}`, 200, 3},
		{"generateContentRequest", `{"generateContentRequest":{"model":"models/gemini-2.5-flash","contents":[{"parts":[{"text":"one two"}]}],"systemInstruction":{"parts":[{"text":"be terse"}]}}}`, 200, 4},
		{"snake form", `{"generate_content_request":{"model":"models/gemini-2.5-flash","contents":[{"parts":[{"text":"a"}]}]}}`, 200, 1},
		{"image", `{"contents":[{"parts":[{"text":"look"},{"inlineData":{"mimeType":"image/png","data":"iVBORw0KGgo="}}]}]}`, 200, 259},
		{"inner model required", `{"generateContentRequest":{"contents":[{"parts":[{"text":"a"}]}]}}`, 400, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, b := post(t, s, "/v1beta/models/gemini-2.5-flash:countTokens", "k", tc.body)
			require.Equal(t, tc.code, resp.StatusCode, "%s", b)
			if tc.code != 200 {
				return
			}
			var r countTokensResponse
			require.NoError(t, json.Unmarshal(b, &r))
			assert.Equal(t, tc.want, r.TotalTokens)
		})
	}
}

func TestEmbeddings(t *testing.T) {
	s := NewServer(Options{AcceptAnyKey: true})
	defer s.Close()
	embed := func(body string) []float32 {
		resp, b := post(t, s, "/v1beta/models/gemini-embedding-001:embedContent", "k", body)
		require.Equal(t, 200, resp.StatusCode, "%s", b)
		var r struct {
			Embedding struct{ Values []float32 } `json:"embedding"`
		}
		require.NoError(t, json.Unmarshal(b, &r))
		return r.Embedding.Values
	}
	a := embed(`{"content":{"parts":[{"text":"Hello world"}]},"taskType":"RETRIEVAL_DOCUMENT","title":"t"}`)
	assert.Len(t, a, 768)
	assert.Equal(t, a, embed(`{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"Hello world"}]}}`), "deterministic")
	assert.NotEqual(t, a, embed(`{"content":{"parts":[{"text":"Goodbye"}]}}`))
	assert.Len(t, embed(`{"content":{"parts":[{"text":"x"}]},"output_dimensionality":3072}`), 3072)
	small := embed(`{"content":{"parts":[{"text":"Hello world"}]},"outputDimensionality":16}`)
	assert.Equal(t, a[:16], small, "outputDimensionality truncates")

	resp, b := post(t, s, "/v1beta/models/gemini-embedding-001:batchEmbedContents", "k", `{"requests":[
		{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"Goodbye"}]}},
		{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"Hello world"}]}}]}`)
	require.Equal(t, 200, resp.StatusCode, "%s", b)
	var r struct {
		Embeddings []struct{ Values []float32 } `json:"embeddings"`
	}
	require.NoError(t, json.Unmarshal(b, &r))
	require.Len(t, r.Embeddings, 2)
	assert.Equal(t, a, r.Embeddings[1].Values, "in request order")

	resp, _ = post(t, s, "/v1beta/models/text-embedding-004:embedContent", "k", `{"content":{"parts":[{"text":"x"}]},"outputDimensionality":1024}`)
	assert.Equal(t, 400, resp.StatusCode)
	resp, _ = post(t, s, "/v1beta/models/gemini-embedding-001:batchEmbedContents", "k", `{"requests":[{"model":"models/text-embedding-004","content":{"parts":[{"text":"x"}]}}]}`)
	assert.Equal(t, 400, resp.StatusCode)
}

func TestPredictImagen(t *testing.T) {
	s := NewServer(Options{AcceptAnyKey: true})
	defer s.Close()
	resp, b := post(t, s, "/v1beta/models/imagen-3.0-generate-002:predict", "k", `{"instances":[{"prompt":"a red skateboard"}],"parameters":{"sampleCount":2}}`)
	require.Equal(t, 200, resp.StatusCode, "%s", b)
	var r struct {
		Predictions []struct {
			BytesBase64Encoded Bytes
			MimeType           string
		}
	}
	require.NoError(t, json.Unmarshal(b, &r))
	require.Len(t, r.Predictions, 2)
	assert.Equal(t, "image/png", r.Predictions[0].MimeType)
	_, err := png.Decode(bytes.NewReader(r.Predictions[0].BytesBase64Encoded))
	assert.NoError(t, err)

	resp, b = post(t, s, "/v1beta/models/imagen-3.0-generate-002:predict", "k", `{"instances":[{"prompt":"BLOCKME"}]}`)
	require.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "{}\n", string(b))
}

func TestResponderHook(t *testing.T) {
	var got *GenerateRequest
	s := NewServer(Options{AcceptAnyKey: true, StreamEvents: 2, Responder: func(r *GenerateRequest) *GenerateResponse {
		got = r
		if r.LastUserText() == "default" {
			return nil
		}
		return &GenerateResponse{Candidates: []*Candidate{{Content: &Content{Parts: []*Part{{Text: "scripted reply here"}}}, FinishReason: "STOP"}}}
	}})
	defer s.Close()
	_, b := post(t, s, flashGen, "k", `{"contents":[{"parts":[{"text":"hi"}]}],"system_instruction":{"parts":[{"text":"sys"}]},"safetySettings":[{"category":"HARM_CATEGORY_HARASSMENT","threshold":"BLOCK_NONE"}]}`)
	var r GenerateResponse
	require.NoError(t, json.Unmarshal(b, &r))
	assert.Equal(t, "scripted reply here", textOf(&r))
	assert.Equal(t, "model", r.Candidates[0].Content.Role)
	assert.Equal(t, 3, r.UsageMetadata.CandidatesTokenCount)
	require.NotNil(t, got)
	assert.Equal(t, "models/gemini-2.5-flash", got.Model)
	assert.Equal(t, "gemini-2.5-flash", got.ModelID)
	assert.Equal(t, "k", got.Key)
	assert.Equal(t, "sys", got.SystemInstruction.Parts[0].Text)
	assert.Equal(t, "BLOCK_NONE", got.SafetySettings[0].Threshold)
	assert.Contains(t, got.Raw, "systemInstruction")

	_, b = post(t, s, flashSSE, "k", `{"contents":[{"parts":[{"text":"hi"}]}]}`)
	assert.Equal(t, 2, bytes.Count(b, []byte("data: ")))
	assert.True(t, got.Stream)

	_, b = post(t, s, flashGen, "k", `{"contents":[{"parts":[{"text":"default"}]}]}`)
	assert.Contains(t, string(b), "Simulated answer")
}

func TestHandlerInProcess(t *testing.T) {
	s := NewUnstartedServer(Options{AcceptAnyKey: true})
	rec := newRecorder()
	req, _ := http.NewRequest("POST", flashSSE, strings.NewReader(hello))
	req.Header.Set("x-goog-api-key", "k")
	s.Handler().ServeHTTP(rec, req)
	assert.Equal(t, 200, rec.code)
	assert.Equal(t, 3, strings.Count(rec.body.String(), "data: "))
	assert.Equal(t, "", s.URL)
	assert.Len(t, s.Requests(), 1)
	s.Close()
}

func TestBadInputNeverPanics(t *testing.T) {
	s := NewServer(Options{AcceptAnyKey: true})
	defer s.Close()
	bodies := []string{"", "null", "[]", "1", `"x"`, "{", `{"contents":null}`, `{"contents":[null]}`, `{"contents":[{"parts":[null]}]}`,
		`{"contents":[{"parts":{"text":1}}]}`, `{"contents":[{"parts":[{"inlineData":{"data":"!!"}}]}]}`,
		`{"contents":[{"parts":[{"text":"x"}]}],"tools":[null,{"functionDeclarations":[null]}]}`,
		`{"contents":[{"parts":[{"text":"x"}]}],"tools":[{"functionDeclarations":[{"name":"f","parameters":{"properties":{"a":{"$ref":"#/x"},"b":{"type":7}}}}]}]}`,
		`{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"candidateCount":-1}}`,
		`{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"responseMimeType":"application/json","responseSchema":{"type":"OBJECT","properties":{"a":{"type":"ARRAY"}}}}}`,
		strings.Repeat("[", 100000), "\xff\xfe"}
	paths := []string{flashGen, flashSSE, "/v1beta/models/gemini-2.5-flash:countTokens", "/v1beta/models/gemini-embedding-001:embedContent",
		"/v1beta/models/gemini-embedding-001:batchEmbedContents", "/v1beta/models/imagen-3.0-generate-002:predict"}
	for _, p := range paths {
		for _, b := range bodies {
			resp, _ := post(t, s, p, "k", b)
			assert.Contains(t, []int{200, 400}, resp.StatusCode, "%s %q", p, b)
		}
	}
}

// recorder is a minimal flushing ResponseWriter (httptest.ResponseRecorder
// works too; this avoids depending on its flush semantics).
type recorder struct {
	h    http.Header
	code int
	body bytes.Buffer
}

func newRecorder() *recorder                    { return &recorder{h: http.Header{}} }
func (r *recorder) Header() http.Header         { return r.h }
func (r *recorder) WriteHeader(code int)        { r.code = code }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) Flush()                      {}
