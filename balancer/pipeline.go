package balancer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/geminibalance/gb/internal/redact"
)

// DefaultMaxRetries is used when Pipeline.MaxRetries is nil.
const DefaultMaxRetries = 3

// Call is one client request to run against the pool.
type Call struct {
	// Model is the upstream model name the health model tracks cool-downs
	// for (without "models/").
	Model string
	// Kind names the operation in logs, for example "gemini-chat-stream".
	Kind string
	// Body is the upstream request body, kept only so that OnError can
	// record it; it may be nil.
	Body []byte
	// Attempt sends the request upstream using key and returns the
	// response with its body unread. It is called once per attempt, each
	// time with a different key; it must be safe to call again (build the
	// request anew from a byte slice, not from a consumed reader).
	Attempt func(ctx context.Context, key string) (*http.Response, error)
}

// Attempt describes one finished upstream attempt, for logging and
// metrics.
type Attempt struct {
	// Key is the API key used (full: mask it before showing it).
	Key string
	// Model and Kind are copied from the Call.
	Model, Kind string
	// N is the attempt's number within its request, from 1.
	N int
	// Start is when the attempt began.
	Start time.Time
	// Latency is how long the attempt took, including reading the body
	// for successful answers.
	Latency time.Duration
	// Verdict is the outcome.
	Verdict Verdict
	// Usage is the token usage the protocol layer found, if any.
	Usage Usage
}

// Usage is token usage reported by the upstream.
type Usage struct {
	// PromptTokens is usageMetadata.promptTokenCount.
	PromptTokens int
	// CompletionTokens is usageMetadata.candidatesTokenCount.
	CompletionTokens int
	// TotalTokens is usageMetadata.totalTokenCount.
	TotalTokens int
}

// Pipeline runs client requests against a KeyPool: pick a key, call the
// upstream, classify the outcome, retry on another key or answer, and
// record. Every protocol package (native Gemini, OpenAI, TTS …) shares it
// and only translates at its edges.
//
// A Pipeline is configured through its fields before first use and is
// then safe for concurrent use. Fields that are functions are read on every
// request, so they can follow a live configuration.
type Pipeline struct {
	// Pool hands out keys. Required.
	Pool KeyPool
	// MaxRetries returns how many times a failed request is retried, each
	// time on a different key (so at most 1+MaxRetries attempts). Nil means
	// DefaultMaxRetries.
	MaxRetries func() int
	// Classify judges each outcome. Nil means ClassifyGemini.
	Classify Classifier
	// Observe, if set, is called once for every finished attempt. It runs
	// on the request's goroutine and must not block (hand the record to a
	// storage.LogWriter, for example).
	Observe func(Attempt)
	// OnError, if set, is called for every failed attempt (except client
	// disconnects) with the redacted error answer (nil when none came) and
	// the Call's request body, for error logs. Like Observe it must not
	// block.
	OnError func(a Attempt, answer, request []byte)
	// MaxErrorBody caps how much of an error answer is read. Zero means
	// 64 KiB.
	MaxErrorBody int64
}

// UpstreamError is returned by Do when the request failed: the last
// attempt's answer (status, headers and redacted body) when there was one.
// Status is 0 when the last attempt got no answer (network error or
// timeout); Body is then empty and Verdict.Message says what happened.
type UpstreamError struct {
	// Status is the last answer's HTTP status, 0 when none came.
	Status int
	// Header is the last answer's headers.
	Header http.Header
	// Body is the last answer's body (at most Pipeline.MaxErrorBody
	// bytes), keys redacted.
	Body []byte
	// Verdict is the last attempt's classification.
	Verdict Verdict
	// Attempts is how many attempts the request made.
	Attempts int
}

// Error describes the failure; keys are redacted.
func (e *UpstreamError) Error() string {
	if e.Status == 0 {
		return fmt.Sprintf("upstream request failed after %d attempt(s): %s", e.Attempts, e.Verdict.Message)
	}
	return fmt.Sprintf("upstream answered %d (%s) after %d attempt(s): %s", e.Status, e.Verdict.Class, e.Attempts, e.Verdict.Message)
}

// ClientStatus is the HTTP status a gateway answers its client with for
// e, whatever the protocol:
//
//   - no answer came: 504 after a timeout, 502 otherwise;
//   - the last key tried was rejected as invalid or denied for the model:
//     503 — the client's request was fine, the pool has no working key
//     for it (passing Google's 400 or 403 on would blame the client);
//   - otherwise the upstream's own status.
//
// Protocol packages (gemini, openai) shape the body; the decision is here
// so that every protocol answers the same.
func (e *UpstreamError) ClientStatus() int {
	switch {
	case e.Status == 0 && e.Verdict.Reason == "TIMEOUT":
		return http.StatusGatewayTimeout
	case e.Status == 0:
		return http.StatusBadGateway
	case e.KeyRejected():
		return http.StatusServiceUnavailable
	}
	return e.Status
}

