package adminhttp

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"strings"
)

// Setting is one configuration setting as the admin API shows it.
type Setting struct {
	// Name is the environment variable, e.g. "MAX_RETRIES".
	Name string `json:"name"`
	// Value is the current value in environment form; masked when Secret.
	Value string `json:"value"`
	// Secret says the value is masked unless revealed.
	Secret bool `json:"secret"`
	// Source is where the value comes from: "default", "environment"
	// (the environment or .env) or "console" (edited here and stored).
	Source string `json:"source"`
	// Editable says PUT /api/config may change it.
	Editable bool `json:"editable"`
	// Note says why a setting is not editable, when it is not.
	Note string `json:"note,omitempty"`
}

// Settings is the live configuration behind /api/config.
type Settings interface {
	// List returns every setting, secrets masked.
	List(ctx context.Context) ([]Setting, error)
	// Reveal returns one setting's value in clear.
	Reveal(ctx context.Context, name string) (string, error)
	// Update validates and applies values (names as in the environment,
	// values in environment form) to the running gateway and stores them.
	// Invalid values give a [FieldErrors] and change nothing.
	Update(ctx context.Context, values map[string]string) error
	// Reset reloads the configuration from the environment and .env,
	// applies it and forgets the stored edits.
	Reset(ctx context.Context) error
}

// FieldErrors maps setting names to what is wrong with the value given.
type FieldErrors map[string]string

// Error lists the problems in name order.
func (e FieldErrors) Error() string {
	names := make([]string, 0, len(e))
	for n := range e {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n + ": " + e[n]
	}
	return "invalid settings: " + strings.Join(parts, "; ")
}

func (h *Handler) needSettings(w http.ResponseWriter) bool {
	if h.Settings == nil {
		writeError(w, http.StatusNotImplemented, "not_configured", "live configuration is not available")
		return false
	}
	return true
}

func (h *Handler) getConfig(w http.ResponseWriter, r *http.Request) {
	if !h.needSettings(w) {
		return
	}
	list, err := h.Settings.List(r.Context())
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	if name := r.URL.Query().Get("reveal"); name != "" {
		v, err := h.Settings.Reveal(r.Context(), name)
		if err != nil {
			writeError(w, http.StatusNotFound, "not_found", "no setting "+name)
			return
		}
		h.logger().Warn("admin revealed a setting", "by", callerOf(r).who(), "setting", name, "client", h.clientIP(r))
		for i := range list {
			if list[i].Name == name {
				list[i].Value, list[i].Secret = v, false
			}
		}
	}
	values := make(map[string]string, len(list))
	for _, s := range list {
		values[s.Name] = s.Value
	}
	writeJSON(w, http.StatusOK, map[string]any{"values": values, "settings": list})
}

func (h *Handler) putConfig(w http.ResponseWriter, r *http.Request) {
	if !h.needSettings(w) {
		return
	}
	var raw map[string]json.RawMessage
	if !readJSON(w, r, &raw) {
		return
	}
	if v, ok := raw["values"]; ok && len(raw) == 1 {
		raw = nil
		if err := json.Unmarshal(v, &raw); err != nil {
			writeError(w, http.StatusBadRequest, "bad_json", "values: want an object")
			return
		}
	}
	values := make(map[string]string, len(raw))
	for name, v := range raw {
		var s string
		if json.Unmarshal(v, &s) == nil {
			values[name] = s
			continue
		}
		// Lists, objects, numbers and booleans as gemini-balance's page
		// sends them: their JSON text is the environment form.
		values[name] = string(v)
	}
	if len(values) == 0 {
		writeError(w, http.StatusBadRequest, "no_settings", "send an object of settings to change")
		return
	}
	err := h.Settings.Update(r.Context(), values)
	var fe FieldErrors
	if errors.As(err, &fe) {
		writeJSON(w, http.StatusBadRequest, map[string]apiError{"error": {Code: "validation_error", Message: fe.Error(), Fields: fe}})
		return
	}
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	names := make([]string, 0, len(values))
	for n := range values {
		names = append(names, n)
	}
	sort.Strings(names)
	h.logger().Info("admin changed settings", "by", callerOf(r).who(), "settings", strings.Join(names, ","))
	h.getConfig(w, r)
}

func (h *Handler) resetConfig(w http.ResponseWriter, r *http.Request) {
	if !h.needSettings(w) {
		return
	}
	if err := h.Settings.Reset(r.Context()); err != nil {
		var fe FieldErrors
		if errors.As(err, &fe) {
			writeJSON(w, http.StatusBadRequest, map[string]apiError{"error": {Code: "validation_error", Message: fe.Error(), Fields: fe}})
			return
		}
		h.internalError(w, r, err)
		return
	}
	h.logger().Info("admin reset settings to the environment", "by", callerOf(r).who())
	h.getConfig(w, r)
}
