package h1

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countingServer is an httptest server that counts the connections it
// accepted.
func countingServer(t *testing.T, h http.Handler) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &conns
}

func post(t *testing.T, ctx context.Context, url string, body []byte) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	return req
}

func TestRoundTripReusesConnection(t *testing.T) {
	srv, conns := countingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Method", r.Method)
		w.Header().Set("X-Key", r.Header.Get("X-Goog-Api-Key"))
		fmt.Fprintf(w, "%s %s %s %s", r.Proto, r.URL.RequestURI(), r.Host, b)
	}))
	tr := &Transport{}
	defer tr.CloseIdleConnections()
	for i := range 5 {
		req := post(t, context.Background(), srv.URL+"/v1beta/models/m:generateContent?alt=sse", []byte(fmt.Sprintf(`{"i":%d}`, i)))
		req.Header.Set("X-Goog-Api-Key", "AIzaSecret")
		resp, err := tr.RoundTrip(req)
		require.NoError(t, err)
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, "POST", resp.Header.Get("X-Method"))
		assert.Equal(t, "AIzaSecret", resp.Header.Get("X-Key"))
		assert.Equal(t, fmt.Sprintf(`HTTP/1.1 /v1beta/models/m:generateContent?alt=sse %s {"i":%d}`, strings.TrimPrefix(srv.URL, "http://"), i), string(b))
	}
	assert.EqualValues(t, 1, conns.Load(), "one connection for sequential calls")
	assert.Equal(t, 1, tr.IdleConns())
}

func TestStreamArrivesEventByEvent(t *testing.T) {
	next := make(chan struct{})
	srv, _ := countingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i := range 3 {
			fmt.Fprintf(w, "data: %d\n\n", i)
			w.(http.Flusher).Flush()
			<-next
		}
	}))
	tr := &Transport{}
	defer tr.CloseIdleConnections()
	resp, err := tr.RoundTrip(post(t, context.Background(), srv.URL, []byte("{}")))
	require.NoError(t, err)
	br := bufio.NewReader(resp.Body)
	for i := range 3 {
		line, err := br.ReadString('\n')
		require.NoError(t, err)
		assert.Equal(t, fmt.Sprintf("data: %d\n", i), line, "event %d arrives before the server sends the next", i)
		_, _ = br.ReadString('\n')
		next <- struct{}{}
	}
	_, err = br.ReadByte()
	assert.Equal(t, io.EOF, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, 1, tr.IdleConns(), "a stream read to the end returns its connection")
}

func TestEarlyCloseDiscardsConnection(t *testing.T) {
	srv, conns := countingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(bytes.Repeat([]byte("x"), 100<<10))
	}))
	tr := &Transport{}
	defer tr.CloseIdleConnections()
	resp, err := tr.RoundTrip(post(t, context.Background(), srv.URL, nil))
	require.NoError(t, err)
	buf := make([]byte, 10)
	_, err = io.ReadFull(resp.Body, buf)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, 0, tr.IdleConns())
	_, err = resp.Body.Read(buf)
	assert.Error(t, err, "reading a closed body fails")

	resp, err = tr.RoundTrip(post(t, context.Background(), srv.URL, nil))
	require.NoError(t, err)
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Len(t, b, 100<<10, "a body larger than the read buffer arrives whole")
	assert.EqualValues(t, 2, conns.Load())
}

func TestNoBodyAnswersReturnConnection(t *testing.T) {
	srv, conns := countingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			w.Header().Set("Content-Length", "42")
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	tr := &Transport{}
	defer tr.CloseIdleConnections()
	for _, method := range []string{http.MethodHead, http.MethodGet, http.MethodHead} {
		req, err := http.NewRequest(method, srv.URL, nil)
		require.NoError(t, err)
		resp, err := tr.RoundTrip(req)
		require.NoError(t, err)
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		assert.Empty(t, b)
		resp.Body.Close()
		assert.Equal(t, 1, tr.IdleConns(), method)
	}
	assert.EqualValues(t, 1, conns.Load())
}

