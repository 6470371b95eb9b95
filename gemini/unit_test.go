package gemini_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/geminibalance/gb/balancer"
	"github.com/geminibalance/gb/gemini"
)

func TestParseModel(t *testing.T) {
	tests := []struct {
		in   string
		want gemini.ModelName
	}{
		{"gemini-2.5-flash", gemini.ModelName{Requested: "gemini-2.5-flash", Upstream: "gemini-2.5-flash"}},
		{"models/gemini-2.5-flash", gemini.ModelName{Requested: "gemini-2.5-flash", Upstream: "gemini-2.5-flash"}},
		{"gemini-2.5-flash-search", gemini.ModelName{Requested: "gemini-2.5-flash-search", Upstream: "gemini-2.5-flash", Search: true}},
		{"gemini-2.0-flash-image", gemini.ModelName{Requested: "gemini-2.0-flash-image", Upstream: "gemini-2.0-flash", Image: true}},
		{"gemini-2.5-pro-non-thinking", gemini.ModelName{Requested: "gemini-2.5-pro-non-thinking", Upstream: "gemini-2.5-pro", NonThinking: true}},
		{"gemini-2.5-flash-non-thinking-image-search", gemini.ModelName{Requested: "gemini-2.5-flash-non-thinking-image-search", Upstream: "gemini-2.5-flash", Search: true, Image: true, NonThinking: true}},
		// Order matters: "-search" must be last to be seen.
		{"gemini-2.5-flash-search-image", gemini.ModelName{Requested: "gemini-2.5-flash-search-image", Upstream: "gemini-2.5-flash-search", Image: true}},
		// Real model names are kept.
		{"gemini-2.0-flash-preview-image-generation", gemini.ModelName{Requested: "gemini-2.0-flash-preview-image-generation", Upstream: "gemini-2.0-flash-preview-image-generation"}},
		{"gemini-2.5-flash-image", gemini.ModelName{Requested: "gemini-2.5-flash-image", Upstream: "gemini-2.5-flash", Image: true}},
		// A bare suffix is not stripped to nothing.
		{"-search", gemini.ModelName{Requested: "-search", Upstream: "-search"}},
		{"", gemini.ModelName{}},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			assert.Equal(t, tc.want, gemini.ParseModel(tc.in))
		})
	}
}

func TestModelPolicyAllowed(t *testing.T) {
	p := gemini.ModelPolicy{
		Filtered: []string{"gemini-pro-vision"},
		Search:   []string{"gemini-2.5-flash"},
		Image:    []string{"gemini-2.0-flash"},
		Thinking: []string{"gemini-2.5-pro"},
	}
	tests := []struct {
		model string
		ok    bool
	}{
		{"gemini-2.5-flash", true},
		{"anything-else", true},
		{"gemini-pro-vision", false},
		{"gemini-pro-vision-search", false},
		{"gemini-2.5-flash-search", true},
		{"gemini-2.5-pro-search", false},
		{"gemini-2.0-flash-image", true},
		{"gemini-2.5-flash-image", false},
		{"gemini-2.5-pro-non-thinking", true},
		{"gemini-2.5-flash-non-thinking", false},
	}
	for _, tc := range tests {
		err := p.Allowed(gemini.ParseModel(tc.model))
		if tc.ok {
			assert.NoError(t, err, tc.model)
		} else {
			assert.Error(t, err, tc.model)
		}
	}
	var zero gemini.ModelPolicy
	assert.NoError(t, zero.Allowed(gemini.ParseModel("x")))
	assert.Error(t, zero.Allowed(gemini.ParseModel("x-search")))
}

