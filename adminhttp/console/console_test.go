package console_test

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/geminibalance/gb/adminhttp/console"
)

// serve runs one request through h.
func serve(h http.Handler, method, target string, hdr ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Add(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// loggedIn says a request is an admin's when it carries gb_session=ok.
func loggedIn(r *http.Request) bool {
	c, err := r.Cookie("gb_session")
	return err == nil && c.Value == "ok"
}

func newHandler() *console.Handler {
	return &console.Handler{Authenticated: loggedIn, Version: "v9.9.9-test"}
}

const session = "gb_session=ok; gb_csrf=csrf-token-123"

func TestRedirects(t *testing.T) {
	h := newHandler()
	for _, p := range []string{"/keys", "/config", "/logs", "/keys?page=3"} {
		w := serve(h, "GET", p)
		assert.Equal(t, http.StatusFound, w.Code, p)
		assert.Equal(t, "/", w.Header().Get("Location"), p)
		w = serve(h, "GET", p, "Cookie", "gb_session=stale")
		assert.Equal(t, http.StatusFound, w.Code, p)
	}
	w := serve(h, "GET", "/")
	assert.Equal(t, 200, w.Code)
	assert.Contains(t, w.Body.String(), `action="/auth"`)
	assert.Contains(t, w.Body.String(), `name="auth_token"`)

	w = serve(h, "GET", "/", "Cookie", session)
	assert.Equal(t, http.StatusFound, w.Code)
	assert.Equal(t, "/keys", w.Header().Get("Location"))
	for _, p := range []string{"/keys", "/config", "/logs"} {
		w := serve(h, "GET", p, "Cookie", session)
		assert.Equal(t, 200, w.Code, p)
		assert.Contains(t, w.Body.String(), `name="csrf_token" value="csrf-token-123"`, "the log-out form carries the CSRF token")
		assert.Contains(t, w.Body.String(), `action="/logout"`)
	}
	assert.Equal(t, 404, serve(h, "GET", "/nope", "Cookie", session).Code)

	// Nil Authenticated: nobody is logged in.
	assert.Equal(t, http.StatusFound, serve(&console.Handler{}, "GET", "/keys").Code)
}

func TestLoginErrors(t *testing.T) {
	h := newHandler()
	for code, want := range map[string]string{
		"invalid": "Wrong admin token", "disabled": "AUTH_TOKEN is not set", "rate_limited": "Too many failed log-ins",
		"cross_origin": "another site", "expired": "session has ended", "whatever": "Wrong admin token",
	} {
		body := serve(h, "GET", "/?error="+code).Body.String()
		assert.Contains(t, body, want, code)
		assert.Contains(t, body, `role="alert"`, code)
	}
	assert.NotContains(t, serve(h, "GET", "/").Body.String(), `role="alert" id="login-error"`)
	zh := serve(h, "GET", "/?error=invalid", "Accept-Language", "zh-CN,zh;q=0.9").Body.String()
	assert.Contains(t, zh, "管理令牌错误")

	off := &console.Handler{LoginEnabled: func() bool { return false }}
	assert.Contains(t, serve(off, "GET", "/").Body.String(), "AUTH_TOKEN is not set")
}

func TestLanguage(t *testing.T) {
	cases := []struct {
		accept, cookie, want string
	}{
		{"", "", "en"},
		{"zh-CN,zh;q=0.9,en;q=0.8", "", "zh"},
		{"zh-TW", "", "zh"},
		{"fr-FR,fr;q=0.9,zh;q=0.8,en;q=0.7", "", "zh"},
		{"de, en;q=0.5, zh;q=0.4", "", "en"},
		{"en;q=0.2, zh;q=0.9", "", "zh"},
		{"zh-CN", "en", "en"},
		{"en-US", "zh", "zh"},
		{"en-US", "xx", "en"},
		{"ja", "", "en"},
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		if c.accept != "" {
			r.Header.Set("Accept-Language", c.accept)
		}
		if c.cookie != "" {
			r.AddCookie(&http.Cookie{Name: console.LangCookie, Value: c.cookie})
		}
		assert.Equal(t, c.want, console.Language(r), "%+v", c)
	}

	h := newHandler()
	zh := serve(h, "GET", "/keys", "Cookie", session, "Accept-Language", "zh-CN").Body.String()
	assert.Contains(t, zh, `<html lang="zh-CN">`)
	assert.Contains(t, zh, "密钥与流量")
	en := serve(h, "GET", "/keys", "Cookie", session+"; gb_lang=en", "Accept-Language", "zh-CN").Body.String()
	assert.Contains(t, en, `<html lang="en">`)
	assert.Contains(t, en, "Keys and traffic")

	// ?lang= switches, remembers in the cookie, and keeps the other parameters.
	w := serve(h, "GET", "/logs?error_code_search=500&lang=zh", "Cookie", session)
	assert.Equal(t, http.StatusSeeOther, w.Code)
	assert.Equal(t, "/logs?error_code_search=500", w.Header().Get("Location"))
	assert.Contains(t, w.Header().Get("Set-Cookie"), "gb_lang=zh")
	w = serve(h, "GET", "/?lang=xx")
	assert.Equal(t, http.StatusSeeOther, w.Code)
	assert.Empty(t, w.Header().Get("Set-Cookie"), "unknown languages are not remembered")
	page := serve(h, "GET", "/logs?error_code_search=500", "Cookie", session).Body.String()
	assert.Contains(t, page, `href="/logs?error_code_search=500&amp;lang=zh"`)
}

func TestHeaders(t *testing.T) {
	h := newHandler()
	for _, p := range []string{"/", "/keys", "/config", "/logs"} {
		w := serve(h, "GET", p, "Cookie", "gb_session=ok")
		if p == "/" {
			w = serve(h, "GET", p)
		}
		require.Equal(t, 200, w.Code, p)
		hd := w.Header()
		assert.Equal(t, "text/html; charset=utf-8", hd.Get("Content-Type"), p)
		assert.Equal(t, console.CSP, hd.Get("Content-Security-Policy"), p)
		assert.Equal(t, "DENY", hd.Get("X-Frame-Options"), p)
		assert.Equal(t, "nosniff", hd.Get("X-Content-Type-Options"), p)
		assert.Equal(t, "no-store", hd.Get("Cache-Control"), p)
	}
	assert.NotContains(t, console.CSP, "unsafe-inline")
	assert.NotContains(t, console.CSP, "unsafe-eval")
	assert.Contains(t, console.CSP, "script-src 'self'")
	assert.Contains(t, console.CSP, "frame-ancestors 'none'")
}

var assetRef = regexp.MustCompile(`(?:src|href)="(/static/([^"?]+)\?v=([0-9a-f]+))"`)

func TestStatic(t *testing.T) {
	h := newHandler()
	body := serve(h, "GET", "/keys", "Cookie", session).Body.String()
	refs := assetRef.FindAllStringSubmatch(body, -1)
	require.NotEmpty(t, refs)
	types := map[string]string{".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml"}
	seen := map[string]bool{}
	for _, m := range refs {
		url, name, hash := m[1], m[2], m[3]
		if seen[url] {
			continue
		}
		seen[url] = true
		w := serve(h, "GET", url)
		require.Equal(t, 200, w.Code, url)
		ext := name[strings.LastIndex(name, "."):]
		assert.Equal(t, types[ext], w.Header().Get("Content-Type"), url)
		assert.Equal(t, "public, max-age=31536000, immutable", w.Header().Get("Cache-Control"), url)
		assert.Equal(t, `"`+hash+`"`, w.Header().Get("ETag"), url)
		assert.NotEmpty(t, w.Body.Bytes())
		// Without the current version: revalidate, and 304 on a match.
		w = serve(h, "GET", "/static/"+name+"?v=old")
		assert.Equal(t, "no-cache", w.Header().Get("Cache-Control"), url)
		w = serve(h, "GET", "/static/"+name, "If-None-Match", `"`+hash+`"`)
		assert.Equal(t, http.StatusNotModified, w.Code, url)
		w = serve(h, "HEAD", url)
		assert.Equal(t, 200, w.Code)
		assert.Empty(t, w.Body.Bytes())
	}
	for _, want := range []string{"app.css", "theme.js", "common.js", "keys.js", "favicon.svg"} {
		found := false
		for u := range seen {
			found = found || strings.Contains(u, "/"+want+"?")
		}
		assert.True(t, found, "the keys page loads %s", want)
	}
	assert.Equal(t, 404, serve(h, "GET", "/static/nope.js").Code)
	assert.NotEqual(t, 200, serve(h, "GET", "/static/../console.go").Code)
	assert.Equal(t, 404, serve(h, "GET", "/static/templates/keys.html").Code)
	// Static files need no session (the log-in page uses them).
	assert.Equal(t, 200, serve(h, "GET", "/static/app.css").Code)
}

// voidElements have no end tag.
var voidElements = map[string]bool{"area": true, "base": true, "br": true, "col": true, "embed": true, "hr": true, "img": true,
	"input": true, "link": true, "meta": true, "source": true, "track": true, "wbr": true}

// checkHTML tokenises a page and reports what makes it invalid or unsafe
// under the CSP: unbalanced or mis-nested tags, duplicate ids, inline
// scripts, style attributes and event-handler attributes, a missing
// doctype, lang or title, and labels pointing at missing controls.
func checkHTML(t *testing.T, name, page string) {
	t.Helper()
	z := html.NewTokenizer(strings.NewReader(page))
	var stack []string
	ids := map[string]bool{}
	var fors []string
	doctype, title := false, false
	inScript := ""
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			require.ErrorIs(t, z.Err(), io.EOF, name)
			break
		}
		tok := z.Token()
		switch tt {
		case html.DoctypeToken:
			doctype = strings.EqualFold(tok.Data, "html")
		case html.StartTagToken, html.SelfClosingTagToken:
			attrs := map[string]string{}
			for _, a := range tok.Attr {
				if _, dup := attrs[a.Key]; dup {
					t.Errorf("%s: <%s> repeats attribute %s", name, tok.Data, a.Key)
				}
				attrs[a.Key] = a.Val
				if strings.HasPrefix(a.Key, "on") {
					t.Errorf("%s: <%s> has an event-handler attribute %s (blocked by the CSP)", name, tok.Data, a.Key)
				}
				if a.Key == "style" {
					t.Errorf("%s: <%s> has a style attribute (blocked by the CSP)", name, tok.Data)
				}
			}
			if id, ok := attrs["id"]; ok {
				if ids[id] {
					t.Errorf("%s: duplicate id %q", name, id)
				}
				ids[id] = true
			}
			if f, ok := attrs["for"]; ok && tok.Data == "label" {
				fors = append(fors, f)
			}
			switch tok.DataAtom {
			case atom.Html:
				assert.NotEmpty(t, attrs["lang"], "%s: <html lang>", name)
			case atom.Title:
				title = true
			case atom.Script:
				_, hasSrc := attrs["src"]
				if !hasSrc && attrs["type"] != "application/json" {
					t.Errorf("%s: inline script (blocked by the CSP)", name)
				}
				inScript = attrs["type"]
			case atom.Style:
				t.Errorf("%s: inline <style> (blocked by the CSP)", name)
			}
			if tt == html.StartTagToken && !voidElements[tok.Data] {
				stack = append(stack, tok.Data)
			}
		case html.EndTagToken:
			if voidElements[tok.Data] {
				t.Errorf("%s: end tag for void element </%s>", name, tok.Data)
				continue
			}
			if len(stack) == 0 || stack[len(stack)-1] != tok.Data {
				t.Errorf("%s: </%s> closes %v", name, tok.Data, stack)
				return
			}
			stack = stack[:len(stack)-1]
			if tok.Data == "script" {
				inScript = ""
			}
		case html.TextToken:
			if inScript == "application/json" {
				assert.Regexp(t, `^\s*\{.*\}\s*$`, tok.Data, "%s: the string table is a JSON object", name)
			}
		}
	}
	assert.Empty(t, stack, "%s: unclosed elements", name)
	assert.True(t, doctype, "%s: <!DOCTYPE html>", name)
	assert.True(t, title, "%s: <title>", name)
	for _, f := range fors {
		assert.True(t, ids[f], "%s: <label for=%q> names no element", name, f)
	}
	// The parser agrees: one html, head and body.
	doc, err := html.Parse(strings.NewReader(page))
	require.NoError(t, err)
	var count func(*html.Node, string) int
	count = func(n *html.Node, tag string) int {
		c := 0
		if n.Type == html.ElementNode && n.Data == tag {
			c++
		}
		for k := n.FirstChild; k != nil; k = k.NextSibling {
			c += count(k, tag)
		}
		return c
	}
	assert.Equal(t, 1, count(doc, "h1"), "%s: one h1", name)
	assert.Equal(t, 1, count(doc, "main"), "%s: one main", name)
}

