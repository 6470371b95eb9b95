package adminhttp

import (
	"html/template"
	"net/http"
)

// The pages are placeholders until the web console replaces this file:
// a log-in form that works without JavaScript, and one page per console
// section that says where its API is.

var loginTmpl = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>gb admin — log in</title></head>
<body>
<h1>gb admin</h1>
{{if .Error}}<p role="alert"><strong>{{.Error}}</strong></p>{{end}}
<form method="post" action="/auth">
<label>Admin token (AUTH_TOKEN) <input type="password" name="auth_token" autocomplete="current-password" required autofocus></label>
<button type="submit">Log in</button>
</form>
</body></html>
`))

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>gb admin — {{.Title}}</title></head>
<body>
<nav><a href="/keys">Keys</a> · <a href="/config">Configuration</a> · <a href="/logs">Logs</a></nav>
<h1>{{.Title}}</h1>
<p>The web console is not built yet. This section's JSON API is under <code>{{.API}}</code> (see docs/admin-api.md).</p>
<form method="post" action="/logout"><input type="hidden" name="csrf_token" value="{{.CSRF}}"><button type="submit">Log out</button></form>
</body></html>
`))

var loginErrors = map[string]string{
	"invalid":      "Wrong admin token.",
	"disabled":     "Admin log-in is disabled: AUTH_TOKEN is not set on the server.",
	"rate_limited": "Too many failed log-ins from your address. Try again in a minute.",
	"cross_origin": "Log-in refused: the form was posted from another site.",
	"1":            "Wrong admin token.",
}

func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request) {
	msg := loginErrors[r.URL.Query().Get("error")]
	if msg == "" && h.opts().AdminToken == "" {
		msg = loginErrors["disabled"]
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; form-action 'self'; frame-ancestors 'none'")
	loginTmpl.Execute(w, struct{ Error string }{msg})
}

func (h *Handler) page(path string) http.HandlerFunc {
	title := map[string]string{"/keys": "Keys", "/config": "Configuration", "/logs": "Error logs"}[path]
	api := map[string]string{"/keys": "/api/keys and /api/stats", "/config": "/api/config and /api/scheduler", "/logs": "/api/logs/errors"}[path]
	return func(w http.ResponseWriter, r *http.Request) {
		c, _, ok := h.authenticate(r)
		if !ok {
			http.Redirect(w, r, "/", http.StatusFound)
			return
		}
		csrf := ""
		if c.s != nil {
			csrf = c.s.csrf
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; form-action 'self'; frame-ancestors 'none'")
		pageTmpl.Execute(w, struct{ Title, API, CSRF string }{title, api, csrf})
	}
}
