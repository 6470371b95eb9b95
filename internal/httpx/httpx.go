// Package httpx holds the request-reading steps and stream-answer headers
// the protocol handlers share; each handler words its own errors (Google's
// or OpenAI's shape).
package httpx

import (
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// SSEQuery is the upstream query of a stream ("alt=sse": Google's SSE
// framing). Shared: never modified.
var SSEQuery = url.Values{"alt": {"sse"}}

// Content types of stream answers, for SetStreamHeaders.
var (
	SSE       = []string{"text/event-stream"}[:1:1]
	JSONArray = []string{"application/json; charset=UTF-8"}[:1:1]
)

var (
	noCache     = []string{"no-cache"}[:1:1]
	noBuffering = []string{"no"}[:1:1]
)

// SetStreamHeaders sets a stream answer's Content-Type (SSE or JSONArray),
// Cache-Control: no-cache and X-Accel-Buffering: no (so that proxies such
// as nginx pass every event on at once). The values are shared and never
// modified: net/http copies them when it writes the head, and with
// cap == len an append by a wrapping middleware copies too. This saves
// the four allocations of Header.Set on every stream.
func SetStreamHeaders(h http.Header, contentType []string) {
	h["Content-Type"] = contentType
	h["Cache-Control"] = noCache
	h["X-Accel-Buffering"] = noBuffering
}

// JSONContentType reports whether a request's Content-Type may carry a
// JSON body: empty, application/json, any +json type, and the types
// clients send by default with a JSON body (curl -d sends
// application/x-www-form-urlencoded; fetch with a string sends
// text/plain).
func JSONContentType(ct string) bool {
	if ct == "" || ct == "application/json" {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/json" || strings.HasSuffix(mt, "+json") ||
		mt == "application/x-www-form-urlencoded" || mt == "text/plain"
}

// ReadAll reads r whole into one buffer sized from the declared length
// (a Content-Length) when it is known and at most limit, plus spare bytes
// of room for the caller to append to, so the body is copied once
// (io.ReadAll would grow and copy it several times). Limiting is the
// caller's: wrap r in http.MaxBytesReader or io.LimitReader.
func ReadAll(r io.Reader, declared, limit int64, spare int) ([]byte, error) {
	if declared <= 0 || declared > limit {
		return io.ReadAll(r)
	}
	b := make([]byte, 0, declared+1+int64(spare))
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // grow: the body is longer than declared
		}
	}
}
