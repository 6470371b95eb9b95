package app

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/geminibalance/gb/gemini"
)

// Handler returns the gateway's routes (gemini-balance's URL layout):
//
//	/health, /ready                       liveness and readiness
//	/v1beta/…, /gemini/v1beta/…           native Gemini API
//	/v1/models/{m}:{method}               native Gemini API (the SDKs' v1)
//	/v1/models, /v1/models/{m}            Gemini shape for Google-style auth, OpenAI shape otherwise
//	/v1/…, /hf/v1/…, /openai/v1/…         OpenAI API (chat/completions, embeddings, models)
//	/, /auth, /keys, /config, /logs,      admin log-in, pages and JSON API, and gemini-balance's
//	/api/…, /gemini/v1beta/<key routes>   key routes (when EnableAdmin was called; see AdminPatterns)
//	everything else                       404 with a JSON error
func (a *App) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "healthy"})
	})
	mux.HandleFunc("GET /ready", a.ready)
	mux.Handle("/v1beta/", a.Native)
	mux.Handle("/gemini/v1beta/", a.Native)
	mux.Handle("/gemini/v1/", a.Native)
	mux.HandleFunc("/v1/", a.v1)
	mux.Handle("/hf/v1/", a.OpenAI)
	mux.Handle("/openai/v1/", a.OpenAI)
	if a.Admin != nil {
		a.Admin.Mount(mux)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		gemini.WriteError(w, http.StatusNotFound, "Not found: "+r.Method+" "+r.URL.Path)
	})
	return mux
}

// v1 serves /v1, shared by the native API (the official SDKs default to
// Google's v1) and the OpenAI API: calls with a ":method" suffix are
// native, and so are model listings asked for with Google-style auth;
// everything else is OpenAI's.
func (a *App) v1(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, "/v1/")
	if m, ok := strings.CutPrefix(rest, "models/"); ok && strings.Contains(m, ":") {
		a.Native.ServeHTTP(w, r)
		return
	}
	if rest == "models" || strings.HasPrefix(rest, "models/") {
		if _, style := gemini.ClientToken(r); style.GoogleStyle() {
			a.Native.ServeHTTP(w, r)
			return
		}
	}
	a.OpenAI.ServeHTTP(w, r)
}

func (a *App) ready(w http.ResponseWriter, r *http.Request) {
	usable, benched, cooling := a.Pool.Counts("")
	body := map[string]any{"status": "ready", "keys": a.Pool.Len(), "usable": usable, "benched": benched, "cooling": cooling}
	if a.Pool.Len() == 0 {
		body["status"] = "no API keys configured"
		writeJSON(w, http.StatusServiceUnavailable, body)
		return
	}
	writeJSON(w, http.StatusOK, body)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		gemini.WriteError(w, http.StatusInternalServerError, "internal error")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}
