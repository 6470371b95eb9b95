package app_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/geminibalance/gb/gemini/geminitest"
	"github.com/geminibalance/gb/internal/config"
	"github.com/geminibalance/gb/internal/logx"
	"github.com/geminibalance/gb/storage"
)

func logxLogger(w io.Writer) *slog.Logger {
	lv := new(slog.LevelVar)
	lv.Set(slog.LevelDebug)
	return logx.New(w, lv, false)
}

const (
	flashGen    = "/v1beta/models/gemini-2.5-flash:generateContent"
	flashStream = "/v1beta/models/gemini-2.5-flash:streamGenerateContent"
)

// ---- 2. Raw HTTP: authentication, stream forms ----

func TestAuth(t *testing.T) {
	gw := newGateway(t)
	tests := []struct {
		name    string
		path    string
		headers []string
		want    int
	}{
		{"query key", flashGen + "?key=" + token, []string{"-auth", ""}, 200},
		{"x-goog-api-key", flashGen, []string{"x-goog-api-key", token}, 200},
		{"bearer", flashGen, []string{"Authorization", "Bearer " + token}, 200},
		{"bearer lower case", flashGen, []string{"Authorization", "bearer " + token}, 200},
		{"missing", flashGen, []string{"-auth", ""}, 401},
		{"wrong header", flashGen, []string{"x-goog-api-key", "nope"}, 401},
		{"wrong query", flashGen + "?key=nope", []string{"-auth", ""}, 401},
		{"wrong bearer", flashGen, []string{"Authorization", "Bearer nope"}, 401},
		{"a pooled key is not a client token", flashGen, []string{"x-goog-api-key", keyA}, 401},
		{"models list missing token", "/v1beta/models", []string{"-auth", ""}, 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			method := http.MethodPost
			body := hello
			if !strings.Contains(tc.path, ":") {
				method, body = http.MethodGet, ""
			}
			r := gw.call(t, method, tc.path, body, tc.headers...)
			if tc.want == 200 {
				require.Equal(t, 200, r.Status, "body: %s", r.Body)
				if method == http.MethodPost {
					assert.Contains(t, respText(t, r.Body), "Simulated answer")
				}
				return
			}
			requireGoogleError(t, r, 401, "UNAUTHENTICATED")
		})
	}
	// Refused requests never reach the upstream.
	for _, rec := range gw.Sim.Requests() {
		assert.NotEqual(t, "nope", rec.Key)
	}
}

func TestStreamJSONArrayForm(t *testing.T) {
	gw := newGateway(t, withSim(geminitest.Options{StreamEvents: 4}))
	r := gw.post(t, flashStream, hello)
	require.Equal(t, 200, r.Status, "body: %s", r.Body)
	assert.Contains(t, r.Header.Get("Content-Type"), "application/json")
	var arr []geminitest.GenerateResponse
	require.NoError(t, json.Unmarshal(r.Body, &arr), "body: %s", r.Body)
	require.Len(t, arr, 4)
	var text strings.Builder
	for i := range arr {
		text.WriteString(textOf(&arr[i]))
	}
	full := gw.post(t, flashGen, hello)
	require.Equal(t, 200, full.Status)
	assert.Equal(t, respText(t, full.Body), text.String())
	// Upstream was always asked for SSE.
	for _, rec := range gw.Sim.Requests() {
		if rec.APIMethod == "streamGenerateContent" {
			q, _ := url.ParseQuery(rec.RawQuery)
			assert.Equal(t, "sse", q.Get("alt"))
		}
	}
}

