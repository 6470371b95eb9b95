package gemini

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/geminibalance/gb/balancer"
	"github.com/geminibalance/gb/internal/httpx"
	"github.com/geminibalance/gb/internal/jsonx"
)

// DefaultMaxBodyBytes is the request-size limit used when
// Settings.MaxBodyBytes is zero: generous, since requests carry inline
// images, audio and PDFs as base64.
const DefaultMaxBodyBytes = 64 << 20

// Settings are the native handler's live options. The handler reads them
// through Handler.Settings on every request, so swapping the value a
// Settings func returns changes behaviour at once.
type Settings struct {
	// SafetySettings, a JSON array, is added to requests that carry no
	// safetySettings of their own (SAFETY_SETTINGS). Nil adds nothing.
	SafetySettings json.RawMessage
	// Models decides which model names are listed and allowed.
	Models ModelPolicy
	// MaxBodyBytes caps a request body. Zero means DefaultMaxBodyBytes.
	MaxBodyBytes int64
}

// Handler serves the native Gemini REST API through a key pool:
//
//	GET  {prefix}/{version}/models
//	GET  {prefix}/{version}/models/{model}
//	POST {prefix}/{version}/models/{model}:generateContent
//	POST {prefix}/{version}/models/{model}:streamGenerateContent[?alt=sse]
//	POST {prefix}/{version}/models/{model}:countTokens
//	POST {prefix}/{version}/models/{model}:embedContent
//	POST {prefix}/{version}/models/{model}:batchEmbedContents
//
// where version is v1beta or v1 and prefix is anything before it (for
// example "/gemini"). Bodies go upstream unchanged but for documented
// additions (SAFETY_SETTINGS when the request has none, model-suffix
// features); answers come back byte for byte, streams event by event.
//
// Handler is configured through its fields, like httputil.ReverseProxy.
type Handler struct {
	// Pipeline runs each request against the key pool. Required.
	Pipeline *balancer.Pipeline
	// Client calls the upstream. Required.
	Client *Client
	// Models lists upstream models. Nil means a cache with default TTL
	// built from Pipeline and Client on first use.
	Models *ModelCache
	// Auth checks every request; token is what ClientToken found (maybe
	// ""). Returning false answers 401. Nil lets every request through:
	// use that only behind authentication of your own.
	Auth Authenticator
	// Settings returns the live settings. Nil means zero Settings.
	Settings func() *Settings
	// Logger receives problems worth an operator's attention. Nil means
	// slog.Default().
	Logger *slog.Logger

	once sync.Once
}

func (h *Handler) settings() *Settings {
	if h.Settings != nil {
		if s := h.Settings(); s != nil {
			return s
		}
	}
	return &Settings{}
}

func (h *Handler) init() {
	h.once.Do(func() {
		if h.Models == nil {
			h.Models = &ModelCache{Pipeline: h.Pipeline, Client: h.Client}
		}
	})
}

// route is a parsed native path.
type route struct {
	version string // "v1beta" or "v1"
	model   string // "" for the list
	method  string // "" for GET model(s)
}

// parsePath finds "/v1beta/" or "/v1/" in p and reads what follows.
func parsePath(p string) (route, bool) {
	var r route
	for _, v := range []string{"/v1beta/", "/v1/"} {
		if i := strings.Index(p, v); i >= 0 {
			r.version = v[1 : len(v)-1]
			p = p[i+len(v):]
			break
		}
	}
	if r.version == "" {
		return r, false
	}
	if p == "models" || p == "models/" {
		return r, true
	}
	rest, ok := strings.CutPrefix(p, "models/")
	if !ok || rest == "" {
		return r, false
	}
	if i := strings.LastIndexByte(rest, ':'); i >= 0 {
		r.model, r.method = rest[:i], rest[i+1:]
	} else {
		r.model = rest
	}
	if r.model == "" || strings.ContainsAny(r.model, "/?#") {
		return r, false
	}
	return r, true
}

