package geminitest

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options configures a Server. The zero value is a usable, realistic
// simulator: default model list, three events per stream, no delays, and
// only keys registered with SetKey accepted.
type Options struct {
	// Addr is the address NewServer listens on; default "127.0.0.1:0"
	// (a free loopback port). Set it for a fixed port, e.g. in a demo.
	Addr string
	// Latency is waited before the first byte of every answer, errors
	// included. The wait ends early when the client goes away.
	Latency time.Duration
	// EventInterval is waited between two events of a stream.
	EventInterval time.Duration
	// StreamEvents is the number of events a streamed text answer is split
	// into; 0 means 3. Function-call and blocked answers are one event.
	StreamEvents int
	// AcceptAnyKey makes keys never given to SetKey behave as Valid. By
	// default they get 400 API_KEY_INVALID, as an unknown key gets from Google.
	AcceptAnyKey bool
	// Models is the served model list; nil means DefaultModels().
	Models []Model
	// Responder, when set, scripts generateContent and
	// streamGenerateContent answers after all checks passed. Returning nil
	// falls back to the built-in answer. The server fills ModelVersion,
	// ResponseID, candidate indexes and (if nil) UsageMetadata, and splits
	// the answer into stream events itself. It may be called concurrently.
	Responder func(r *GenerateRequest) *GenerateResponse
	// Now is the clock used for RecordedRequest.Time; nil means time.Now.
	Now func() time.Time
	// DisableRecording keeps Requests empty (Calls and the other counters
	// still work), so long load runs do not accumulate request bodies.
	DisableRecording bool
}

// BehaviorKind selects how the server treats requests made with a key.
type BehaviorKind int

const (
	// Valid answers normally.
	Valid BehaviorKind = iota
	// Invalid answers 400 INVALID_ARGUMENT "API key not valid. Please pass
	// a valid API key." with ErrorInfo reason API_KEY_INVALID, on every route.
	Invalid
	// Suspended answers 403 PERMISSION_DENIED "Permission denied: Consumer
	// 'api_key:KEY' has been suspended." with ErrorInfo reason
	// CONSUMER_SUSPENDED, on every route.
	Suspended
	// PermissionDenied answers 403 PERMISSION_DENIED "The caller does not
	// have permission" on model calls; combine with Behavior.Models for a
	// model-specific denial.
	PermissionDenied
	// Quota answers 429 RESOURCE_EXHAUSTED on model calls, with a
	// QuotaFailure (per-minute quotaId, or per-day with Behavior.Daily),
	// a Help link and, when Behavior.RetryDelay > 0, a RetryInfo
	// ("26s") and a message ending "Please retry in 26.2s.".
	Quota
	// Flaky answers Behavior.Status (default 503 UNAVAILABLE "The model is
	// overloaded. Please try again later."; 500 gives INTERNAL, 504
	// DEADLINE_EXCEEDED) with no details on model calls, Behavior.FailTimes
	// times and then succeeds; FailTimes 0 fails forever.
	Flaky
	// Slow answers normally after an extra Behavior.Latency.
	Slow
	// BreakStream makes streamGenerateContent send Behavior.BreakAfter
	// events and then drop the connection without ending the response;
	// unary model calls are dropped before any byte is written.
	BreakStream
)

// String returns the constant's name.
func (k BehaviorKind) String() string {
	names := []string{"Valid", "Invalid", "Suspended", "PermissionDenied", "Quota", "Flaky", "Slow", "BreakStream"}
	if int(k) >= 0 && int(k) < len(names) {
		return names[k]
	}
	return "BehaviorKind(" + itoa(int(k)) + ")"
}

