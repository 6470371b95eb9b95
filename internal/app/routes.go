package app

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/geminibalance/gb/gemini"
)

// Handler returns the gateway's routes (gemini-balance's URL layout):
//
//	/health, /ready                       liveness and readiness
//	/v1beta/…, /gemini/v1beta/…           native Gemini API
//	/v1/models/{m}:{method}               native Gemini API (the SDKs' v1)
//	/v1/models, /v1/models/{m}            Gemini shape for Google-style auth, OpenAI shape otherwise
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
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		gemini.WriteError(w, http.StatusNotFound, "Not found: "+r.Method+" "+r.URL.Path)
	})
	return mux
}

// v1 serves /v1, shared by the native API (the official SDKs default to
// Google's v1) and the OpenAI API.
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
		a.openAIModels(w, r, strings.TrimPrefix(strings.TrimPrefix(rest, "models"), "/"))
		return
	}
	writeOpenAIError(w, http.StatusNotFound, "invalid_request_error", "Unknown request URL: "+r.Method+" "+r.URL.Path+".")
}

// openAIModels answers GET /v1/models in the OpenAI list shape.
func (a *App) openAIModels(w http.ResponseWriter, r *http.Request, id string) {
	if r.Method != http.MethodGet {
		writeOpenAIError(w, http.StatusMethodNotAllowed, "invalid_request_error", "Method "+r.Method+" not allowed.")
		return
	}
	tok, _ := gemini.ClientToken(r)
	if tok == "" || !a.authenticate(r, tok) {
		writeOpenAIError(w, http.StatusUnauthorized, "invalid_request_error", "Incorrect API key provided.")
		return
	}
	models, err := a.Native.Models.Models(r.Context())
	if err != nil {
		code, _, st := gemini.ErrorStatus(err)
		msg := "upstream model list unavailable"
		if st != nil {
			msg = st.Message
		}
		writeOpenAIError(w, code, "api_error", msg)
		return
	}
	type model struct {
		ID      string `json:"id"`
		Object  string `json:"object"`
		Created int64  `json:"created"`
		OwnedBy string `json:"owned_by"`
	}
	pol := a.settings.gemini().Models
	now := time.Now().Unix()
	var data []model
	for _, v := range pol.Variants(models) {
		m := model{ID: v.ID, Object: "model", Created: now, OwnedBy: "google"}
		if id != "" {
			if v.ID == id {
				writeJSON(w, http.StatusOK, m)
				return
			}
			continue
		}
		data = append(data, m)
	}
	if id != "" {
		writeOpenAIError(w, http.StatusNotFound, "invalid_request_error", "The model '"+id+"' does not exist")
		return
	}
	if data == nil {
		data = []model{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": data})
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

// writeOpenAIError writes the OpenAI error object.
func writeOpenAIError(w http.ResponseWriter, code int, typ, msg string) {
	writeJSON(w, code, map[string]any{"error": map[string]any{"message": msg, "type": typ, "param": nil, "code": nil}})
}