func TestModelPolicyVariants(t *testing.T) {
	raw := func(name string) json.RawMessage {
		return json.RawMessage(fmt.Sprintf(`{"name":"models/%s","displayName":"D %s","description":"About %s","inputTokenLimit":7}`, name, name, name))
	}
	var models []gemini.Model
	for _, n := range []string{"gemini-2.5-flash", "gemini-pro-vision", "gemini-2.5-pro"} {
		models = append(models, gemini.Model{Name: "models/" + n, DisplayName: "D " + n, Description: "About " + n, Raw: raw(n)})
	}
	p := gemini.ModelPolicy{
		Filtered: []string{"gemini-pro-vision"},
		Search:   []string{"gemini-2.5-flash", "not-listed"},
		Image:    []string{"gemini-2.5-flash"},
		Thinking: []string{"gemini-2.5-pro"},
	}
	vs := p.Variants(models)
	var ids []string
	for _, v := range vs {
		ids = append(ids, v.ID)
	}
	assert.Equal(t, []string{"gemini-2.5-flash", "gemini-2.5-flash-search", "gemini-2.5-flash-image", "gemini-2.5-pro", "gemini-2.5-pro-non-thinking"}, ids)

	// The base keeps the upstream bytes; derived ones adjust names only.
	assert.Equal(t, string(raw("gemini-2.5-flash")), string(vs[0].NativeJSON()))
	var m map[string]any
	require.NoError(t, json.Unmarshal(vs[1].NativeJSON(), &m))
	assert.Equal(t, "models/gemini-2.5-flash-search", m["name"])
	assert.Equal(t, "D gemini-2.5-flash For Search", m["displayName"])
	assert.EqualValues(t, 7, m["inputTokenLimit"])
	assert.Empty(t, (&gemini.ModelPolicy{}).Variants(nil))
}

func TestStaticTokens(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	auth := gemini.StaticTokens("alpha", "", "beta")
	assert.True(t, auth(r, "alpha"))
	assert.True(t, auth(r, "beta"))
	assert.False(t, auth(r, ""), "empty strings are ignored")
	assert.False(t, auth(r, "alph"))
	assert.False(t, auth(r, "alphaa"))
	assert.False(t, auth(r, "ALPHA"))
	none := gemini.StaticTokens()
	assert.False(t, none(r, ""))
	assert.False(t, none(r, "alpha"))
	onlyEmpty := gemini.StaticTokens("")
	assert.False(t, onlyEmpty(r, ""))
}

func TestClientTokenPrecedence(t *testing.T) {
	tests := []struct {
		name    string
		query   string
		headers map[string]string
		tok     string
		style   gemini.AuthStyle
	}{
		{"none", "", nil, "", gemini.NoToken},
		{"query", "key=q", nil, "q", gemini.QueryKey},
		{"header", "", map[string]string{"x-goog-api-key": "h"}, "h", gemini.GoogleHeader},
		{"bearer", "", map[string]string{"Authorization": "Bearer b"}, "b", gemini.Bearer},
		{"bearer any case, spaces trimmed", "", map[string]string{"Authorization": "bEaReR   b  "}, "b", gemini.Bearer},
		{"query beats header", "key=q", map[string]string{"x-goog-api-key": "h", "Authorization": "Bearer b"}, "q", gemini.QueryKey},
		{"header beats bearer", "", map[string]string{"x-goog-api-key": "h", "Authorization": "Bearer b"}, "h", gemini.GoogleHeader},
		{"empty query key falls through", "key=&alt=sse", map[string]string{"x-goog-api-key": "h"}, "h", gemini.GoogleHeader},
		{"basic auth is not a token", "", map[string]string{"Authorization": "Basic Zm9vOmJhcg=="}, "", gemini.NoToken},
		{"bare Bearer", "", map[string]string{"Authorization": "Bearer "}, "", gemini.NoToken},
		{"other query only", "alt=sse", nil, "", gemini.NoToken},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			target := "/v1beta/models"
			if tc.query != "" {
				target += "?" + tc.query
			}
			r := httptest.NewRequest("GET", target, nil)
			for k, v := range tc.headers {
				r.Header.Set(k, v)
			}
			tok, style := gemini.ClientToken(r)
			assert.Equal(t, tc.tok, tok)
			assert.Equal(t, tc.style, style)
		})
	}
	assert.True(t, gemini.QueryKey.GoogleStyle())
	assert.True(t, gemini.GoogleHeader.GoogleStyle())
	assert.False(t, gemini.Bearer.GoogleStyle())
	assert.False(t, gemini.NoToken.GoogleStyle())
}