var kinds = map[string]string{
	"generateContent":       "gemini-chat-non-stream",
	"streamGenerateContent": "gemini-chat-stream",
	"countTokens":           "gemini-count-tokens",
	"embedContent":          "gemini-embed-single",
	"batchEmbedContents":    "gemini-embed-batch",
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.init()
	rt, ok := parsePath(r.URL.Path)
	if !ok {
		WriteError(w, http.StatusNotFound, "Not found: "+r.Method+" "+r.URL.Path)
		return
	}
	if !h.authenticate(w, r) {
		return
	}
	switch {
	case rt.method == "" && r.Method == http.MethodGet:
		h.serveModels(w, r, rt)
	case rt.method == "":
		WriteError(w, http.StatusMethodNotAllowed, "Method "+r.Method+" not allowed on "+r.URL.Path)
	case r.Method != http.MethodPost:
		WriteError(w, http.StatusMethodNotAllowed, "Method "+r.Method+" not allowed on "+r.URL.Path+"; use POST")
	case kinds[rt.method] == "":
		WriteError(w, http.StatusNotFound, "Method \""+rt.method+"\" is not supported by this gateway. Supported: generateContent, streamGenerateContent, countTokens, embedContent, batchEmbedContents.")
	default:
		// The answer is relayed from this frame, not from serveCall's:
		// an open stream parks its goroutine inside the relay for as long
		// as it lasts, and without serveCall's frame (~630 bytes) under it
		// the parked stack stays small enough for the runtime to keep
		// each open stream's goroutine at its smallest workable size.
		res, stream, sse := h.serveCall(w, r, rt)
		switch {
		case res == nil:
		case stream:
			relayStream(w, r, res, sse)
		default:
			relayUnary(w, res)
		}
	}
}

func (h *Handler) authenticate(w http.ResponseWriter, r *http.Request) bool {
	if h.Auth == nil {
		return true
	}
	tok, _ := ClientToken(r)
	if h.Auth(r, tok) {
		return true
	}
	if tok == "" {
		WriteError(w, http.StatusUnauthorized, "Missing API key: pass your gateway token as the x-goog-api-key header, the key query parameter, or an Authorization: Bearer header.")
	} else {
		WriteError(w, http.StatusUnauthorized, "Invalid API key: the token is not one this gateway accepts.")
	}
	return false
}

func (h *Handler) serveModels(w http.ResponseWriter, r *http.Request, rt route) {
	models, err := h.Models.Models(r.Context())
	if err != nil {
		WritePipelineError(w, err)
		return
	}
	s := h.settings()
	vars := s.Models.Variants(models)
	if rt.model != "" {
		want := strings.TrimPrefix(rt.model, "models/")
		for i := range vars {
			if vars[i].ID == want {
				writeJSONBytes(w, http.StatusOK, vars[i].NativeJSON())
				return
			}
		}
		WriteError(w, http.StatusNotFound, "models/"+want+" is not found for API version "+rt.version+". Call ListModels to see the list of available models.")
		return
	}
	var buf bytes.Buffer
	buf.WriteString("{\n  \"models\": [")
	for i := range vars {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString("\n    ")
		buf.Write(vars[i].NativeJSON())
	}
	buf.WriteString("\n  ]\n}\n")
	writeJSONBytes(w, http.StatusOK, buf.Bytes())
}

func writeJSONBytes(w http.ResponseWriter, code int, b []byte) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(code)
	w.Write(b)
}

// readBody reads and checks a JSON request body, writing a Google-style
// error and returning nil when it is unacceptable.
//
// spare is how many bytes of capacity to leave after the body, so that an
// addition (SAFETY_SETTINGS) can be appended without copying it.
func readBody(w http.ResponseWriter, r *http.Request, limit int64, spare int) []byte {
	if limit <= 0 {
		limit = DefaultMaxBodyBytes
	}
	if ct := r.Header.Get("Content-Type"); !httpx.JSONContentType(ct) {
		WriteError(w, http.StatusUnsupportedMediaType, "Content-Type must be application/json, not \""+ct+"\".")
		return nil
	}
	body, err := httpx.ReadAll(http.MaxBytesReader(w, r.Body, limit), r.ContentLength, limit, spare)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			WriteError(w, http.StatusRequestEntityTooLarge, "Request body is larger than the gateway's limit of "+byteSize(limit)+" (MAX_REQUEST_BODY_MB).")
			return nil
		}
		WriteError(w, http.StatusBadRequest, "Could not read the request body: "+err.Error())
		return nil
	}
	if len(bytes.TrimSpace(body)) == 0 {
		WriteError(w, http.StatusBadRequest, "Invalid JSON payload received. The request body is empty; expected a JSON object.")
		return nil
	}
	if !json.Valid(body) {
		WriteError(w, http.StatusBadRequest, "Invalid JSON payload received. "+describeJSONError(body))
		return nil
	}
	if !jsonx.IsObject(body) {
		WriteError(w, http.StatusBadRequest, "Invalid JSON payload received. Expected a JSON object at the top level.")
		return nil
	}
	return body
}