// Behavior is what the server does with requests made with one key.
// Model calls are generateContent, streamGenerateContent, countTokens,
// embedContent, batchEmbedContents and predict; listing and getting models
// is only affected by Invalid, Suspended and Latency.
type Behavior struct {
	// Kind selects the behaviour.
	Kind BehaviorKind
	// RetryDelay is the RetryInfo delay of Quota (0 = no RetryInfo).
	RetryDelay time.Duration
	// Daily makes Quota report the per-day quota instead of per-minute.
	Daily bool
	// Status is the HTTP status of Flaky (default 503).
	Status int
	// Models, when non-empty, limits PermissionDenied, Quota, Flaky, Slow
	// and BreakStream to these model ids ("gemini-2.5-pro"); other models
	// are served normally.
	Models []string
	// Latency is added before the first byte of every answer for this key
	// (whatever the Kind; Slow is the kind that does nothing else).
	Latency time.Duration
	// BreakAfter is the number of events BreakStream sends before breaking.
	BreakAfter int
	// FailTimes is how many requests Flaky fails before it succeeds; 0 = always.
	FailTimes int
}

func (b Behavior) appliesTo(model string) bool {
	if len(b.Models) == 0 {
		return true
	}
	for _, m := range b.Models {
		if strings.TrimPrefix(m, "models/") == model {
			return true
		}
	}
	return false
}

// RecordedRequest is one request as the server received it.
type RecordedRequest struct {
	// Method is the HTTP method.
	Method string
	// Path is the URL path, e.g. "/v1beta/models/gemini-2.5-flash:generateContent".
	Path string
	// RawQuery is the URL query without "?".
	RawQuery string
	// Header is a clone of the request headers.
	Header http.Header
	// Body is the request body, byte for byte.
	Body []byte
	// Key is the API key used (x-goog-api-key header, else ?key=), or "".
	Key string
	// Model is the model id of a model route ("gemini-2.5-flash"), or "".
	Model string
	// APIMethod is the RPC: "generateContent", "streamGenerateContent",
	// "countTokens", "embedContent", "batchEmbedContents", "predict",
	// "listModels", "getModel", or "" for unknown routes.
	APIMethod string
	// Version is "v1beta" or "v1" ("" for unknown routes).
	Version string
	// Time is when the request arrived (Options.Now).
	Time time.Time
}

// Server is a simulated Gemini API (generativelanguage.googleapis.com)
// listening on loopback, in the manner of httptest.Server.
type Server struct {
	// URL is the base URL, "http://127.0.0.1:PORT", without a trailing
	// slash; "" until the server is started.
	URL string

	opts     Options
	models   []Model
	byID     map[string]Model
	handler  http.Handler
	listener net.Listener
	srv      *http.Server
	wg       sync.WaitGroup

	mu        sync.Mutex
	behaviors map[string]Behavior
	failures  map[string]int
	calls     map[string]int
	records   []RecordedRequest
	seq       uint64

	conns       atomic.Int64
	connsClosed atomic.Int64
	active      atomic.Int64
	closed      atomic.Bool
}

// NewServer starts a Server on a loopback port (Options.Addr) and returns
// it; call Close when done. It panics if it cannot listen, like
// httptest.NewServer.
func NewServer(opts Options) *Server {
	s := NewUnstartedServer(opts)
	s.Start()
	return s
}

// NewUnstartedServer returns a Server that does not listen yet: use its
// Handler in-process, or call Start.
func NewUnstartedServer(opts Options) *Server {
	if opts.StreamEvents <= 0 {
		opts.StreamEvents = 3
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	models := opts.Models
	if models == nil {
		models = DefaultModels()
	}
	s := &Server{
		opts:      opts,
		byID:      map[string]Model{},
		behaviors: map[string]Behavior{},
		failures:  map[string]int{},
		calls:     map[string]int{},
	}
	for _, m := range models {
		if !strings.HasPrefix(m.Name, "models/") {
			m.Name = "models/" + m.Name
		}
		s.models = append(s.models, m)
		s.byID[m.ID()] = m
	}
	s.handler = http.HandlerFunc(s.serveHTTP)
	return s
}

// Start listens on Options.Addr (default a free loopback port) and serves
// in the background. It panics if listening fails or if already started.
func (s *Server) Start() {
	if s.listener != nil {
		panic("geminitest: Server already started")
	}
	addr := s.opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		panic("geminitest: failed to listen on " + addr + ": " + err.Error())
	}
	s.listener = l
	s.srv = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 30 * time.Second,
		ConnState: func(_ net.Conn, st http.ConnState) {
			switch st {
			case http.StateNew:
				s.conns.Add(1)
			case http.StateClosed, http.StateHijacked:
				s.connsClosed.Add(1)
			}
		},
		ErrorLog: nil,
	}
	s.URL = "http://" + l.Addr().String()
	go func() { _ = s.srv.Serve(l) }()
}

