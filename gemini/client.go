package gemini

import (
	"bytes"
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/geminibalance/gb/balancer"
	"github.com/geminibalance/gb/internal/h1"
)

// DefaultBaseURL is Google's Gemini API endpoint, version included.
const DefaultBaseURL = "https://generativelanguage.googleapis.com/v1beta"

// Client sends requests to the Gemini API with a pooled key. The key
// travels in the x-goog-api-key header, never in the URL.
//
// One Client is shared by every request: its transports keep connections
// alive across calls. Settings are fields; set them before first use, or
// use [Client.SetSettings] to swap them while running.
type Client struct {
	mu       sync.RWMutex
	settings ClientSettings
	base     *url.URL
	direct   roundTripper
	proxied  map[string]*http.Transport
}

// roundTripper is an upstream transport: net/http's or gb's HTTP/1.1 one.
type roundTripper interface {
	http.RoundTripper
	CloseIdleConnections()
}

// ClientSettings are a Client's tunables.
type ClientSettings struct {
	// BaseURL is the upstream API root including the version, for example
	// "https://generativelanguage.googleapis.com/v1beta". Requests for
	// another version (v1) replace the last path element.
	BaseURL string
	// Timeout bounds an unary call, and for streams the wait for the
	// answer's headers and then the silence between two reads. Zero means
	// 300 s (gemini-balance's TIME_OUT).
	Timeout time.Duration
	// Proxies are proxy URLs (http, https, socks5, socks5h). When several
	// are given, each key uses one of them.
	Proxies []string
	// ProxyByKeyHash assigns each key a stable proxy from a hash of the
	// key (the assignment changes only when the list changes); otherwise a
	// random proxy is used per call.
	ProxyByKeyHash bool
	// Headers are added to every upstream request (CUSTOM_HEADERS).
	Headers map[string]string
	// MaxIdleConnsPerHost sizes the keep-alive pool. Zero means 256.
	MaxIdleConnsPerHost int
	// HTTP2 sends direct (unproxied) calls through net/http's Transport,
	// which negotiates HTTP/2 with Google so that concurrent calls share
	// a few TLS connections. By default direct calls use gb's own HTTP/1.1
	// transport, which does each call on the caller's goroutine: fewer
	// system calls and goroutine hand-offs per call and no goroutines per
	// connection (see docs/benchmarks.md), at one connection per call in
	// flight. Calls through Proxies always use net/http's Transport.
	// Changing it through SetSettings takes effect for the next call.
	HTTP2 bool
}

// NewClient returns a Client with the given settings.
func NewClient(s ClientSettings) (*Client, error) {
	c := &Client{}
	if err := c.SetSettings(s); err != nil {
		return nil, err
	}
	return c, nil
}

