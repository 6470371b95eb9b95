// Package h1 is a lean HTTP/1.1 client transport for the gateway's direct
// upstream connections.
//
// net/http's Transport runs two goroutines per connection (a writer and a
// reader that keeps a read pending on every idle connection) and hands each
// call between them and the caller through channels: for a gateway that
// relays one upstream call per client request, those hand-offs and the
// extra system calls cost more CPU than the call itself, add a scheduler
// wake-up or two to every request's latency, and keep two goroutine stacks
// per open stream. [Transport] does the whole exchange on the caller's
// goroutine: it writes the request (headers and body in one system call),
// reads the answer's head (a plain head with a lean parser of its own,
// anything unusual with [http.ReadResponse]), and hands back a body that
// reads straight from the connection and returns the connection to the
// keep-alive pool when it reaches io.EOF.
//
// It implements only what the gateway needs: http and https URLs (TLS with
// ALPN "http/1.1"), no proxies, no Expect: 100-continue, no transparent
// compression (answers come as the server sends them, identity unless the
// caller asks otherwise). Its zero value is ready to use.
package h1

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Transport is an [http.RoundTripper] speaking HTTP/1.1 with keep-alive
// connections. It is safe for concurrent use; set its fields before first
// use.
type Transport struct {
	// DialContext opens connections; nil means a net.Dialer with a 15 s
	// timeout and 30 s TCP keep-alive.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// TLSClientConfig is cloned for https connections (ServerName and
	// NextProtos are set per host); nil means the defaults.
	TLSClientConfig *tls.Config
	// TLSHandshakeTimeout bounds a TLS handshake (default 15 s).
	TLSHandshakeTimeout time.Duration
	// MaxIdleConnsPerHost is how many idle connections are kept per host
	// (default 256).
	MaxIdleConnsPerHost int
	// IdleConnTimeout closes a connection idle for longer (default 90 s);
	// it is checked when a connection is taken from the pool.
	IdleConnTimeout time.Duration
	// ReadBufferSize is the size of each connection's read buffer
	// (default 4 KiB). Answers larger than the buffer are read past it.
	ReadBufferSize int

	mu     sync.Mutex
	idle   map[string][]*conn
	reaper *time.Timer // pending sweep of the idle pool, nil when none
	tlsCfg *tls.Config
	dialer net.Dialer
}

// conn is one connection and its read buffer.
type conn struct {
	nc       net.Conn
	br       *bufio.Reader
	key      string
	idleAt   time.Time
	reused   bool
	unusable bool // set when the connection must not go back to the pool
	// writeDone, when set, receives the result of the goroutine writing a
	// large request body.
	writeDone chan error
}

// errClosedBeforeAnswer marks a reused connection that the server had
// closed: the request can be sent again on a new connection.
var errClosedBeforeAnswer = errors.New("h1: connection closed before the answer began")

// aLongTimeAgo is a deadline in the past, to interrupt blocked I/O.
var aLongTimeAgo = time.Unix(1, 0)

// writeBufs pools request-head buffers.
var writeBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

// RoundTrip sends req and returns the answer's head; the body reads from the
// connection. The caller must read the body to io.EOF (so the connection
// can be reused) or close it (which closes the connection when the body was
// not finished). A request whose body is not replayable (no GetBody) is
// never retried; one with GetBody is sent once more on a new connection
// when a kept-alive connection turns out closed before any answer arrived.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.roundTrip(req)
	if err != nil && req.Body != nil {
		req.Body.Close()
	}
	return resp, err
}

