package adminhttp

import (
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/geminibalance/gb/balancer"
	"github.com/geminibalance/gb/storage/memory"
)

const proxyTestToken = "proxy-check-admin-token"

func proxyTestHandler(baseURL string) *Handler {
	return &Handler{
		Pool:    balancer.NewMemoryPool(nil, balancer.PoolOptions{}),
		Store:   memory.New(),
		Options: func() Options { return Options{AdminToken: proxyTestToken, BaseURL: baseURL} },
		Logger:  slog.New(slog.DiscardHandler),
	}
}

func proxyCall(t *testing.T, srv *httptest.Server, path, body string, auth bool) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if auth {
		req.Header.Set("Authorization", "Bearer "+proxyTestToken)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: answer %q is not a JSON object: %v", path, b, err)
	}
	return resp.StatusCode, v
}

// forwardProxy is a minimal HTTP forward proxy for plain-http targets.
func forwardProxy(t *testing.T, hits *atomic.Int32, wantAuth string) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !r.URL.IsAbs() {
			http.Error(w, "not a proxy request", http.StatusBadRequest)
			return
		}
		if wantAuth != "" && r.Header.Get("Proxy-Authorization") != wantAuth {
			w.WriteHeader(http.StatusProxyAuthRequired)
			return
		}
		hits.Add(1)
		out, _ := http.NewRequestWithContext(r.Context(), r.Method, r.URL.String(), nil)
		resp, err := http.DefaultTransport.RoundTrip(out)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	}))
}

func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestProxyCheck(t *testing.T) {
	var targetHits atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		targetHits.Add(1)
		w.WriteHeader(http.StatusNotFound) // any answer means the proxy works
	}))
	defer target.Close()
	var proxyHits atomic.Int32
	proxy := forwardProxy(t, &proxyHits, "")
	defer proxy.Close()
	srv := httptest.NewServer(proxyTestHandler(target.URL + "/v1beta"))
	defer srv.Close()

	// Authentication is required.
	if code, _ := proxyCall(t, srv, "/api/config/proxy/check", `{"proxy":"`+proxy.URL+`"}`, false); code != http.StatusUnauthorized {
		t.Fatalf("check without auth: %d, want 401", code)
	}
	if code, _ := proxyCall(t, srv, "/api/config/proxy/check-all", `{"proxies":["`+proxy.URL+`"]}`, false); code != http.StatusUnauthorized {
		t.Fatalf("check-all without auth: %d, want 401", code)
	}
	if proxyHits.Load() != 0 {
		t.Fatal("an unauthenticated call reached the proxy")
	}

	// A working proxy, with credentials that must not come back.
	withCreds := strings.Replace(proxy.URL, "http://", "http://alice:hunter2@", 1)
	code, v := proxyCall(t, srv, "/api/config/proxy/check", `{"proxy":"`+withCreds+`"}`, true)
	if code != http.StatusOK || v["is_available"] != true {
		t.Fatalf("working proxy: %d %v", code, v)
	}
	if got, want := v["proxy"], strings.Replace(proxy.URL, "http://", "http://alice:****@", 1); got != want {
		t.Errorf("proxy shown as %v, want %v", got, want)
	}
	if _, ok := v["response_time"].(float64); !ok || v["error_message"] != nil || v["checked_at"] == nil {
		t.Errorf("working proxy answer incomplete: %v", v)
	}
	if proxyHits.Load() != 1 || targetHits.Load() != 1 {
		t.Errorf("proxy hits %d, target hits %d; want 1 and 1", proxyHits.Load(), targetHits.Load())
	}

	// An unreachable proxy.
	dead := "http://bob:s3cr3t@" + closedPort(t)
	code, v = proxyCall(t, srv, "/api/config/proxy/check", `{"proxy":"`+dead+`"}`, true)
	msg, _ := v["error_message"].(string)
	if code != http.StatusOK || v["is_available"] != false || msg == "" || v["response_time"] != nil {
		t.Fatalf("dead proxy: %d %v", code, v)
	}
	if b, _ := json.Marshal(v); strings.Contains(string(b), "s3cr3t") {
		t.Errorf("answer leaks the proxy password: %s", b)
	}

	// A proxy that refuses the credentials given.
	strict := forwardProxy(t, &proxyHits, "Basic nobody")
	defer strict.Close()
	code, v = proxyCall(t, srv, "/api/config/proxy/check", `{"proxy":"`+strings.Replace(strict.URL, "http://", "http://carol:pw0rd@", 1)+`"}`, true)
	if msg, _ := v["error_message"].(string); code != http.StatusOK || v["is_available"] != false || !strings.Contains(msg, "407") {
		t.Fatalf("proxy refusing credentials: %d %v", code, v)
	}

	// Invalid proxies.
	for _, bad := range []string{``, `ftp://host:21`, `not a url`, `http://`, `http://host:99999`, `http://host:80/path`} {
		code, v := proxyCall(t, srv, "/api/config/proxy/check", `{"proxy":"`+bad+`"}`, true)
		if code != http.StatusBadRequest {
			t.Errorf("proxy %q: %d %v, want 400", bad, code, v)
		}
	}

	// Check-all: both, in order, with a count.
	code, v = proxyCall(t, srv, "/api/config/proxy/check-all", `{"proxies":["`+proxy.URL+`","`+dead+`"],"max_concurrent":2}`, true)
	if code != http.StatusOK || v["total"] != 2.0 || v["available"] != 1.0 {
		t.Fatalf("check-all: %d %v", code, v)
	}
	res, _ := v["results"].([]any)
	if len(res) != 2 || res[0].(map[string]any)["is_available"] != true || res[1].(map[string]any)["is_available"] != false {
		t.Errorf("check-all results: %v", res)
	}
	for _, body := range []string{`{"proxies":["` + proxy.URL + `"],"max_concurrent":11}`, `{"proxies":["` + proxy.URL + `"],"max_concurrent":0}`,
		`{"proxies":["` + proxy.URL + `","gopher://x"]}`, `{"proxies":[]}`} {
		if code, v := proxyCall(t, srv, "/api/config/proxy/check-all", body, true); code != http.StatusBadRequest {
			t.Errorf("check-all %s: %d %v, want 400", body, code, v)
		}
	}
}

func TestMaskProxy(t *testing.T) {
	for in, want := range map[string]string{
		"http://host:8080":              "http://host:8080",
		"http://user:pass@host:8080":    "http://user:****@host:8080",
		"socks5://u:p@ss@host:1080":     "socks5://u:****@host:1080",
		"socks5h://user@host:1080":      "socks5h://user@host:1080",
		"https://user:pa:ss@h:443/":     "https://user:****@h:443/",
		"http://user:%40pw@example.com": "http://user:****@example.com",
	} {
		if got := maskProxy(in); got != want {
			t.Errorf("maskProxy(%q) = %q, want %q", in, got, want)
		}
	}
	if got := checkTarget("https://example.com:8443/v1beta"); got != "https://example.com:8443/" {
		t.Errorf("checkTarget = %q", got)
	}
	if got := checkTarget(""); got != DefaultUpstreamURL {
		t.Errorf("checkTarget(empty) = %q", got)
	}
}