func describeJSONError(b []byte) string {
	var v any
	err := json.Unmarshal(b, &v)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return "Syntax error at byte " + itoa(int(se.Offset)) + ": " + se.Error() + "."
	}
	if err != nil {
		return err.Error() + "."
	}
	return "Malformed JSON."
}

// serveCall checks and prepares the request and runs the pipeline. It
// answers errors itself and returns a nil Result then; otherwise the
// caller relays the Result.
func (h *Handler) serveCall(w http.ResponseWriter, r *http.Request, rt route) (res *balancer.Result, stream, sse bool) {
	s := h.settings()
	m := s.Models.Parse(rt.model)
	if err := s.Models.Allowed(m); err != nil {
		WriteError(w, http.StatusBadRequest, err.Error())
		return nil, false, false
	}
	spare := 0
	if len(s.SafetySettings) > 0 {
		spare = len(s.SafetySettings) + len(`,"safetySettings":}`)
	}
	body := readBody(w, r, s.MaxBodyBytes, spare)
	if body == nil {
		return nil, false, false
	}
	// The body is this request's own: additions are appended in place.
	body, err := prepareRequest(body, rt.method, m, s, true)
	if err != nil {
		msg := err.Error()
		var st *Status
		if errors.As(err, &st) {
			msg = st.Message
		}
		WriteError(w, http.StatusBadRequest, msg)
		return nil, false, false
	}
	stream = rt.method == "streamGenerateContent"
	// Upstream always streams SSE: the gateway relays whole events and can
	// end a broken stream cleanly; the JSON-array form is rebuilt from the
	// events for clients that asked for it.
	var q url.Values
	if stream && r.URL.RawQuery == "alt=sse" {
		sse, q = true, httpx.SSEQuery // the common case, without parsing
	} else if r.URL.RawQuery != "" {
		cq := r.URL.Query()
		sse = stream && cq.Get("alt") == "sse"
		q = forwardQuery(cq)
		if stream {
			q.Set("alt", "sse")
		}
	} else if stream {
		q = httpx.SSEQuery
	}
	path := "models/" + m.Upstream + ":" + rt.method
	res, err = h.Pipeline.Do(r.Context(), balancer.Call{
		Model: m.Upstream,
		Kind:  kinds[rt.method],
		Body:  body,
		Attempt: func(ctx context.Context, key string) (*http.Response, error) {
			resp, err := h.Client.Do(ctx, key, &Request{Version: rt.version, Path: path, Query: q, Body: body, Stream: stream})
			if stream {
				return PeekStream(resp, err)
			}
			return resp, err
		},
	})
	if err != nil {
		switch {
		case errors.Is(err, context.Canceled):
		case stream && !sse:
			// Google's JSON-array stream wraps its errors in an array.
			writeArrayError(w, err)
		default:
			WritePipelineError(w, err)
		}
		return nil, false, false
	}
	return res, stream, sse
}

// forwardQuery keeps the client's query parameters except its token.
func forwardQuery(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		if k == "key" || k == "alt" || k == "$alt" {
			continue
		}
		out[k] = v
	}
	return out
}

// PrepareRequest applies the gateway's documented additions to a native
// request body and returns it; with nothing to add, it returns body
// itself, unchanged to the byte:
//
//   - generateContent and streamGenerateContent: SafetySettings when the
//     request has no safetySettings (or safety_settings) of its own;
//   - "-search": a googleSearch tool, unless the request declares
//     functions;
//   - "-image": responseModalities TEXT and IMAGE;
//   - "-non-thinking": NonThinkingConfig, unless the request sets
//     thinkingConfig.
func PrepareRequest(body []byte, method string, m ModelName, s *Settings) ([]byte, error) {
	return prepareRequest(body, method, m, s, false)
}

