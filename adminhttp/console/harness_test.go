package console_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/geminibalance/gb/adminhttp/console"
	"github.com/geminibalance/gb/gemini/geminitest"
	"github.com/geminibalance/gb/internal/app"
	"github.com/geminibalance/gb/internal/config"
	"github.com/geminibalance/gb/storage"
	"github.com/geminibalance/gb/storage/sqlite"
)

const (
	adminToken  = "console-admin-token-0123"
	clientToken = "console-client-token-456"
)

// testKey returns a well-formed, deterministic key.
func testKey(i int) string { return fmt.Sprintf("AIzaSyConsoleTest%022d", i) }

// gw is the whole gateway — proxy routes, admin API and console — over a
// SQLite store in a temporary directory and a simulated Gemini API.
type gw struct {
	URL   string
	App   *app.App
	Admin *app.Admin
	Sim   *geminitest.Server
	Store storage.Store
}

type gwOptions struct {
	keys       []string                       // API_KEYS (Valid in the simulator unless behaviors say otherwise)
	behaviors  map[string]geminitest.Behavior // simulator behaviour per key
	seed       func(t testing.TB, s storage.Store)
	maxRetries int
	recordBody bool
}

// consolePatterns are the routes the console serves; the admin API keeps
// the others.
var consolePatterns = []string{"GET /{$}", "GET /keys", "GET /config", "GET /logs", "GET /static/"}

func newGW(t testing.TB, o gwOptions) *gw {
	t.Helper()
	sim := geminitest.NewServer(geminitest.Options{})
	t.Cleanup(sim.Close)
	for _, k := range o.keys {
		b, ok := o.behaviors[k]
		if !ok {
			b = geminitest.Behavior{Kind: geminitest.Valid}
		}
		sim.SetKey(k, b)
	}
	for k, b := range o.behaviors {
		sim.SetKey(k, b)
	}
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "gb.db"))
	require.NoError(t, err)
	if o.seed != nil {
		o.seed(t, store)
	}
	cfg := config.Default()
	cfg.BaseURL = sim.URL + "/v1beta"
	cfg.AllowedTokens = []string{clientToken}
	cfg.AuthToken = adminToken
	cfg.TimeOut = 30 * time.Second
	cfg.MaxRetries = o.maxRetries
	cfg.MaxFailures = 3
	cfg.APIKeys = o.keys
	cfg.ErrorLogRecordRequestBody = o.recordBody
	cfg.CheckIntervalHours = 0
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := app.New(context.Background(), cfg, store, logger)
	require.NoError(t, err)
	env := map[string]string{"BASE_URL": cfg.BaseURL, "ALLOWED_TOKENS": clientToken, "AUTH_TOKEN": adminToken}
	ad := app.NewAdmin(a, app.AdminOptions{
		Getenv: func(n string) string { return env[n] },
		DotEnv: func() ([]byte, error) { return nil, nil },
	})
	mux := http.NewServeMux()
	con := &console.Handler{
		Authenticated: console.SessionCheck(ad.Handler),
		LoginEnabled:  func() bool { return a.Config.Load().AuthToken != "" },
		Version:       "test",
	}
	for _, p := range consolePatterns {
		mux.Handle(p, con)
	}
	for _, p := range app.AdminPatterns {
		if !slices.Contains(consolePatterns, p) {
			mux.Handle(p, ad.Handler)
		}
	}
	mux.Handle("/", a.Handler())
	srv := httptest.NewServer(mux)
	t.Cleanup(func() {
		srv.Close()
		ad.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		a.Close(ctx)
	})
	return &gw{URL: srv.URL, App: a, Admin: ad, Sim: sim, Store: store}
}

// proxy sends a native generateContent call as a gateway client.
func (g *gw) proxy(t testing.TB, model string) int {
	t.Helper()
	req, err := http.NewRequest("POST", g.URL+"/v1beta/models/"+model+":generateContent",
		strings.NewReader(`{"contents":[{"role":"user","parts":[{"text":"hello from the console test"}]}]}`))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-goog-api-key", clientToken)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// chromiumPath finds Debian's chromium. Without it the browser tests are
// skipped, unless GB_TEST_BROWSER=1 (as in CI), where they fail.
func chromiumPath(t testing.TB) string {
	t.Helper()
	for _, p := range []string{os.Getenv("GB_CHROMIUM"), "/usr/bin/chromium"} {
		if p != "" {
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if os.Getenv("GB_TEST_BROWSER") == "1" {
		t.Fatal("GB_TEST_BROWSER=1 but chromium is not installed: run scripts/install-browser.sh")
	}
	t.Skip("chromium not installed (run scripts/install-browser.sh, or set GB_TEST_BROWSER=1 to make this a failure)")
	return ""
}

// newBrowser starts a headless chromium with a fresh profile and returns
// a tab context, closed when the test ends.
func newBrowser(t testing.TB) context.Context {
	t.Helper()
	path := chromiumPath(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
		chromedp.Flag("lang", "en-US"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(cancel2)
	require.NoError(t, chromedp.Do(ctx), "starting chromium")
	return ctx
}

// screenshotDir is the git-ignored folder at the repository root where the
// browser tests save their screenshots.
func screenshotDir(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "screenshots"))
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(dir, 0o755))
	return dir
}
