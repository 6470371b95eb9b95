// Package console is gb's web console: the log-in page and the pages an
// operator uses to watch and steer the key pool from a browser — the
// dashboard and key table (/keys), the configuration (/config) and the
// error logs (/logs).
//
// The console is a client of the admin API served by package adminhttp:
// its pages are html/template documents with small hand-written scripts
// and style sheets, all embedded in the binary, that call the JSON API
// under /api/ with the session cookie and CSRF token adminhttp issues. It
// adds no logic the API lacks, loads nothing from other sites and works
// offline.
//
// A [Handler] serves GET /, /keys, /config, /logs and /static/…; mount it
// for those paths in front of an adminhttp.Handler, which serves the log-in
// form's POST /auth, POST /logout and the API:
//
//	mux.Handle("GET /{$}", con)
//	mux.Handle("GET /keys", con)
//	mux.Handle("GET /config", con)
//	mux.Handle("GET /logs", con)
//	mux.Handle("GET /static/", con)
//	mux.Handle("/", admin) // everything else
//
// Pages are served with a strict Content-Security-Policy (scripts and
// styles only from /static/), X-Frame-Options DENY and no caching; static
// files carry a content hash in their URL and are cached for a year.
// Every page is available in English and Simplified Chinese (from the
// gb_lang cookie, else Accept-Language) and in a light and a dark theme.
package console

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// LangCookie is the cookie that remembers the chosen language ("en" or
// "zh").
const LangCookie = "gb_lang"

// csrfCookie is adminhttp's CSRF cookie, readable by the page: the log-out
// form sends it back as csrf_token.
const csrfCookie = "gb_csrf"

// Handler serves the console's pages and static files. Set its fields
// before the first request and do not change them afterwards.
type Handler struct {
	// Authenticated reports whether r comes from a logged-in admin
	// (gbserver wires it to adminhttp's session check, see
	// [SessionCheck]). Pages other than the log-in page redirect (302) to
	// / when it returns false; nil means nobody is logged in.
	Authenticated func(r *http.Request) bool
	// LoginEnabled, if set, reports whether logging in is possible at all
	// (an admin token is configured); when it returns false the log-in
	// page says so. Nil means it is.
	LoginEnabled func() bool
	// Version is shown in the page footer (for example "v1.2.3").
	Version string
	// Title names the console in page titles and the header; empty means
	// "gb".
	Title string

	once   sync.Once
	mux    *http.ServeMux
	tmpl   map[string]*template.Template
	assets map[string]*asset
}

// asset is one embedded static file.
type asset struct {
	name  string
	body  []byte
	ctype string
	hash  string // first 12 hex digits of the SHA-256 of body
}

// pages are the page templates, each combined with layout.html.
var pages = []string{"login", "keys", "config", "logs"}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.once.Do(h.init)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "same-origin")
	h.mux.ServeHTTP(w, r)
}

func (h *Handler) init() {
	h.assets = map[string]*asset{}
	fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		name := strings.TrimPrefix(p, "static/")
		h.assets[name] = &asset{name: name, body: b, ctype: contentType(name), hash: hex.EncodeToString(sum[:6])}
		return nil
	})
	funcs := template.FuncMap{
		"asset": h.assetURL,
	}
	h.tmpl = map[string]*template.Template{}
	for _, p := range pages {
		t := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+p+".html"))
		h.tmpl[p] = t
	}
	m := http.NewServeMux()
	m.HandleFunc("GET /{$}", h.root)
	m.HandleFunc("GET /keys", h.page("keys"))
	m.HandleFunc("GET /config", h.page("config"))
	m.HandleFunc("GET /logs", h.page("logs"))
	m.HandleFunc("GET /static/{file...}", h.static)
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
	h.mux = m
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".css":
		return "text/css; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".json":
		return "application/json"
	case ".png":
		return "image/png"
	case ".ico":
		return "image/x-icon"
	}
	return "application/octet-stream"
}

// assetURL is the versioned URL of a static file: /static/name?v=hash.
func (h *Handler) assetURL(name string) string {
	a := h.assets[name]
	if a == nil {
		panic("console: no static file " + name)
	}
	return "/static/" + name + "?v=" + a.hash
}

// static serves an embedded file. With the current ?v= hash it may be
// cached for a year; otherwise it must be revalidated (ETag).
func (h *Handler) static(w http.ResponseWriter, r *http.Request) {
	a := h.assets[r.PathValue("file")]
	if a == nil {
		http.NotFound(w, r)
		return
	}
	etag := `"` + a.hash + `"`
	w.Header().Set("Content-Type", a.ctype)
	w.Header().Set("ETag", etag)
	if r.URL.Query().Get("v") == a.hash {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(a.body)))
	if r.Method == http.MethodHead {
		return
	}
	w.Write(a.body)
}

func (h *Handler) authenticated(r *http.Request) bool {
	return h.Authenticated != nil && h.Authenticated(r)
}

