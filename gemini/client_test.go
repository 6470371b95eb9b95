package gemini

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/geminibalance/gb/balancer"
)

// echoUpstream records what arrives and answers 200.
type echoUpstream struct {
	mu   sync.Mutex
	reqs []*http.Request
}

func (e *echoUpstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	e.reqs = append(e.reqs, r.Clone(context.Background()))
	e.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"ok":true}`)
}

func (e *echoUpstream) last() *http.Request {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.reqs[len(e.reqs)-1]
}

func TestClientSendsKeyInHeaderWithCustomHeaders(t *testing.T) {
	up := &echoUpstream{}
	srv := httptest.NewServer(up)
	defer srv.Close()
	c, err := NewClient(ClientSettings{BaseURL: srv.URL + "/v1beta/", Headers: map[string]string{"X-Team": "blue"}})
	require.NoError(t, err)
	resp, err := c.Do(context.Background(), "AIzaSyKEY", &Request{Version: "v1", Path: "models/m:generateContent",
		Query: url.Values{"foo": {"bar"}}, Body: []byte(`{}`)})
	require.NoError(t, err)
	io.ReadAll(resp.Body)
	resp.Body.Close()
	r := up.last()
	assert.Equal(t, "/v1/models/m:generateContent", r.URL.Path, "the version is swapped, the base kept")
	assert.Equal(t, "foo=bar", r.URL.RawQuery, "no key in the URL")
	assert.Equal(t, "AIzaSyKEY", r.Header.Get("x-goog-api-key"))
	assert.Equal(t, "blue", r.Header.Get("X-Team"))
	assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
	assert.Equal(t, http.MethodPost, r.Method)
}

func TestClientSettingsValidation(t *testing.T) {
	for _, s := range []ClientSettings{
		{BaseURL: "ftp://x"},
		{BaseURL: "not a url"},
		{Proxies: []string{"ftp://proxy:1"}},
		{Proxies: []string{"::"}},
	} {
		_, err := NewClient(s)
		assert.Error(t, err, "%+v", s)
	}
}

func TestProxyAssignmentIsStable(t *testing.T) {
	proxies := []string{"http://p1:1", "http://p2:2", "socks5://p3:3"}
	a, err := NewClient(ClientSettings{Proxies: proxies, ProxyByKeyHash: true})
	require.NoError(t, err)
	b, err := NewClient(ClientSettings{Proxies: proxies, ProxyByKeyHash: true})
	require.NoError(t, err)
	used := map[string]bool{}
	for i := 0; i < 60; i++ {
		k := "AIzaSyKey" + strconv.Itoa(i)
		assert.Equal(t, a.ProxyFor(k), b.ProxyFor(k), "same key, same proxy, in every client and process")
		used[a.ProxyFor(k)] = true
	}
	assert.Len(t, used, 3, "keys spread over every proxy")
	// FNV-1a is fixed: pin one assignment so it can never silently change.
	assert.Equal(t, proxies[fnv32("AIzaSyKey0")%3], a.ProxyFor("AIzaSyKey0"))
	none, _ := NewClient(ClientSettings{})
	assert.Equal(t, "", none.ProxyFor("k"))
}

func fnv32(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

// httpProxy is a minimal forward proxy for plain-HTTP upstreams.
func httpProxy(t *testing.T, hits *atomic.Int32) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		out, _ := http.NewRequest(r.Method, r.URL.String(), r.Body)
		out.Header = r.Header.Clone()
		resp, err := http.DefaultTransport.RoundTrip(out)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	}))
}

// socks5Proxy is a minimal SOCKS5 server (no auth, CONNECT only).
func socks5Proxy(t *testing.T, hits *atomic.Int32) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				buf := make([]byte, 262)
				if _, err := io.ReadFull(c, buf[:2]); err != nil {
					return
				}
				io.ReadFull(c, buf[:buf[1]])
				c.Write([]byte{5, 0})
				if _, err := io.ReadFull(c, buf[:4]); err != nil || buf[1] != 1 {
					return
				}
				var host string
				switch buf[3] {
				case 1:
					io.ReadFull(c, buf[:4])
					host = net.IP(buf[:4]).String()
				case 3:
					io.ReadFull(c, buf[:1])
					n := int(buf[0])
					io.ReadFull(c, buf[:n])
					host = string(buf[:n])
				default:
					return
				}
				io.ReadFull(c, buf[:2])
				port := binary.BigEndian.Uint16(buf[:2])
				up, err := net.Dial("tcp", net.JoinHostPort(host, strconv.Itoa(int(port))))
				if err != nil {
					c.Write([]byte{5, 1, 0, 1, 0, 0, 0, 0, 0, 0})
					return
				}
				defer up.Close()
				hits.Add(1)
				c.Write([]byte{5, 0, 0, 1, 0, 0, 0, 0, 0, 0})
				go io.Copy(up, c)
				io.Copy(c, up)
			}(c)
		}
	}()
	return "socks5://" + ln.Addr().String()
}

func TestClientThroughProxies(t *testing.T) {
	up := &echoUpstream{}
	srv := httptest.NewServer(up)
	defer srv.Close()
	var httpHits, socksHits atomic.Int32
	hp := httpProxy(t, &httpHits)
	defer hp.Close()
	sp := socks5Proxy(t, &socksHits)

	for _, tc := range []struct {
		name  string
		proxy string
		hits  *atomic.Int32
	}{{"http", hp.URL, &httpHits}, {"socks5", sp, &socksHits}} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := NewClient(ClientSettings{BaseURL: srv.URL + "/v1beta", Proxies: []string{tc.proxy}, ProxyByKeyHash: true})
			require.NoError(t, err)
			before := tc.hits.Load()
			resp, err := c.Do(context.Background(), "AIzaSyKEY", &Request{Path: "models"})
			require.NoError(t, err)
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			assert.Equal(t, `{"ok":true}`, string(b))
			assert.Greater(t, tc.hits.Load(), before, "the request went through the proxy")
			assert.Equal(t, "AIzaSyKEY", up.last().Header.Get("x-goog-api-key"))
		})
	}
}

func TestClientTimeouts(t *testing.T) {
	for _, h2 := range []bool{false, true} {
		t.Run(fmt.Sprintf("HTTP2=%v", h2), func(t *testing.T) { testClientTimeouts(t, h2) })
	}
}

func testClientTimeouts(t *testing.T, h2 bool) {
	release := make(chan struct{})
	defer close(release)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("stream") == "1" {
			w.Header().Set("Content-Type", "text/event-stream")
			fmt.Fprint(w, "data: {\"a\":1}\r\n\r\n")
			w.(http.Flusher).Flush()
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	c, err := NewClient(ClientSettings{BaseURL: srv.URL + "/v1beta", Timeout: 200 * time.Millisecond, HTTP2: h2})
	require.NoError(t, err)

	_, err = c.Do(context.Background(), "k", &Request{Path: "models"})
	require.Error(t, err)
	assert.True(t, errors.Is(err, balancer.ErrTimeout), "unary: %v", err)
	assert.Equal(t, "TIMEOUT", balancer.ClassifyGemini(0, nil, nil, err).Reason)

	// A stream gets its headers and first event, then goes silent: the
	// idle timeout ends it.
	resp, err := c.Do(context.Background(), "k", &Request{Path: "models", Query: url.Values{"stream": {"1"}}, Stream: true})
	require.NoError(t, err)
	defer resp.Body.Close()
	er := NewEventReader(resp.Body)
	ev, err := er.Next()
	require.NoError(t, err)
	assert.Contains(t, string(ev), `{"a":1}`)
	_, err = er.Next()
	require.Error(t, err)
	assert.True(t, errors.Is(err, balancer.ErrTimeout), "stream idle: %v", err)
}

// Both upstream transports carry the same call, and SetSettings switches
// between them without losing a request.
func TestClientTransports(t *testing.T) {
	up := &echoUpstream{}
	srv := httptest.NewServer(up)
	defer srv.Close()
	c, err := NewClient(ClientSettings{BaseURL: srv.URL + "/v1beta"})
	require.NoError(t, err)
	for i, h2 := range []bool{false, true, false} {
		s := c.Settings()
		s.HTTP2 = h2
		require.NoError(t, c.SetSettings(s))
		_, isNetHTTP := c.direct.(*http.Transport)
		assert.Equal(t, h2, isNetHTTP, "HTTP2=%v picks net/http's transport", h2)
		for range 2 {
			resp, err := c.Do(context.Background(), "AIzaSyKEY", &Request{Path: "models/m:generateContent",
				Body: []byte(fmt.Sprintf(`{"n":%d}`, i)), Header: http.Header{"X-Extra": {"1"}}})
			require.NoError(t, err)
			b, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			require.NoError(t, resp.Body.Close())
			assert.Equal(t, `{"ok":true}`, string(b))
			r := up.last()
			assert.Equal(t, "AIzaSyKEY", r.Header.Get("X-Goog-Api-Key"))
			assert.Equal(t, "1", r.Header.Get("X-Extra"))
			assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
			assert.Equal(t, "/v1beta/models/m:generateContent", r.URL.Path)
			assert.Empty(t, r.URL.RawQuery)
			assert.Equal(t, "HTTP/1.1", r.Proto)
		}
	}
}
