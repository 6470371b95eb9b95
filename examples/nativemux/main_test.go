package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/geminibalance/gb/gemini/geminitest"
)

func TestNativeMux(t *testing.T) {
	sim := geminitest.NewServer(geminitest.Options{})
	defer sim.Close()
	sim.SetKey("AIzaSyExample-good", geminitest.Behavior{Kind: geminitest.Valid})
	sim.SetKey("AIzaSyExample-bad", geminitest.Behavior{Kind: geminitest.Invalid})

	mux, pool, err := newMux([]string{"AIzaSyExample-bad", "AIzaSyExample-good"}, sim.URL+"/v1beta")
	require.NoError(t, err)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	call := func(secret string) (int, string) {
		req, _ := http.NewRequest("POST", srv.URL+"/ai/v1beta/models/gemini-2.5-flash:generateContent",
			strings.NewReader(`{"contents":[{"parts":[{"text":"Hello"}]}]}`))
		req.Header.Set("Content-Type", "application/json")
		if secret != "" {
			req.Header.Set("X-Team-Secret", secret)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	code, body := call("s3cret-search")
	assert.Equal(t, 200, code, body)
	assert.Contains(t, body, "Simulated answer")

	code, body = call("wrong")
	assert.Equal(t, 401, code)
	assert.Contains(t, body, `"UNAUTHENTICATED"`)

	st, _ := pool.Status("AIzaSyExample-bad")
	assert.True(t, st.State.Benched, "the invalid key was benched on its first use")

	resp, err := http.Get(srv.URL + "/status")
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, "keys usable=1 benched=1 cooling=0\n", string(b))
}