func newTransport(s ClientSettings, proxy *url.URL) *http.Transport {
	idle := s.MaxIdleConnsPerHost
	if idle <= 0 {
		idle = 256
	}
	t := &http.Transport{
		DialContext:           (&net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          idle * 2,
		MaxIdleConnsPerHost:   idle,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   15 * time.Second,
		ExpectContinueTimeout: time.Second,
		// Small per-connection buffers (net/http's default size): every
		// upstream connection keeps both for its life, so with thousands of
		// open streams they dominate memory. Bodies and answers larger
		// than a buffer bypass it (bufio reads and writes them directly),
		// and stream events are framed by EventReader's own buffer.
		ReadBufferSize:  4 << 10,
		WriteBufferSize: 4 << 10,
	}
	if proxy != nil {
		t.Proxy = http.ProxyURL(proxy)
	}
	return t
}

func newH1Transport(s ClientSettings) *h1.Transport {
	return &h1.Transport{
		DialContext:         (&net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost: s.MaxIdleConnsPerHost,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 15 * time.Second,
		ReadBufferSize:      2 << 10,
	}
}

// SetSettings validates s and makes it the client's settings. Transports
// for unchanged proxies are kept, so warm connections survive.
func (c *Client) SetSettings(s ClientSettings) error {
	if s.BaseURL == "" {
		s.BaseURL = DefaultBaseURL
	}
	base, err := url.Parse(strings.TrimRight(s.BaseURL, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return fmt.Errorf("gemini: BaseURL %q is not an http(s) URL", s.BaseURL)
	}
	proxied := map[string]*http.Transport{}
	c.mu.RLock()
	old := c.proxied
	direct, oldDirect := c.direct, c.direct
	if direct != nil && c.settings.HTTP2 != s.HTTP2 {
		direct = nil // switch transports
	}
	c.mu.RUnlock()
	for _, p := range s.Proxies {
		u, err := url.Parse(p)
		if err != nil || u.Host == "" {
			return fmt.Errorf("gemini: proxy %q is not a URL", p)
		}
		switch u.Scheme {
		case "http", "https", "socks5", "socks5h":
		default:
			return fmt.Errorf("gemini: proxy %q: scheme must be http, https, socks5 or socks5h", p)
		}
		if t, ok := old[p]; ok {
			proxied[p] = t
		} else {
			proxied[p] = newTransport(s, u)
		}
	}
	if direct == nil {
		if s.HTTP2 {
			direct = newTransport(s, nil)
		} else {
			direct = newH1Transport(s)
		}
	}
	s.Proxies = append([]string(nil), s.Proxies...)
	c.mu.Lock()
	c.settings, c.base, c.direct, c.proxied = s, base, direct, proxied
	c.mu.Unlock()
	for p, t := range old {
		if _, ok := proxied[p]; !ok {
			t.CloseIdleConnections()
		}
	}
	if oldDirect != nil && oldDirect != direct {
		oldDirect.CloseIdleConnections()
	}
	return nil
}

// Settings returns the client's current settings.
func (c *Client) Settings() ClientSettings {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.settings
}

// ProxyFor returns the proxy a key's requests use ("" for none). With
// ProxyByKeyHash the choice is a stable FNV-1a hash of the key modulo the
// number of proxies, the same in every process.
func (c *Client) ProxyFor(key string) string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.proxyLocked(key)
}

func (c *Client) proxyLocked(key string) string {
	n := len(c.settings.Proxies)
	if n == 0 {
		return ""
	}
	if !c.settings.ProxyByKeyHash {
		return c.settings.Proxies[rand.IntN(n)]
	}
	h := fnv.New32a()
	h.Write([]byte(key))
	return c.settings.Proxies[h.Sum32()%uint32(n)]
}

// Request is one upstream call.
type Request struct {
	// Method is the HTTP method; empty means POST when Body is non-nil,
	// GET otherwise.
	Method string
	// Version is "v1beta" or "v1"; empty means the BaseURL's own version.
	Version string
	// Path is the resource path after the version, for example
	// "models/gemini-2.5-flash:generateContent".
	Path string
	// Query is added to the URL (never a key: the key goes in a header).
	Query url.Values
	// Body is sent as application/json.
	Body []byte
	// Header holds extra headers for this call.
	Header http.Header
	// Stream marks a streaming call: after the answer's headers arrive,
	// the timeout bounds the silence between two reads instead of the
	// whole call.
	Stream bool
}

// jsonContentType is the Content-Type of every upstream request with a
// body; shared, never modified.
var jsonContentType = []string{"application/json"}

// outbound holds one upstream call's per-request state in a single
// allocation: the URL, the key header's value, the body reader and the
// body wrapper that bounds the call in time.
type outbound struct {
	u    url.URL
	key  [1]string
	body []byte
	rd   bytes.Reader
	tb   timedBody
}

func (o *outbound) getBody() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(o.body)), nil
}

// encodeQuery encodes q; the common upstream query "alt=sse" is a
// constant.
func encodeQuery(q url.Values) string {
	if len(q) == 1 {
		if v, ok := q["alt"]; ok && len(v) == 1 && v[0] == "sse" {
			return "alt=sse"
		}
	}
	return q.Encode()
}