func TestErrorStatus(t *testing.T) {
	googleBody := []byte(`{"error":{"code":429,"message":"quota","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"26s"}]}}`)
	tests := []struct {
		name     string
		err      error
		code     int
		status   string // "" when a body passes through
		bodySame []byte
		retry    string // RetryInfo detail expected
	}{
		{"no answer", &balancer.UpstreamError{Verdict: balancer.Verdict{Class: balancer.Transient, Reason: "CONNECTION", Message: "refused"}, Attempts: 2}, 502, "FAILED_PRECONDITION", nil, ""},
		{"timeout", &balancer.UpstreamError{Verdict: balancer.Verdict{Class: balancer.Transient, Reason: "TIMEOUT"}, Attempts: 1}, 504, "DEADLINE_EXCEEDED", nil, ""},
		{"invalid key last", &balancer.UpstreamError{Status: 400, Body: []byte(`{"error":{"code":400}}`), Verdict: balancer.Verdict{Class: balancer.InvalidKey, Reason: "API_KEY_INVALID"}, Attempts: 4}, 503, "UNAVAILABLE", nil, ""},
		{"model denied last", &balancer.UpstreamError{Status: 403, Body: []byte(`{"error":{"code":403}}`), Verdict: balancer.Verdict{Class: balancer.ModelDenied}, Attempts: 1}, 503, "UNAVAILABLE", nil, ""},
		{"quota passes through", &balancer.UpstreamError{Status: 429, Body: googleBody, Verdict: balancer.Verdict{Class: balancer.Quota}}, 429, "", googleBody, ""},
		{"client error passes through", &balancer.UpstreamError{Status: 400, Body: []byte(`{"error":{"code":400,"message":"bad"}}`), Verdict: balancer.Verdict{Class: balancer.ClientError}}, 400, "", []byte(`{"error":{"code":400,"message":"bad"}}`), ""},
		{"non-JSON body wrapped", &balancer.UpstreamError{Status: 404, Body: []byte("<html>"), Verdict: balancer.Verdict{Class: balancer.ClientError, Message: "<html>"}}, 404, "NOT_FOUND", nil, ""},
		{"exhausted cooling", &balancer.ExhaustedError{Model: "m", Total: 2, Cooling: 2, RetryAt: time.Now().Add(30 * time.Second)}, 429, "RESOURCE_EXHAUSTED", nil, "30s"},
		{"exhausted soon", &balancer.ExhaustedError{Model: "m", Total: 2, Cooling: 2, RetryAt: time.Now().Add(10 * time.Millisecond)}, 429, "RESOURCE_EXHAUSTED", nil, "1s"},
		{"exhausted benched", &balancer.ExhaustedError{Model: "m", Total: 2, Benched: 2}, 503, "UNAVAILABLE", nil, ""},
		{"no keys", &balancer.ExhaustedError{}, 503, "UNAVAILABLE", nil, ""},
		{"canceled", context.Canceled, 499, "CANCELLED", nil, ""},
		{"deadline", fmt.Errorf("wrapped: %w", context.DeadlineExceeded), 504, "DEADLINE_EXCEEDED", nil, ""},
		{"other", errors.New("weird"), 502, "UNAVAILABLE", nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body, st := gemini.ErrorStatus(tc.err)
			assert.Equal(t, tc.code, code)
			if tc.bodySame != nil {
				assert.Equal(t, tc.bodySame, body)
				assert.Nil(t, st)
			} else {
				require.NotNil(t, st)
				assert.Nil(t, body)
				assert.Equal(t, tc.code, st.Code)
				if tc.status != "FAILED_PRECONDITION" { // 502's canonical name is checked separately
					assert.Equal(t, tc.status, st.Status)
				}
				assert.NotEmpty(t, st.Message)
			}
			if tc.retry != "" {
				require.Len(t, st.Details, 1)
				assert.Equal(t, "type.googleapis.com/google.rpc.RetryInfo", st.Details[0]["@type"])
				assert.Equal(t, tc.retry, st.Details[0]["retryDelay"])
			}

			// WritePipelineError writes the same thing as JSON.
			rec := httptest.NewRecorder()
			gemini.WritePipelineError(rec, tc.err)
			assert.Equal(t, tc.code, rec.Code)
			assert.True(t, json.Valid(rec.Body.Bytes()), "%s", rec.Body.Bytes())
			assert.Contains(t, rec.Header().Get("Content-Type"), "application/json")
			if tc.retry != "" {
				assert.Equal(t, strings.TrimSuffix(tc.retry, "s"), rec.Header().Get("Retry-After"))
			}
			if tc.bodySame != nil && tc.code == 429 {
				assert.Equal(t, "26", rec.Header().Get("Retry-After"))
			}
		})
	}
}

