package openai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/geminibalance/gb/balancer"
)

// Error types used in the "type" member of OpenAI error objects.
const (
	// TypeInvalidRequest: the request is wrong (400, 401, 404 model …).
	TypeInvalidRequest = "invalid_request_error"
	// TypeAuthentication: the upstream refused authentication.
	TypeAuthentication = "authentication_error"
	// TypePermission: a 403 that is the client's (e.g. another project's file).
	TypePermission = "permission_error"
	// TypeNotFound: an upstream 404.
	TypeNotFound = "not_found_error"
	// TypeRateLimit: 429, a quota or every key cooling down.
	TypeRateLimit = "rate_limit_error"
	// TypeServer: upstream or gateway failures (5xx, no working key).
	TypeServer = "server_error"
	// TypeAPI is OpenAI's generic type, for callers building errors.
	TypeAPI = "api_error"
)

// Error is an OpenAI API error: it is written as
// {"error": {"message", "type", "param", "code"}} with HTTP status Status.
type Error struct {
	// Status is the HTTP status code.
	Status int `json:"-"`
	// Message is the human-readable text.
	Message string `json:"message"`
	// Type is the error class, e.g. "invalid_request_error".
	Type string `json:"type"`
	// Param names the offending request field, e.g.
	// "messages[2].content[0].image_url"; nil when none.
	Param *string `json:"param"`
	// Code is a short machine word such as "rate_limit_exceeded"; nil
	// when none.
	Code *string `json:"code"`
	// RetryAfter, when positive, is sent as the Retry-After header.
	RetryAfter time.Duration `json:"-"`
}

// Error implements error.
func (e *Error) Error() string {
	if e.Param != nil {
		return fmt.Sprintf("%d %s: %s (param %s)", e.Status, e.Type, e.Message, *e.Param)
	}
	return fmt.Sprintf("%d %s: %s", e.Status, e.Type, e.Message)
}

// MarshalJSON writes the error envelope {"error": {...}}.
func (e *Error) MarshalJSON() ([]byte, error) {
	type plain Error
	return json.Marshal(struct {
		Error *plain `json:"error"`
	}{(*plain)(e)})
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// badRequest returns a 400 invalid_request_error naming param.
func badRequest(param, format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Type: TypeInvalidRequest, Message: fmt.Sprintf(format, args...), Param: strPtr(param)}
}

// NewError returns an Error with the given status, type, message, param and
// code (empty strings mean null).
func NewError(status int, typ, message, param, code string) *Error {
	return &Error{Status: status, Type: typ, Message: message, Param: strPtr(param), Code: strPtr(code)}
}

// WriteError writes err as an OpenAI error answer. An *Error is written as
// is; anything else goes through FromPipelineError.
func WriteError(w http.ResponseWriter, err error) {
	var e *Error
	if !errors.As(err, &e) {
		e = FromPipelineError(err)
	}
	b, _ := json.Marshal(e)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Del("Content-Length")
	if e.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(int((e.RetryAfter+time.Second-1)/time.Second)))
	}
	w.WriteHeader(e.Status)
	w.Write(append(b, '\n'))
}

// googleError is the part of a google.rpc.Status body read here.
type googleError struct {
	Error struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Status  string `json:"status"`
		Details []struct {
			Type            string `json:"@type"`
			FieldViolations []struct {
				Field string `json:"field"`
			} `json:"fieldViolations"`
		} `json:"details"`
	} `json:"error"`
}

func parseGoogleError(body []byte) (googleError, bool) {
	var g googleError
	b := []byte(strings.TrimSpace(string(body)))
	if len(b) > 0 && b[0] == '[' {
		var arr []googleError
		if json.Unmarshal(b, &arr) != nil || len(arr) == 0 {
			return g, false
		}
		g = arr[0]
	} else if json.Unmarshal(b, &g) != nil {
		return g, false
	}
	return g, g.Error.Code != 0 || g.Error.Message != ""
}

