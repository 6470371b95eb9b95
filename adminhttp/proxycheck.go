package adminhttp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultUpstreamURL is where proxy checks go when Options.BaseURL is
// empty or unusable.
const DefaultUpstreamURL = "https://generativelanguage.googleapis.com/"

// Proxy-check limits.
const (
	proxyCheckTimeout     = 10 * time.Second
	proxyCheckConcurrency = 5   // default max_concurrent
	proxyCheckMaxConc     = 10  // highest max_concurrent
	proxyCheckMaxList     = 200 // most proxies one check-all takes
)

// ProxyCheck is the outcome of one proxy check, as gemini-balance's
// /api/config/proxy/check answers it.
type ProxyCheck struct {
	// Proxy is the proxy URL, its password masked (user:****@host).
	Proxy string `json:"proxy"`
	// IsAvailable says the upstream answered through the proxy (any HTTP
	// status but 407 counts: the proxy works).
	IsAvailable bool `json:"is_available"`
	// ResponseTime is the round trip in seconds, nil when unavailable.
	ResponseTime *float64 `json:"response_time"`
	// ResponseTimeMS is the same in whole milliseconds.
	ResponseTimeMS *int64 `json:"response_time_ms"`
	// StatusCode is the upstream's HTTP status when available.
	StatusCode int `json:"status_code,omitempty"`
	// ErrorMessage says why the proxy is unavailable, nil otherwise.
	ErrorMessage *string `json:"error_message"`
	// CheckedAt is when the check finished.
	CheckedAt time.Time `json:"checked_at"`
}

// maskProxy hides the password of a proxy URL: user:pass@ → user:****@.
func maskProxy(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, ok := u.User.Password(); !ok {
		return s
	}
	if i := strings.Index(s, "://"); i >= 0 {
		auth, rest := s[i+3:], ""
		if j := strings.IndexAny(auth, "/?#"); j >= 0 {
			auth, rest = auth[:j], auth[j:]
		}
		if at := strings.LastIndex(auth, "@"); at >= 0 {
			if j := strings.Index(auth[:at], ":"); j >= 0 {
				return s[:i+3] + auth[:j] + ":****" + auth[at:] + rest
			}
		}
	}
	return u.Scheme + "://" + url.PathEscape(u.User.Username()) + ":****@" + u.Host
}

// scrub removes the proxy's credentials from an error text.
func scrub(msg string, u *url.URL) string {
	if u == nil || u.User == nil {
		return msg
	}
	if pw, ok := u.User.Password(); ok && pw != "" {
		msg = strings.ReplaceAll(msg, pw, "****")
		if esc := url.QueryEscape(pw); esc != pw {
			msg = strings.ReplaceAll(msg, esc, "****")
		}
	}
	return msg
}

// parseProxy validates a proxy URL: http, https, socks5 or socks5h with a
// host, e.g. http://user:pass@host:3128.
func parseProxy(s string) (*url.URL, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("proxy is empty; expected scheme://[user:pass@]host:port")
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.Hostname() == "" {
		return nil, fmt.Errorf("%s is not a proxy URL; expected scheme://[user:pass@]host:port with scheme http, https, socks5 or socks5h", maskProxy(s))
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https", "socks5", "socks5h":
	default:
		return nil, fmt.Errorf("%s has an unsupported scheme %q; expected http, https, socks5 or socks5h", maskProxy(s), u.Scheme)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("%s has an invalid port; expected 1-65535", maskProxy(s))
		}
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%s has a path, query or fragment; expected scheme://[user:pass@]host:port", maskProxy(s))
	}
	return u, nil
}

// checkTarget is the URL checks fetch: the scheme and host of BaseURL.
func checkTarget(base string) string {
	u, err := url.Parse(strings.TrimSpace(base))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return DefaultUpstreamURL
	}
	return u.Scheme + "://" + u.Host + "/"
}

