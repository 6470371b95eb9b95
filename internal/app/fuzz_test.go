package app_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/geminibalance/gb/gemini/geminitest"
	"github.com/geminibalance/gb/internal/config"
)

// FuzzNativeRequest posts arbitrary methods, paths, content types and
// bodies to the gateway in process. The gateway must never panic, never
// answer 500 itself, and answer every error with JSON.
func FuzzNativeRequest(f *testing.F) {
	gw := newGateway(f, withSim(geminitest.Options{AcceptAnyKey: true}),
		withConfig(func(c *config.Config) { c.MaxBodyBytes = 1 << 16; c.MaxRetries = 1 }))
	h := gw.App.Handler()

	f.Add("POST", flashGen, "application/json", hello)
	f.Add("POST", flashStream+"?alt=sse", "application/json", hello)
	f.Add("POST", flashStream, "", hello)
	f.Add("POST", "/v1beta/models/gemini-2.5-flash:countTokens", "application/json", hello)
	f.Add("POST", "/v1beta/models/gemini-embedding-001:embedContent", "application/json", `{"content":{"parts":[{"text":"x"}]}}`)
	f.Add("POST", "/v1beta/models/gemini-embedding-001:batchEmbedContents", "application/json", `{"requests":[]}`)
	f.Add("GET", "/v1beta/models", "", "")
	f.Add("GET", "/v1/models/gemini-2.5-flash", "", "")
	f.Add("POST", "/gemini/v1/models/gemini-2.5-flash-search:generateContent", "text/plain", hello)
	f.Add("POST", "/v1beta/models/x:y:generateContent", "application/json", `{"contents":"x"}`)
	f.Add("PUT", "/v1beta/models/gemini-2.5-flash", "application/json", "{}")
	f.Add("POST", flashGen, "application/json", `{"contents": [`)
	f.Add("POST", flashGen, "application/json; charset=\"", `[]`)
	f.Add("DELETE", "/v1/models/foo", "", "")
	f.Add("POST", "/v1beta/models/gemini-2.5-flash-non-thinking-image-search:generateContent", "application/json", `{"generationConfig":null,"tools":{}}`)

	f.Fuzz(func(t *testing.T, method, path, ctype, body string) {
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		req, err := http.NewRequest(method, "http://gateway.test"+path, strings.NewReader(body))
		if err != nil {
			t.Skip()
		}
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		req.Header.Set("x-goog-api-key", token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		code := rec.Code
		if code == http.StatusInternalServerError {
			t.Fatalf("500 for %s %q (%q, %q): %s", method, path, ctype, body, rec.Body.Bytes())
		}
		if code >= 400 {
			b := bytes.TrimSpace(rec.Body.Bytes())
			if !json.Valid(b) {
				t.Fatalf("%d answer is not JSON for %s %q: %q", code, method, path, b)
			}
			if !strings.Contains(rec.Header().Get("Content-Type"), "json") {
				t.Fatalf("%d answer has Content-Type %q for %s %q", code, rec.Header().Get("Content-Type"), method, path)
			}
		}
	})
}