func TestErrorStatusBadGatewayName(t *testing.T) {
	_, _, st := gemini.ErrorStatus(&balancer.UpstreamError{Verdict: balancer.Verdict{Class: balancer.Transient, Reason: "CONNECTION"}})
	require.NotNil(t, st)
	// google.rpc.Code for HTTP 502 is UNAVAILABLE or INTERNAL; anything in
	// canonical's table is acceptable, but it must be a real code name.
	assert.Contains(t, []string{"UNAVAILABLE", "INTERNAL", "UNKNOWN"}, st.Status)
}

func TestWriteError(t *testing.T) {
	rec := httptest.NewRecorder()
	rec.Header().Set("Content-Length", "3")
	gemini.WriteError(rec, 413, "too big")
	assert.Equal(t, 413, rec.Code)
	assert.Empty(t, rec.Header().Get("Content-Length"))
	var eb gemini.ErrorBody
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &eb))
	assert.Equal(t, gemini.Status{Code: 413, Message: "too big", Status: "INVALID_ARGUMENT"}, eb.Error)
}

var safety = json.RawMessage(`[{"category":"HARM_CATEGORY_HARASSMENT","threshold":"OFF"}]`)

func TestPrepareRequestSafety(t *testing.T) {
	s := &gemini.Settings{SafetySettings: safety}
	m := gemini.ParseModel("gemini-2.5-flash")
	tests := []struct {
		name, method, in, want string
	}{
		{"added", "generateContent", `{"contents":[]}`, `{"contents":[],"safetySettings":` + string(safety) + `}`},
		{"added to stream", "streamGenerateContent", `{"contents":[]}`, `{"contents":[],"safetySettings":` + string(safety) + `}`},
		{"added to empty object", "generateContent", `{}`, `{"safetySettings":` + string(safety) + `}`},
		{"added after trailing space", "generateContent", "{\"a\":1}\n\t ", `{"a":1,"safetySettings":` + string(safety) + `}`},
		{"present camel", "generateContent", `{"safetySettings":[],"contents":[]}`, `{"safetySettings":[],"contents":[]}`},
		{"present snake", "generateContent", `{"contents":[], "safety_settings": null}`, `{"contents":[], "safety_settings": null}`},
		{"nested name does not count", "generateContent", `{"x":{"safetySettings":[]}}`, `{"x":{"safetySettings":[]},"safetySettings":` + string(safety) + `}`},
		{"name in a string does not count", "generateContent", `{"x":"\"safetySettings\":"}`, `{"x":"\"safetySettings\":","safetySettings":` + string(safety) + `}`},
		{"countTokens untouched", "countTokens", `{"contents":[]}`, `{"contents":[]}`},
		{"embed untouched", "embedContent", `{"content":{}}`, `{"content":{}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := gemini.PrepareRequest([]byte(tc.in), tc.method, m, s)
			require.NoError(t, err)
			assert.Equal(t, tc.want, string(got))
			assert.True(t, json.Valid(got))
		})
	}
	t.Run("no settings: same slice", func(t *testing.T) {
		in := []byte(`{"contents":[]}`)
		got, err := gemini.PrepareRequest(in, "generateContent", m, &gemini.Settings{})
		require.NoError(t, err)
		assert.Same(t, &in[0], &got[0], "body must be returned as is")
	})
	t.Run("input not modified", func(t *testing.T) {
		in := []byte(`{"contents":[]}   `)
		cp := bytes.Clone(in)
		_, err := gemini.PrepareRequest(in, "generateContent", m, s)
		require.NoError(t, err)
		assert.Equal(t, cp, in)
	})
}

func TestPrepareRequestSuffixes(t *testing.T) {
	s := &gemini.Settings{}
	decode := func(t *testing.T, b []byte) map[string]any {
		t.Helper()
		var v map[string]any
		require.NoError(t, json.Unmarshal(b, &v), "%s", b)
		return v
	}
	tests := []struct {
		name, model, in string
		want            string // JSON, compared semantically
	}{
		{"search adds tool", "gemini-2.5-flash-search", `{"contents":[]}`, `{"contents":[],"tools":[{"googleSearch":{}}]}`},
		{"search appends to tools", "gemini-2.5-flash-search", `{"tools":[{"codeExecution":{}}]}`, `{"tools":[{"codeExecution":{}},{"googleSearch":{}}]}`},
		{"search keeps functions", "gemini-2.5-flash-search", `{"tools":[{"functionDeclarations":[{"name":"f"}]}]}`, `{"tools":[{"functionDeclarations":[{"name":"f"}]}]}`},
		{"search not doubled", "gemini-2.5-flash-search", `{"tools":[{"google_search":{}}]}`, `{"tools":[{"google_search":{}}]}`},
		{"image", "gemini-2.0-flash-image", `{"generationConfig":{"temperature":0.5}}`, `{"generationConfig":{"temperature":0.5,"responseModalities":["TEXT","IMAGE"]}}`},
		{"image keeps own modalities", "gemini-2.0-flash-image", `{"generationConfig":{"responseModalities":["IMAGE"]}}`, `{"generationConfig":{"responseModalities":["IMAGE"]}}`},
		{"non-thinking", "gemini-2.5-flash-non-thinking", `{}`, `{"generationConfig":{"thinkingConfig":{"thinkingBudget":0}}}`},
		{"non-thinking pro", "gemini-2.5-pro-non-thinking", `{}`, `{"generationConfig":{"thinkingConfig":{"thinkingBudget":128}}}`},
		{"non-thinking keeps own", "gemini-2.5-flash-non-thinking", `{"generationConfig":{"thinkingConfig":{"thinkingBudget":5}}}`, `{"generationConfig":{"thinkingConfig":{"thinkingBudget":5}}}`},
		{"all three", "gemini-2.5-flash-non-thinking-image-search", `{"contents":[{"parts":[{"text":"a<b&c"}]}]}`,
			`{"contents":[{"parts":[{"text":"a<b&c"}]}],"tools":[{"googleSearch":{}}],"generationConfig":{"responseModalities":["TEXT","IMAGE"],"thinkingConfig":{"thinkingBudget":0}}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := gemini.PrepareRequest([]byte(tc.in), "generateContent", gemini.ParseModel(tc.model), s)
			require.NoError(t, err)
			if diff := cmp.Diff(decode(t, []byte(tc.want)), decode(t, got)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	for _, in := range []string{`{"generationConfig":null}`, `{"generationConfig":[1]}`, `{"tools":{}}`, `{"tools":"x"}`} {
		_, err := gemini.PrepareRequest([]byte(in), "generateContent", gemini.ParseModel("gemini-2.5-flash-search-image"), s)
		_ = err // only "-search" applies (see ParseModel); must not panic
		_, err = gemini.PrepareRequest([]byte(in), "generateContent", gemini.ParseModel("gemini-2.5-flash-image-search"), s)
		assert.Error(t, err, in)
	}
	t.Run("countTokens ignores suffixes", func(t *testing.T) {
		in := []byte(`{"contents":[]}`)
		got, err := gemini.PrepareRequest(in, "countTokens", gemini.ParseModel("gemini-2.5-flash-search"), s)
		require.NoError(t, err)
		assert.Equal(t, string(in), string(got))
	})
}

func FuzzPrepareRequest(f *testing.F) {
	f.Add([]byte(`{"contents":[]}`), "gemini-2.5-flash", true)
	f.Add([]byte(`{"safetySettings":[]}`), "gemini-2.5-flash-search", true)
	f.Add([]byte(`{"generationConfig":{"thinkingConfig":{}},"tools":[null]}`), "gemini-2.5-pro-non-thinking-image-search", false)
	f.Add([]byte(`{"tools":[{"functionDeclarations":[]}]}`), "x-search", true)
	f.Add([]byte(`{"a\"b":1,"safety_settings":{}}`), "m-image", true)
	f.Add([]byte(" { } "), "m-non-thinking", true)
	f.Fuzz(func(t *testing.T, body []byte, model string, withSafety bool) {
		// The handler only passes valid JSON objects (readBody checks);
		// invalid input is covered by TestPrepareRequestInvalidJSON.
		if !json.Valid(body) || !bytes.HasPrefix(bytes.TrimLeft(body, " \t\r\n"), []byte("{")) {
			return
		}
		s := &gemini.Settings{}
		if withSafety {
			s.SafetySettings = safety
		}
		m := gemini.ParseModel(model)
		for _, method := range []string{"generateContent", "countTokens"} {
			out, err := gemini.PrepareRequest(bytes.Clone(body), method, m, s)
			if err != nil {
				continue
			}
			if !json.Valid(out) {
				t.Fatalf("%s %q: output is not JSON: %q", method, body, out)
			}
			var v map[string]json.RawMessage
			if json.Unmarshal(out, &v) != nil {
				t.Fatalf("output is not an object: %q", out)
			}
			if method == "generateContent" && withSafety {
				_, a := v["safetySettings"]
				_, b := v["safety_settings"]
				if !a && !b {
					t.Fatalf("no safety settings in %q", out)
				}
			}
		}
	})
}

// TestPrepareRequestInvalidJSON: PrepareRequest is exported and reports
// invalid JSON as an error on the suffix path; it must not panic on the
// SAFETY_SETTINGS path either. (Found by FuzzPrepareRequest.)
func TestPrepareRequestInvalidJSON(t *testing.T) {
	s := &gemini.Settings{SafetySettings: safety}
	for _, in := range []string{"}", " }", "", "[]", "x"} {
		for _, model := range []string{"gemini-2.5-flash", "gemini-2.5-flash-search"} {
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Errorf("PrepareRequest(%q, model %q) panicked: %v", in, model, r)
					}
				}()
				_, _ = gemini.PrepareRequest([]byte(in), "generateContent", gemini.ParseModel(model), s)
			}()
		}
	}
}

func TestModelPolicyParse(t *testing.T) {
	p := &gemini.ModelPolicy{Search: []string{"gemini-2.5-flash"}, Image: []string{"gemini-2.0-flash"}, Thinking: []string{"gemini-3-pro-preview"}}
	tests := []struct {
		in   string
		want gemini.ModelName
	}{
		{"models/gemini-2.5-flash-search", gemini.ModelName{Requested: "gemini-2.5-flash-search", Upstream: "gemini-2.5-flash", Search: true}},
		{"gemini-2.5-flash-image", gemini.ModelName{Requested: "gemini-2.5-flash-image", Upstream: "gemini-2.5-flash-image"}},
		{"gemini-2.0-flash-image", gemini.ModelName{Requested: "gemini-2.0-flash-image", Upstream: "gemini-2.0-flash", Image: true}},
		{"gemini-3-pro-preview-non-thinking", gemini.ModelName{Requested: "gemini-3-pro-preview-non-thinking", Upstream: "gemini-3-pro-preview", NonThinking: true}},
		{"gemini-2.5-pro-search", gemini.ModelName{Requested: "gemini-2.5-pro-search", Upstream: "gemini-2.5-pro-search"}},
	}
	for _, tc := range tests {
		got := p.Parse(tc.in)
		assert.Equal(t, tc.want, got, tc.in)
		assert.NoError(t, p.Allowed(got), tc.in)
	}
	assert.Equal(t, map[string]any{"thinkingLevel": "LOW"}, gemini.NonThinkingConfig("gemini-3-pro-preview"))
	assert.Equal(t, map[string]any{"thinkingLevel": "MINIMAL"}, gemini.NonThinkingConfig("gemini-3-flash"))
	assert.Equal(t, map[string]any{"thinkingBudget": 128}, gemini.NonThinkingConfig("gemini-2.5-pro"))
	assert.Equal(t, map[string]any{"thinkingBudget": 0}, gemini.NonThinkingConfig("gemini-2.5-flash"))
}