func (t *Transport) roundTrip(req *http.Request) (*http.Response, error) {
	u := req.URL
	if u == nil {
		return nil, errors.New("h1: nil Request.URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("h1: unsupported scheme %q", u.Scheme)
	}
	if u.Host == "" {
		return nil, errors.New("h1: no Host in request URL")
	}
	ctx := req.Context()
	key := u.Scheme + "://" + canonicalAddr(u.Scheme, u.Host)
	// The head is built and checked once, before any connection is taken.
	bp := writeBufs.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= 64<<10 {
			*bp = (*bp)[:0]
			writeBufs.Put(bp)
		}
	}()
	head, err := appendHead((*bp)[:0], req)
	*bp = head
	if err != nil {
		return nil, err
	}
	body := req.Body
	for attempt := 0; ; attempt++ {
		c, err := t.getConn(ctx, key, u.Scheme, u.Host)
		if err != nil {
			return nil, err
		}
		resp, err := t.exchange(ctx, c, req, bp, len(head), body)
		if err == nil {
			return resp, nil
		}
		c.nc.Close()
		if errors.Is(err, errClosedBeforeAnswer) && attempt == 0 && req.GetBody != nil && ctx.Err() == nil {
			if body, err = req.GetBody(); err != nil {
				return nil, err
			}
			continue
		}
		if errors.Is(err, errClosedBeforeAnswer) {
			err = io.ErrUnexpectedEOF
		}
		if cerr := context.Cause(ctx); cerr != nil {
			return nil, fmt.Errorf("%w (%v)", cerr, err)
		}
		return nil, err
	}
}

// exchange writes the request (the head is (*bp)[:headLen]) on c and reads
// the answer's head.
func (t *Transport) exchange(ctx context.Context, c *conn, req *http.Request, bp *[]byte, headLen int, body io.ReadCloser) (*http.Response, error) {
	// A cancelled context interrupts blocked reads and writes; the
	// connection is then never reused.
	stop := context.AfterFunc(ctx, func() { c.nc.SetDeadline(aLongTimeAgo) })
	b, err := t.writeBody(c, (*bp)[:headLen], req, body)
	*bp = b
	if err != nil {
		stop()
		if c.reused && ctx.Err() == nil {
			return nil, fmt.Errorf("%w: %v", errClosedBeforeAnswer, err)
		}
		return nil, err
	}
	for {
		if _, err := c.br.Peek(1); err != nil {
			stop()
			if c.writeDone != nil {
				c.nc.Close() // ends the writer if it still runs
				<-c.writeDone
				c.writeDone = nil
			}
			if c.reused && ctx.Err() == nil && (errors.Is(err, io.EOF) || isConnReset(err)) {
				return nil, fmt.Errorf("%w: %v", errClosedBeforeAnswer, err)
			}
			return nil, err
		}
		resp, mode, length, ok := parseHead(c.br, req)
		if !ok {
			var err error
			if resp, err = http.ReadResponse(c.br, req); err != nil {
				stop()
				return nil, err
			}
		}
		if resp.StatusCode >= 100 && resp.StatusCode < 200 && resp.StatusCode != http.StatusSwitchingProtocols {
			continue // an interim answer: the real one follows
		}
		chunked := len(resp.TransferEncoding) > 0 && resp.TransferEncoding[0] == "chunked"
		if resp.ContentLength < 0 && !chunked && resp.Body != http.NoBody {
			c.unusable = true // the body ends when the server closes
		}
		if werr, finished := c.writeResult(); finished && werr != nil {
			c.unusable = true // the answer came, but the body did not all go
		}
		if resp.Close || req.Close || resp.ProtoMajor != 1 || resp.ProtoMinor == 0 && !strings.EqualFold(resp.Header.Get("Connection"), "keep-alive") {
			c.unusable = true
		}
		rb := &body1{rc: resp.Body, c: c, t: t, stop: stop, mode: mode, left: length}
		if resp.Body == http.NoBody || mode == bodyLength && length == 0 {
			rb.err = io.EOF
			rb.release(true)
		}
		resp.Body = rb
		return resp, nil
	}
}