// switchLang handles ?lang=en|zh: remember it in the cookie and redirect
// to the same URL without it (so that the switch works without script).
func switchLang(w http.ResponseWriter, r *http.Request) bool {
	q := r.URL.Query()
	l := q.Get("lang")
	if l == "" {
		return false
	}
	if _, ok := dicts[l]; ok {
		http.SetCookie(w, &http.Cookie{Name: LangCookie, Value: l, Path: "/", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode})
	}
	q.Del("lang")
	u := url.URL{Path: r.URL.Path, RawQuery: q.Encode()}
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
	return true
}

// root serves the log-in page, or sends a logged-in admin to /keys.
func (h *Handler) root(w http.ResponseWriter, r *http.Request) {
	if switchLang(w, r) {
		return
	}
	if h.authenticated(r) {
		http.Redirect(w, r, "/keys", http.StatusFound)
		return
	}
	d := h.data(r, "login")
	code := r.URL.Query().Get("error")
	switch code {
	case "invalid", "disabled", "rate_limited", "cross_origin", "expired":
		d.Error = d.T("login.error." + code)
	case "":
	default:
		d.Error = d.T("login.error.invalid")
	}
	if d.Error == "" && h.LoginEnabled != nil && !h.LoginEnabled() {
		d.Error = d.T("login.error.disabled")
	}
	h.render(w, "login", d)
}

// page serves one console page to a logged-in admin.
func (h *Handler) page(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if switchLang(w, r) {
			return
		}
		if !h.authenticated(r) {
			http.Redirect(w, r, "/", http.StatusFound)
			return
		}
		d := h.data(r, name)
		if c, err := r.Cookie(csrfCookie); err == nil {
			d.CSRF = c.Value
		}
		h.render(w, name, d)
	}
}

// pageData is what the templates see.
type pageData struct {
	// Page is the template name: login, keys, config or logs.
	Page string
	// Lang is the page language ("en" or "zh"); HTMLLang its BCP 47 tag.
	Lang, HTMLLang string
	// Title is the console's name; Version the build shown in the footer.
	Title, Version string
	// CSRF is the session's CSRF token (for the log-out form).
	CSRF string
	// Error is the log-in error to show.
	Error string
	// Path is the request path and query (without lang), for the
	// language links.
	Path string
	// Dict is the language's string table, for the scripts.
	Dict map[string]string
}

// T returns the string called key in the page's language.
func (d pageData) T(key string) string {
	if s, ok := d.Dict[key]; ok {
		return s
	}
	if s, ok := dicts["en"][key]; ok {
		return s
	}
	return key
}

// LangURL is the current URL with lang=l added, keeping the other
// parameters.
func (d pageData) LangURL(l string) string {
	if strings.Contains(d.Path, "?") {
		return d.Path + "&lang=" + l
	}
	return d.Path + "?lang=" + l
}

func (h *Handler) data(r *http.Request, page string) pageData {
	lang := Language(r)
	title := h.Title
	if title == "" {
		title = "gb"
	}
	p := r.URL.Path
	if q := r.URL.Query(); len(q) > 0 {
		q.Del("lang")
		if e := q.Encode(); e != "" {
			p += "?" + e
		}
	}
	return pageData{Page: page, Lang: lang, HTMLLang: htmlLang[lang], Title: title, Version: h.Version, Path: p, Dict: dicts[lang]}
}

// render executes a page template with the console's security headers.
func (h *Handler) render(w http.ResponseWriter, name string, d pageData) {
	var buf bytes.Buffer
	if err := h.tmpl[name].Execute(&buf, d); err != nil {
		http.Error(w, "console: rendering "+name+" failed", http.StatusInternalServerError)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Content-Security-Policy", CSP)
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Content-Language", d.HTMLLang)
	hd.Set("Vary", "Cookie, Accept-Language")
	w.Write(buf.Bytes())
}

// CSP is the Content-Security-Policy of every page: scripts, styles,
// images and API calls from the console's own origin only, no inline
// script or style, no framing, forms posted only to the same origin.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// SessionCheck returns an Authenticated function for a [Handler] that asks
// api — an adminhttp.Handler, or anything serving GET /api/auth/session
// the same way — whether the request's cookies (or Authorization header)
// belong to a logged-in admin. The check runs in process; nothing goes
// over the network.
func SessionCheck(api http.Handler) func(r *http.Request) bool {
	return func(r *http.Request) bool {
		req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, "/api/auth/session", nil)
		if err != nil {
			return false
		}
		req.RemoteAddr = r.RemoteAddr
		req.Host = r.Host
		for _, name := range []string{"Cookie", "Authorization"} {
			if v := r.Header.Values(name); len(v) > 0 {
				req.Header[name] = v
			}
		}
		sw := &statusWriter{h: http.Header{}}
		api.ServeHTTP(sw, req)
		return sw.code == http.StatusOK
	}
}

// statusWriter is a ResponseWriter that keeps only the status.
type statusWriter struct {
	h    http.Header
	code int
}

func (s *statusWriter) Header() http.Header { return s.h }

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.code == 0 {
		s.code = http.StatusOK
	}
	return len(b), nil
}

func (s *statusWriter) WriteHeader(code int) {
	if s.code == 0 {
		s.code = code
	}
}

// cardData is one statistics card: the page and the period it shows.
type cardData struct {
	D pageData
	P string
}

// Card returns the data of the statistics card of period p.
func (d pageData) Card(p string) cardData { return cardData{D: d, P: p} }