// Do sends r with key. The returned body must be closed. Timeouts end the
// call with an error wrapping balancer.ErrTimeout.
func (c *Client) Do(ctx context.Context, key string, r *Request) (*http.Response, error) {
	c.mu.RLock()
	s, base := c.settings, c.base
	var t http.RoundTripper = c.direct
	if p := c.proxyLocked(key); p != "" {
		t = c.proxied[p]
	}
	c.mu.RUnlock()

	o := &outbound{u: *base, body: r.Body}
	u := &o.u
	if r.Version != "" {
		if i := strings.LastIndexByte(u.Path, '/'); i >= 0 && isVersion(u.Path[i+1:]) {
			u.Path = u.Path[:i+1] + r.Version
		}
	}
	u.Path += "/" + r.Path
	u.RawPath = ""
	if len(r.Query) > 0 {
		u.RawQuery = encodeQuery(r.Query)
	}
	method := r.Method
	if method == "" {
		method = http.MethodGet
		if r.Body != nil {
			method = http.MethodPost
		}
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 300 * time.Second
	}
	ctx, cancel := context.WithCancelCause(ctx)
	timer := time.AfterFunc(timeout, func() { cancel(balancer.ErrTimeout) })
	// The request is built from parsed parts, as http.NewRequestWithContext
	// would build it, without a round trip through text.
	h := make(http.Header, len(r.Header)+len(s.Headers)+2)
	for k, v := range r.Header {
		h[k] = v
	}
	for k, v := range s.Headers {
		h.Set(k, v)
	}
	req := &http.Request{Method: method, URL: u, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: h, Host: u.Host}
	if r.Body != nil {
		h["Content-Type"] = jsonContentType
		if len(r.Body) == 0 {
			req.Body = http.NoBody
			req.GetBody = func() (io.ReadCloser, error) { return http.NoBody, nil }
		} else {
			// A *bytes.Reader behind io.NopCloser, so that net/http
			// writes headers and body in one system call.
			o.rd.Reset(r.Body)
			req.Body = io.NopCloser(&o.rd)
			req.ContentLength = int64(len(r.Body))
			req.GetBody = o.getBody
		}
	}
	o.key[0] = key
	h["X-Goog-Api-Key"] = o.key[:]
	resp, err := t.RoundTrip(req.WithContext(ctx))
	if err != nil {
		timer.Stop()
		if cause := context.Cause(ctx); cause == balancer.ErrTimeout {
			err = fmt.Errorf("%w after %s: %v", balancer.ErrTimeout, timeout, err)
		}
		cancel(nil)
		return nil, err
	}
	o.tb = timedBody{ReadCloser: resp.Body, timer: timer, cancel: cancel, ctx: ctx}
	if r.Stream {
		// After the headers, the timeout bounds the silence between reads;
		// for unary calls the whole call stays bounded by the timer.
		o.tb.idle = timeout
	}
	resp.Body = &o.tb
	return resp, nil
}

func isVersion(s string) bool {
	return s == "v1" || s == "v1beta" || s == "v1alpha" || strings.HasPrefix(s, "v1beta")
}

// timedBody ends the call's context when the body is closed, and for
// streams re-arms the timer after every read.
type timedBody struct {
	io.ReadCloser
	timer  *time.Timer
	cancel context.CancelCauseFunc
	ctx    context.Context
	idle   time.Duration
}

func (b *timedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if b.idle > 0 && n > 0 {
		b.timer.Reset(b.idle)
	}
	if err != nil && err != io.EOF && context.Cause(b.ctx) == balancer.ErrTimeout {
		err = fmt.Errorf("%w: %v", balancer.ErrTimeout, err)
	}
	return n, err
}

func (b *timedBody) Close() error {
	b.timer.Stop()
	err := b.ReadCloser.Close()
	b.cancel(nil)
	return err
}

// CloseIdleConnections closes idle upstream connections.
func (c *Client) CloseIdleConnections() {
	c.mu.RLock()
	defer c.mu.RUnlock()
	c.direct.CloseIdleConnections()
	for _, t := range c.proxied {
		t.CloseIdleConnections()
	}
}