// writeBody appends the body to the head and writes both in one call when
// the body is small; a large body follows the head in further writes.
func (t *Transport) writeBody(c *conn, b []byte, req *http.Request, body io.ReadCloser) ([]byte, error) {
	if body == nil || body == http.NoBody {
		_, err := c.nc.Write(b)
		return b, err
	}
	defer func() {
		if body != nil {
			body.Close()
		}
	}()
	n := req.ContentLength
	if n > 0 && n <= 64<<10 {
		start := len(b)
		b = slices.Grow(b, int(n))[:start+int(n)]
		if _, err := io.ReadFull(body, b[start:]); err != nil {
			return b, fmt.Errorf("h1: reading request body: %w", err)
		}
		_, err := c.nc.Write(b)
		return b, err
	}
	if _, err := c.nc.Write(b); err != nil {
		return b, err
	}
	// A large body is written by its own goroutine, as net/http does, so
	// that an answer the server sends before it has read everything (413,
	// 400) is seen at once instead of after the write stalls on a server
	// that stopped reading. The caller waits for c.writeDone before it
	// reuses the connection.
	done := make(chan error, 1)
	c.writeDone = done
	go func(body io.ReadCloser) {
		defer body.Close()
		w, err := io.Copy(c.nc, body)
		if err == nil && n > 0 && w != n {
			err = fmt.Errorf("h1: request body was %d bytes, ContentLength %d", w, n)
		}
		done <- err
	}(body)
	body = nil // closed by the goroutine
	return b, nil
}

// writeResult reports the large-body writer's outcome: finished (with its
// error) or still running.
func (c *conn) writeResult() (err error, finished bool) {
	if c.writeDone == nil {
		return nil, true
	}
	select {
	case err := <-c.writeDone:
		c.writeDone = nil
		return err, true
	default:
		return nil, false
	}
}

// appendHead appends the request line and headers.
func appendHead(b []byte, req *http.Request) ([]byte, error) {
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	if !validHeaderValue(method) || !validHeaderValue(host) || strings.ContainsAny(method, " ") {
		return b, errors.New("h1: invalid method or host")
	}
	uri := req.URL.RequestURI()
	if strings.ContainsAny(uri, " \r\n") {
		return b, errors.New("h1: invalid request URI")
	}
	b = append(b, method...)
	b = append(b, ' ')
	b = append(b, uri...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, host...)
	b = append(b, "\r\n"...)
	ua := false
	for k, vs := range req.Header {
		switch {
		case !validHeaderName(k):
			return b, fmt.Errorf("h1: invalid header name %q", k)
		case strings.EqualFold(k, "Host"), strings.EqualFold(k, "Content-Length"),
			strings.EqualFold(k, "Transfer-Encoding"), strings.EqualFold(k, "Connection"):
			continue // written by the transport
		case strings.EqualFold(k, "User-Agent"):
			ua = true
		}
		for _, v := range vs {
			if !validHeaderValue(v) {
				return b, fmt.Errorf("h1: invalid value for header %q", k)
			}
			b = append(b, k...)
			b = append(b, ": "...)
			b = append(b, v...)
			b = append(b, "\r\n"...)
		}
	}
	if !ua {
		b = append(b, "User-Agent: Go-http-client/1.1\r\n"...)
	}
	if req.Close {
		b = append(b, "Connection: close\r\n"...)
	}
	if req.Body != nil && req.Body != http.NoBody || req.ContentLength > 0 || method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch {
		if req.ContentLength < 0 || req.ContentLength == 0 && req.Body != nil && req.Body != http.NoBody {
			return b, errors.New("h1: request body needs a ContentLength")
		}
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, req.ContentLength, 10)
		b = append(b, "\r\n"...)
	}
	return append(b, "\r\n"...), nil
}

// validHeaderName reports whether k is an HTTP token.
func validHeaderName(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"(),/:;<=>?@[\\]{}", c) >= 0 {
			return false
		}
	}
	return true
}