func TestStreamSSEForm(t *testing.T) {
	gw := newGateway(t, withSim(geminitest.Options{StreamEvents: 3}))
	r := gw.post(t, flashStream+"?alt=sse", hello)
	require.Equal(t, 200, r.Status, "body: %s", r.Body)
	assert.Contains(t, r.Header.Get("Content-Type"), "text/event-stream")
	assert.True(t, bytes.HasPrefix(r.Body, []byte("data: ")), "body: %q", r.Body)
	evs := sseEvents(t, r.Body)
	require.Len(t, evs, 3)
	var text strings.Builder
	for _, d := range evs {
		text.WriteString(respText(t, []byte(d)))
	}
	full := gw.post(t, flashGen, hello)
	assert.Equal(t, respText(t, full.Body), text.String())
}

func TestRoutesAndHealth(t *testing.T) {
	gw := newGateway(t)
	r := gw.call(t, http.MethodGet, "/health", "", "-auth", "")
	assert.Equal(t, 200, r.Status)
	r = gw.call(t, http.MethodGet, "/ready", "", "-auth", "")
	assert.Equal(t, 200, r.Status, "body: %s", r.Body)
	for _, p := range []string{
		"/v1beta/models/gemini-2.5-flash:generateContent",
		"/gemini/v1beta/models/gemini-2.5-flash:generateContent",
		"/v1/models/gemini-2.5-flash:generateContent",
		"/gemini/v1/models/gemini-2.5-flash:generateContent",
	} {
		r := gw.post(t, p, hello)
		assert.Equal(t, 200, r.Status, "%s: %s", p, r.Body)
	}
	var versions []string
	for _, rec := range gw.Sim.Requests() {
		versions = append(versions, rec.Version)
	}
	assert.Equal(t, []string{"v1beta", "v1beta", "v1", "v1"}, versions)
}

// ---- 3. Faithful pass-through ----