// Close stops listening, closes all connections (in-flight streams end
// with an error on the client side) and waits briefly for handlers.
func (s *Server) Close() {
	if s.closed.Swap(true) || s.srv == nil {
		return
	}
	_ = s.srv.Close()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
}

// Handler returns the simulator as an http.Handler, for in-process use
// (httptest.NewRecorder, a custom server). Counters other than
// Connections work through it too. To drop a connection, BreakStream
// panics with http.ErrAbortHandler, which net/http servers handle
// silently; a caller invoking ServeHTTP directly must recover it.
func (s *Server) Handler() http.Handler { return s.handler }

// SetKey sets the behaviour of requests made with key. It is safe to call
// while requests are being served; it also restarts a Flaky key's count.
func (s *Server) SetKey(key string, b Behavior) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.behaviors[key] = b
	delete(s.failures, key)
}

// Requests returns a copy of every request received so far, in arrival order.
func (s *Server) Requests() []RecordedRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]RecordedRequest, len(s.records))
	copy(out, s.records)
	return out
}

// Reset clears the recorded requests, the per-key call counts, the Flaky
// failure counts and the connection count. Behaviours are kept.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.records = nil
	s.calls = map[string]int{}
	s.failures = map[string]int{}
	s.conns.Store(0)
	s.connsClosed.Store(0)
}

// Calls returns how many requests were received with key (whatever their
// outcome). Calls("") counts requests without a key.
func (s *Server) Calls(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[key]
}

// Connections returns how many TCP connections the server accepted
// (since start or the last Reset). With keep-alive working, many
// sequential requests share one connection.
func (s *Server) Connections() int { return int(s.conns.Load()) }

// ConnectionsClosed returns how many of those connections have closed
// (either side). Connections() − ConnectionsClosed() are open now; new
// connections with none closed mean a client's pool grew rather than
// churned.
func (s *Server) ConnectionsClosed() int { return int(s.connsClosed.Load()) }

// Active returns the number of handlers in flight. After a client cancels
// a stream it drops back, which lets tests prove cancellation propagates.
func (s *Server) Active() int { return int(s.active.Load()) }

// Models returns the served model list.
func (s *Server) Models() []Model {
	out := make([]Model, len(s.models))
	copy(out, s.models)
	return out
}

// behavior returns the key's behaviour and whether the key is known.
func (s *Server) behavior(key string) (Behavior, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.behaviors[key]
	return b, ok
}

// flakyFails reports whether a Flaky key should fail this time.
func (s *Server) flakyFails(key string, b Behavior) bool {
	if b.FailTimes <= 0 {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failures[key] >= b.FailTimes {
		return false
	}
	s.failures[key]++
	return true
}

func (s *Server) nextSeq() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	return s.seq
}

// route is a parsed request path.
type route struct {
	version string
	model   string // "" for list
	method  string // RPC name
}

