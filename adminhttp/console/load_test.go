package console_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/geminibalance/gb/storage"
)

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n >= 0 {
		return n
	}
	return def
}

// seedLoad fills a store like a busy gateway's: nKeys keys, nReq request
// logs over the last 30 days (1,000 busy keys, 5 models, about 10%
// failures) and nErr error logs over the same days, with the store's batch
// writes.
func seedLoad(t testing.TB, s storage.Store, nKeys, nReq, nErr int) {
	ctx := context.Background()
	start := time.Now()
	keys := make([]string, nKeys)
	for i := range keys {
		keys[i] = testKey(100_000 + i)
	}
	for lo := 0; lo < len(keys); lo += 20_000 {
		_, err := s.AddKeys(ctx, keys[lo:min(lo+20_000, len(keys))])
		require.NoError(t, err)
	}
	t.Logf("seeded %d keys in %v", nKeys, time.Since(start).Round(time.Millisecond))
	busy := keys[:min(1000, len(keys))]
	models := []string{"gemini-2.5-flash", "gemini-2.5-pro", "gemini-2.5-flash-lite", "gemini-2.0-flash", "text-embedding-004"}
	r := rand.New(rand.NewPCG(1, 2))
	now := time.Now()
	span := int64(30 * 24 * time.Hour)
	start = time.Now()
	const chunk = 20000
	reqs := make([]storage.RequestLog, 0, chunk)
	for i := range nReq {
		at := now.Add(-time.Duration(span - span/int64(max(nReq, 1))*int64(i)))
		status, ok := 200, true
		switch x := r.IntN(100); {
		case x < 6:
			status, ok = 429, false
		case x < 9:
			status, ok = 500, false
		case x < 10:
			status, ok = 400, false
		}
		p, c := r.IntN(2000), r.IntN(800)
		reqs = append(reqs, storage.RequestLog{Time: at, Key: busy[r.IntN(len(busy))], Model: models[r.IntN(len(models))], Kind: "gemini-chat-stream",
			Status: status, Success: ok, Latency: time.Duration(r.IntN(3000)) * time.Millisecond, PromptTokens: p, CompletionTokens: c, TotalTokens: p + c})
		if len(reqs) == chunk || i == nReq-1 {
			require.NoError(t, s.WriteRequestLogs(ctx, reqs))
			reqs = reqs[:0]
		}
	}
	t.Logf("seeded %d request logs in %v", nReq, time.Since(start).Round(time.Millisecond))
	start = time.Now()
	errs := make([]storage.ErrorLog, 0, chunk)
	for i := range nErr {
		at := now.Add(-time.Duration(span - span/int64(max(nErr, 1))*int64(i)))
		status := []int{429, 429, 429, 500, 503, 400, 403}[r.IntN(7)]
		errs = append(errs, storage.ErrorLog{Time: at, Key: busy[r.IntN(len(busy))], Model: models[r.IntN(len(models))], Kind: "gemini-chat-stream",
			Status: status, Message: fmt.Sprintf(`{"error":{"code":%d,"message":"simulated failure number %d","status":"RESOURCE_EXHAUSTED"}}`, status, i),
			RequestBody: []byte(`{"contents":[{"role":"user","parts":[{"text":"hello"}]}]}`)})
		if len(errs) == chunk || i == nErr-1 {
			require.NoError(t, s.WriteErrorLogs(ctx, errs))
			errs = errs[:0]
		}
	}
	t.Logf("seeded %d error logs in %v", nErr, time.Since(start).Round(time.Millisecond))
}