// prepareRequest is PrepareRequest; with inPlace, an appended member may
// reuse body's spare capacity (and overwrite its closing brace), so body
// must not be used afterwards.
func prepareRequest(body []byte, method string, m ModelName, s *Settings, inPlace bool) ([]byte, error) {
	if method != "generateContent" && method != "streamGenerateContent" {
		return body, nil
	}
	if len(s.SafetySettings) > 0 {
		if _, ok := jsonx.Field(body, "safetySettings", "safety_settings"); !ok {
			appended := false
			if inPlace {
				body, appended = appendMemberInPlace(body, "safetySettings", s.SafetySettings)
			}
			if !appended {
				body = jsonx.AppendMember(body, "safetySettings", s.SafetySettings)
			}
		}
	}
	if !m.Search && !m.Image && !m.NonThinking {
		return body, nil
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, invalidPayload(err.Error())
	}
	gc := map[string]any{}
	if raw, ok := top["generationConfig"]; ok {
		if err := json.Unmarshal(raw, &gc); err != nil || gc == nil {
			return nil, invalidPayload("generationConfig must be an object")
		}
	}
	gcChanged := false
	if m.Search {
		var tools []map[string]any
		if raw, ok := top["tools"]; ok {
			if err := json.Unmarshal(raw, &tools); err != nil {
				return nil, invalidPayload("tools must be an array of objects")
			}
		}
		hasFuncs, hasSearch := false, false
		for _, t := range tools {
			if t["functionDeclarations"] != nil || t["function_declarations"] != nil {
				hasFuncs = true
			}
			if t["googleSearch"] != nil || t["google_search"] != nil {
				hasSearch = true
			}
		}
		if !hasFuncs && !hasSearch {
			tools = append(tools, map[string]any{"googleSearch": map[string]any{}})
			top["tools"], _ = json.Marshal(tools)
		}
	}
	if m.Image {
		if _, ok := gc["responseModalities"]; !ok {
			gc["responseModalities"] = []string{"TEXT", "IMAGE"}
			gcChanged = true
		}
	}
	if m.NonThinking {
		if _, ok := gc["thinkingConfig"]; !ok {
			gc["thinkingConfig"] = NonThinkingConfig(m.Upstream)
			gcChanged = true
		}
	}
	if gcChanged {
		top["generationConfig"], _ = json.Marshal(gc)
	}
	return json.Marshal(top)
}

// appendMemberInPlace is jsonx.AppendMember writing into b's spare
// capacity; ok is false (and nothing written) when b has too little room
// or is not an object AppendMember would change.
func appendMemberInPlace(b []byte, name string, value []byte) ([]byte, bool) {
	end := bytes.LastIndexByte(b, '}')
	if end < 0 {
		return b, false
	}
	head := bytes.TrimRight(b[:end], " \t\r\n")
	if len(head) == 0 || cap(b)-len(head) < len(name)+len(value)+5 {
		return b, false
	}
	out := head
	if head[len(head)-1] != '{' {
		out = append(out, ',')
	}
	out = append(out, '"')
	out = append(out, name...)
	out = append(out, '"', ':')
	out = append(out, value...)
	out = append(out, '}')
	return out, true
}

// NonThinkingConfig is the thinkingConfig that turns thinking as far off
// as model allows: Gemini 3 takes a thinkingLevel (LOW for Pro, MINIMAL
// otherwise); 2.5 Pro cannot go below a budget of 128; other models take 0.
func NonThinkingConfig(model string) map[string]any {
	pro := strings.Contains(model, "-pro")
	switch {
	case strings.HasPrefix(model, "gemini-3") && pro:
		return map[string]any{"thinkingLevel": "LOW"}
	case strings.HasPrefix(model, "gemini-3"):
		return map[string]any{"thinkingLevel": "MINIMAL"}
	case pro:
		return map[string]any{"thinkingBudget": 128}
	}
	return map[string]any{"thinkingBudget": 0}
}