// FromPipelineError translates an error from balancer.Pipeline.Do (or from
// relaying an answer) into an OpenAI error, keeping Google's message and
// status faithfully:
//
//   - the client's own error (400, 404, a file-permission 403): same
//     status, Google's message, type invalid_request_error /
//     not_found_error / permission_error, code = Google's status word;
//   - 429: stays 429, type rate_limit_error, code rate_limit_exceeded,
//     RetryAfter from Google's RetryInfo;
//   - the last key tried was invalid or denied for the model: 503 — the
//     client's request was fine, the pool has no working key;
//   - 5xx: same status, type server_error;
//   - no answer: 504 after a timeout, else 502;
//   - *balancer.ExhaustedError: 429 with RetryAfter when a key cools down,
//     else 503;
//   - a canceled context: 499; a deadline: 504.
//
// An *Error is returned unchanged. Nothing becomes a bare 500.
func FromPipelineError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var ue *balancer.UpstreamError
	var ex *balancer.ExhaustedError
	switch {
	case errors.As(err, &ue):
		return fromUpstream(ue)
	case errors.As(err, &ex):
		if !ex.RetryAt.IsZero() {
			d := max(time.Until(ex.RetryAt), time.Second)
			return &Error{Status: http.StatusTooManyRequests, Type: TypeRateLimit, Message: ex.Error(), Code: strPtr("rate_limit_exceeded"), RetryAfter: d}
		}
		return &Error{Status: http.StatusServiceUnavailable, Type: TypeServer, Message: ex.Error(), Code: strPtr("no_available_key")}
	case errors.Is(err, balancer.ErrNoKey):
		return &Error{Status: http.StatusServiceUnavailable, Type: TypeServer, Message: err.Error(), Code: strPtr("no_available_key")}
	case errors.Is(err, context.Canceled):
		return &Error{Status: 499, Type: TypeInvalidRequest, Message: "the client closed the request", Code: strPtr("canceled")}
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, balancer.ErrTimeout):
		return &Error{Status: http.StatusGatewayTimeout, Type: TypeServer, Message: "the upstream did not answer in time: " + err.Error(), Code: strPtr("timeout")}
	case err == nil:
		return &Error{Status: http.StatusInternalServerError, Type: TypeServer, Message: "internal error"}
	}
	return &Error{Status: http.StatusBadGateway, Type: TypeServer, Message: "upstream failure: " + err.Error(), Code: strPtr("upstream_error")}
}

func fromUpstream(ue *balancer.UpstreamError) *Error {
	v := ue.Verdict
	status := ue.ClientStatus()
	if ue.Status == 0 {
		code := "upstream_unreachable"
		if status == http.StatusGatewayTimeout {
			code = "timeout"
		}
		return &Error{Status: status, Type: TypeServer, Code: strPtr(code),
			Message: fmt.Sprintf("the upstream did not answer after %d attempt(s): %s", ue.Attempts, v.Message)}
	}
	if ue.KeyRejected() {
		return &Error{Status: status, Type: TypeServer, Code: strPtr("no_available_key"),
			Message: fmt.Sprintf("no working API key: the last key tried was rejected (%s: %s) after %d attempt(s)", v.Reason, v.Message, ue.Attempts)}
	}
	msg := v.Message
	var code, param string
	if g, ok := parseGoogleError(ue.Body); ok {
		if g.Error.Message != "" {
			msg = g.Error.Message
		}
		code = g.Error.Status
		for _, d := range g.Error.Details {
			for _, fv := range d.FieldViolations {
				if fv.Field != "" && param == "" {
					param = fv.Field
				}
			}
		}
	}
	if msg == "" {
		msg = http.StatusText(ue.Status)
	}
	e := &Error{Status: ue.Status, Message: msg, Code: strPtr(code), Param: strPtr(param)}
	switch {
	case ue.Status == http.StatusTooManyRequests:
		e.Type, e.Code, e.Param = TypeRateLimit, strPtr("rate_limit_exceeded"), nil
		e.RetryAfter = v.RetryAfter
		if e.RetryAfter == 0 && ue.Header != nil {
			if s, err := strconv.Atoi(ue.Header.Get("Retry-After")); err == nil && s > 0 {
				e.RetryAfter = time.Duration(s) * time.Second
			}
		}
	case ue.Status == http.StatusNotFound:
		e.Type = TypeNotFound
		if strings.Contains(msg, "models/") {
			e.Code = strPtr("model_not_found")
		}
	case ue.Status == http.StatusUnauthorized:
		e.Type = TypeAuthentication
	case ue.Status == http.StatusForbidden:
		e.Type = TypePermission
	case ue.Status >= 500:
		e.Type = TypeServer
	default:
		e.Type = TypeInvalidRequest
	}
	return e
}
