package geminitest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// post sends body to s.URL+path with the key in x-goog-api-key (if any).
func post(t *testing.T, s *Server, path, key, body string) (*http.Response, []byte) {
	t.Helper()
	return do(t, s, http.MethodPost, path, key, body)
}

func do(t *testing.T, s *Server, method, path, key, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("x-goog-api-key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, b
}

// decodeError parses a {"error": ...} body generically.
func decodeError(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m struct {
		Error map[string]any `json:"error"`
	}
	require.NoError(t, json.Unmarshal(b, &m), "body: %s", b)
	require.NotNil(t, m.Error, "body: %s", b)
	return m.Error
}

// detail returns the first detail of the given google.rpc type.
func detail(e map[string]any, typ string) map[string]any {
	ds, _ := e["details"].([]any)
	for _, d := range ds {
		m, _ := d.(map[string]any)
		if m["@type"] == "type.googleapis.com/google.rpc."+typ {
			return m
		}
	}
	return nil
}

func textOf(r *GenerateResponse) string {
	var sb strings.Builder
	for _, c := range r.Candidates {
		if c.Content == nil {
			continue
		}
		for _, p := range c.Content.Parts {
			if !p.Thought {
				sb.WriteString(p.Text)
			}
		}
	}
	return sb.String()
}

const hello = `{"contents": [{"role": "user", "parts": [{"text": "Hello there, how are you today?"}]}]}`
const flashGen = "/v1beta/models/gemini-2.5-flash:generateContent"
const flashSSE = "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