// invalidPayload is Google's 400 for a body it cannot read.
func invalidPayload(detail string) error {
	return &Status{Code: http.StatusBadRequest, Status: "INVALID_ARGUMENT", Message: "Invalid JSON payload received. " + detail}
}

// relayUnary copies a unary answer through, byte for byte.
func relayUnary(w http.ResponseWriter, res *balancer.Result) {
	resp := res.Response
	h := w.Header()
	copyHeaders(h, resp.Header)
	if resp.ContentLength >= 0 {
		if v := resp.Header["Content-Length"]; len(v) == 1 && sameLength(v[0], resp.ContentLength) {
			h["Content-Length"] = v // the upstream's own, already formatted
		} else {
			h["Content-Length"] = []string{strconv.FormatInt(resp.ContentLength, 10)}
		}
	}
	w.WriteHeader(resp.StatusCode)
	rb := relayPool.Get().(*relayBuf)
	rb.tail.n = 0
	_, err := copyBuffer(w, resp.Body, rb.buf[:], &rb.tail)
	u := usageFrom(rb.tail.bytes())
	relayPool.Put(rb)
	res.Finish(err, u)
}

// sameLength reports whether s is n written in canonical decimal.
func sameLength(s string, n int64) bool {
	if s == "" || (s[0] == '0' && len(s) > 1) {
		return false
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return err == nil && v == n
}

// relayBuf is the per-request scratch space of relayUnary, pooled.
type relayBuf struct {
	buf  [16 << 10]byte
	tail tailBuffer
}

var relayPool = sync.Pool{New: func() any { return new(relayBuf) }}

// copyBuffer copies src to dst through buf; tail, if not nil, sees every
// byte read.
func copyBuffer(dst io.Writer, src io.Reader, buf []byte, tail *tailBuffer) (int64, error) {
	var n int64
	for {
		nr, rerr := src.Read(buf)
		if nr > 0 {
			if tail != nil {
				tail.Write(buf[:nr])
			}
			nw, werr := dst.Write(buf[:nr])
			n += int64(nw)
			if werr != nil {
				return n, context.Canceled
			}
		}
		if rerr == io.EOF {
			return n, nil
		}
		if rerr != nil {
			return n, rerr
		}
	}
}

// answerHeaders are the upstream answer headers a client sees. The rest
// (Google's server, alt-svc, cookies, hop-by-hop headers) describe the
// upstream connection, not the answer.
var answerHeaders = []string{"Content-Type", "Content-Language", "X-Gemini-Service-Tier"}

func copyHeaders(dst, src http.Header) {
	for _, k := range answerHeaders {
		if v, ok := src[k]; ok {
			dst[k] = v
		}
	}
}

// tailBuffer keeps the last bytes written to it: the usage metadata sits
// at the end of an answer.
type tailBuffer struct {
	buf [2048]byte
	n   int // bytes held, ≤ len(buf)
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	if len(p) >= len(t.buf) {
		t.n = copy(t.buf[:], p[len(p)-len(t.buf):])
		return len(p), nil
	}
	if t.n+len(p) > len(t.buf) {
		drop := t.n + len(p) - len(t.buf)
		copy(t.buf[:], t.buf[drop:t.n])
		t.n -= drop
	}
	t.n += copy(t.buf[t.n:], p)
	return len(p), nil
}

func (t *tailBuffer) bytes() []byte { return t.buf[:t.n] }

// usageFrom reads usageMetadata counters from the end of an answer.
func usageFrom(b []byte) balancer.Usage {
	var u balancer.Usage
	// The counts are searched for only inside the usage object, a few
	// hundred bytes, rather than backwards through the whole tail.
	i := bytes.Index(b, []byte(`"usageMetadata"`))
	if i < 0 {
		return u
	}
	b = b[i:]
	u.PromptTokens, _ = jsonx.Int(b, "promptTokenCount")
	u.CompletionTokens, _ = jsonx.Int(b, "candidatesTokenCount")
	u.TotalTokens, _ = jsonx.Int(b, "totalTokenCount")
	return u
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

func byteSize(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return itoa(int(n>>20)) + " MiB"
	}
	return itoa(int(n)) + " bytes"
}