func TestPassThroughBytes(t *testing.T) {
	safety := `[{"category":"HARM_CATEGORY_HARASSMENT","threshold":"OFF"}]`
	gw := newGateway(t, withConfig(func(c *config.Config) {
		c.SafetySettings = []config.SafetySetting{{Category: "HARM_CATEGORY_HATE_SPEECH", Threshold: "BLOCK_NONE"}}
	}))
	base := `{
  "contents": [
    {"role": "user", "parts": [{"text": "call the tool"}]},
    {"role": "model", "parts": [{"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}, "thoughtSignature": "c2lnbmF0dXJlLWJ5dGVz"}]},
    {"role": "user", "parts": [{"functionResponse": {"name": "get_weather", "response": {"temp": 21}}}]}
  ],
  "tools": [{"functionDeclarations": [{"name": "get_weather", "parameters": {"type": "OBJECT", "properties": {"city": {"type": "STRING"}}}}]}],
  "toolConfig": {"functionCallingConfig": {"mode": "AUTO"}},
  "cachedContent": "cachedContents/abc123",
  "someFutureField": {"x": [1, 2.50, "\u00e9"]}
}`
	t.Run("safety appended when absent", func(t *testing.T) {
		gw.Sim.Reset()
		gw.post(t, flashGen, base) // the simulator rejects the unknown field: irrelevant here
		reqs := gw.Sim.Requests()
		require.Len(t, reqs, 1)
		got := reqs[0].Body
		// The upstream body is the client's with one member appended.
		trimmed := strings.TrimRight(base, " \n")
		prefix := strings.TrimRight(strings.TrimSuffix(trimmed, "}"), " \r\n\t")
		require.True(t, bytes.HasPrefix(got, []byte(prefix)), "upstream body:\n%s", got)
		rest := strings.TrimPrefix(string(got), prefix)
		assert.Equal(t, `,"safetySettings":[{"category":"HARM_CATEGORY_HATE_SPEECH","threshold":"BLOCK_NONE"}]}`, rest)
		var m map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(got, &m), "%s", got)
		assert.JSONEq(t, `[{"category":"HARM_CATEGORY_HATE_SPEECH","threshold":"BLOCK_NONE"}]`, string(m["safetySettings"]))
		var orig map[string]json.RawMessage
		require.NoError(t, json.Unmarshal([]byte(base), &orig))
		for k, v := range orig {
			assert.Equal(t, string(v), string(m[k]), "member %s changed", k)
		}
		assert.Len(t, m, len(orig)+1)
		assert.Contains(t, string(got), `"thoughtSignature": "c2lnbmF0dXJlLWJ5dGVz"`)
	})
	t.Run("own safety settings: byte-identical", func(t *testing.T) {
		gw.Sim.Reset()
		body := strings.Replace(base, `"cachedContent"`, `"safetySettings": `+safety+`, "cachedContent"`, 1)
		gw.post(t, flashGen, body)
		reqs := gw.Sim.Requests()
		require.Len(t, reqs, 1)
		assert.Equal(t, body, string(reqs[0].Body))
	})
	t.Run("countTokens untouched", func(t *testing.T) {
		gw.Sim.Reset()
		body := `{"contents":[{"parts":[{"text":"one two three"}]}]}`
		r := gw.post(t, "/v1beta/models/gemini-2.5-flash:countTokens", body)
		require.Equal(t, 200, r.Status, "%s", r.Body)
		require.Len(t, gw.Sim.Requests(), 1)
		assert.Equal(t, body, string(gw.Sim.Requests()[0].Body))
	})
	t.Run("key in header, not in URL", func(t *testing.T) {
		gw.Sim.Reset()
		r := gw.post(t, flashGen+"?key="+token+"&foo=bar", hello, "-auth", "")
		require.Equal(t, 200, r.Status, "%s", r.Body)
		reqs := gw.Sim.Requests()
		require.Len(t, reqs, 1)
		rec := reqs[0]
		assert.Contains(t, []string{keyA, keyB, keyC}, rec.Header.Get("x-goog-api-key"))
		q, err := url.ParseQuery(rec.RawQuery)
		require.NoError(t, err)
		assert.Empty(t, q.Get("key"), "key in upstream query: %q", rec.RawQuery)
		assert.NotContains(t, rec.RawQuery, token)
		assert.NotContains(t, rec.RawQuery, "AIza")
		assert.Equal(t, "bar", q.Get("foo"), "other query parameters are forwarded")
		assert.Empty(t, rec.Header.Get("Authorization"))
	})
	t.Run("client token headers not forwarded", func(t *testing.T) {
		gw.Sim.Reset()
		r := gw.post(t, flashGen, hello, "Authorization", "Bearer "+token)
		require.Equal(t, 200, r.Status, "%s", r.Body)
		rec := gw.Sim.Requests()[0]
		assert.Empty(t, rec.Header.Get("Authorization"))
		assert.NotEqual(t, token, rec.Key)
	})
	t.Run("unary answer byte for byte", func(t *testing.T) {
		gw.Sim.Reset()
		body := `{"contents":[{"parts":[{"text":"deterministic please"}]}],"safetySettings":[]}`
		r := gw.post(t, flashGen, body)
		require.Equal(t, 200, r.Status)
		// Same request straight to the simulator with the same key.
		key := gw.Sim.Requests()[0].Key
		req, _ := http.NewRequest(http.MethodPost, gw.Sim.URL+flashGen, strings.NewReader(body))
		req.Header.Set("x-goog-api-key", key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var direct bytes.Buffer
		_, _ = direct.ReadFrom(resp.Body)
		// responseId depends on the simulator's sequence number; compare the rest.
		strip := func(b []byte) map[string]any {
			var m map[string]any
			require.NoError(t, json.Unmarshal(b, &m))
			delete(m, "responseId")
			return m
		}
		assert.Equal(t, strip(direct.Bytes()), strip(r.Body))
		assert.Equal(t, len(direct.Bytes()), len(r.Body), "pretty-printing kept")
	})
}

// ---- 4. Health model ----

