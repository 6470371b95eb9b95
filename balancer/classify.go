package balancer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Class is what an upstream outcome means for the key that produced it.
type Class uint8

const (
	// Success: the key worked. Its consecutive-failure count resets.
	Success Class = iota
	// ClientError: the client's own request was at fault (a malformed
	// body, an unknown model). The answer goes back to the client as is;
	// it is not retried and not counted against the key.
	ClientError
	// InvalidKey: a definitive verdict on the key (invalid, expired,
	// suspended, API disabled, credits depleted). The key is benched at
	// once for every model.
	InvalidKey
	// ModelDenied: the key may not use this model (403 for one model).
	// The key is benched for that model only.
	ModelDenied
	// Quota: the key's project ran out of quota for the model (429). The
	// key cools down for that model for the RetryInfo delay, or until the
	// daily reset for a per-day quota, and is not counted as broken.
	Quota
	// Transient: an upstream or network failure that says nothing certain
	// about the key (500, 503, 504, timeouts, connection errors). The
	// request is retried on another key; consecutive transient failures
	// count toward MaxFailures.
	Transient
	// Canceled: the client went away. Nothing is counted.
	Canceled
)

var classNames = [...]string{"success", "client_error", "invalid_key", "model_denied", "quota", "transient", "canceled"}

// String returns a short lower-case name such as "quota".
func (c Class) String() string {
	if int(c) < len(classNames) {
		return classNames[c]
	}
	return "class(" + strconv.Itoa(int(c)) + ")"
}

// Retryable reports whether a request that ended in c may be tried again on
// another key.
func (c Class) Retryable() bool {
	return c == InvalidKey || c == ModelDenied || c == Quota || c == Transient
}

// Verdict is the classification of one upstream attempt.
type Verdict struct {
	// Class is what the outcome means for the key.
	Class Class
	// Status is the HTTP status; 0 when no response arrived.
	Status int
	// Reason is a short machine word: the google.rpc.ErrorInfo reason
	// (API_KEY_INVALID, CONSUMER_SUSPENDED …), the quota id for quota
	// errors, or a word chosen by the classifier (TIMEOUT, CONNECTION …).
	Reason string
	// RetryAfter is the upstream's RetryInfo delay (or Retry-After header);
	// zero when the upstream gave none.
	RetryAfter time.Duration
	// Daily reports a per-day quota: the key is parked for the model until
	// the daily reset.
	Daily bool
	// Message is the upstream error message (keys redacted by the
	// pipeline), or the network error text.
	Message string
}

// Classifier turns an upstream outcome into a Verdict. Exactly one of resp
// and err is meaningful: err is non-nil when no response arrived. body is
// the (possibly truncated) response body for non-2xx answers.
type Classifier func(status int, header http.Header, body []byte, err error) Verdict

// rpcStatus is the google.rpc.Status error body, as much of it as the
// health model reads.
type rpcStatus struct {
	Error struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Status  string `json:"status"`
		Details []struct {
			Type       string `json:"@type"`
			Reason     string `json:"reason"`
			RetryDelay string `json:"retryDelay"`
			Violations []struct {
				QuotaID     string `json:"quotaId"`
				QuotaMetric string `json:"quotaMetric"`
			} `json:"violations"`
		} `json:"details"`
	} `json:"error"`
}

// parseStatus decodes a google.rpc.Status body. Google sometimes wraps it in
// a one-element array (streams, the OpenAI-compatible layer).
func parseStatus(body []byte) (rpcStatus, bool) {
	var s rpcStatus
	b := bytes.TrimSpace(body)
	if len(b) > 0 && b[0] == '[' {
		var arr []rpcStatus
		if json.Unmarshal(b, &arr) != nil || len(arr) == 0 {
			return s, false
		}
		return arr[0], true
	}
	if json.Unmarshal(b, &s) != nil {
		return s, false
	}
	return s, s.Error.Code != 0 || s.Error.Message != "" || s.Error.Status != ""
}

