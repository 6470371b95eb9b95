package app_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/geminibalance/gb/adminhttp"
	"github.com/geminibalance/gb/adminhttp/admintest"
	"github.com/geminibalance/gb/balancer"
	"github.com/geminibalance/gb/gemini/geminitest"
	"github.com/geminibalance/gb/internal/app"
	"github.com/geminibalance/gb/internal/config"
	"github.com/geminibalance/gb/storage"
	"github.com/geminibalance/gb/storage/memory"
	"github.com/geminibalance/gb/storage/mysql"
	"github.com/geminibalance/gb/storage/sqlite"
)

const (
	admToken    = "admin-secret-token-123"
	clientToken = "client-token-456"
)

// admKey returns a well-formed, deterministic test key.
func admKey(i int) string { return fmt.Sprintf("AIzaSyAdminTest%024d", i) }

// backend opens a fresh store for one test.
type backend struct {
	name string
	open func(t *testing.T) storage.Store
}

func backends() []backend {
	bs := []backend{{"sqlite", func(t *testing.T) storage.Store {
		s, err := sqlite.Open(filepath.Join(t.TempDir(), "gb.db"))
		require.NoError(t, err)
		return s
	}}}
	bs = append(bs, backend{"mariadb", func(t *testing.T) storage.Store {
		dsn := os.Getenv("GB_TEST_MYSQL_DSN")
		if dsn == "" {
			t.Skip("GB_TEST_MYSQL_DSN not set: skipping the MariaDB run (set it to e.g. root@tcp(127.0.0.1:3306)/test)")
		}
		b := make([]byte, 4)
		rand.Read(b)
		s, err := mysql.OpenDSN(dsn, mysql.WithTablePrefix("gbadm_"+hex.EncodeToString(b)+"_"))
		require.NoError(t, err)
		t.Cleanup(func() { s.DropTables(context.Background()) })
		return s
	}})
	return bs
}

// admEnv is a running gateway with its admin API, a simulated Gemini API
// and a fake clock.
type admEnv struct {
	t      *testing.T
	URL    string
	App    *app.App
	Admin  *app.Admin
	Sim    *geminitest.Server
	Clock  *admintest.FakeClock
	Log    *syncBuffer
	Store  storage.Store
	env    map[string]string
	mu     sync.Mutex
	secret map[string]bool // keys that must never appear in a response
}

type envOpt func(cfg *config.Config, env map[string]string)

var t0 = time.Date(2025, 6, 10, 10, 30, 30, 0, time.UTC) // 18:30 in Asia/Shanghai

func newAdmEnv(t *testing.T, open func(t *testing.T) storage.Store, opts ...envOpt) *admEnv {
	t.Helper()
	sim := geminitest.NewServer(geminitest.Options{})
	t.Cleanup(sim.Close)
	cfg := config.Default()
	cfg.BaseURL = sim.URL + "/v1beta"
	cfg.AllowedTokens = []string{clientToken}
	cfg.AuthToken = admToken
	cfg.TimeOut = 30 * time.Second
	cfg.MaxRetries = 2
	cfg.APIKeys = []string{admKey(1), admKey(2), admKey(3)}
	env := map[string]string{}
	for _, o := range opts {
		o(cfg, env)
	}
	for _, k := range cfg.APIKeys {
		sim.SetKey(k, geminitest.Behavior{Kind: geminitest.Valid})
	}
	store := open(t)
	buf := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a, err := app.New(context.Background(), cfg, store, logger)
	require.NoError(t, err)
	fc := admintest.NewFakeClock(t0)
	ad := app.NewAdmin(a, app.AdminOptions{
		Getenv: func(n string) string { return env[n] },
		DotEnv: func() ([]byte, error) { return nil, nil },
		Clock:  fc,
	})
	mux := http.NewServeMux()
	ad.Mount(mux)
	mux.Handle("/", a.Handler())
	srv := httptest.NewServer(mux)
	e := &admEnv{t: t, URL: srv.URL, App: a, Admin: ad, Sim: sim, Clock: fc, Log: buf, Store: store, env: env, secret: map[string]bool{}}
	for _, k := range cfg.APIKeys {
		e.secret[k] = true
	}
	e.secret[admToken] = true
	t.Cleanup(func() {
		srv.Close()
		ad.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		a.Close(ctx)
	})
	return e
}

// client is an admin API client: a browser-like cookie jar, or a bearer
// token. Every answer is checked for unmasked keys and tokens.
type client struct {
	e      *admEnv
	hc     *http.Client
	bearer string
	csrf   string
}

func (e *admEnv) browser() *client {
	jar, _ := cookiejar.New(nil)
	return &client{e: e, hc: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (e *admEnv) script() *client {
	return &client{e: e, hc: http.DefaultClient, bearer: admToken}
}

type resp struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r resp) json(t *testing.T, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(r.Body, v), "body: %s", r.Body)
}

func (r resp) obj(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	r.json(t, &m)
	return m
}