func TestRoundRobinEven(t *testing.T) {
	keys := []string{keyA, keyB, keyC, keyD}
	gw := newGateway(t, withKeys(keys...))
	const perKey = 5
	for i := 0; i < perKey*len(keys); i++ {
		r := gw.post(t, flashGen, hello)
		require.Equal(t, 200, r.Status, "%s", r.Body)
	}
	for _, k := range keys {
		assert.Equal(t, perKey, gw.Sim.Calls(k), "calls for %s", k)
	}
}

func TestInvalidKeyBenchedAtOnce(t *testing.T) {
	for _, kind := range []geminitest.BehaviorKind{geminitest.Invalid, geminitest.Suspended} {
		t.Run(kind.String(), func(t *testing.T) {
			gw := newGateway(t, withKeys(keyA, keyB, keyC), withBehavior(keyA, geminitest.Behavior{Kind: kind}))
			require.Equal(t, []string{keyA, keyB, keyC}, gw.App.Pool.Keys())
			for i := 0; i < 6; i++ {
				r := gw.post(t, flashGen, hello)
				require.Equal(t, 200, r.Status, "%s", r.Body)
			}
			assert.Equal(t, 1, gw.Sim.Calls(keyA))
			st, ok := gw.App.Pool.Status(keyA)
			require.True(t, ok)
			assert.True(t, st.State.Benched)
			assert.NotEmpty(t, st.State.BenchReason)
			usable, benched, _ := gw.App.Pool.Counts("gemini-2.5-flash")
			assert.Equal(t, 2, usable)
			assert.Equal(t, 1, benched)
		})
	}
}

func TestFlakyKeyBenchedAfterMaxFailures(t *testing.T) {
	gw := newGateway(t, withKeys(keyA, keyB),
		withBehavior(keyA, geminitest.Behavior{Kind: geminitest.Flaky, Status: 503}),
		withConfig(func(c *config.Config) { c.MaxFailures = 2 }))
	for i := 0; i < 10; i++ {
		r := gw.post(t, flashGen, hello)
		require.Equal(t, 200, r.Status, "request %d: %s", i, r.Body)
	}
	st, _ := gw.App.Pool.Status(keyA)
	assert.True(t, st.State.Benched)
	assert.Equal(t, 2, gw.Sim.Calls(keyA), "benched after exactly MaxFailures failures")
	assert.Equal(t, 2, st.State.Failures)
	require.NotNil(t, st.State.LastError)
	assert.Equal(t, 503, st.State.LastError.Status)
	stB, _ := gw.App.Pool.Status(keyB)
	assert.False(t, stB.State.Benched)
	assert.Zero(t, stB.State.Failures)
}

func TestSuccessResetsFailures(t *testing.T) {
	gw := newGateway(t, withKeys(keyA),
		withBehavior(keyA, geminitest.Behavior{Kind: geminitest.Flaky, Status: 500, FailTimes: 2}),
		withConfig(func(c *config.Config) { c.MaxFailures = 5; c.MaxRetries = 0 }))
	for i := 1; i <= 2; i++ {
		r := gw.post(t, flashGen, hello)
		e := requireGoogleError(t, r, 500, "INTERNAL") // transient upstream error passes through
		_ = e
		st, _ := gw.App.Pool.Status(keyA)
		assert.Equal(t, i, st.State.Failures)
	}
	r := gw.post(t, flashGen, hello)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	st, _ := gw.App.Pool.Status(keyA)
	assert.Zero(t, st.State.Failures)
	assert.False(t, st.State.Benched)
}