// checkProxy sends a GET to target through proxy.
func (h *Handler) checkProxy(ctx context.Context, raw string, proxy *url.URL, target string) ProxyCheck {
	tr := &http.Transport{
		Proxy:                 http.ProxyURL(proxy),
		DisableKeepAlives:     true,
		TLSHandshakeTimeout:   proxyCheckTimeout,
		ResponseHeaderTimeout: proxyCheckTimeout,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{
		Transport:     tr,
		Timeout:       proxyCheckTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	res := ProxyCheck{Proxy: maskProxy(raw)}
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err == nil {
		req.Header.Set("User-Agent", "gb-proxy-check")
		var resp *http.Response
		resp, err = client.Do(req)
		if err == nil {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
			res.IsAvailable, res.StatusCode = true, resp.StatusCode
			if resp.StatusCode == http.StatusProxyAuthRequired {
				// The proxy itself refused: it does not work with these
				// credentials.
				res.IsAvailable = false
				err = errors.New("proxy answered 407 Proxy Authentication Required")
			}
		}
	}
	elapsed := time.Since(start)
	res.CheckedAt = h.now()
	if err != nil {
		msg := scrub(err.Error(), proxy)
		res.ErrorMessage = &msg
		return res
	}
	secs := math.Round(elapsed.Seconds()*1000) / 1000
	ms := elapsed.Milliseconds()
	res.ResponseTime, res.ResponseTimeMS = &secs, &ms
	return res
}

func (h *Handler) logProxyCheck(r *http.Request, c ProxyCheck) {
	args := []any{"by", callerOf(r).who(), "proxy", c.Proxy, "available", c.IsAvailable}
	if c.ErrorMessage != nil {
		args = append(args, "err", *c.ErrorMessage)
	}
	h.logger().Info("admin checked a proxy", args...)
}

// proxyCheck serves POST /api/config/proxy/check {"proxy": "…"}.
func (h *Handler) proxyCheck(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Proxy string `json:"proxy"`
	}
	if !readJSON(w, r, &body) {
		return
	}
	u, err := parseProxy(body.Proxy)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_proxy", err.Error())
		return
	}
	res := h.checkProxy(r.Context(), strings.TrimSpace(body.Proxy), u, checkTarget(h.opts().BaseURL))
	h.logProxyCheck(r, res)
	writeJSON(w, http.StatusOK, res)
}

// configuredProxies returns the PROXIES setting in clear.
func (h *Handler) configuredProxies(ctx context.Context) ([]string, error) {
	if h.Settings == nil {
		return nil, nil
	}
	v, err := h.Settings.Reveal(ctx, "PROXIES")
	if err != nil {
		return nil, err
	}
	v = strings.TrimSpace(v)
	var l []string
	if strings.HasPrefix(v, "[") {
		if err := json.Unmarshal([]byte(v), &l); err != nil {
			return nil, err
		}
		return l, nil
	}
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			l = append(l, s)
		}
	}
	return l, nil
}

// proxyCheckAll serves POST /api/config/proxy/check-all
// {"proxies": […], "max_concurrent": n}; no proxies means the configured
// PROXIES.
func (h *Handler) proxyCheckAll(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Proxies       []string `json:"proxies"`
		MaxConcurrent *int     `json:"max_concurrent"`
	}
	if !readJSON(w, r, &body) {
		return
	}
	conc := proxyCheckConcurrency
	if body.MaxConcurrent != nil {
		conc = *body.MaxConcurrent
		if conc < 1 || conc > proxyCheckMaxConc {
			badParam(w, "max_concurrent", "want 1 to "+strconv.Itoa(proxyCheckMaxConc))
			return
		}
	}
	list := body.Proxies
	if len(list) == 0 {
		l, err := h.configuredProxies(r.Context())
		if err != nil {
			h.internalError(w, r, err)
			return
		}
		list = l
	}
	seen := map[string]bool{}
	var raws []string
	var urls []*url.URL
	for i, s := range list {
		s = strings.TrimSpace(s)
		if s == "" || seen[s] {
			continue
		}
		u, err := parseProxy(s)
		if err != nil {
			writeError(w, http.StatusBadRequest, "bad_proxy", "proxies["+strconv.Itoa(i)+"]: "+err.Error())
			return
		}
		seen[s] = true
		raws, urls = append(raws, s), append(urls, u)
	}
	if len(raws) == 0 {
		writeError(w, http.StatusBadRequest, "no_proxies", "no proxies to check: send a proxies list or configure PROXIES")
		return
	}
	if len(raws) > proxyCheckMaxList {
		badParam(w, "proxies", "at most "+strconv.Itoa(proxyCheckMaxList)+" at a time")
		return
	}
	target := checkTarget(h.opts().BaseURL)
	results := make([]ProxyCheck, len(raws))
	sem := make(chan struct{}, conc)
	var wg sync.WaitGroup
	for i := range raws {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			results[i] = h.checkProxy(r.Context(), raws[i], urls[i], target)
		}()
	}
	wg.Wait()
	avail := 0
	for _, c := range results {
		h.logProxyCheck(r, c)
		if c.IsAvailable {
			avail++
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": results, "total": len(results), "available": avail})
}
