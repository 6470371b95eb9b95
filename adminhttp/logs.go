package adminhttp

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/geminibalance/gb/internal/redact"
	"github.com/geminibalance/gb/storage"
)

// ErrorLogView is one error log in a list (gemini-balance's field names).
type ErrorLogView struct {
	ID          int64     `json:"id"`
	GeminiKey   string    `json:"gemini_key"`
	KeyID       string    `json:"key_id,omitempty"`
	ErrorType   string    `json:"error_type"`
	ErrorCode   int       `json:"error_code"`
	ModelName   string    `json:"model_name"`
	RequestTime time.Time `json:"request_time"`
	// Message is the start of the error text (ErrorLog holds it whole).
	Message string `json:"message"`
}

// ErrorLogDetails is one error log with its full text and request body.
type ErrorLogDetails struct {
	ErrorLogView
	ErrorLog   string `json:"error_log"`
	RequestMsg string `json:"request_msg,omitempty"`
}

func (h *Handler) errorView(l storage.ErrorLog) ErrorLogView {
	v := ErrorLogView{ID: l.ID, GeminiKey: redact.Key(l.Key), ErrorType: l.Kind, ErrorCode: l.Status, ModelName: l.Model,
		RequestTime: l.Time, Message: redact.Text(l.Message, l.Key)}
	if l.Key != "" {
		v.KeyID = h.keyID(l.Key)
	}
	if len(v.Message) > 300 {
		cut := 300
		for cut > 0 && !utf8.RuneStart(v.Message[cut]) {
			cut--
		}
		v.Message = v.Message[:cut] + "…"
	}
	return v
}

// parseTime accepts RFC 3339, or a date and time without zone (read in
// TIMEZONE) as the log page's date pickers send.
func (h *Handler) parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, h.opts().Location); err == nil {
			return t, nil
		}
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		if ms < 1e11 { // seconds
			return time.Unix(ms, 0), nil
		}
		return time.UnixMilli(ms), nil
	}
	return time.Time{}, errors.New("not a time")
}

func (h *Handler) listErrors(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, ok := queryInt(r, "limit", 10, 1, 1000)
	if !ok {
		badParam(w, "limit", "a whole number from 1 to 1000")
		return
	}
	offset, ok := queryInt(r, "offset", 0, 0, 1<<31-1)
	if !ok {
		badParam(w, "offset", "a whole number ≥ 0")
		return
	}
	f := storage.ErrorLogFilter{Limit: limit, Offset: offset, KeyContains: q.Get("key_search"), Text: q.Get("error_search"),
		Model: strings.TrimPrefix(q.Get("model"), "models/"), Kind: q.Get("error_type")}
	if s := q.Get("error_code_search"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			badParam(w, "error_code_search", "an HTTP status")
			return
		}
		f.Status = n
	}
	if ref := q.Get("key"); ref != "" {
		keys, _ := h.resolve([]string{ref})
		if len(keys) == 0 {
			writeJSON(w, http.StatusOK, map[string]any{"logs": []ErrorLogView{}, "total": 0})
			return
		}
		f.Key = keys[0]
	}
	for name, dst := range map[string]*time.Time{"start_date": &f.From, "end_date": &f.To} {
		if s := q.Get(name); s != "" {
			t, err := h.parseTime(s)
			if err != nil {
				badParam(w, name, "RFC 3339 time, or 2006-01-02T15:04 in TIMEZONE")
				return
			}
			*dst = t
		}
	}
	switch q.Get("sort_by") {
	case "", "time", "request_time":
	case "id":
		f.SortBy = "id"
	default:
		badParam(w, "sort_by", "id or request_time")
		return
	}
	switch q.Get("sort_order") {
	case "", "desc":
	case "asc":
		f.Ascending = true
	default:
		badParam(w, "sort_order", "asc or desc")
		return
	}
	logs, total, err := h.Store.ListErrorLogs(r.Context(), f)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	out := make([]ErrorLogView, len(logs))
	for i, l := range logs {
		out[i] = h.errorView(l)
	}
	writeJSON(w, http.StatusOK, map[string]any{"logs": out, "total": total, "limit": limit, "offset": offset})
}

func (h *Handler) details(l storage.ErrorLog) ErrorLogDetails {
	d := ErrorLogDetails{ErrorLogView: h.errorView(l), ErrorLog: redact.Text(l.Message, l.Key)}
	if len(l.RequestBody) > 0 {
		var buf bytes.Buffer
		if json.Indent(&buf, l.RequestBody, "", "  ") == nil {
			d.RequestMsg = buf.String()
		} else {
			d.RequestMsg = strings.ToValidUTF8(string(l.RequestBody), "�")
		}
		d.RequestMsg = redact.Text(d.RequestMsg, l.Key)
	}
	return d
}

func (h *Handler) errorDetails(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		badParam(w, "id", "a whole number")
		return
	}
	l, err := h.Store.ErrorLog(r.Context(), id)
	if errors.Is(err, storage.ErrNotFound) {
		writeError(w, http.StatusNotFound, "not_found", "no such error log")
		return
	}
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h.details(l))
}

// lookupError is gemini-balance's GET /api/logs/errors/lookup: the error
// of gemini_key (a full key or a key ID) nearest timestamp, within
// window_seconds (1–300, default 100), optionally with status_code.
func (h *Handler) lookupError(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ref := q.Get("gemini_key")
	if ref == "" {
		ref = q.Get("key")
	}
	keys, _ := h.resolve([]string{ref})
	key := ref
	if len(keys) > 0 {
		key = keys[0]
	}
	at, err := h.parseTime(q.Get("timestamp"))
	if err != nil {
		badParam(w, "timestamp", "RFC 3339 time")
		return
	}
	win, ok := queryInt(r, "window_seconds", 100, 1, 300)
	if !ok {
		badParam(w, "window_seconds", "a whole number from 1 to 300")
		return
	}
	status, ok := queryInt(r, "status_code", 0, 0, 599)
	if !ok {
		badParam(w, "status_code", "an HTTP status")
		return
	}
	l, err := h.Store.NearestErrorLog(r.Context(), key, at, time.Duration(win)*time.Second, status)
	if errors.Is(err, storage.ErrNotFound) {
		writeError(w, http.StatusNotFound, "not_found", "no error log of that key near that time")
		return
	}
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h.details(l))
}

func (h *Handler) deleteErrors(w http.ResponseWriter, r *http.Request) {
	var b struct {
		IDs []int64 `json:"ids"`
	}
	if !readJSON(w, r, &b) {
		return
	}
	if len(b.IDs) == 0 {
		writeError(w, http.StatusBadRequest, "no_ids", `send {"ids": [...]}`)
		return
	}
	n, err := h.Store.DeleteErrorLogs(r.Context(), b.IDs)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	h.logger().Info("admin deleted error logs", "by", callerOf(r).who(), "deleted", n)
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) clearErrors(w http.ResponseWriter, r *http.Request) {
	n, err := h.Store.ClearErrorLogs(r.Context())
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	h.logger().Info("admin cleared error logs", "by", callerOf(r).who(), "deleted", n)
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) deleteError(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		badParam(w, "id", "a whole number")
		return
	}
	n, err := h.Store.DeleteErrorLogs(r.Context(), []int64{id})
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	if n == 0 {
		writeError(w, http.StatusNotFound, "not_found", "no such error log")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