func parseRoute(r *http.Request) (route, bool) {
	p := r.URL.Path
	var rt route
	switch {
	case strings.HasPrefix(p, "/v1beta/"):
		rt.version, p = "v1beta", p[len("/v1beta/"):]
	case strings.HasPrefix(p, "/v1/"):
		rt.version, p = "v1", p[len("/v1/"):]
	default:
		return rt, false
	}
	if p == "models" || p == "models/" {
		rt.method = "listModels"
		return rt, r.Method == http.MethodGet
	}
	if !strings.HasPrefix(p, "models/") {
		return rt, false
	}
	p = p[len("models/"):]
	id, verb, hasVerb := strings.Cut(p, ":")
	if id == "" || strings.Contains(id, "/") {
		return rt, false
	}
	rt.model = id
	if !hasVerb {
		rt.method = "getModel"
		return rt, r.Method == http.MethodGet
	}
	switch verb {
	case "generateContent", "streamGenerateContent", "countTokens", "embedContent", "batchEmbedContents", "predict":
		rt.method = verb
		return rt, r.Method == http.MethodPost
	}
	return rt, false
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	s.wg.Add(1)
	defer s.wg.Done()
	s.active.Add(1)
	defer s.active.Add(-1)
	start := time.Now()

	body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	rt, ok := parseRoute(r)
	key := r.Header.Get("x-goog-api-key")
	if key == "" {
		key = r.URL.Query().Get("key")
	}
	rec := RecordedRequest{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Header: r.Header.Clone(),
		Body: body, Key: key, Time: s.opts.Now()}
	if ok {
		rec.Model, rec.APIMethod, rec.Version = rt.model, rt.method, rt.version
	}
	s.mu.Lock()
	if !s.opts.DisableRecording {
		s.records = append(s.records, rec)
	}
	s.calls[key]++
	s.mu.Unlock()

	c := &call{s: s, w: w, r: r, rt: rt, key: key, body: body, start: start, latency: s.opts.Latency}
	if !ok {
		c.notFoundHTML()
		return
	}
	c.serve()
}

// call is the state of one request.
type call struct {
	s       *Server
	w       http.ResponseWriter
	r       *http.Request
	rt      route
	key     string
	body    []byte
	start   time.Time
	latency time.Duration
	beh     Behavior
	model   Model
}

func (c *call) ctx() context.Context { return c.r.Context() }

// sleep waits d or until the client goes away; it reports whether the
// client is still there.
func (c *call) sleep(d time.Duration) bool {
	if d <= 0 {
		return c.ctx().Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-c.ctx().Done():
		return false
	}
}

// abort drops the connection without completing the response.
func (c *call) abort() {
	panic(http.ErrAbortHandler)
}

func (c *call) serve() {
	rt := c.rt
	if c.key == "" {
		if strings.HasPrefix(strings.ToLower(c.r.Header.Get("Authorization")), "bearer ") {
			c.fail(errBearer(rt.version, rt.method))
			return
		}
		c.fail(errMissingKey())
		return
	}
	beh, known := c.s.behavior(c.key)
	if !known && !c.s.opts.AcceptAnyKey {
		beh = Behavior{Kind: Invalid}
	}
	c.beh = beh
	if beh.Kind == Invalid || beh.Kind == Suspended || (rt.method == "listModels" || rt.method == "getModel") && len(beh.Models) == 0 {
		c.latency += beh.Latency
	}
	switch beh.Kind {
	case Invalid:
		c.fail(errKeyInvalid())
		return
	case Suspended:
		c.fail(errSuspended(c.key))
		return
	}
	switch rt.method {
	case "listModels":
		c.listModels()
		return
	case "getModel":
		m, ok := c.s.byID[rt.model]
		if !ok {
			c.fail(errModelNotFound(rt.model, rt.version, "get"))
			return
		}
		c.writeJSON(200, m)
		return
	}
	m, ok := c.s.byID[rt.model]
	need := map[string]string{"generateContent": "generateContent", "streamGenerateContent": "generateContent",
		"countTokens": "countTokens", "embedContent": "embedContent", "batchEmbedContents": "embedContent",
		"predict": "predict"}[rt.method]
	if !ok || !m.supports(need) || (rt.method == "predict" && rt.version != "v1beta") {
		c.fail(errModelNotFound(rt.model, rt.version, rt.method))
		return
	}
	c.model = m
	if beh.appliesTo(m.ID()) {
		c.latency += beh.Latency
	}
	if beh.Kind != Valid && beh.appliesTo(m.ID()) {
		switch beh.Kind {
		case PermissionDenied:
			c.fail(statusError(403))
			return
		case Quota:
			c.fail(errQuota(m.ID(), rt.method, beh.Daily, beh.RetryDelay))
			return
		case Flaky:
			if c.s.flakyFails(c.key, beh) {
				code := beh.Status
				if code == 0 {
					code = 503
				}
				c.fail(statusError(code))
				return
			}
		case BreakStream:
			if rt.method != "streamGenerateContent" {
				c.sleep(c.latency)
				c.abort()
			}
		}
	}
	switch rt.method {
	case "generateContent", "streamGenerateContent":
		c.generate()
	case "countTokens":
		c.countTokens()
	case "embedContent":
		c.embedContent()
	case "batchEmbedContents":
		c.batchEmbedContents()
	case "predict":
		c.predict()
	}
}

