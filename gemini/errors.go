package gemini

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/geminibalance/gb/balancer"
	"github.com/geminibalance/gb/internal/redact"
)

// ErrorBody is Google's error envelope: {"error": google.rpc.Status}.
type ErrorBody struct {
	// Error is the status.
	Error Status `json:"error"`
}

// Status is google.rpc.Status as the Gemini API writes it.
type Status struct {
	// Code is the HTTP status code.
	Code int `json:"code"`
	// Message is the human-readable text.
	Message string `json:"message"`
	// Status is the canonical code name, for example "INVALID_ARGUMENT".
	Status string `json:"status"`
	// Details holds google.rpc detail messages, each with an "@type".
	Details []map[string]any `json:"details,omitempty"`
}

// Error makes *Status an error.
func (s *Status) Error() string { return fmt.Sprintf("%d %s: %s", s.Code, s.Status, s.Message) }

// canonical maps HTTP status codes to google.rpc.Code names.
func canonical(code int) string {
	switch code {
	case 400, 413:
		return "INVALID_ARGUMENT"
	case 401:
		return "UNAUTHENTICATED"
	case 403:
		return "PERMISSION_DENIED"
	case 404, 405:
		return "NOT_FOUND"
	case 409:
		return "ABORTED"
	case 415:
		return "INVALID_ARGUMENT"
	case 429:
		return "RESOURCE_EXHAUSTED"
	case 499:
		return "CANCELLED"
	case 501:
		return "UNIMPLEMENTED"
	case 503:
		return "UNAVAILABLE"
	case 504:
		return "DEADLINE_EXCEEDED"
	}
	if code >= 500 {
		return "INTERNAL"
	}
	return "FAILED_PRECONDITION"
}

// WriteError writes a Google-style error answer.
func WriteError(w http.ResponseWriter, code int, message string, details ...map[string]any) {
	st := Status{Code: code, Message: message, Status: canonical(code), Details: details}
	b, _ := json.MarshalIndent(ErrorBody{Error: st}, "", "  ")
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=UTF-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Del("Content-Length")
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}

// ErrorStatus turns an error from balancer.Pipeline.Do into what a
// Google-style client should see: the status code, the body (nil when
// the caller should write st instead) and a Status.
//
//   - the client's own error, a quota error (429 with Google's RetryInfo)
//     and transient upstream errors pass through with their status and
//     body, keys redacted;
//   - when the last key tried was rejected as invalid or denied for the
//     model, the answer is 503: the client's request was fine, the pool
//     has no working key for it;
//   - no key usable: 429 with a RetryInfo detail naming the soonest
//     retry when some key is cooling down, else 503;
//   - no answer at all: 504 after a timeout, 502 otherwise.
func ErrorStatus(err error) (code int, body []byte, st *Status) {
	var ue *balancer.UpstreamError
	var ex *balancer.ExhaustedError
	switch {
	case errors.As(err, &ue):
		code = ue.ClientStatus()
		switch {
		case ue.Status == 0:
			return code, nil, &Status{Code: code, Status: canonical(code),
				Message: fmt.Sprintf("upstream did not answer after %d attempt(s): %s", ue.Attempts, ue.Verdict.Message)}
		case ue.KeyRejected():
			return code, nil, &Status{Code: code, Status: canonical(code),
				Message: fmt.Sprintf("no working API key: the last key tried was rejected (%s: %s) after %d attempt(s)", ue.Verdict.Reason, ue.Verdict.Message, ue.Attempts)}
		}
		if json.Valid(ue.Body) {
			return ue.Status, ue.Body, nil
		}
		return ue.Status, nil, &Status{Code: ue.Status, Status: canonical(ue.Status), Message: ue.Verdict.Message}
	case errors.As(err, &ex):
		if !ex.RetryAt.IsZero() {
			d := time.Until(ex.RetryAt)
			if d < time.Second {
				d = time.Second
			}
			return http.StatusTooManyRequests, nil, &Status{Code: 429, Status: "RESOURCE_EXHAUSTED", Message: ex.Error(),
				Details: []map[string]any{{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": strconv.Itoa(int(d.Seconds()+0.999)) + "s"}}}
		}
		return http.StatusServiceUnavailable, nil, &Status{Code: 503, Status: "UNAVAILABLE", Message: ex.Error()}
	case errors.Is(err, context.Canceled):
		return 499, nil, &Status{Code: 499, Status: "CANCELLED", Message: "the client closed the request"}
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout, nil, &Status{Code: 504, Status: "DEADLINE_EXCEEDED", Message: "deadline exceeded"}
	}
	// Anything else went wrong between the gateway and the upstream: say
	// what, keys redacted, rather than a bare 500.
	return http.StatusBadGateway, nil, &Status{Code: 502, Status: "UNAVAILABLE", Message: "upstream request failed: " + redact.Text(err.Error())}
}

// WritePipelineError writes err (from balancer.Pipeline.Do) as a
// Google-style answer; see ErrorStatus.
func WritePipelineError(w http.ResponseWriter, err error) {
	code, body, st := ErrorStatus(err)
	if body != nil {
		h := w.Header()
		h.Set("Content-Type", "application/json; charset=UTF-8")
		if ra := retryAfter(body); ra != "" {
			h.Set("Retry-After", ra)
		}
		w.WriteHeader(code)
		w.Write(body)
		return
	}
	if code == http.StatusTooManyRequests && len(st.Details) > 0 {
		if d, ok := st.Details[0]["retryDelay"].(string); ok {
			w.Header().Set("Retry-After", d[:len(d)-1])
		}
	}
	WriteError(w, code, st.Message, st.Details...)
}

// writeArrayError writes a pipeline error the way Google's JSON-array
// stream does: [{"error": …}].
func writeArrayError(w http.ResponseWriter, err error) {
	rec := &bodyRecorder{header: w.Header()}
	WritePipelineError(rec, err)
	w.WriteHeader(rec.code)
	w.Write([]byte("["))
	w.Write(bytes.TrimSpace(rec.body.Bytes()))
	w.Write([]byte("]\n"))
}

// bodyRecorder captures what WritePipelineError writes.
type bodyRecorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (r *bodyRecorder) Header() http.Header         { return r.header }
func (r *bodyRecorder) WriteHeader(code int)        { r.code = code }
func (r *bodyRecorder) Write(p []byte) (int, error) { return r.body.Write(p) }

// retryAfter extracts RetryInfo's delay in whole seconds from a Google
// error body, for a Retry-After header.
func retryAfter(body []byte) string {
	var eb struct {
		Error struct {
			Details []struct {
				Type       string `json:"@type"`
				RetryDelay string `json:"retryDelay"`
			} `json:"details"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &eb) != nil {
		return ""
	}
	for _, d := range eb.Error.Details {
		if d.RetryDelay != "" {
			if dur, err := time.ParseDuration(d.RetryDelay); err == nil {
				return strconv.Itoa(int(dur.Seconds() + 0.999))
			}
		}
	}
	return ""
}