// do sends a request; body is JSON-encoded unless it is a string or
// url.Values. hdr are extra header pairs.
func (c *client) do(method, path string, body any, hdr ...string) resp {
	t := c.e.t
	t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd, ct = strings.NewReader(b), "text/plain"
	case url.Values:
		rd, ct = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	default:
		j, err := json.Marshal(b)
		require.NoError(t, err)
		rd, ct = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequest(method, c.e.URL+path, rd)
	require.NoError(t, err)
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	if c.csrf != "" {
		req.Header.Set(adminhttp.CSRFHeader, c.csrf)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	r, err := c.hc.Do(req)
	require.NoError(t, err)
	defer r.Body.Close()
	b, err := io.ReadAll(r.Body)
	require.NoError(t, err)
	if !strings.Contains(path, "reveal=") {
		c.e.checkMasked(path, b, r.Header)
	}
	return resp{r.StatusCode, r.Header, b}
}

// checkMasked fails the test when an answer carries a secret in clear.
func (e *admEnv) checkMasked(path string, body []byte, h http.Header) {
	e.mu.Lock()
	defer e.mu.Unlock()
	hs := fmt.Sprint(h)
	for k := range e.secret {
		if bytes.Contains(body, []byte(k)) || strings.Contains(hs, k) {
			e.t.Errorf("answer of %s carries a secret in clear: %q…", path, k[:8])
		}
	}
}

func (e *admEnv) addSecret(keys ...string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, k := range keys {
		e.secret[k] = true
	}
}

// login logs the browser in with the JSON form and keeps the CSRF token.
func (c *client) login() {
	t := c.e.t
	t.Helper()
	r := c.do("POST", "/api/auth/login", map[string]string{"auth_token": admToken})
	require.Equal(t, 200, r.Status, "%s", r.Body)
	var a struct {
		CSRF string `json:"csrf_token"`
	}
	r.json(t, &a)
	require.NotEmpty(t, a.CSRF)
	c.csrf = a.CSRF
}

// proxy sends a native generateContent request as a gateway client.
func (e *admEnv) proxy(model string) resp {
	e.t.Helper()
	c := &client{e: e, hc: http.DefaultClient}
	return c.do("POST", "/v1beta/models/"+model+":generateContent", map[string]any{
		"contents": []any{map[string]any{"role": "user", "parts": []any{map[string]any{"text": "hello"}}}},
	}, "x-goog-api-key", clientToken)
}

func forBackends(t *testing.T, f func(t *testing.T, open func(t *testing.T) storage.Store)) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) { f(t, b.open) })
	}
}

