package app_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/geminibalance/gb/gemini/geminitest"
	"github.com/geminibalance/gb/internal/app"
	"github.com/geminibalance/gb/internal/config"
	"github.com/geminibalance/gb/storage/memory"
)

// token is the gateway client token every test uses.
const token = "test-token"

// Realistic-looking pooled keys (39 characters, "AIza" prefix), so that
// both the known-key and the pattern redaction paths are exercised.
const (
	keyA = "AIzaSyTestKeyAAAAAAAAAAAAAAAAAAAAAAAAA1"
	keyB = "AIzaSyTestKeyBBBBBBBBBBBBBBBBBBBBBBBBB2"
	keyC = "AIzaSyTestKeyCCCCCCCCCCCCCCCCCCCCCCCCC3"
	keyD = "AIzaSyTestKeyDDDDDDDDDDDDDDDDDDDDDDDDD4"
)

const hello = `{"contents":[{"role":"user","parts":[{"text":"Hello there, how are you today?"}]}]}`

// gateway is a running gb in front of a simulated Gemini API.
type gateway struct {
	URL string
	App *app.App
	Sim *geminitest.Server
	Cfg *config.Config
	Log *syncBuffer
	srv *httptest.Server
}

type gwOptions struct {
	sim       geminitest.Options
	keys      []string
	behaviors map[string]geminitest.Behavior
	cfg       []func(*config.Config)
	logger    func(io.Writer) *slog.Logger
}

type gwOption func(*gwOptions)

// withKeys sets the pool's keys (in rotation order).
func withKeys(keys ...string) gwOption { return func(o *gwOptions) { o.keys = keys } }

// withBehavior gives a pooled key a simulator behaviour.
func withBehavior(key string, b geminitest.Behavior) gwOption {
	return func(o *gwOptions) { o.behaviors[key] = b }
}

// withSim sets the simulator's options.
func withSim(so geminitest.Options) gwOption { return func(o *gwOptions) { o.sim = so } }

// withConfig edits the configuration before the app is built.
func withConfig(f func(*config.Config)) gwOption {
	return func(o *gwOptions) { o.cfg = append(o.cfg, f) }
}

// withLogger replaces the default (plain slog text, unmasked) logger.
func withLogger(f func(io.Writer) *slog.Logger) gwOption {
	return func(o *gwOptions) { o.logger = f }
}

// newGateway starts geminitest, builds the app over a memory store and
// serves it; everything is closed when the test ends.
func newGateway(t testing.TB, opts ...gwOption) *gateway {
	t.Helper()
	o := gwOptions{keys: []string{keyA, keyB, keyC}, behaviors: map[string]geminitest.Behavior{}}
	for _, f := range opts {
		f(&o)
	}
	sim := geminitest.NewServer(o.sim)
	t.Cleanup(sim.Close)
	for _, k := range o.keys {
		b, ok := o.behaviors[k]
		if !ok {
			b = geminitest.Behavior{Kind: geminitest.Valid}
		}
		sim.SetKey(k, b)
	}
	cfg := config.Default()
	cfg.BaseURL = sim.URL + "/v1beta"
	cfg.APIKeys = append([]string(nil), o.keys...)
	cfg.AllowedTokens = []string{token}
	cfg.MaxRetries = 3
	cfg.MaxFailures = 3
	cfg.TimeOut = 30 * time.Second
	for _, f := range o.cfg {
		f(cfg)
	}
	buf := &syncBuffer{}
	var logger *slog.Logger
	if o.logger != nil {
		logger = o.logger(buf)
	} else {
		logger = slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	a, err := app.New(context.Background(), cfg, memory.New(), logger)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := a.Close(ctx); err != nil {
			t.Errorf("closing the app: %v", err)
		}
	})
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	return &gateway{URL: srv.URL, App: a, Sim: sim, Cfg: cfg, Log: buf, srv: srv}
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// reply is a finished HTTP exchange.
type reply struct {
	Status int
	Header http.Header
	Body   []byte
}

