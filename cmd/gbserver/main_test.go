package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/geminibalance/gb/storage/sqlite"
)

// syncBuffer is a goroutine-safe bytes.Buffer.
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

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

func envFrom(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// waitFor polls cond until it holds or a generous deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var curlRE = regexp.MustCompile(`curl -s (\S+) -H 'x-goog-api-key: (\S+)' -H 'Content-Type: application/json' -d '([^']+)'`)

func TestDemoPrintsAWorkingCurlLine(t *testing.T) {
	port := freePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"gbserver", "demo"}, envFrom(map[string]string{"PORT": port}), strings.NewReader(""), &stdout, &stderr)
	}()
	waitFor(t, "the demo banner", func() bool { return curlRE.MatchString(stdout.String()) })
	m := curlRE.FindStringSubmatch(stdout.String())
	assert.Contains(t, m[1], ":"+port+"/")

	// Run the printed curl line's request several times: the demo's bad
	// keys are tried, benched or cooled, and every answer is generated.
	for i := 0; i < 8; i++ {
		req, _ := http.NewRequest("POST", m[1], strings.NewReader(m[3]))
		req.Header.Set("x-goog-api-key", m[2])
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, 200, resp.StatusCode, string(body))
		assert.Contains(t, string(body), `"text": "Simulated answer`)
	}
	logs := stderr.String()
	assert.Contains(t, logs, "class=invalid_key")
	assert.NotContains(t, logs, "AIzaSyDemoKey00000000000000000000invalid", "keys are masked in logs")

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("demo did not stop after its context ended")
	}
	assert.Contains(t, stderr.String(), "shutting down")
}

func TestServeWithSQLiteKeepsBenchedKeysAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)

	// An upstream that says every key is invalid.
	up := http.NewServeMux()
	up.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(400)
		io.WriteString(w, `{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID"}]}}`)
	})
	upSrv := &http.Server{Handler: up}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go upSrv.Serve(ln)
	defer upSrv.Close()

	port := freePort(t)
	env := envFrom(map[string]string{
		"PORT": port, "HOST": "127.0.0.1", "BASE_URL": "http://" + ln.Addr().String() + "/v1beta",
		"API_KEYS": "AIzaSyRestartKey00000000000000000000001", "ALLOWED_TOKENS": "tok", "SQLITE_DATABASE": "gb_test",
	})
	start := func() (context.CancelFunc, chan error, *syncBuffer) {
		ctx, cancel := context.WithCancel(context.Background())
		var stderr syncBuffer
		done := make(chan error, 1)
		go func() { done <- run(ctx, []string{"gbserver"}, env, strings.NewReader(""), io.Discard, &stderr) }()
		waitFor(t, "the server", func() bool { return strings.Contains(stderr.String(), "gbserver listening") })
		return cancel, done, &stderr
	}
	ready := func() map[string]any {
		resp, err := http.Get("http://127.0.0.1:" + port + "/ready")
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return map[string]any{"body": string(b)}
	}

	cancel, done, _ := start()
	req, _ := http.NewRequest("POST", "http://127.0.0.1:"+port+"/v1beta/models/gemini-2.5-flash:generateContent", strings.NewReader(`{"contents":[]}`))
	req.Header.Set("x-goog-api-key", "tok")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 503, resp.StatusCode, "the only key was rejected: the pool has no working key")
	assert.Contains(t, ready()["body"], `"benched":1`)
	cancel()
	require.NoError(t, <-done)

	_, err = os.Stat(filepath.Join(dir, "data", "gb_test"))
	require.NoError(t, err, "SQLite file at data/<SQLITE_DATABASE>")

	cancel, done, _ = start()
	assert.Contains(t, ready()["body"], `"benched":1`, "benched state survived the restart")
	cancel()
	require.NoError(t, <-done)
}

func TestBadConfigIsOneClearLine(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"gbserver", "serve"}, envFrom(map[string]string{"MAX_RETRIES": "lots"}), strings.NewReader(""), &stdout, &stderr)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "MAX_RETRIES")
	assert.NotContains(t, err.Error(), "\n")
}

func TestVersionHelpUnknown(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"gbserver", "version"}, envFrom(nil), nil, &out, io.Discard))
	assert.True(t, strings.HasPrefix(out.String(), "gbserver "))
	out.Reset()
	require.NoError(t, run(context.Background(), []string{"gbserver", "help"}, envFrom(nil), nil, &out, io.Discard))
	assert.Contains(t, out.String(), "gbserver demo")
	err := run(context.Background(), []string{"gbserver", "frobnicate"}, envFrom(nil), nil, io.Discard, io.Discard)
	assert.ErrorContains(t, err, "unknown command")
}