func TestAdminAuth(t *testing.T) {
	forBackends(t, func(t *testing.T, open func(t *testing.T) storage.Store) {
		e := newAdmEnv(t, open)
		anon := e.browser()

		// No session: API 401 JSON, pages redirect, log-in page served.
		r := anon.do("GET", "/api/keys", nil)
		assert.Equal(t, 401, r.Status)
		assert.Equal(t, "unauthorized", r.obj(t)["error"].(map[string]any)["code"])
		for _, p := range []string{"/keys", "/config", "/logs"} {
			r = anon.do("GET", p, nil)
			assert.Equal(t, 302, r.Status, p)
			assert.Equal(t, "/", r.Header.Get("Location"), p)
		}
		r = anon.do("POST", "/gemini/v1beta/verify-key/"+admKey(1), nil)
		assert.Equal(t, 401, r.Status, "legacy key routes are authenticated")
		r = anon.do("POST", "/gemini/v1beta/reset-all-fail-counts", nil)
		assert.Equal(t, 401, r.Status)
		r = anon.do("GET", "/", nil)
		assert.Equal(t, 200, r.Status)
		assert.Contains(t, string(r.Body), `name="auth_token"`)
		assert.Contains(t, string(r.Body), `action="/auth"`)

		// Wrong token: form goes back to / with a flag; JSON is 401.
		r = anon.do("POST", "/auth", url.Values{"auth_token": {"nope"}})
		assert.Equal(t, 303, r.Status)
		assert.Equal(t, "/?error=invalid", r.Header.Get("Location"))
		r = anon.do("POST", "/auth", map[string]string{"auth_token": "nope"})
		assert.Equal(t, 401, r.Status)
		assert.Contains(t, e.Log.String(), "admin log-in failed")

		// The plain HTML form logs in: 303 to /keys with the cookies.
		b := e.browser()
		r = b.do("POST", "/auth", url.Values{"auth_token": {admToken}})
		require.Equal(t, 303, r.Status)
		assert.Equal(t, "/keys", r.Header.Get("Location"))
		var sess, csrf *http.Cookie
		for _, c := range (&http.Response{Header: r.Header}).Cookies() {
			switch c.Name {
			case adminhttp.SessionCookie:
				sess = c
			case adminhttp.CSRFCookie:
				csrf = c
			}
		}
		require.NotNil(t, sess)
		require.NotNil(t, csrf)
		assert.True(t, sess.HttpOnly)
		assert.False(t, csrf.HttpOnly, "the CSRF cookie is read by the page")
		assert.Equal(t, http.SameSiteStrictMode, sess.SameSite)
		assert.Equal(t, 3600, sess.MaxAge)
		assert.False(t, sess.Secure, "plain HTTP")
		assert.GreaterOrEqual(t, len(sess.Value), 43, "32 random bytes")
		assert.NotContains(t, sess.Value, admToken)
		r = b.do("GET", "/keys", nil)
		assert.Equal(t, 200, r.Status)
		r = b.do("GET", "/api/keys", nil)
		assert.Equal(t, 200, r.Status, "GET needs no CSRF token")

		// CSRF: state changes from a session need the token and the same origin.
		r = b.do("POST", "/api/keys/reset", map[string]any{"all": true})
		assert.Equal(t, 403, r.Status)
		assert.Equal(t, "csrf", r.obj(t)["error"].(map[string]any)["code"])
		r = b.do("POST", "/api/keys/reset", map[string]any{"all": true}, adminhttp.CSRFHeader, "wrong")
		assert.Equal(t, 403, r.Status)
		b.csrf = csrf.Value
		r = b.do("POST", "/api/keys/reset", map[string]any{"all": true})
		assert.Equal(t, 200, r.Status, "%s", r.Body)
		r = b.do("POST", "/api/keys/reset", map[string]any{"all": true}, "Sec-Fetch-Site", "cross-site")
		assert.Equal(t, 403, r.Status, "cross-site")
		r = b.do("POST", "/api/keys/reset", map[string]any{"all": true}, "Origin", "https://evil.example")
		assert.Equal(t, 403, r.Status, "foreign origin")
		r = anon.do("POST", "/auth", url.Values{"auth_token": {admToken}}, "Sec-Fetch-Site", "cross-site")
		assert.Equal(t, "/?error=cross_origin", r.Header.Get("Location"), "log-in CSRF")

		// Secure cookies behind TLS termination.
		r = e.browser().do("POST", "/api/auth/login", map[string]string{"auth_token": admToken}, "X-Forwarded-Proto", "https")
		for _, c := range (&http.Response{Header: r.Header}).Cookies() {
			assert.True(t, c.Secure, c.Name)
		}

		// Bearer: no CSRF needed; a wrong bearer is 401 even with a session.
		s := e.script()
		r = s.do("POST", "/api/keys/reset", map[string]any{"all": true})
		assert.Equal(t, 200, r.Status)
		r = b.do("GET", "/api/keys", nil, "Authorization", "Bearer wrong")
		assert.Equal(t, 401, r.Status)
		r = (&client{e: e, hc: http.DefaultClient, bearer: clientToken}).do("GET", "/api/keys", nil)
		assert.Equal(t, 401, r.Status, "a client token is not an admin token")

		// Log-out revokes the session server-side.
		jb := e.browser()
		jb.login()
		saved := jb.hc.Jar.Cookies(mustURL(e.URL))
		r = jb.do("POST", "/api/auth/logout", nil)
		assert.Equal(t, 200, r.Status)
		replay := e.browser()
		replay.hc.Jar.SetCookies(mustURL(e.URL), saved)
		r = replay.do("GET", "/api/keys", nil)
		assert.Equal(t, 401, r.Status, "a logged-out session id no longer works")

		// Expiry follows ADMIN_SESSION_EXPIRE on the injected clock.
		r = b.do("GET", "/api/auth/session", nil)
		assert.Equal(t, 200, r.Status)
		e.Clock.Advance(3599 * time.Second)
		assert.Equal(t, 200, b.do("GET", "/api/keys", nil).Status)
		e.Clock.Advance(time.Second)
		assert.Equal(t, 401, b.do("GET", "/api/keys", nil).Status, "expired")
		assert.Equal(t, 302, b.do("GET", "/keys", nil).Status)

		// Failed log-ins are rate-limited per address: 5, then 429 even
		// for the right token, until the limit refills.
		rl := e.browser()
		for range 5 {
			assert.Equal(t, 401, rl.do("POST", "/api/auth/login", map[string]string{"auth_token": "bad"}).Status)
		}
		r = rl.do("POST", "/api/auth/login", map[string]string{"auth_token": admToken})
		assert.Equal(t, 429, r.Status)
		assert.NotEmpty(t, r.Header.Get("Retry-After"))
		r = rl.do("POST", "/auth", url.Values{"auth_token": {admToken}})
		assert.Equal(t, "/?error=rate_limited", r.Header.Get("Location"))
		e.Clock.Advance(13 * time.Second)
		assert.Equal(t, 200, rl.do("POST", "/api/auth/login", map[string]string{"auth_token": admToken}).Status)
	})
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

func TestAdminNoAuthToken(t *testing.T) {
	e := newAdmEnv(t, func(t *testing.T) storage.Store { return memory.New() }, func(cfg *config.Config, _ map[string]string) {
		cfg.AuthToken = ""
	})
	b := e.browser()
	r := b.do("POST", "/api/auth/login", map[string]string{"auth_token": ""})
	assert.Equal(t, 403, r.Status)
	assert.Contains(t, string(r.Body), "AUTH_TOKEN is not set")
	r = b.do("POST", "/auth", url.Values{"auth_token": {"anything"}})
	assert.Equal(t, "/?error=disabled", r.Header.Get("Location"))
	r = b.do("GET", "/", nil)
	assert.Contains(t, string(r.Body), "AUTH_TOKEN is not set")
	r = (&client{e: e, hc: http.DefaultClient, bearer: ""}).do("GET", "/api/keys", nil, "Authorization", "Bearer ")
	assert.Equal(t, 401, r.Status)
}

func TestAdminKeys(t *testing.T) {
	forBackends(t, func(t *testing.T, open func(t *testing.T) storage.Store) {
		e := newAdmEnv(t, open)
		b := e.browser()
		b.login()
		ctx := context.Background()

		// Add by pasting free text.
		k4, k5, bad := admKey(4), admKey(5), admKey(6)
		e.addSecret(k4, k5, bad)
		e.Sim.SetKey(k4, geminitest.Behavior{Kind: geminitest.Valid})
		e.Sim.SetKey(bad, geminitest.Behavior{Kind: geminitest.Invalid})
		paste := fmt.Sprintf("keys:\n%s, %s\n%s %s\nAIzaTooShort\nAPI_KEYS=[\"%s\"] %s", k4, k5, k4, admKey(1), bad, bad+"x")
		r := b.do("POST", "/api/keys", map[string]string{"text": paste})
		require.Equal(t, 200, r.Status, "%s", r.Body)
		var add adminhttp.AddResult
		r.json(t, &add)
		assert.Equal(t, adminhttp.AddResult{Added: 3, Duplicate: 2, Malformed: 2, Total: 6}, add)
		recs, err := e.Store.ListKeys(ctx)
		require.NoError(t, err)
		assert.Len(t, recs, 6, "persisted")
		_, ok := e.App.Pool.Status(k5)
		assert.True(t, ok, "in the pool at once")

		// List: paging, search, masking.
		r = b.do("GET", "/api/keys?page=2&limit=4", nil)
		var page adminhttp.KeyPage
		r.json(t, &page)
		assert.Equal(t, 6, page.TotalItems)
		assert.Equal(t, 2, page.TotalPages)
		require.Len(t, page.Items, 2)
		assert.Equal(t, "AIza…0005", page.Items[0].Key)
		assert.Equal(t, adminhttp.KeyID(k5), page.Items[0].ID)
		assert.Contains(t, page.Items[0].Usage, "24h")
		r = b.do("GET", "/api/keys?search=0000004", nil)
		r.json(t, &page)
		require.Equal(t, 1, page.TotalItems)
		assert.Equal(t, "AIza…0004", page.Items[0].Key)
		r = b.do("GET", "/api/keys?search=AIZASYADMINTEST", nil)
		r.json(t, &page)
		assert.Equal(t, 6, page.TotalItems, "case-insensitive")

		// Verify: the bad key fails (and is benched), the others pass.
		r = b.do("POST", "/api/keys/verify", map[string]any{"ids": []string{adminhttp.KeyID(k4), adminhttp.KeyID(bad)}})
		require.Equal(t, 200, r.Status, "%s", r.Body)
		var rep adminhttp.VerifyReport
		r.json(t, &rep)
		assert.Equal(t, 1, rep.Valid)
		assert.Equal(t, 1, rep.Invalid)
		require.Len(t, rep.Groups, 1)
		assert.Equal(t, 400, rep.Groups[0].Status)
		assert.Equal(t, []string{adminhttp.KeyID(bad)}, rep.Groups[0].IDs)
		st, _ := e.App.Pool.Status(bad)
		assert.True(t, st.State.Benched, "an invalid key is benched by verification")
		assert.Equal(t, 2, e.Sim.Calls(k4)+e.Sim.Calls(bad), "one real call per key")

		// Filters.
		r = b.do("GET", "/api/keys?state=benched", nil)
		r.json(t, &page)
		require.Equal(t, 1, page.TotalItems)
		assert.Equal(t, "benched", page.Items[0].State)
		assert.NotNil(t, page.Items[0].LastError)
		assert.Equal(t, 400, page.Items[0].LastError.Status)
		r = b.do("GET", "/api/keys?status=valid", nil)
		r.json(t, &page)
		assert.Equal(t, 5, page.TotalItems, "gemini-balance's status=valid")
		e.App.Pool.Report(k5, "gemini-2.5-pro", quotaVerdict())
		r = b.do("GET", "/api/keys?state=cooling&model=gemini-2.5-pro", nil)
		r.json(t, &page)
		require.Equal(t, 1, page.TotalItems)
		require.Len(t, page.Items[0].Models, 1)
		assert.Equal(t, "gemini-2.5-pro", page.Items[0].Models[0].Model)
		assert.NotNil(t, page.Items[0].Models[0].Until)
		r = b.do("GET", "/api/keys?state=cooling&model=gemini-2.5-flash", nil)
		r.json(t, &page)
		assert.Equal(t, 0, page.TotalItems)
		assert.Equal(t, 400, b.do("GET", "/api/keys?state=weird", nil).Status)

		// Reset all benched.
		r = b.do("POST", "/api/keys/reset", map[string]any{"all_benched": true})
		assert.Equal(t, float64(1), r.obj(t)["reset"])
		st, _ = e.App.Pool.Status(bad)
		assert.False(t, st.State.Benched)

		// gemini-balance's routes, by full key or ID.
		r = b.do("POST", "/gemini/v1beta/verify-key/"+k4, nil)
		assert.Equal(t, "valid", r.obj(t)["status"])
		r = b.do("POST", "/gemini/v1beta/verify-key/"+adminhttp.KeyID(bad), nil)
		assert.Equal(t, "invalid", r.obj(t)["status"])
		r = b.do("POST", "/gemini/v1beta/verify-selected-keys", map[string]any{"keys": []string{k4, bad}})
		m := r.obj(t)
		assert.Equal(t, float64(1), m["valid_count"])
		assert.Equal(t, float64(1), m["invalid_count"])
		assert.Equal(t, 200, b.do("POST", "/gemini/v1beta/reset-fail-count/"+bad, nil).Status)
		assert.Equal(t, 404, b.do("POST", "/gemini/v1beta/reset-fail-count/nope", nil).Status)
		assert.Equal(t, 200, b.do("POST", "/gemini/v1beta/reset-all-fail-counts?key_type=invalid", nil).Status)
		r = b.do("POST", "/gemini/v1beta/reset-selected-fail-counts", map[string]any{"keys": []string{k4, "unknown"}})
		assert.Equal(t, 207, r.Status)

		// Export: masked by default, full only when revealed (and logged).
		r = b.do("GET", "/api/keys/export", nil)
		var exp struct {
			Keys   []string `json:"keys"`
			Masked bool     `json:"masked"`
		}
		r.json(t, &exp)
		assert.Len(t, exp.Keys, 6)
		assert.True(t, exp.Masked)
		r = b.do("GET", "/api/keys/export?reveal=true&format=text", nil)
		assert.Contains(t, string(r.Body), k4)
		assert.Contains(t, e.Log.String(), "admin revealed full keys")
		assert.NotContains(t, e.Log.String(), k4, "the reveal log line carries no key")
		r = b.do("GET", "/api/keys/all", nil)
		assert.Len(t, r.obj(t)["valid_keys"], 6)

		// Delete one (by ID) and many (by key); persisted at once.
		assert.Equal(t, 200, b.do("DELETE", "/api/keys/"+adminhttp.KeyID(k5), nil).Status)
		assert.Equal(t, 404, b.do("DELETE", "/api/keys/"+adminhttp.KeyID(k5), nil).Status)
		r = b.do("POST", "/api/config/keys/delete-selected", map[string]any{"keys": []string{k4, bad}})
		assert.Equal(t, float64(2), r.obj(t)["deleted"])
		recs, err = e.Store.ListKeys(ctx)
		require.NoError(t, err)
		assert.Len(t, recs, 3)
		assert.Equal(t, 3, len(e.App.Pool.Keys()))

		// Key details.
		r = b.do("GET", "/api/keys/"+adminhttp.KeyID(admKey(1)), nil)
		assert.Equal(t, "AIza…0001", r.obj(t)["key"])
	})
}

func TestAdminManyKeys(t *testing.T) {
	forBackends(t, func(t *testing.T, open func(t *testing.T) storage.Store) {
		e := newAdmEnv(t, open)
		s := e.script()
		const n = 100_000
		var sb strings.Builder
		for i := range n {
			fmt.Fprintf(&sb, "%s\n", admKey(1000+i))
		}
		e.mu.Lock()
		e.secret[admKey(1000+77777)] = true // spot checks; all would be slow
		e.secret[admKey(1000+n-1)] = true
		e.mu.Unlock()
		start := time.Now()
		r := s.do("POST", "/api/keys", sb.String())
		require.Equal(t, 200, r.Status, "%s", r.Body)
		t.Logf("add %d keys: %v", n, time.Since(start))
		var add adminhttp.AddResult
		r.json(t, &add)
		assert.Equal(t, n, add.Added)
		assert.Equal(t, n+3, add.Total)

		start = time.Now()
		r = s.do("GET", "/api/keys?page=500&limit=100", nil)
		t.Logf("list page 500 of %d keys: %v", n, time.Since(start))
		start = time.Now()
		s.do("GET", "/api/keys?page=501&limit=100", nil)
		t.Logf("list page 501 of %d keys: %v", n, time.Since(start))
		start = time.Now()
		s.do("GET", "/api/keys?page=502&limit=100&usage=false", nil)
		t.Logf("list page 502 without usage: %v", time.Since(start))
		var page adminhttp.KeyPage
		r.json(t, &page)
		assert.Equal(t, n+3, page.TotalItems)
		assert.Len(t, page.Items, 100)

		start = time.Now()
		r = s.do("GET", "/api/keys?search=0000000000000000078776", nil)
		t.Logf("search %d keys: %v", n, time.Since(start))
		r.json(t, &page)
		require.Equal(t, 1, page.TotalItems)
		assert.Equal(t, adminhttp.KeyID(admKey(1000+77776)), page.Items[0].ID)

		recs, err := e.Store.ListKeys(context.Background())
		require.NoError(t, err)
		assert.Len(t, recs, n+3)
	})
}

func TestAdminErrorLogs(t *testing.T) {
	forBackends(t, func(t *testing.T, open func(t *testing.T) storage.Store) {
		e := newAdmEnv(t, open, func(cfg *config.Config, _ map[string]string) {
			cfg.ErrorLogRecordRequestBody = true
			cfg.MaxRetries = 0
		})
		ctx := context.Background()
		// A real failure through the gateway: key 1 over quota.
		e.Sim.SetKey(admKey(1), geminitest.Behavior{Kind: geminitest.Quota})
		e.Sim.SetKey(admKey(2), geminitest.Behavior{Kind: geminitest.Quota})
		e.Sim.SetKey(admKey(3), geminitest.Behavior{Kind: geminitest.Quota})
		r := e.proxy("gemini-2.5-flash")
		require.Equal(t, 429, r.Status, "%s", r.Body)
		require.NoError(t, e.App.Logs.Flush(ctx))
		base := t0.Add(-time.Hour)
		require.NoError(t, e.Store.WriteErrorLogs(ctx, []storage.ErrorLog{
			{Time: base, Key: admKey(2), Model: "gemini-2.5-pro", Kind: "gemini-chat-stream", Status: 500, Message: "Internal failure", RequestBody: []byte(`{"a":1}`)},
			{Time: base.Add(time.Minute), Key: admKey(3), Model: "gemini-2.5-pro", Kind: "openai-chat-non-stream", Status: 400, Message: "bad request for key " + admKey(3)},
			{Time: base.Add(2 * time.Minute), Key: admKey(2), Model: "gemini-2.5-flash", Kind: "gemini-chat-stream", Status: 429, Message: "quota"},
		}))
		b := e.browser()
		b.login()
		type list struct {
			Logs  []adminhttp.ErrorLogView `json:"logs"`
			Total int                      `json:"total"`
		}
		var l list
		b.do("GET", "/api/logs/errors?limit=100", nil).json(t, &l)
		require.Equal(t, 4, l.Total)
		assert.Equal(t, "AIza…0002", l.Logs[1].GeminiKey, "newest first, keys masked")
		b.do("GET", "/api/logs/errors?key_search=0000003", nil).json(t, &l)
		require.Equal(t, 1, l.Total)
		assert.NotContains(t, l.Logs[0].Message, admKey(3))
		b.do("GET", "/api/logs/errors?error_code_search=429", nil).json(t, &l)
		assert.Equal(t, 2, l.Total)
		b.do("GET", "/api/logs/errors?error_search=INTERNAL", nil).json(t, &l)
		assert.Equal(t, 1, l.Total)
		b.do("GET", "/api/logs/errors?model=gemini-2.5-pro&error_type=gemini-chat-stream", nil).json(t, &l)
		assert.Equal(t, 1, l.Total)
		q := url.Values{"start_date": {base.Add(30 * time.Second).Format(time.RFC3339)}, "end_date": {base.Add(5 * time.Minute).Format(time.RFC3339)}}
		b.do("GET", "/api/logs/errors?"+q.Encode(), nil).json(t, &l)
		assert.Equal(t, 2, l.Total)
		b.do("GET", "/api/logs/errors?sort_by=id&sort_order=asc&limit=1&offset=1", nil).json(t, &l)
		require.Len(t, l.Logs, 1)
		assert.Equal(t, 4, l.Total)
		assert.Equal(t, 400, b.do("GET", "/api/logs/errors?limit=0", nil).Status)

		// Details, including the recorded request body of the real failure.
		b.do("GET", "/api/logs/errors?error_code_search=429&key_search=0000001", nil).json(t, &l)
		require.Equal(t, 1, l.Total)
		var d adminhttp.ErrorLogDetails
		b.do("GET", fmt.Sprintf("/api/logs/errors/%d/details", l.Logs[0].ID), nil).json(t, &d)
		assert.Contains(t, d.ErrorLog, "RESOURCE_EXHAUSTED")
		assert.Contains(t, d.RequestMsg, "hello")
		assert.Equal(t, 404, b.do("GET", "/api/logs/errors/999999/details", nil).Status)

		// Lookup of the nearest error for a key and time.
		q = url.Values{"gemini_key": {adminhttp.KeyID(admKey(2))}, "timestamp": {base.Add(100 * time.Second).Format(time.RFC3339)}, "window_seconds": {"60"}}
		r = b.do("GET", "/api/logs/errors/lookup?"+q.Encode(), nil)
		require.Equal(t, 200, r.Status, "%s", r.Body)
		r.json(t, &d)
		assert.Equal(t, 429, d.ErrorCode)
		q.Set("window_seconds", "1")
		assert.Equal(t, 404, b.do("GET", "/api/logs/errors/lookup?"+q.Encode(), nil).Status)

		// Delete selected, one, all.
		b.do("GET", "/api/logs/errors?limit=100", nil).json(t, &l)
		assert.Equal(t, 204, b.do("DELETE", "/api/logs/errors", map[string]any{"ids": []int64{l.Logs[0].ID, l.Logs[1].ID}}).Status)
		assert.Equal(t, 204, b.do("DELETE", fmt.Sprintf("/api/logs/errors/%d", l.Logs[2].ID), nil).Status)
		assert.Equal(t, 404, b.do("DELETE", fmt.Sprintf("/api/logs/errors/%d", l.Logs[2].ID), nil).Status)
		b.do("GET", "/api/logs/errors", nil).json(t, &l)
		assert.Equal(t, 1, l.Total)
		assert.Equal(t, 204, b.do("DELETE", "/api/logs/errors/all", nil).Status)
		b.do("GET", "/api/logs/errors", nil).json(t, &l)
		assert.Equal(t, 0, l.Total)
	})
}

func TestAdminStats(t *testing.T) {
	forBackends(t, func(t *testing.T, open func(t *testing.T) storage.Store) {
		e := newAdmEnv(t, open)
		ctx := context.Background()
		k1, k2 := admKey(1), admKey(2)
		at := func(d time.Duration) time.Time { return t0.Add(-d) }
		logs := []storage.RequestLog{
			{Time: at(10 * time.Second), Key: k1, Model: "gemini-2.5-flash", Status: 200, Success: true, PromptTokens: 10, CompletionTokens: 5, TotalTokens: 15},
			{Time: at(30 * time.Minute), Key: k1, Model: "gemini-2.5-flash", Status: 429},
			{Time: at(31 * time.Minute), Key: k2, Model: "gemini-2.5-pro", Status: 429},
			{Time: at(32 * time.Minute), Key: k2, Model: "gemini-2.5-pro", Status: 429},
			{Time: at(5 * time.Hour), Key: k2, Model: "gemini-2.5-pro", Status: 500},
			{Time: at(48 * time.Hour), Key: k1, Model: "gemini-2.5-flash", Status: 200, Success: true, TotalTokens: 7},
			{Time: at(40 * 24 * time.Hour), Key: k1, Model: "gemini-2.5-flash", Status: 200, Success: true},
		}
		require.NoError(t, e.Store.WriteRequestLogs(ctx, logs))
		s := e.script()

		var ov adminhttp.Overview
		s.do("GET", "/api/stats/overview", nil).json(t, &ov)
		assert.Equal(t, adminhttp.Counts{Calls: 1, Successes: 1, PromptTokens: 10, CompletionTokens: 5, TotalTokens: 15}, ov.Periods["1m"])
		assert.Equal(t, int64(4), ov.Periods["1h"].Calls)
		assert.Equal(t, int64(3), ov.Periods["1h"].Status429)
		assert.Equal(t, int64(5), ov.Periods["24h"].Calls)
		assert.Equal(t, int64(6), ov.Periods["month"].Calls, "June in Asia/Shanghai")
		assert.Equal(t, "Asia/Shanghai", ov.Timezone)
		assert.Equal(t, 3, ov.Keys["total"])
		s.do("GET", "/api/stats/overview?key="+adminhttp.KeyID(k2), nil).json(t, &ov)
		assert.Equal(t, int64(3), ov.Periods["24h"].Calls)
		s.do("GET", "/api/stats/overview?model=gemini-2.5-flash", nil).json(t, &ov)
		assert.Equal(t, int64(2), ov.Periods["24h"].Calls)

		var series struct {
			Points []adminhttp.Point `json:"points"`
		}
		s.do("GET", "/api/stats/series?range=1h", nil).json(t, &series)
		require.Len(t, series.Points, 60)
		var sum int64
		for _, p := range series.Points {
			sum += p.Calls
		}
		assert.Equal(t, int64(4), sum)
		assert.Equal(t, int64(1), series.Points[59].Calls, "the current minute is last")
		s.do("GET", "/api/stats/series?range=7d", nil).json(t, &series)
		assert.Len(t, series.Points, 168)
		s.do("GET", "/api/stats/series?range=30d", nil).json(t, &series)
		require.Len(t, series.Points, 30)
		sum = 0
		for _, p := range series.Points {
			sum += p.Calls
		}
		assert.Equal(t, int64(6), sum)
		assert.Equal(t, 400, s.do("GET", "/api/stats/series?range=2y", nil).Status)

		var usage struct {
			Rows []adminhttp.UsageRow `json:"rows"`
		}
		s.do("GET", "/api/stats/usage?period=24h&by=key", nil).json(t, &usage)
		require.Len(t, usage.Rows, 2)
		assert.Equal(t, "AIza…0002", usage.Rows[0].Key)
		assert.Equal(t, int64(3), usage.Rows[0].Calls)
		s.do("GET", "/api/stats/usage?period=month&by=model", nil).json(t, &usage)
		require.Len(t, usage.Rows, 2)
		assert.Equal(t, int64(22), usage.Rows[0].TotalTokens+usage.Rows[1].TotalTokens)

		var att []map[string]any
		s.do("GET", "/api/stats/attention-keys", nil).json(t, &att)
		require.Len(t, att, 2)
		assert.Equal(t, "AIza…0002", att[0]["key"])
		assert.Equal(t, float64(2), att[0]["count"])
		s.do("GET", "/api/stats/attention-keys?status_code=500", nil).json(t, &att)
		require.Len(t, att, 1)
		s.do("GET", "/api/stats/attention-keys?status_code=0", nil).json(t, &att)
		assert.Equal(t, float64(3), att[0]["count"])

		var byModel map[string]int64
		s.do("GET", "/api/key-usage-details/"+k2, nil).json(t, &byModel)
		assert.Equal(t, map[string]int64{"gemini-2.5-pro": 3}, byModel)

		// A real proxied request shows up in the statistics.
		require.Equal(t, 200, e.proxy("gemini-2.5-flash").Status)
		require.NoError(t, e.App.Logs.Flush(ctx))
		rows, err := e.Store.Stats(ctx, storage.StatsQuery{From: time.Now().Add(-time.Minute), To: time.Now().Add(time.Minute)})
		require.NoError(t, err)
		assert.Equal(t, int64(1), rows[0].Successes)
	})
}

func quotaVerdict() balancer.Verdict {
	return balancer.Verdict{Class: balancer.Quota, Status: 429, RetryAfter: time.Hour}
}

func TestAdminConfig(t *testing.T) {
	forBackends(t, func(t *testing.T, open func(t *testing.T) storage.Store) {
		e := newAdmEnv(t, open, func(cfg *config.Config, env map[string]string) {
			env["GB_ENV_AUTHORITATIVE"] = "TIME_OUT, LOG_LEVEL"
			env["MAX_RETRIES"] = "5"
			env["BASE_URL"] = cfg.BaseURL
			env["ALLOWED_TOKENS"] = clientToken
			cfg.MaxRetries = 5
		})
		ctx := context.Background()
		b := e.browser()
		b.login()

		// Secrets masked; revealed only on request, and logged.
		type cfgAnswer struct {
			Values   map[string]string   `json:"values"`
			Settings []adminhttp.Setting `json:"settings"`
		}
		var c cfgAnswer
		b.do("GET", "/api/config", nil).json(t, &c)
		masked := c.Values["AUTH_TOKEN"]
		assert.Equal(t, "admi…-123", masked)
		assert.Contains(t, c.Values["API_KEYS"], "3 keys in the pool")
		r := b.do("GET", "/api/config?reveal=AUTH_TOKEN", nil)
		r.json(t, &c)
		assert.Equal(t, admToken, c.Values["AUTH_TOKEN"])
		assert.Contains(t, e.Log.String(), "admin revealed a setting")
		assert.NotContains(t, e.Log.String(), admToken)

		// Before: the model is served.
		require.Equal(t, 200, e.proxy("gemini-2.5-flash").Status)

		// Validation: per-field messages, nothing applied.
		r = b.do("PUT", "/api/config", map[string]any{"MAX_RETRIES": "abc", "TIME_OUT": 10, "NOPE": "1", "API_KEYS": "[]", "FILTERED_MODELS": []string{"gemini-2.5-flash"}})
		require.Equal(t, 400, r.Status)
		var ve struct {
			Error struct {
				Code   string            `json:"code"`
				Fields map[string]string `json:"fields"`
			} `json:"error"`
		}
		r.json(t, &ve)
		assert.Equal(t, "validation_error", ve.Error.Code)
		assert.Contains(t, ve.Error.Fields["MAX_RETRIES"], "whole number")
		assert.Contains(t, ve.Error.Fields["TIME_OUT"], "authoritative")
		assert.Contains(t, ve.Error.Fields["NOPE"], "not a known setting")
		assert.Contains(t, ve.Error.Fields["API_KEYS"], "/api/keys")
		assert.NotContains(t, ve.Error.Fields, "FILTERED_MODELS")
		assert.Equal(t, 200, e.proxy("gemini-2.5-flash").Status, "nothing applied")

		// A valid change applies to the very next proxied request and is stored.
		r = b.do("PUT", "/api/config", map[string]any{"FILTERED_MODELS": []string{"gemini-2.5-flash"}, "MAX_RETRIES": 1,
			"AUTH_TOKEN": masked})
		require.Equal(t, 200, r.Status, "%s", r.Body)
		assert.Equal(t, 400, e.proxy("gemini-2.5-flash").Status, "filtered at once")
		assert.Equal(t, 1, e.App.Config.Load().MaxRetries)
		assert.Equal(t, admToken, e.App.Config.Load().AuthToken, "a masked secret sent back is not a change")
		stored, err := e.Store.Settings(ctx)
		require.NoError(t, err)
		assert.Equal(t, `["gemini-2.5-flash"]`, stored["FILTERED_MODELS"])
		assert.Equal(t, "1", stored["MAX_RETRIES"])
		assert.NotContains(t, stored, "AUTH_TOKEN")
		b.do("GET", "/api/config", nil).json(t, &c)
		for _, s := range c.Settings {
			switch s.Name {
			case "MAX_RETRIES":
				assert.Equal(t, "console", s.Source)
			case "TIME_OUT":
				assert.False(t, s.Editable)
			case "DATABASE_TYPE":
				assert.False(t, s.Editable)
			}
		}

		// The start-up merge: console edits over the environment, except
		// authoritative names.
		require.NoError(t, e.Store.PutSettings(ctx, map[string]string{"TIME_OUT": "7", "BOGUS": "1", "CHECK_INTERVAL_HOURS": "x"}))
		envCfg, _, err := config.Load(func(n string) string { return e.env[n] }, nil)
		require.NoError(t, err)
		merged, notices, err := app.MergeStoredSettings(ctx, envCfg, e.Store, func(n string) string { return e.env[n] })
		require.NoError(t, err)
		assert.Equal(t, 1, merged.MaxRetries, "console edit wins over the environment")
		assert.Equal(t, []string{"gemini-2.5-flash"}, merged.FilteredModels)
		assert.Equal(t, 300*time.Second, merged.TimeOut, "authoritative environment wins")
		assert.Equal(t, 1, merged.CheckIntervalHours, "invalid stored value skipped")
		assert.NotEmpty(t, notices)
		star, _, err := app.MergeStoredSettings(ctx, envCfg, e.Store, func(n string) string {
			if n == app.AuthoritativeEnv {
				return "*"
			}
			return ""
		})
		require.NoError(t, err)
		assert.Equal(t, 5, star.MaxRetries)

		// Changing the admin token ends the sessions made with the old one.
		require.NoError(t, e.Store.DeleteSettings(ctx, []string{"TIME_OUT", "BOGUS", "CHECK_INTERVAL_HOURS"}))
		r = b.do("PUT", "/api/config", map[string]any{"AUTH_TOKEN": "a-new-admin-token"})
		require.Equal(t, 401, b.do("GET", "/api/keys", nil).Status, "%s", r.Body)
		e.addSecret("a-new-admin-token")
		nb := &client{e: e, hc: http.DefaultClient, bearer: "a-new-admin-token"}

		// Reset: back to the environment, stored edits cleared.
		r = nb.do("POST", "/api/config/reset", nil)
		require.Equal(t, 200, r.Status, "%s", r.Body)
		assert.Equal(t, 5, e.App.Config.Load().MaxRetries)
		assert.Equal(t, 200, e.proxy("gemini-2.5-flash").Status)
		stored, err = e.Store.Settings(ctx)
		require.NoError(t, err)
		assert.Empty(t, stored)
		assert.Equal(t, "", e.App.Config.Load().AuthToken, "the test environment has no AUTH_TOKEN")
	})
}

func TestAdminScheduler(t *testing.T) {
	forBackends(t, func(t *testing.T, open func(t *testing.T) storage.Store) {
		e := newAdmEnv(t, open, func(cfg *config.Config, _ map[string]string) {
			cfg.CheckIntervalHours = 1
			cfg.AutoDeleteErrorLogsEnabled = true
			cfg.AutoDeleteErrorLogsDays = 7
		})
		ctx := context.Background()
		runs := make(chan adminhttp.JobStatus, 10)
		e.Admin.Scheduler.OnRun = func(st adminhttp.JobStatus) { runs <- st }
		e.Admin.Start(ctx)
		s := e.script()

		// A benched key that works again comes back at the next check.
		e.App.Pool.Bench(admKey(2), "MANUAL")
		var st adminhttp.SchedulerStatus
		s.do("GET", "/api/scheduler", nil).json(t, &st)
		require.Len(t, st.Jobs, 2)
		assert.True(t, st.Running)
		require.NotNil(t, st.Jobs[0].NextRun)
		assert.True(t, st.Jobs[0].NextRun.Equal(t0.Add(time.Hour)))
		require.NotNil(t, st.Jobs[1].NextRun)
		assert.True(t, st.Jobs[1].NextRun.Equal(time.Date(2025, 6, 11, 0, 0, 0, 0, e.App.Config.Load().Location)), "midnight in TIMEZONE")

		e.Clock.WaitForTimers(1)
		e.Clock.Advance(time.Hour)
		run := <-runs
		assert.Equal(t, adminhttp.JobKeyCheck, run.Name)
		assert.Contains(t, run.LastOutcome, "1 back in rotation")
		ks, _ := e.App.Pool.Status(admKey(2))
		assert.False(t, ks.State.Benched)
		require.NotNil(t, run.NextRun)
		assert.True(t, run.NextRun.Equal(t0.Add(2*time.Hour)))

		// Paused: nothing runs, no next run; resumed: planned from now.
		s.do("POST", "/api/scheduler/stop", nil).json(t, &st)
		assert.True(t, st.Paused)
		assert.Nil(t, st.Jobs[0].NextRun)
		e.App.Pool.Bench(admKey(2), "MANUAL")
		e.Clock.Advance(3 * time.Hour)
		select {
		case r := <-runs:
			t.Fatalf("job %s ran while paused", r.Name)
		default:
		}
		s.do("POST", "/api/scheduler/start", nil).json(t, &st)
		assert.False(t, st.Paused)
		assert.True(t, st.Jobs[0].NextRun.Equal(t0.Add(5*time.Hour)))

		// The daily clean-up at midnight in TIMEZONE deletes old error logs.
		require.NoError(t, e.Store.WriteErrorLogs(ctx, []storage.ErrorLog{
			{Time: t0.Add(-8 * 24 * time.Hour), Key: "k", Message: "old"},
			{Time: t0.Add(-24 * time.Hour), Key: "k", Message: "recent"},
		}))
		e.Clock.Set(time.Date(2025, 6, 11, 0, 0, 0, 0, e.App.Config.Load().Location))
		got := map[string]adminhttp.JobStatus{}
		for len(got) < 2 {
			r := <-runs
			got[r.Name] = r
		}
		assert.Contains(t, got[adminhttp.JobLogCleanup].LastOutcome, "1 error logs")
		_, n, err := e.Store.ListErrorLogs(ctx, storage.ErrorLogFilter{})
		require.NoError(t, err)
		assert.Equal(t, 1, n)

		// A configuration change reschedules: the check turned off.
		b := e.browser()
		b.login()
		require.Equal(t, 200, b.do("PUT", "/api/config", map[string]any{"CHECK_INTERVAL_HOURS": 0}).Status)
		s.do("GET", "/api/scheduler", nil).json(t, &st)
		assert.False(t, st.Jobs[0].Enabled)
		assert.Nil(t, st.Jobs[0].NextRun)

		// Run on demand.
		r := s.do("POST", "/api/scheduler/run/log_cleanup", nil)
		assert.Equal(t, 200, r.Status)
		<-runs
		assert.Equal(t, 404, s.do("POST", "/api/scheduler/run/nope", nil).Status)
	})
}