func TestQuotaCoolsOneModelOnly(t *testing.T) {
	gw := newGateway(t, withKeys(keyA, keyB),
		withBehavior(keyA, geminitest.Behavior{Kind: geminitest.Quota, RetryDelay: 40 * time.Second, Models: []string{"gemini-2.5-flash"}}))
	before := time.Now()
	for i := 0; i < 4; i++ {
		r := gw.post(t, flashGen, hello)
		require.Equal(t, 200, r.Status, "%s", r.Body)
	}
	assert.Equal(t, 1, simModelCalls(gw.Sim, keyA, "gemini-2.5-flash"), "cooling key not used again for the model")
	st, _ := gw.App.Pool.Status(keyA)
	assert.False(t, st.State.Benched)
	assert.Zero(t, st.State.Failures, "quota is not a failure")
	ms, ok := st.State.Models["gemini-2.5-flash"]
	require.True(t, ok, "state: %+v", st.State)
	assert.True(t, ms.Until.After(before.Add(30*time.Second)), "until %v", ms.Until)
	assert.True(t, ms.Until.Before(time.Now().Add(41*time.Second)), "until %v", ms.Until)
	_, _, cooling := gw.App.Pool.Counts("gemini-2.5-flash")
	assert.Equal(t, 1, cooling)

	// Another model still uses the key.
	for i := 0; i < 4; i++ {
		r := gw.post(t, "/v1beta/models/gemini-2.0-flash:generateContent", hello)
		require.Equal(t, 200, r.Status, "%s", r.Body)
	}
	assert.Equal(t, 2, simModelCalls(gw.Sim, keyA, "gemini-2.0-flash"))
	assert.Equal(t, 2, simModelCalls(gw.Sim, keyB, "gemini-2.0-flash"))
}

func TestClientErrorNotRetriedNorCounted(t *testing.T) {
	bodies := map[string]string{
		"empty contents":    `{"contents": []}`,
		"contents not list": `{"contents": "notalist"}`,
		"unknown field":     `{"contents":[{"parts":[{"text":"hi"}]}],"bogus":1}`,
		"bad role":          `{"contents":[{"role":"robot","parts":[{"text":"hi"}]}]}`,
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			gw := newGateway(t)
			r := gw.post(t, flashGen, body)
			e := requireGoogleError(t, r, 400, "INVALID_ARGUMENT")
			assert.NotContains(t, e.Error.Message, "no working API key")
			require.Len(t, gw.Sim.Requests(), 1, "not retried")
			for _, k := range []string{keyA, keyB, keyC} {
				st, _ := gw.App.Pool.Status(k)
				assert.Zero(t, st.State.Failures)
				assert.False(t, st.State.Benched)
			}
		})
	}
}

func TestAllKeysFailing(t *testing.T) {
	t.Run("all cooling: 429 with RetryInfo and Retry-After", func(t *testing.T) {
		q := geminitest.Behavior{Kind: geminitest.Quota, RetryDelay: 20 * time.Second}
		gw := newGateway(t, withKeys(keyA, keyB), withBehavior(keyA, q), withBehavior(keyB, q))
		// First request: each key answers 429; the last answer passes through.
		r := gw.post(t, flashGen, hello)
		e := requireGoogleError(t, r, 429, "RESOURCE_EXHAUSTED")
		assert.Equal(t, "20", r.Header.Get("Retry-After"))
		assert.NotEmpty(t, e.Error.Details)
		assert.Equal(t, 2, len(gw.Sim.Requests()))
		// Second request: no key usable, answered without any upstream call.
		r = gw.post(t, flashGen, hello)
		e = requireGoogleError(t, r, 429, "RESOURCE_EXHAUSTED")
		assert.Equal(t, 2, len(gw.Sim.Requests()), "no upstream call")
		ra := r.Header.Get("Retry-After")
		require.NotEmpty(t, ra)
		var found bool
		for _, d := range e.Error.Details {
			if d["@type"] == "type.googleapis.com/google.rpc.RetryInfo" {
				found = true
				assert.Equal(t, ra+"s", d["retryDelay"])
			}
		}
		assert.True(t, found, "RetryInfo detail: %s", r.Body)
	})
	t.Run("all invalid: 503", func(t *testing.T) {
		inv := geminitest.Behavior{Kind: geminitest.Invalid}
		gw := newGateway(t, withKeys(keyA, keyB), withBehavior(keyA, inv), withBehavior(keyB, inv))
		r := gw.post(t, flashGen, hello)
		requireGoogleError(t, r, 503, "UNAVAILABLE")
		r = gw.post(t, flashGen, hello)
		requireGoogleError(t, r, 503, "UNAVAILABLE")
		assert.Equal(t, 2, len(gw.Sim.Requests()))
		r = gw.call(t, http.MethodGet, "/ready", "", "-auth", "")
		assert.Contains(t, string(r.Body), `"benched":2`)
	})
	t.Run("all flaky: transient error after 1+MaxRetries attempts", func(t *testing.T) {
		f := geminitest.Behavior{Kind: geminitest.Flaky, Status: 503}
		keys := []string{keyA, keyB, keyC, keyD}
		gw := newGateway(t, withKeys(keys...), withBehavior(keyA, f), withBehavior(keyB, f), withBehavior(keyC, f), withBehavior(keyD, f),
			withConfig(func(c *config.Config) { c.MaxRetries = 2; c.MaxFailures = 10 }))
		r := gw.post(t, flashGen, hello)
		requireGoogleError(t, r, 503, "UNAVAILABLE")
		reqs := gw.Sim.Requests()
		require.Len(t, reqs, 3)
		seen := map[string]bool{}
		for _, rec := range reqs {
			assert.False(t, seen[rec.Key], "each attempt on a different key")
			seen[rec.Key] = true
		}
	})
	t.Run("no keys at all: 503", func(t *testing.T) {
		gw := newGateway(t, withKeys())
		r := gw.post(t, flashGen, hello)
		requireGoogleError(t, r, 503, "UNAVAILABLE")
		r = gw.call(t, http.MethodGet, "/ready", "", "-auth", "")
		assert.Equal(t, 503, r.Status)
	})
}