// validHeaderValue reports whether v holds no control characters but tab,
// as net/http requires of the header values it writes and reads.
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// body1 is an answer's body: it returns the connection to the pool at
// io.EOF and closes it on any error or an early Close.
type body1 struct {
	mode  uint8         // bodyLength and bodyChunked read c.br here; bodyOther reads rc
	left  int64         // bodyLength: bytes still to come
	chunk chunkState    // bodyChunked
	rc    io.ReadCloser // bodyOther: net/http's body reader
	c     *conn
	t     *Transport
	stop  func() bool
	done  bool
	err   error // returned by every Read after the body ended
}

func (b *body1) Read(p []byte) (int, error) {
	if b.done {
		if b.err == nil {
			return 0, errBodyClosed
		}
		return 0, b.err
	}
	var n int
	var err error
	switch b.mode {
	case bodyLength:
		n, err = readLength(b.c.br, p, &b.left)
	case bodyChunked:
		n, err = readChunked(b.c.br, p, &b.chunk)
	default:
		n, err = b.rc.Read(p)
	}
	if err != nil {
		b.err = err
		b.release(err == io.EOF)
	}
	return n, err
}

// errBodyClosed is what reading a closed body returns, as in net/http.
var errBodyClosed = errors.New("http: read on closed response body")

// Close ends the body; a body not read to io.EOF closes the connection.
func (b *body1) Close() error {
	if !b.done {
		b.release(false)
	}
	return nil
}

// release gives the connection back (reusable) or closes it.
func (b *body1) release(reusable bool) {
	if b.done {
		return
	}
	b.done = true
	// stop reports false when the context already fired and poisoned the
	// connection's deadline.
	// A large body's writer still running means the server answered
	// before it read everything: the connection is out of step, and
	// closing it also ends the blocked writer.
	if werr, finished := b.c.writeResult(); !finished || werr != nil {
		reusable = false
	}
	if b.stop() && reusable && !b.c.unusable {
		b.t.putIdle(b.c)
		return
	}
	b.c.nc.Close()
}

// getConn takes an idle connection for key or dials a new one.
func (t *Transport) getConn(ctx context.Context, key, scheme, host string) (*conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, context.Cause(ctx)
	}
	timeout := t.IdleConnTimeout
	if timeout <= 0 {
		timeout = 90 * time.Second
	}
	now := time.Now()
	t.mu.Lock()
	for list := t.idle[key]; len(list) > 0; list = t.idle[key] {
		c := list[len(list)-1]
		list[len(list)-1] = nil
		t.idle[key] = list[:len(list)-1]
		if now.Sub(c.idleAt) > timeout {
			t.mu.Unlock()
			c.nc.Close()
			t.mu.Lock()
			continue
		}
		t.mu.Unlock()
		if now.Sub(c.idleAt) > time.Second && !alive(c.nc) {
			// The server closed it (or sent something unasked) while
			// it was idle.
			c.nc.Close()
			t.mu.Lock()
			continue
		}
		c.reused = true
		return c, nil
	}
	t.mu.Unlock()
	return t.dial(ctx, key, scheme, host)
}

func (t *Transport) dial(ctx context.Context, key, scheme, host string) (*conn, error) {
	addr := canonicalAddr(scheme, host)
	dial := t.DialContext
	if dial == nil {
		t.mu.Lock()
		if t.dialer.Timeout == 0 {
			t.dialer = net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}
		}
		t.mu.Unlock()
		dial = t.dialer.DialContext
	}
	nc, err := dial(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if scheme == "https" {
		cfg := t.tlsConfig()
		cfg = cfg.Clone()
		if cfg.ServerName == "" {
			cfg.ServerName = hostOnly(host)
		}
		tc := tls.Client(nc, cfg)
		hto := t.TLSHandshakeTimeout
		if hto <= 0 {
			hto = 15 * time.Second
		}
		hctx, cancel := context.WithTimeout(ctx, hto)
		err := tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			nc.Close()
			return nil, err
		}
		if p := tc.ConnectionState().NegotiatedProtocol; p != "" && p != "http/1.1" {
			tc.Close()
			return nil, fmt.Errorf("h1: server chose protocol %q", p)
		}
		nc = tc
	}
	size := t.ReadBufferSize
	if size <= 0 {
		size = 4 << 10
	}
	return &conn{nc: nc, br: bufio.NewReaderSize(nc, size), key: key}, nil
}