// setHeaders writes Google's usual response headers.
func (c *call) setHeaders(contentType string) {
	h := c.w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Vary", "Origin, X-Origin, Referer")
	h.Set("Server", "scaffolding on HTTPServer2")
	h.Set("X-Xss-Protection", "0")
	h.Set("X-Frame-Options", "SAMEORIGIN")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Server-Timing", "gfet4t7; dur="+itoa(int(time.Since(c.start)/time.Millisecond)))
	if c.rt.method == "generateContent" || c.rt.method == "streamGenerateContent" {
		h.Set("X-Gemini-Service-Tier", "standard")
	}
}

// writeJSON waits the latency and writes a pretty-printed unary body.
func (c *call) writeJSON(code int, v any) {
	if !c.sleep(c.latency) {
		return
	}
	c.setHeaders("application/json; charset=UTF-8")
	c.w.WriteHeader(code)
	_, _ = c.w.Write(marshalPretty(v))
	_, _ = c.w.Write([]byte("\n"))
}

// fail writes an error body; the no-alt stream form wraps it in an array.
func (c *call) fail(e *apiError) {
	if c.rt.method == "streamGenerateContent" && c.r.URL.Query().Get("alt") != "sse" {
		c.writeJSON(e.Code, []errorBody{{Error: e}})
		return
	}
	c.writeJSON(e.Code, errorBody{Error: e})
}

// notFoundHTML is Google's front-end page for paths no API serves.
func (c *call) notFoundHTML() {
	if !c.sleep(c.latency) {
		return
	}
	c.setHeaders("text/html; charset=UTF-8")
	c.w.WriteHeader(404)
	_, _ = io.WriteString(c.w, `<!DOCTYPE html>
<html lang=en>
  <meta charset=utf-8>
  <title>Error 404 (Not Found)!!1</title>
  <p><b>404.</b> <ins>That’s an error.</ins>
  <p>The requested URL <code>`+htmlEscape(c.r.URL.Path)+`</code> was not found on this server.  <ins>That’s all we know.</ins>
`)
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}

func (c *call) listModels() {
	q := c.r.URL.Query()
	size := 50
	if ps := q.Get("pageSize"); ps != "" {
		n, err := atoiStrict(ps)
		if err != nil || n < 0 {
			c.fail(errInvalidArgument("Invalid value at 'page_size' (TYPE_INT32), \"" + ps + "\""))
			return
		}
		if n > 0 {
			size = min(n, 1000)
		}
	}
	startIdx := 0
	if tok := q.Get("pageToken"); tok != "" {
		name, ok := parsePageToken(tok)
		idx := -1
		for i, m := range c.s.models {
			if m.Name == name {
				idx = i
			}
		}
		if !ok || idx < 0 {
			c.fail(errInvalidArgument("Invalid page token."))
			return
		}
		startIdx = idx + 1
	}
	end := min(startIdx+size, len(c.s.models))
	type page struct {
		Models        []Model `json:"models"`
		NextPageToken string  `json:"nextPageToken,omitempty"`
	}
	p := page{Models: c.s.models[startIdx:end]}
	if end < len(c.s.models) {
		p.NextPageToken = pageToken(c.s.models[end-1].Name)
	}
	c.writeJSON(200, p)
}

func atoiStrict(s string) (int, error) {
	n := 0
	if s == "" {
		return 0, errors.New("empty")
	}
	for _, r := range s {
		if r < '0' || r > '9' || n > 1<<30 {
			return 0, errors.New("not a number")
		}
		n = n*10 + int(r-'0')
	}
	return n, nil
}