// ---- 6. Bad input ----

func TestBadInput(t *testing.T) {
	gw := newGateway(t, withConfig(func(c *config.Config) { c.MaxBodyBytes = 512 }))
	big := `{"contents":[{"parts":[{"text":"` + strings.Repeat("x", 2048) + `"}]}]}`
	tests := []struct {
		name, method, path, body string
		headers                  []string
		code                     int
		status                   string
		upstream                 int // requests the simulator must receive
	}{
		{"malformed JSON", "POST", flashGen, `{"contents": [`, nil, 400, "INVALID_ARGUMENT", 0},
		{"top-level array", "POST", flashGen, `[1,2]`, nil, 400, "INVALID_ARGUMENT", 0},
		{"empty body", "POST", flashGen, "", nil, 400, "INVALID_ARGUMENT", 0},
		{"blank body", "POST", flashGen, "  \n", nil, 400, "INVALID_ARGUMENT", 0},
		{"multipart", "POST", flashGen, hello, []string{"Content-Type", "multipart/form-data; boundary=x"}, 415, "", 0},
		{"unknown route", "GET", "/nowhere", "", nil, 404, "NOT_FOUND", 0},
		{"unknown native route", "GET", "/v1beta/files", "", nil, 404, "NOT_FOUND", 0},
		{"unknown method", "POST", "/v1beta/models/gemini-2.5-flash:fooBar", hello, nil, 404, "NOT_FOUND", 0},
		{"GET on POST route", "GET", flashGen, "", nil, 405, "", 0},
		{"POST on model list", "POST", "/v1beta/models", hello, nil, 405, "", 0},
		{"unknown model", "POST", "/v1beta/models/no-such-model:generateContent", hello, nil, 404, "NOT_FOUND", 1},
		{"filtered model", "POST", "/v1beta/models/gemini-pro-vision:generateContent", hello, nil, 400, "INVALID_ARGUMENT", 0},
		// A suffix on a model not listed for it is no suffix: the name goes
		// upstream whole, and Google does not know it.
		{"suffix not enabled", "POST", "/v1beta/models/gemini-2.0-flash-search:generateContent", hello, nil, 404, "NOT_FOUND", 1},
		{"oversized body", "POST", flashGen, big, nil, 413, "", 0},
		{"unknown model get", "GET", "/v1beta/models/no-such-model", "", nil, 404, "NOT_FOUND", -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			gw.Sim.Reset()
			r := gw.call(t, tc.method, tc.path, tc.body, tc.headers...)
			requireGoogleError(t, r, tc.code, tc.status)
			if tc.upstream >= 0 {
				n := 0
				for _, rec := range gw.Sim.Requests() {
					if rec.APIMethod != "listModels" {
						n++
					}
				}
				assert.Equal(t, tc.upstream, n)
			}
		})
	}
	// Keys were not blamed for any of this.
	for _, k := range []string{keyA, keyB, keyC} {
		st, _ := gw.App.Pool.Status(k)
		assert.Zero(t, st.State.Failures)
		assert.False(t, st.State.Benched)
	}
}