// ClassifyGemini is the health model for the Gemini API. It reads the
// status code and the google.rpc.Status body (ErrorInfo reason,
// QuotaFailure, RetryInfo):
//
//   - 2xx: Success.
//   - 400 with reason API_KEY_INVALID (or "API key not valid/expired"), 401,
//     403 CONSUMER_SUSPENDED / SERVICE_DISABLED / API_KEY_SERVICE_BLOCKED,
//     and depleted prepaid credits (402, or 429 saying so): InvalidKey.
//   - other 403 PERMISSION_DENIED: ModelDenied (a file-permission 403 is the
//     client's: ClientError).
//   - 429 RESOURCE_EXHAUSTED: Quota, with RetryAfter from RetryInfo and
//     Daily when a violated quota id is per day.
//   - 408, 5xx, timeouts and connection errors: Transient.
//   - 499 and a canceled context: Canceled.
//   - any other 4xx: ClientError.
func ClassifyGemini(status int, header http.Header, body []byte, err error) Verdict {
	if err != nil {
		return classifyErr(err)
	}
	v := Verdict{Status: status}
	if status >= 200 && status < 300 {
		v.Class = Success
		return v
	}
	st, ok := parseStatus(body)
	if ok {
		v.Message = st.Error.Message
	} else {
		v.Message = strings.TrimSpace(string(truncate(body, 512)))
	}
	for _, d := range st.Error.Details {
		switch {
		case strings.HasSuffix(d.Type, "google.rpc.ErrorInfo"):
			if v.Reason == "" {
				v.Reason = d.Reason
			}
		case strings.HasSuffix(d.Type, "google.rpc.RetryInfo"):
			if dur, err := parseDuration(d.RetryDelay); err == nil {
				v.RetryAfter = dur
			}
		case strings.HasSuffix(d.Type, "google.rpc.QuotaFailure"):
			for _, q := range d.Violations {
				if strings.Contains(q.QuotaID, "PerDay") {
					v.Daily = true
					v.Reason = q.QuotaID
				} else if v.Reason == "" {
					v.Reason = q.QuotaID
				}
			}
		}
	}
	if v.RetryAfter == 0 && header != nil {
		if ra := header.Get("Retry-After"); ra != "" {
			if secs, err := strconv.Atoi(ra); err == nil && secs > 0 {
				v.RetryAfter = time.Duration(secs) * time.Second
			}
		}
	}
	msg := strings.ToLower(v.Message)
	switch {
	case status == http.StatusBadRequest:
		if v.Reason == "API_KEY_INVALID" || strings.Contains(msg, "api key not valid") ||
			strings.Contains(msg, "api key expired") || strings.Contains(msg, "api key not found") {
			v.Class = InvalidKey
			if v.Reason == "" {
				v.Reason = "API_KEY_INVALID"
			}
			return v
		}
		v.Class = ClientError
	case status == http.StatusUnauthorized:
		v.Class = InvalidKey
		if v.Reason == "" {
			v.Reason = "UNAUTHENTICATED"
		}
	case status == http.StatusPaymentRequired:
		v.Class = InvalidKey
		if v.Reason == "" {
			v.Reason = "CREDITS_DEPLETED"
		}
	case status == http.StatusForbidden:
		switch {
		case v.Reason == "CONSUMER_SUSPENDED" || v.Reason == "SERVICE_DISABLED" ||
			v.Reason == "API_KEY_SERVICE_BLOCKED" || v.Reason == "API_KEY_INVALID" ||
			strings.Contains(msg, "suspended") || strings.Contains(msg, "has not been used in project") ||
			strings.Contains(msg, "unregistered callers"):
			v.Class = InvalidKey
			if v.Reason == "" {
				v.Reason = "PERMISSION_DENIED"
			}
		case strings.Contains(msg, "permission to access the file") || strings.Contains(msg, "cachedcontent"):
			v.Class = ClientError
		default:
			v.Class = ModelDenied
			if v.Reason == "" {
				v.Reason = "PERMISSION_DENIED"
			}
		}
	case status == http.StatusTooManyRequests:
		if strings.Contains(msg, "prepayment credits are depleted") {
			v.Class = InvalidKey
			v.Reason = "CREDITS_DEPLETED"
			return v
		}
		v.Class = Quota
		if v.Reason == "" {
			v.Reason = "RESOURCE_EXHAUSTED"
		}
	case status == http.StatusRequestTimeout:
		v.Class = Transient
	case status == 499:
		v.Class = Canceled
	case status >= 500:
		v.Class = Transient
	default:
		v.Class = ClientError
	}
	return v
}

func classifyErr(err error) Verdict {
	v := Verdict{Class: Transient, Message: err.Error(), Reason: "CONNECTION"}
	switch {
	case errors.Is(err, context.Canceled):
		v.Class, v.Reason = Canceled, "CANCELED"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, ErrTimeout):
		v.Reason = "TIMEOUT"
	default:
		var te interface{ Timeout() bool }
		if errors.As(err, &te) && te.Timeout() {
			v.Reason = "TIMEOUT"
		}
	}
	return v
}

// ErrTimeout is the error an upstream client reports when its own time
// limit (TIME_OUT) ends a call. It classifies as Transient.
var ErrTimeout = errors.New("upstream timed out")

// parseDuration reads a protobuf Duration in JSON form ("26s", "1.5s").
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if !strings.HasSuffix(s, "s") {
		return 0, errors.New("duration without unit")
	}
	f, err := strconv.ParseFloat(strings.TrimSuffix(s, "s"), 64)
	if err != nil || f < 0 || f > 7*24*3600 {
		return 0, errors.New("bad duration")
	}
	return time.Duration(f * float64(time.Second)), nil
}

func truncate(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}