// KeyRejected reports whether the last key tried was rejected as invalid
// or denied for the model (Verdict class InvalidKey or ModelDenied).
func (e *UpstreamError) KeyRejected() bool {
	return e.Verdict.Class == InvalidKey || e.Verdict.Class == ModelDenied
}

// Result is a successful answer. Its Response body is unread: the caller
// relays it, then calls Finish exactly once.
type Result struct {
	// Response is the upstream's 2xx answer.
	Response *http.Response
	// Key is the key that answered (full: mask it before showing it).
	Key string
	// Attempts is how many attempts the request took.
	Attempts int

	p      *Pipeline
	call   Call
	start  time.Time
	tried  [4]string // the keys tried, while Do runs (no allocation for up to 4 attempts)
	once   sync.Once
	status int
}

// Finish records how relaying the body ended. err is nil when the body was
// read to its end; a mid-stream upstream failure counts as a transient
// failure of the key (pass an *UpstreamError to give its verdict), while a
// client disconnect (context.Canceled) counts for nothing. Finish closes
// the response body. Calls after the first do nothing.
func (r *Result) Finish(err error, u Usage) {
	r.once.Do(func() {
		r.Response.Body.Close()
		v := Verdict{Class: Success, Status: r.status}
		if err != nil {
			var ue *UpstreamError
			switch {
			case errors.As(err, &ue):
				v = ue.Verdict
			case errors.Is(err, context.Canceled):
				v = Verdict{Class: Canceled, Status: r.status, Reason: "CANCELED", Message: "client disconnected"}
			default:
				v = Verdict{Class: Transient, Status: r.status, Reason: "STREAM_BROKEN", Message: redact.Text(err.Error(), r.Key)}
			}
		}
		r.p.Pool.Report(r.Key, r.call.Model, v)
		r.p.observe(Attempt{Key: r.Key, Model: r.call.Model, Kind: r.call.Kind, N: r.Attempts, Start: r.start,
			Latency: time.Since(r.start), Verdict: v, Usage: u})
	})
}

func (p *Pipeline) observe(a Attempt) {
	if p.Observe != nil {
		p.Observe(a)
	}
}

// Do runs c: up to 1+MaxRetries attempts, each on a different key, until
// one succeeds or fails in a way retrying cannot help (the client's own
// error). It returns a *Result to relay, or an error: an *UpstreamError
// carrying the last answer, an error wrapping ErrNoKey (usually an
// *ExhaustedError) when no key was usable before any attempt, or the
// context's error.
func (p *Pipeline) Do(ctx context.Context, c Call) (*Result, error) {
	retries := DefaultMaxRetries
	if p.MaxRetries != nil {
		retries = max(p.MaxRetries(), 0)
	}
	classify := p.Classify
	if classify == nil {
		classify = ClassifyGemini
	}
	limit := p.MaxErrorBody
	if limit <= 0 {
		limit = 64 << 10
	}
	// The Result is allocated up front: it holds the Call and the tried
	// keys, so a request costs one allocation here, not three.
	res := &Result{p: p, call: c}
	var lastErr *UpstreamError
	tried := res.tried[:0]
	for n := 1; n <= retries+1; n++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		key, err := p.Pool.Pick(c.Model, tried)
		if err != nil {
			if lastErr != nil {
				return nil, lastErr
			}
			return nil, err
		}
		tried = append(tried, key)
		start := time.Now()
		resp, err := c.Attempt(ctx, key)
		if err == nil && resp.StatusCode >= 200 && resp.StatusCode < 300 {
			res.Response, res.Key, res.Attempts, res.start, res.status = resp, key, n, start, resp.StatusCode
			return res, nil
		}
		var (
			status int
			header http.Header
			body   []byte
		)
		if err == nil {
			status, header = resp.StatusCode, resp.Header
			body, _ = io.ReadAll(io.LimitReader(resp.Body, limit))
			resp.Body.Close()
			body = []byte(redact.Text(string(body), key))
		} else if ctx.Err() != nil {
			err = ctx.Err()
		}
		v := classify(status, header, body, err)
		v.Message = redact.Text(v.Message, key)
		p.Pool.Report(key, c.Model, v)
		a := Attempt{Key: key, Model: c.Model, Kind: c.Kind, N: n, Start: start, Latency: time.Since(start), Verdict: v}
		p.observe(a)
		if p.OnError != nil && v.Class != Canceled {
			p.OnError(a, body, c.Body)
		}
		lastErr = &UpstreamError{Status: status, Header: header, Body: body, Verdict: v, Attempts: n}
		if v.Class == Canceled {
			return nil, context.Canceled
		}
		if !v.Class.Retryable() {
			return nil, lastErr
		}
	}
	return nil, lastErr
}