// ---- 7. No key in any answer or log line ----

func TestNoKeyLeaks(t *testing.T) {
	keys := []string{keyA, keyB, keyC, keyD}
	for _, logger := range []string{"slog", "logx"} {
		t.Run(logger, func(t *testing.T) {
			opts := []gwOption{withKeys(keys...),
				withBehavior(keyA, geminitest.Behavior{Kind: geminitest.Invalid}),
				withBehavior(keyB, geminitest.Behavior{Kind: geminitest.Suspended}),
				withBehavior(keyC, geminitest.Behavior{Kind: geminitest.Quota, RetryDelay: 5 * time.Second, Models: []string{"gemini-2.5-pro"}}),
				withConfig(func(c *config.Config) { c.MaxRetries = 0; c.ErrorLogRecordRequestBody = true }),
			}
			if logger == "logx" {
				opts = append(opts, withLogger(logxLogger))
			}
			gw := newGateway(t, opts...)
			var answers []reply
			for i := 0; i < 4; i++ {
				answers = append(answers,
					gw.post(t, flashGen, hello),
					gw.post(t, "/v1beta/models/gemini-2.5-pro:generateContent", hello),
					gw.post(t, flashStream+"?alt=sse", hello),
					gw.post(t, flashStream, hello),
					gw.post(t, "/v1beta/models/gemini-2.5-flash:countTokens", hello),
					gw.call(t, http.MethodGet, "/v1beta/models", ""),
					gw.call(t, http.MethodGet, "/v1/models", "", "Authorization", "Bearer "+token),
					gw.post(t, "/v1beta/models/no-such:generateContent", hello),
				)
			}
			// The suspended key's answer really did carry the key upstream.
			var sawSuspended bool
			for _, rec := range gw.Sim.Requests() {
				if rec.Key == keyB {
					sawSuspended = true
				}
			}
			require.True(t, sawSuspended, "the suspended key was never tried")
			var sawError bool
			for _, a := range answers {
				if a.Status >= 400 {
					sawError = true
				}
				for _, k := range keys {
					assert.NotContains(t, string(a.Body), k)
					for name, vs := range a.Header {
						for _, v := range vs {
							assert.NotContains(t, v, k, "header %s", name)
						}
					}
				}
			}
			assert.True(t, sawError, "some answers should have been errors")
			// Flush logs, then look at the log output and the stored error logs.
			ctx := t.Context()
			require.NoError(t, gw.App.Logs.Close(ctx))
			logs := gw.Log.String()
			require.NotEmpty(t, logs)
			for _, k := range keys {
				assert.NotContains(t, logs, k)
			}
			els, _, err := gw.App.Store.ListErrorLogs(ctx, storage.ErrorLogFilter{Limit: 1000})
			require.NoError(t, err)
			{
				require.NotEmpty(t, els)
				for _, el := range els {
					for _, k := range keys {
						assert.NotContains(t, el.Message, k)
						assert.NotContains(t, string(el.RequestBody), k)
					}
				}
			}
		})
	}
}
