package console_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/geminibalance/gb/gemini/geminitest"
)

// proModelCalls counts the simulator's calls for gemini-2.5-pro.
func proModelCalls(g *gw) int {
	n := 0
	for _, r := range g.Sim.Requests() {
		if r.Model == "gemini-2.5-pro" {
			n++
		}
	}
	return n
}

// TestConsoleFlow drives the console in Chromium through the operator's
// day: log in, add keys by pasting text, verify them (a bad one is benched
// with its reason), reset it, change MAX_RETRIES and see the next proxied
// request honour it, filter the error logs and open one, switch language
// and theme, log out and be refused. Every page is screenshotted and
// audited for accessibility on the way.
func TestConsoleFlow(t *testing.T) {
	// Every key answers gemini-2.5-flash and fails gemini-2.5-pro with 500,
	// so that a pro request makes 1+MAX_RETRIES attempts.
	failPro := geminitest.Behavior{Kind: geminitest.Flaky, Status: 500, Models: []string{"gemini-2.5-pro"}}
	good, bad := testKey(10), testKey(11) // bad is unknown to the simulator: API key not valid
	keys := []string{testKey(1), testKey(2), testKey(3)}
	beh := map[string]geminitest.Behavior{good: failPro}
	for _, k := range keys {
		beh[k] = failPro
	}
	g := newGW(t, gwOptions{keys: keys, behaviors: beh, maxRetries: 3, recordBody: true})
	require.Equal(t, 200, g.proxy(t, "gemini-2.5-flash"), "some traffic for the dashboard")
	b := newTab(t, g.URL)

	// Not logged in: every page leads to the log-in form.
	b.open("/keys", "login")
	assert.Equal(t, g.URL+"/", eval[string](b, `location.href`))
	b.shots("login")
	b.audit("login")

	// A wrong token is refused with a message; the right one leads to /keys.
	b.setValue("#auth_token", "not-the-token")
	b.click("#login-submit")
	b.wait("the log-in error", `document.getElementById('login-error') !== null`)
	assert.Contains(t, b.text("#login-error"), "Wrong admin token")
	b.audit("login with error")
	b.setValue("#auth_token", adminToken)
	b.click("#login-submit")
	b.wait("the dashboard", `location.pathname === '/keys' && document.body.hasAttribute('data-ready-keys') && document.body.hasAttribute('data-ready-stats')`)
	b.wait("the first call counted", `document.querySelector('[data-period="24h"] [data-f="calls"]').textContent !== '0'`)

	// Paste a text with several keys: two new, one already pooled, one malformed.
	b.click("#add-open")
	paste := fmt.Sprintf("new keys from the team:\n  %s, %s\nold: %s\ntypo: AIzaSyTooShort123\n", good, bad, keys[0])
	b.setValue("#add-text", paste)
	b.click("#add-submit")
	b.wait("the add result", `document.getElementById('add-result').textContent.includes('added')`)
	res := b.text("#add-result")
	assert.Contains(t, res, "2 added")
	assert.Contains(t, res, "1 already there")
	assert.Contains(t, res, "1 malformed")
	b.click("#add-close")
	row := func(k string) string { return fmt.Sprintf(`#key-rows tr[data-key="AIza…%s"]`, k[len(k)-4:]) }
	b.wait("the new keys listed", fmt.Sprintf(`document.querySelector('%s') && document.querySelector('%s')`, row(good), row(bad)))

	// Verify the good key, then the bad one: benched with its reason.
	b.click(row(good) + ` [data-act="verify"]`)
	b.waitToast("works")
	b.click(row(bad) + ` [data-act="verify"]`)
	b.waitToast("failed")
	b.wait("the bad key benched", fmt.Sprintf(`(document.querySelector('%s .badge') || {}).textContent === 'Benched'`, row(bad)))
	reason := b.text(row(bad) + " .reason")
	assert.NotEmpty(t, reason, "the bench reason is shown")
	t.Logf("bench reason shown: %q", reason)
	st, ok := g.App.Pool.Status(bad)
	require.True(t, ok)
	assert.True(t, st.State.Benched)

	// Reveal a key on demand.
	b.click(row(good) + ` [data-act="reveal"]`)
	b.wait("the key revealed", fmt.Sprintf(`document.querySelector('%s code').textContent === %q`, row(good), good))
	b.click(row(good) + ` [data-act="hide"]`)
	b.wait("the key masked again", fmt.Sprintf(`document.querySelector('%s code').textContent !== %q`, row(good), good))

	// Select the bad key: the selection survives an auto-refresh.
	b.click(row(bad) + ` input[data-act="sel"]`)
	b.wait("one selected", `document.getElementById('sel-count').textContent.includes('1 selected')`)
	b.shots("keys")
	b.audit("keys")

	// Reset it (from the selection's bulk bar).
	b.click(`#bulkbar [data-bulk="reset"]`)
	b.waitToast("Reset 1 keys")
	b.wait("the bad key active again", fmt.Sprintf(`(document.querySelector('%s .badge') || {}).textContent === 'Active'`, row(bad)))
	st, _ = g.App.Pool.Status(bad)
	assert.False(t, st.State.Benched)

	// Dialogs: add and export, for the screenshots and the audit.
	b.click("#add-open")
	b.audit("keys, add dialog")
	b.shots("keys-add-dialog")
	b.click("#add-close")

	// Configuration: an invalid value is refused next to its field; a valid
	// one applies to the very next proxied request.
	b.open("/config", "config")
	b.shots("config")
	b.audit("config")
	b.setValue("#s-MAX_RETRIES", "abc")
	b.wait("save enabled", `!document.getElementById('config-save').disabled`)
	b.click("#config-save")
	b.wait("the field error", `!document.getElementById('err-MAX_RETRIES').hidden`)
	assert.NotEmpty(t, b.text("#err-MAX_RETRIES"))
	assert.Equal(t, "true", eval[string](b, `document.getElementById('s-MAX_RETRIES').getAttribute('aria-invalid')`))
	b.shots("config-error")
	b.setValue("#s-MAX_RETRIES", "1")
	b.click("#config-save")
	b.waitToast("Saved and applied")
	require.Equal(t, 1, g.App.Config.Load().MaxRetries)
	before := proModelCalls(g)
	code := g.proxy(t, "gemini-2.5-pro")
	assert.GreaterOrEqual(t, code, 500)
	assert.Equal(t, 2, proModelCalls(g)-before, "MAX_RETRIES=1: one attempt and one retry")

	// Other tabs render and pass the audit.
	for _, tabName := range []string{"models", "scheduler", "proxies", "logging"} {
		b.click("#tab-" + tabName)
		b.wait(tabName+" tab", `!document.getElementById('panel-`+tabName+`').hidden`)
		b.audit("config, " + tabName + " tab")
		if tabName == "proxies" {
			b.wait("proxy check button", `!!document.querySelector('#panel-proxies #proxy-check-all')`)
		}
	}
	b.shots("config-scheduler")

	// Error logs: filter, empty state, details.
	b.open("/logs", "logs")
	b.wait("two error logs", `document.querySelectorAll('#log-rows tr[data-id]').length >= 2`)
	b.setValue("#l-code", "404")
	b.click("#logs-apply")
	b.wait("the empty state", `document.querySelector('#log-rows tr.empty') !== null`)
	assert.Contains(t, b.text("#log-rows"), "No log matches")
	b.setValue("#l-code", "500")
	b.setValue("#l-model", "gemini-2.5-pro")
	b.click("#logs-apply")
	b.wait("the filtered logs", `document.querySelectorAll('#log-rows tr[data-id]').length === 2`)
	assert.Contains(t, eval[string](b, `location.search`), "error_code_search=500")
	b.shots("logs")
	b.audit("logs")
	b.click(`#log-rows tr[data-id] [data-act="open"]`)
	b.wait("the details", `document.getElementById('log-dialog').open && document.getElementById('log-msg').textContent.length > 0`)
	assert.Contains(t, b.text("#log-body"), "hello from the console test", "the recorded request body")
	assert.NotContains(t, b.text("#log-msg")+b.text("#log-body"), keys[0], "keys stay masked")
	b.audit("logs, details")
	b.shots("logs-details")
	b.click("#log-dialog-close")

	// Language: Chinese, remembered in a cookie.
	b.click(`.langs a[data-lang="zh"]`)
	b.wait("Chinese", `document.documentElement.lang === 'zh-CN' && document.body.hasAttribute('data-ready-logs')`)
	assert.Equal(t, "错误日志", strings.TrimSpace(b.text(`.mainnav a[aria-current="page"]`)))
	assert.Contains(t, eval[string](b, `location.search`), "error_code_search=500", "filters kept across the switch")
	b.open("/keys", "keys")
	assert.Equal(t, "密钥", strings.TrimSpace(b.text(`.mainnav a[aria-current="page"]`)))

	// Theme: dark, remembered across pages.
	dark := eval[bool](b, `matchMedia('(prefers-color-scheme: dark)').matches`)
	b.click("#theme-toggle")
	want := "dark"
	if dark {
		want = "light"
	}
	b.wait("the theme switched", fmt.Sprintf(`document.documentElement.dataset.theme === %q`, want))
	assert.Equal(t, want, eval[string](b, `localStorage.getItem('gb-theme')`))
	if want == "light" { // make sure the screenshots show the dark theme
		b.click("#theme-toggle")
	}
	b.open("/keys", "keys")
	assert.Equal(t, "dark", eval[string](b, `document.documentElement.dataset.theme`))
	b.wait("the table", `document.querySelectorAll('#key-rows tr[data-id]').length >= 5`)
	b.shots("keys-zh-dark")
	b.audit("keys, dark, Chinese")
	b.open("/config", "config")
	b.shots("config-zh-dark")
	b.audit("config, dark, Chinese")
	b.open("/logs", "logs")
	b.shots("logs-zh-dark")
	b.audit("logs, dark, Chinese")
	b.click(`.langs a[data-lang="en"]`)
	b.wait("English", `document.documentElement.lang === 'en' && document.body.hasAttribute('data-ready-logs')`)

	// Log out: back to the log-in page, and refused afterwards.
	b.click("#logout")
	b.wait("the log-in page", `location.pathname === '/' && document.getElementById('auth_token') !== null`)
	b.shots("login-dark")
	b.audit("login, dark")
	b.open("/keys", "login")
	assert.Equal(t, g.URL+"/", eval[string](b, `location.href`))
	assert.Equal(t, 401, eval[int](b, `fetch('/api/keys').then(r => r.status)`))

	// The audit itself catches what it is meant to catch.
	b.js(`(() => {
		const m = document.querySelector('main');
		const i = document.createElement('input'); i.id = 'audit-bad-input'; m.appendChild(i);
		const img = document.createElement('img'); img.src = '/static/favicon.svg'; m.appendChild(img);
		const btn = document.createElement('button'); btn.className = 'audit-bad-button'; m.appendChild(btn);
		const p = document.createElement('p'); p.textContent = 'faint text'; p.className = 'audit-faint'; m.appendChild(p);
		p.style.color = getComputedStyle(document.body).backgroundColor;
	})()`)
	problems := strings.Join(eval[[]string](b, a11yAudit), "\n")
	assert.Contains(t, problems, "control without a label: input#audit-bad-input")
	assert.Contains(t, problems, "image without alt")
	assert.Contains(t, problems, "no accessible name: button.audit-bad-button")
	assert.Contains(t, problems, `"faint text"`)
}