// tlsConfig returns the shared base TLS configuration, with a session
// cache so that new connections resume sessions.
func (t *Transport) tlsConfig() *tls.Config {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tlsCfg == nil {
		if t.TLSClientConfig != nil {
			t.tlsCfg = t.TLSClientConfig.Clone()
		} else {
			t.tlsCfg = &tls.Config{}
		}
		t.tlsCfg.NextProtos = []string{"http/1.1"}
		if t.tlsCfg.ClientSessionCache == nil {
			t.tlsCfg.ClientSessionCache = tls.NewLRUClientSessionCache(64)
		}
	}
	return t.tlsCfg
}

// putIdle returns c to the pool, or closes it when the pool is full.
func (t *Transport) putIdle(c *conn) {
	max := t.MaxIdleConnsPerHost
	if max <= 0 {
		max = 256
	}
	if c.br.Buffered() > 0 {
		// Bytes after the end of an answer: the connection is out of step.
		c.nc.Close()
		return
	}
	c.idleAt = time.Now()
	t.mu.Lock()
	if t.idle == nil {
		t.idle = map[string][]*conn{}
	}
	if len(t.idle[c.key]) >= max {
		t.mu.Unlock()
		c.nc.Close()
		return
	}
	t.idle[c.key] = append(t.idle[c.key], c)
	if t.reaper == nil {
		t.reaper = time.AfterFunc(t.sweepEvery(), t.sweep)
	}
	t.mu.Unlock()
}

// sweepEvery is how often the idle pool is swept: half the idle timeout.
func (t *Transport) sweepEvery() time.Duration {
	d := t.IdleConnTimeout
	if d <= 0 {
		d = 90 * time.Second
	}
	return d / 2
}

// sweep closes idle connections past the idle timeout or closed by the
// server, so that a quiet gateway does not keep sockets the other side has
// given up on. It runs while the pool holds connections. The pool stays
// locked during the sweep (one non-blocking peek per idle connection, a
// few microseconds each): a connection in the pool is in nobody's hands.
func (t *Transport) sweep() {
	timeout := 2 * t.sweepEvery()
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for key, list := range t.idle {
		kept := list[:0]
		for _, c := range list {
			if now.Sub(c.idleAt) > timeout || !alive(c.nc) {
				c.nc.Close()
				continue
			}
			kept = append(kept, c)
		}
		clear(list[len(kept):])
		t.idle[key] = kept
		n += len(kept)
	}
	t.reaper = nil
	if n > 0 {
		t.reaper = time.AfterFunc(t.sweepEvery(), t.sweep)
	}
}

// CloseIdleConnections closes every idle connection. Connections in use
// are not affected.
func (t *Transport) CloseIdleConnections() {
	t.mu.Lock()
	idle := t.idle
	t.idle = nil
	if t.reaper != nil {
		t.reaper.Stop()
		t.reaper = nil
	}
	t.mu.Unlock()
	for _, list := range idle {
		for _, c := range list {
			c.nc.Close()
		}
	}
}

// IdleConns returns how many idle connections the pool holds.
func (t *Transport) IdleConns() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, list := range t.idle {
		n += len(list)
	}
	return n
}

// canonicalAddr returns host with the scheme's default port when it has
// none.
func canonicalAddr(scheme, host string) string {
	if _, port, err := net.SplitHostPort(host); err == nil && port != "" {
		return host
	}
	h := strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if scheme == "https" {
		return net.JoinHostPort(h, "443")
	}
	return net.JoinHostPort(h, "80")
}

// hostOnly strips the port from host.
func hostOnly(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		return h
	}
	return strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
}

// isConnReset reports a connection reset or broken pipe.
func isConnReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}
