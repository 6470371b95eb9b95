package openai_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/geminibalance/gb/balancer"
	"github.com/geminibalance/gb/openai"
)

var chatSeeds = []string{
	`{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"hi"}]}`,
	`{"model":"gemini-2.5-flash","messages":[{"role":"system","content":"s"},{"role":"user","content":[{"type":"text","text":"a"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]}],"stream":true,"stream_options":{"include_usage":true}}`,
	`{"model":"gemini-3-pro-preview","messages":[{"role":"user","content":"hi"},{"role":"assistant","content":null,"tool_calls":[{"id":"call_gx_AQID","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"call_gx_AQID","content":"{\"a\":1}"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"a":{"$ref":"#/$defs/A"}},"$defs":{"A":{"type":["string","null"]}}}}}],"tool_choice":"required"}`,
	`{"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_schema","json_schema":{"name":"n","schema":{"type":"object","properties":{"a":{"anyOf":[{"type":"string"},{"type":"null"}]}}}}},"stop":["a","b"],"n":2,"reasoning_effort":"low"}`,
	`{"model":"m","messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"AAAA","format":"wav"}},{"type":"file","file":{"file_data":"data:application/pdf;base64,AAAA"}}]}]}`,
	`{"model":"m","messages":[{"role":"robot"}]}`,
	`[]`, `{`, `null`, `{"model":1}`,
}

func FuzzParseChatRequest(f *testing.F) {
	for _, s := range chatSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := openai.ParseChatRequest(body)
		if err != nil {
			var e *openai.Error
			if !errors.As(err, &e) || e.Status != 400 || e.Type != openai.TypeInvalidRequest {
				t.Fatalf("error is not a 400 *Error: %#v", err)
			}
			return
		}
		if req.Model == "" || len(req.Messages) == 0 {
			t.Fatal("accepted a request without model or messages")
		}
	})
}

func FuzzToGemini(f *testing.F) {
	for _, s := range chatSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := openai.ParseChatRequest(body)
		if err != nil {
			return
		}
		_, out, err := openai.ToGemini(context.Background(), req, &openai.Options{ShowThinking: true})
		if err != nil {
			var e *openai.Error
			if !errors.As(err, &e) || e.Status != 400 || e.Param == nil {
				t.Fatalf("error is not a 400 *Error naming a field: %#v", err)
			}
			return
		}
		if !json.Valid(out) {
			t.Fatalf("invalid JSON: %s", out)
		}
	})
}

func FuzzStreamTranslator(f *testing.F) {
	for _, s := range []string{
		`{"candidates":[{"content":{"parts":[{"text":"a"},{"text":"b","thought":true},{"functionCall":{"name":"f","args":{"x":[1]}},"thoughtSignature":"AQID"}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":1}}`,
		`{"promptFeedback":{"blockReason":"SAFETY"}}`,
		`{"error":{"code":500}}`,
		`{"candidates":[null,{"index":3,"content":null}]}`,
		`{"candidates":[{"content":{"parts":[{"inlineData":{"mimeType":"image/png","data":"AA=="}},{"text":"\u2028\u0000\ud800"}]}}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tr := openai.NewStreamTranslator("id", "m", 1, &openai.Options{ShowThinking: true})
		tr.IncludeUsage = true
		chunks, _ := tr.Event(data)
		chunks = append(chunks, tr.Finish()...)
		for _, c := range chunks {
			if !json.Valid(c) {
				t.Fatalf("invalid chunk %q", c)
			}
		}
	})
}

func TestFromPipelineError(t *testing.T) {
	quota := []byte(`{"error":{"code":429,"message":"You exceeded your current quota","status":"RESOURCE_EXHAUSTED"}}`)
	bad := []byte(`{"error":{"code":400,"message":"Invalid JSON payload received. Unknown name \"x\"","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.BadRequest","fieldViolations":[{"field":"tools[0]"}]}]}}`)
	tests := []struct {
		name   string
		err    error
		status int
		typ    string
		code   string
	}{
		{"quota", &balancer.UpstreamError{Status: 429, Body: quota, Verdict: balancer.Verdict{Class: balancer.Quota, RetryAfter: 26 * time.Second}}, 429, openai.TypeRateLimit, "rate_limit_exceeded"},
		{"client 400", &balancer.UpstreamError{Status: 400, Body: bad, Verdict: balancer.Verdict{Class: balancer.ClientError}}, 400, openai.TypeInvalidRequest, "INVALID_ARGUMENT"},
		{"invalid key", &balancer.UpstreamError{Status: 400, Verdict: balancer.Verdict{Class: balancer.InvalidKey, Reason: "API_KEY_INVALID"}}, 503, openai.TypeServer, "no_available_key"},
		{"5xx", &balancer.UpstreamError{Status: 503, Body: []byte(`{"error":{"code":503,"message":"overloaded"}}`), Verdict: balancer.Verdict{Class: balancer.Transient}}, 503, openai.TypeServer, ""},
		{"no answer", &balancer.UpstreamError{Verdict: balancer.Verdict{Class: balancer.Transient, Reason: "TIMEOUT"}}, 504, openai.TypeServer, "timeout"},
		{"exhausted cooling", &balancer.ExhaustedError{Total: 2, Cooling: 2, RetryAt: time.Now().Add(time.Minute)}, 429, openai.TypeRateLimit, "rate_limit_exceeded"},
		{"exhausted", &balancer.ExhaustedError{Total: 2, Benched: 2}, 503, openai.TypeServer, "no_available_key"},
		{"other", errors.New("boom"), 502, openai.TypeServer, "upstream_error"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := openai.FromPipelineError(tc.err)
			assert.Equal(t, tc.status, e.Status)
			assert.Equal(t, tc.typ, e.Type)
			if tc.code == "" {
				assert.Nil(t, e.Code)
			} else {
				require.NotNil(t, e.Code)
				assert.Equal(t, tc.code, *e.Code)
			}
			rec := httptest.NewRecorder()
			openai.WriteError(rec, tc.err)
			assert.Equal(t, tc.status, rec.Code)
			var body struct {
				Error map[string]any `json:"error"`
			}
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
			for _, k := range []string{"message", "type", "param", "code"} {
				assert.Contains(t, body.Error, k)
			}
			if tc.status == http.StatusTooManyRequests {
				assert.NotEmpty(t, rec.Header().Get("Retry-After"))
			}
		})
	}
	e := openai.FromPipelineError(tests[1].err)
	assert.Equal(t, "tools[0]", *e.Param)
	assert.Contains(t, e.Message, "Unknown name")
}

func TestImageFetcherRefusesLoopback(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write([]byte("\x89PNG\r\n\x1a\n"))
	}))
	defer srv.Close()
	_, _, err := openai.NewImageFetcher(openai.FetchOptions{})(context.Background(), srv.URL+"/a.png")
	require.ErrorIs(t, err, openai.ErrForbiddenAddress)
	mt, data, err := openai.NewImageFetcher(openai.FetchOptions{AllowPrivate: true})(context.Background(), srv.URL+"/a.png")
	require.NoError(t, err)
	assert.Equal(t, "image/png", mt)
	assert.Len(t, data, 8)
	_, _, err = openai.NewImageFetcher(openai.FetchOptions{AllowPrivate: true, MaxBytes: 4})(context.Background(), srv.URL+"/a.png")
	assert.Error(t, err)
}