func TestGracefulShutdownFinishesStreamsAndFlushesLogs(t *testing.T) {
	port := freePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"gbserver", "demo"}, envFrom(map[string]string{"PORT": port}), strings.NewReader(""), &stdout, &stderr)
	}()
	waitFor(t, "the demo banner", func() bool { return curlRE.MatchString(stdout.String()) })
	base := "http://127.0.0.1:" + port

	// Warm up past the demo's bad keys so the stream below is served by a
	// good key on its first attempt.
	for i := 0; i < 6; i++ {
		req, _ := http.NewRequest("POST", base+"/v1beta/models/gemini-2.5-flash:generateContent", strings.NewReader(`{"contents":[{"parts":[{"text":"hi"}]}]}`))
		req.Header.Set("x-goog-api-key", demoToken)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}

	req, _ := http.NewRequest("POST", base+"/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", strings.NewReader(`{"contents":[{"parts":[{"text":"a long story"}]}]}`))
	req.Header.Set("x-goog-api-key", demoToken)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	buf := make([]byte, 1)
	_, err = resp.Body.Read(buf) // the stream has started
	require.NoError(t, err)

	cancel() // SIGINT/SIGTERM
	rest, err := io.ReadAll(resp.Body)
	require.NoError(t, err, "the in-flight stream is finished, not cut")
	all := string(buf) + string(rest)
	assert.Equal(t, 5, strings.Count(all, "data: "), "every event arrived")
	assert.Contains(t, all, `"finishReason": "STOP"`)
	assert.NotContains(t, all, `"error"`)

	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("server did not stop")
	}
	m := regexp.MustCompile(`request_logs_written=(\d+)`).FindStringSubmatch(stderr.String())
	require.NotNil(t, m, stderr.String())
	n, _ := strconv.Atoi(m[1])
	assert.GreaterOrEqual(t, n, 7, "every attempt was logged and flushed at shutdown")
}

// makeGeminiBalanceDB writes a small database with gemini-balance's
// schema (app/database/models.py, as SQLAlchemy creates it on SQLite).
func makeGeminiBalanceDB(t *testing.T, path string, keys ...string) {
	t.Helper()
	db, err := sql.Open("sqlite3", path)
	require.NoError(t, err)
	defer db.Close()
	for _, q := range []string{
		`CREATE TABLE t_settings (id INTEGER NOT NULL PRIMARY KEY, "key" VARCHAR(100) NOT NULL UNIQUE, value TEXT, description VARCHAR(255), created_at DATETIME, updated_at DATETIME)`,
		`CREATE TABLE t_error_logs (id INTEGER NOT NULL PRIMARY KEY, gemini_key VARCHAR(100), model_name VARCHAR(100), error_type VARCHAR(50), error_log TEXT, error_code INTEGER, request_msg JSON, request_time DATETIME)`,
		`CREATE TABLE t_request_log (id INTEGER NOT NULL PRIMARY KEY, request_time DATETIME, model_name VARCHAR(100), api_key VARCHAR(100), is_success BOOLEAN NOT NULL, status_code INTEGER, latency_ms INTEGER)`,
	} {
		_, err := db.Exec(q)
		require.NoError(t, err)
	}
	list, _ := json.Marshal(keys)
	for k, v := range map[string]string{"API_KEYS": string(list), "ALLOWED_TOKENS": `["sk-old-client"]`, "MAX_RETRIES": "5"} {
		_, err := db.Exec(`INSERT INTO t_settings ("key", value) VALUES (?, ?)`, k, v)
		require.NoError(t, err)
	}
}

func TestImportCommandAndFirstStartImport(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	src := filepath.Join(dir, "gb_old.db")
	k1, k2 := "AIzaSyImportCmd0000000000000000000000001", "AIzaSyImportCmd0000000000000000000000002"
	makeGeminiBalanceDB(t, src, k1, k2)

	var out bytes.Buffer
	env := envFrom(map[string]string{"SQLITE_DATABASE": "imported"})
	require.NoError(t, run(context.Background(), []string{"gbserver", "import", src}, env, nil, &out, io.Discard))
	assert.Contains(t, out.String(), "imported into sqlite")
	assert.NotContains(t, out.String(), k1, "the report masks keys")
	st, err := sqlite.Open(filepath.Join(dir, "data", "imported"))
	require.NoError(t, err)
	recs, err := st.ListKeys(context.Background())
	require.NoError(t, err)
	assert.Len(t, recs, 2)
	st.Close()

	err = run(context.Background(), []string{"gbserver", "import"}, env, nil, io.Discard, io.Discard)
	assert.ErrorContains(t, err, "usage")

	// GB_IMPORT_FROM imports once, at the first start of an empty store.
	port := freePort(t)
	env = envFrom(map[string]string{"PORT": port, "HOST": "127.0.0.1", "SQLITE_DATABASE": "fresh", "GB_IMPORT_FROM": src, "AUTH_TOKEN": "adm"})
	ctx, cancel := context.WithCancel(context.Background())
	var stderr syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"gbserver"}, env, nil, io.Discard, &stderr) }()
	waitFor(t, "the server", func() bool { return strings.Contains(stderr.String(), "gbserver listening") })
	assert.Contains(t, stderr.String(), "imported a gemini-balance database")
	assert.Contains(t, stderr.String(), "keys=2")
	cancel()
	require.NoError(t, <-done)
}