// TestConsoleLoad measures, in Chromium, how long the dashboard and the
// error logs take to show their data with a large pool and large logs
// (GB_CONSOLE_LOAD_KEYS keys, default 100,000; GB_CONSOLE_LOAD_REQUESTS
// request logs, default 1,000,000; GB_CONSOLE_LOAD_ERRORS error logs,
// default 100,000) in SQLite. It logs the figures (reported in
// docs/benchmarks.md) and asserts nothing about them. Skipped with -short.
func TestConsoleLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("seeding a million rows: skipped with -short")
	}
	chromiumPath(t)
	nKeys := envInt("GB_CONSOLE_LOAD_KEYS", 100_000)
	nReq := envInt("GB_CONSOLE_LOAD_REQUESTS", 1_000_000)
	nErr := envInt("GB_CONSOLE_LOAD_ERRORS", 100_000)
	g := newGW(t, gwOptions{keys: []string{testKey(1)}, maxRetries: 1, seed: func(t testing.TB, s storage.Store) { seedLoad(t, s, nKeys, nReq, nErr) }})
	b := newTab(t, g.URL)
	b.open("/", "login")
	b.setValue("#auth_token", adminToken)
	b.click("#login-submit")
	b.wait("the dashboard", `location.pathname === '/keys'`)

	type figure struct {
		name string
		ms   float64
	}
	var figs []figure
	measure := func(name string, f func()) {
		start := time.Now()
		f()
		figs = append(figs, figure{name, float64(time.Since(start).Microseconds()) / 1000})
	}
	ready := func(page string) string {
		return `document.body.hasAttribute('data-ready-` + page + `')`
	}
	for run := range 3 {
		measure(fmt.Sprintf("dashboard /keys, run %d (stats, chart, first key page)", run+1), func() {
			b.open("/keys", "")
			b.wait("dashboard data", ready("keys")+` && `+ready("stats")+` && `+ready("chart"))
		})
		inPage := eval[map[string]float64](b, `window.gbReady`)
		t.Logf("dashboard run %d, ms from navigation start: %v", run+1, inPage)
	}
	measure("key table: jump to the last page", func() {
		last := (nKeys + 1 + 19) / 20
		b.setValue("#key-page-input", strconv.Itoa(last))
		b.wait("the last page", fmt.Sprintf(`document.getElementById('key-page-info').textContent.startsWith('Page %s of')`, fmtThousands(last)))
	})
	measure("key table: search one key among all", func() {
		b.setValue("#f-search", testKey(100_000 + nKeys/2)[20:])
		b.wait("one result", `document.getElementById('key-page-info').textContent === 'Page 1 of 1 · 1 in all'`)
	})
	measure("key table: filter benched (none)", func() {
		b.setValue("#f-search", "")
		b.setValue("#f-state", "benched")
		b.wait("empty state", `document.querySelector('#key-rows tr.empty') !== null`)
	})
	measure("chart: switch to 7 days", func() {
		b.click(`.seg[data-range="7d"]`)
		b.wait("7d chart", `document.getElementById('chart-desc').textContent.includes('requests') && document.querySelector('.seg[data-range="7d"]').getAttribute('aria-pressed') === 'true' && document.querySelectorAll('#chart rect').length >= 168`)
	})
	for run := range 3 {
		measure(fmt.Sprintf("error logs /logs, run %d (first page and total)", run+1), func() {
			b.open("/logs", "logs")
		})
	}
	measure("error logs: filter status 500", func() {
		b.setValue("#l-code", "500")
		b.click("#logs-apply")
		b.wait("filtered", `location.search.includes('error_code_search=500') && document.querySelector('#log-rows tr[data-id] td.num strong') && document.querySelector('#log-rows tr[data-id] td.num strong').textContent === '500' && document.getElementById('log-table').getAttribute('aria-busy') === 'false'`)
	})
	measure("error logs: text search", func() {
		b.setValue("#l-code", "")
		b.setValue("#l-text", "number 4242")
		b.click("#logs-apply")
		b.wait("searched", `document.getElementById('log-table').getAttribute('aria-busy') === 'false' && location.search.includes('error_search')`)
	})
	measure("error logs: last page", func() {
		b.setValue("#l-text", "")
		b.click("#logs-apply")
		b.wait("unfiltered", `!location.search.includes('error_search') && document.getElementById('log-table').getAttribute('aria-busy') === 'false'`)
		b.click(`#log-pager [data-page="last"]`)
		b.wait("last page", `location.search.includes('page=') && document.getElementById('log-table').getAttribute('aria-busy') === 'false'`)
	})
	measure("error logs: open details", func() {
		b.click(`#log-rows tr[data-id] [data-act="open"]`)
		b.wait("details", `document.getElementById('log-dialog').open`)
	})
	t.Logf("console load figures with %d keys, %d request logs, %d error logs (SQLite):", nKeys, nReq, nErr)
	for _, f := range figs {
		t.Logf("  %-62s %8.0f ms", f.name, f.ms)
	}
}

// fmtThousands formats n as the English page does (1,234).
func fmtThousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