// rawServer answers each connection's requests with script(n) for the
// n-th request on that connection; a nil answer closes the connection.
func rawServer(t *testing.T, script func(conn, req int) []byte) (string, *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	var conns atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			n := int(conns.Add(1))
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for i := 0; ; i++ {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					io.Copy(io.Discard, req.Body)
					out := script(n, i)
					if out == nil {
						return
					}
					if _, err := c.Write(out); err != nil {
						return
					}
				}
			}()
		}
	}()
	return "http://" + ln.Addr().String(), &conns
}

const okAnswer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

func TestStaleConnectionIsRetriedOnce(t *testing.T) {
	// The first connection answers once and then closes without saying
	// so, as a server's idle timeout does.
	url, conns := rawServer(t, func(conn, req int) []byte {
		if conn == 1 && req > 0 {
			return nil
		}
		return []byte(okAnswer)
	})
	tr := &Transport{}
	defer tr.CloseIdleConnections()
	for range 2 {
		req := post(t, context.Background(), url, []byte(`{}`))
		resp, err := tr.RoundTrip(req)
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		assert.Equal(t, "ok", string(b))
	}
	assert.EqualValues(t, 2, conns.Load(), "the second call went out again on a new connection")

	// Without GetBody the request is not sent twice.
	url, _ = rawServer(t, func(conn, req int) []byte {
		if req > 0 {
			return nil
		}
		return []byte(okAnswer)
	})
	resp, err := tr.RoundTrip(post(t, context.Background(), url, []byte(`{}`)))
	require.NoError(t, err)
	io.ReadAll(resp.Body)
	req := post(t, context.Background(), url, []byte(`{}`))
	req.GetBody = nil
	_, err = tr.RoundTrip(req)
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
}

func TestIdleConnectionCheckedBeforeReuse(t *testing.T) {
	url, conns := rawServer(t, func(conn, req int) []byte {
		return []byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA")
	})
	tr := &Transport{}
	defer tr.CloseIdleConnections()
	resp, err := tr.RoundTrip(post(t, context.Background(), url, nil))
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	assert.Equal(t, "ok", string(b))
	// Bytes after the answer: the connection is out of step and must not
	// serve another call (caught either when it is put back or when it is
	// taken).
	resp, err = tr.RoundTrip(post(t, context.Background(), url, nil))
	require.NoError(t, err)
	io.ReadAll(resp.Body)
	assert.EqualValues(t, 2, conns.Load())
}

func TestInterimAnswersAreSkipped(t *testing.T) {
	url, _ := rawServer(t, func(conn, req int) []byte {
		return []byte("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" + okAnswer)
	})
	tr := &Transport{}
	defer tr.CloseIdleConnections()
	resp, err := tr.RoundTrip(post(t, context.Background(), url, []byte(`{}`)))
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "ok", string(b))
}

func TestBodyUntilCloseIsNotReused(t *testing.T) {
	url, conns := rawServer(t, func(conn, req int) []byte {
		return []byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it")
	})
	// rawServer keeps the connection open after writing; the body has no
	// length, so the transport must not wait for another answer on it.
	tr := &Transport{}
	defer tr.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	resp, err := tr.RoundTrip(post(t, ctx, url, nil))
	require.NoError(t, err)
	_, err = io.ReadAll(resp.Body)
	assert.Error(t, err, "the body ends only when the server closes, here by the context deadline")
	resp.Body.Close()
	assert.Equal(t, 0, tr.IdleConns())
	assert.EqualValues(t, 1, conns.Load())
}