// call sends a request to the gateway with the client token in
// x-goog-api-key (unless headers say otherwise) and reads the whole answer.
func (g *gateway) call(t testing.TB, method, path, body string, headers ...string) reply {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, g.URL+path, rd)
	require.NoError(t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	auth := true
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i] == "x-goog-api-key" || headers[i] == "Authorization" {
			auth = false
		}
		if headers[i] == "-auth" {
			auth = false
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}
	if auth && !strings.Contains(path, "key=") {
		req.Header.Set("x-goog-api-key", token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return reply{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

func (g *gateway) post(t testing.TB, path, body string, headers ...string) reply {
	t.Helper()
	return g.call(t, http.MethodPost, path, body, headers...)
}

// googleError is a decoded Google error body.
type googleError struct {
	Error struct {
		Code    int              `json:"code"`
		Message string           `json:"message"`
		Status  string           `json:"status"`
		Details []map[string]any `json:"details"`
	} `json:"error"`
}

// requireGoogleError asserts r is a Google-style JSON error with code.
func requireGoogleError(t testing.TB, r reply, code int, status string) googleError {
	t.Helper()
	require.Equal(t, code, r.Status, "body: %s", r.Body)
	require.Contains(t, r.Header.Get("Content-Type"), "application/json", "body: %s", r.Body)
	var e googleError
	require.NoError(t, json.Unmarshal(r.Body, &e), "body: %s", r.Body)
	require.Equal(t, code, e.Error.Code, "body: %s", r.Body)
	require.NotEmpty(t, e.Error.Message, "body: %s", r.Body)
	if status != "" {
		require.Equal(t, status, e.Error.Status, "body: %s", r.Body)
	}
	return e
}

// readEvent reads one SSE event (up to and including its blank line).
func readEvent(br *bufio.Reader) (string, error) {
	var sb strings.Builder
	for {
		line, err := br.ReadString('\n')
		sb.WriteString(line)
		if err != nil {
			return sb.String(), err
		}
		if strings.TrimRight(line, "\r\n") == "" {
			if strings.TrimSpace(sb.String()) == "" {
				sb.Reset()
				continue
			}
			return sb.String(), nil
		}
	}
}

// sseEvents splits an SSE body into its events' data payloads.
func sseEvents(t testing.TB, body []byte) []string {
	t.Helper()
	var out []string
	br := bufio.NewReader(bytes.NewReader(body))
	for {
		ev, err := readEvent(br)
		if strings.TrimSpace(ev) != "" {
			var data []string
			for _, l := range strings.Split(strings.ReplaceAll(ev, "\r\n", "\n"), "\n") {
				if d, ok := strings.CutPrefix(l, "data:"); ok {
					data = append(data, strings.TrimPrefix(d, " "))
				}
			}
			require.NotEmpty(t, data, "event without data: %q", ev)
			out = append(out, strings.Join(data, "\n"))
		}
		if err != nil {
			return out
		}
	}
}

// respText concatenates the non-thought text of a GenerateContentResponse.
func respText(t testing.TB, b []byte) string {
	t.Helper()
	var r geminitest.GenerateResponse
	require.NoError(t, json.Unmarshal(b, &r), "body: %s", b)
	return textOf(&r)
}

func textOf(r *geminitest.GenerateResponse) string {
	var sb strings.Builder
	for _, c := range r.Candidates {
		if c.Content == nil {
			continue
		}
		for _, p := range c.Content.Parts {
			if p != nil && !p.Thought {
				sb.WriteString(p.Text)
			}
		}
	}
	return sb.String()
}

// eventually polls cond until it holds or the (generous) deadline passes.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// simModelCalls returns the recorded requests with key for model.
func simModelCalls(sim *geminitest.Server, key, model string) int {
	n := 0
	for _, r := range sim.Requests() {
		if r.Key == key && r.Model == model {
			n++
		}
	}
	return n
}