func TestPagesWellFormed(t *testing.T) {
	h := newHandler()
	for _, lang := range console.Languages {
		for _, p := range []string{"/", "/?error=invalid", "/keys", "/config", "/logs"} {
			cookie := "gb_lang=" + lang
			if p != "/" && !strings.HasPrefix(p, "/?") {
				cookie += "; " + session
			}
			w := serve(h, "GET", p, "Cookie", cookie)
			require.Equal(t, 200, w.Code, p)
			checkHTML(t, lang+" "+p, w.Body.String())
			assert.NotContains(t, w.Body.String(), "<no value>")
		}
	}
}

// TestStrings checks that both languages have the same strings and that
// every string the templates and scripts ask for exists.
func TestStrings(t *testing.T) {
	dicts := map[string]map[string]string{}
	h := newHandler()
	for _, lang := range console.Languages {
		body := serve(h, "GET", "/keys", "Cookie", session+"; gb_lang="+lang).Body.String()
		m := regexp.MustCompile(`(?s)<script type="application/json" id="gb-i18n">(.*?)</script>`).FindStringSubmatch(body)
		require.Len(t, m, 2)
		d := map[string]string{}
		require.NoError(t, jsonUnmarshal(m[1], &d), lang)
		dicts[lang] = d
	}
	keysOf := func(m map[string]string) []string {
		out := make([]string, 0, len(m))
		for k := range m {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	}
	require.Equal(t, keysOf(dicts["en"]), keysOf(dicts["zh"]), "English and Chinese have the same strings")
	for k, v := range dicts["zh"] {
		assert.NotEmpty(t, v, k)
		// Placeholders match.
		ph := regexp.MustCompile(`\{\w+\}`)
		a, b := ph.FindAllString(dicts["en"][k], -1), ph.FindAllString(v, -1)
		sort.Strings(a)
		sort.Strings(b)
		assert.Equal(t, a, b, "placeholders of %s", k)
	}

	var used []string
	uses := regexp.MustCompile(`\.T "([a-z0-9_.]+)"|\bt\('([a-z0-9_.]+)'`)
	for _, dir := range []string{"templates", "static"} {
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		for _, e := range entries {
			b, err := fs.ReadFile(os.DirFS(dir), e.Name())
			require.NoError(t, err)
			for _, m := range uses.FindAllStringSubmatch(string(b), -1) {
				used = append(used, m[1]+m[2])
			}
		}
	}
	// Keys built at run time.
	for _, p := range []string{"login", "keys", "config", "logs"} {
		used = append(used, "page."+p)
	}
	for _, s := range []string{"active", "cooling", "benched"} {
		used = append(used, "state."+s)
	}
	for _, p := range []string{"1m", "1h", "24h", "month"} {
		used = append(used, "period."+p)
	}
	for _, g := range []string{"api", "models", "thinking", "tts", "images", "streaming", "scheduler", "logging", "proxies", "other"} {
		used = append(used, "tab."+g)
	}
	for _, s := range []string{"default", "environment", "console"} {
		used = append(used, "config.source."+s)
	}
	for _, e := range []string{"invalid", "disabled", "rate_limited", "cross_origin", "expired"} {
		used = append(used, "login.error."+e)
	}
	require.Greater(t, len(used), 100)
	slices.Sort(used)
	for _, k := range slices.Compact(used) {
		if strings.HasSuffix(k, ".") {
			continue // a prefix completed at run time, listed above
		}
		_, ok := dicts["en"][k]
		assert.True(t, ok, "string %q is used but not defined", k)
	}
}

func TestSessionCheck(t *testing.T) {
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/auth/session" || r.Method != "GET" {
			http.NotFound(w, r)
			return
		}
		if c, err := r.Cookie("gb_session"); err == nil && c.Value == "good" || r.Header.Get("Authorization") == "Bearer tok" {
			io.WriteString(w, `{"authenticated":true}`)
			return
		}
		w.WriteHeader(http.StatusUnauthorized)
	})
	check := console.SessionCheck(api)
	r := httptest.NewRequest("GET", "/keys", nil)
	assert.False(t, check(r))
	r.AddCookie(&http.Cookie{Name: "gb_session", Value: "good"})
	assert.True(t, check(r))
	r = httptest.NewRequest("GET", "/keys", nil)
	r.AddCookie(&http.Cookie{Name: "gb_session", Value: "bad"})
	assert.False(t, check(r))
	r = httptest.NewRequest("GET", "/keys", nil)
	r.Header.Set("Authorization", "Bearer tok")
	assert.True(t, check(r))
}