func TestConnectionCloseAnswer(t *testing.T) {
	url, conns := rawServer(t, func(conn, req int) []byte {
		return []byte("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok")
	})
	tr := &Transport{}
	defer tr.CloseIdleConnections()
	for range 2 {
		resp, err := tr.RoundTrip(post(t, context.Background(), url, nil))
		require.NoError(t, err)
		io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	assert.Equal(t, 0, tr.IdleConns())
	assert.EqualValues(t, 2, conns.Load())
}

func TestContextEndsBlockedCall(t *testing.T) {
	release := make(chan struct{})
	srv, _ := countingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/body" {
			w.Write([]byte("first"))
			w.(http.Flusher).Flush()
		}
		<-release
	}))
	defer close(release) // before the server's cleanup waits for its handlers
	tr := &Transport{}
	defer tr.CloseIdleConnections()

	cause := errors.New("gave up waiting")
	ctx, cancel := context.WithCancelCause(context.Background())
	time.AfterFunc(50*time.Millisecond, func() { cancel(cause) })
	_, err := tr.RoundTrip(post(t, ctx, srv.URL+"/head", nil))
	assert.ErrorIs(t, err, cause, "waiting for the answer's head ends with the context's cause")

	ctx, cancel2 := context.WithCancel(context.Background())
	resp, err := tr.RoundTrip(post(t, ctx, srv.URL+"/body", nil))
	require.NoError(t, err)
	buf := make([]byte, 5)
	_, err = io.ReadFull(resp.Body, buf)
	require.NoError(t, err)
	time.AfterFunc(50*time.Millisecond, cancel2)
	_, err = io.ReadAll(resp.Body)
	assert.Error(t, err, "a cancelled context interrupts a blocked body read")
	resp.Body.Close()
	assert.Equal(t, 0, tr.IdleConns())

	ctx, cancel3 := context.WithCancel(context.Background())
	cancel3()
	_, err = tr.RoundTrip(post(t, ctx, srv.URL, nil))
	assert.ErrorIs(t, err, context.Canceled)
}

func TestTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, r.Proto)
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	tr := &Transport{TLSClientConfig: srv.Client().Transport.(*http.Transport).TLSClientConfig}
	defer tr.CloseIdleConnections()
	for range 2 {
		resp, err := tr.RoundTrip(post(t, context.Background(), srv.URL, []byte(`{}`)))
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		assert.Equal(t, "HTTP/1.1", string(b), "ALPN asks for HTTP/1.1 even when the server offers h2")
		assert.NotNil(t, resp.Request)
	}
	assert.Equal(t, 1, tr.IdleConns())

	// Without the test CA the handshake fails with a clear error.
	_, err := (&Transport{}).RoundTrip(post(t, context.Background(), srv.URL, nil))
	assert.ErrorContains(t, err, "certificate")
}

func TestBadRequestsAreRefused(t *testing.T) {
	srv, conns := countingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	tr := &Transport{}
	tests := []struct {
		name string
		mod  func(*http.Request)
		want string
	}{
		{"header value with newline", func(r *http.Request) { r.Header["X-Bad"] = []string{"a\r\nInjected: yes"} }, "invalid value"},
		{"header name with space", func(r *http.Request) { r.Header["X Bad"] = []string{"a"} }, "invalid header name"},
		{"unknown length body", func(r *http.Request) { r.ContentLength = -1 }, "ContentLength"},
		{"scheme", func(r *http.Request) { r.URL.Scheme = "ftp" }, "scheme"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := post(t, context.Background(), srv.URL, []byte(`{}`))
			tt.mod(req)
			_, err := tr.RoundTrip(req)
			assert.ErrorContains(t, err, tt.want)
		})
	}
	_, err := tr.RoundTrip(&http.Request{Method: "GET"})
	assert.Error(t, err)
	assert.Zero(t, conns.Load(), "a bad request opens no connection")
}

func TestConcurrentCalls(t *testing.T) {
	srv, conns := countingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Write(b)
	}))
	tr := &Transport{MaxIdleConnsPerHost: 4}
	defer tr.CloseIdleConnections()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				want := fmt.Sprintf(`{"g":%d,"i":%d}`, g, i)
				resp, err := tr.RoundTrip(post(t, context.Background(), srv.URL, []byte(want)))
				if !assert.NoError(t, err) {
					return
				}
				b, err := io.ReadAll(resp.Body)
				assert.NoError(t, err)
				assert.Equal(t, want, string(b))
			}
		}()
	}
	wg.Wait()
	assert.LessOrEqual(t, tr.IdleConns(), 4, "the idle pool is bounded")
	assert.LessOrEqual(t, conns.Load(), int64(8+8*50), "sanity")
}

func TestLargeRequestBody(t *testing.T) {
	srv, _ := countingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		fmt.Fprint(w, n)
	}))
	tr := &Transport{}
	defer tr.CloseIdleConnections()
	body := bytes.Repeat([]byte("a"), 1<<20)
	resp, err := tr.RoundTrip(post(t, context.Background(), srv.URL, body))
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	assert.Equal(t, "1048576", string(b))
}

func TestEarlyAnswerToALargeBody(t *testing.T) {
	// The server reads the head, answers 413 and stops reading without
	// closing: the answer must come back at once, not after the body's
	// write has stalled.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	hold := make(chan struct{})
	defer close(hold)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		br := bufio.NewReader(c)
		if _, err := http.ReadRequest(br); err != nil {
			return
		}
		io.WriteString(c, "HTTP/1.1 413 Request Entity Too Large\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n{\"error\":\"big\"}\n")
		<-hold
	}()
	tr := &Transport{}
	defer tr.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	body := bytes.Repeat([]byte("x"), 32<<20) // far more than the socket buffers hold
	resp, err := tr.RoundTrip(post(t, ctx, "http://"+ln.Addr().String(), body))
	require.NoError(t, err)
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	assert.Equal(t, "{\"error\":\"big\"}\n", string(b))
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, 0, tr.IdleConns(), "a connection whose body did not all go is not reused")
	assert.NoError(t, ctx.Err(), "answered before the deadline")
}

func TestLargeBodyKeepsConnection(t *testing.T) {
	srv, conns := countingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		fmt.Fprint(w, n)
	}))
	tr := &Transport{}
	defer tr.CloseIdleConnections()
	for range 3 {
		resp, err := tr.RoundTrip(post(t, context.Background(), srv.URL, bytes.Repeat([]byte("b"), 300<<10)))
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		assert.Equal(t, "307200", string(b))
		resp.Body.Close()
	}
	assert.LessOrEqual(t, conns.Load(), int64(3))
}

func TestSweepRetiresIdleConnections(t *testing.T) {
	srv, _ := countingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	tr := &Transport{IdleConnTimeout: 100 * time.Millisecond}
	defer tr.CloseIdleConnections()
	resp, err := tr.RoundTrip(post(t, context.Background(), srv.URL, []byte(`{}`)))
	require.NoError(t, err)
	io.ReadAll(resp.Body)
	require.Equal(t, 1, tr.IdleConns())
	assert.Eventually(t, func() bool { return tr.IdleConns() == 0 }, 5*time.Second, 10*time.Millisecond,
		"a connection idle past the timeout is closed by the sweep, with no call to trigger it")
	tr.mu.Lock()
	assert.Nil(t, tr.reaper, "the sweep stops once the pool is empty")
	tr.mu.Unlock()
}

func TestSweepNoticesServerClose(t *testing.T) {
	var mu sync.Mutex
	var server net.Conn
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		mu.Lock()
		server = c
		mu.Unlock()
		br := bufio.NewReader(c)
		if _, err := http.ReadRequest(br); err == nil {
			io.WriteString(c, okAnswer)
		}
	}()
	tr := &Transport{IdleConnTimeout: time.Hour}
	defer tr.CloseIdleConnections()
	resp, err := tr.RoundTrip(post(t, context.Background(), "http://"+ln.Addr().String(), nil))
	require.NoError(t, err)
	io.ReadAll(resp.Body)
	require.Equal(t, 1, tr.IdleConns())
	mu.Lock()
	server.Close()
	mu.Unlock()
	time.Sleep(50 * time.Millisecond)
	tr.sweep() // as the timer would, half an hour from now
	assert.Equal(t, 0, tr.IdleConns(), "a connection the server closed is dropped from the pool")
}
