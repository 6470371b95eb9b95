package adminhttp

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Cookie names.
const (
	// SessionCookie holds the session id (HttpOnly).
	SessionCookie = "gb_session"
	// CSRFCookie holds the CSRF token, readable by the page's script,
	// which sends it back in the X-CSRF-Token header.
	CSRFCookie = "gb_csrf"
	// CSRFHeader is the header state-changing calls from a session carry.
	CSRFHeader = "X-CSRF-Token"
)

type session struct {
	id        string
	csrf      string
	expires   time.Time
	tokenHash [32]byte // of the admin token it logged in with
}

type sessions struct {
	mu sync.Mutex
	m  map[string]*session
}

func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("adminhttp: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func (s *sessions) create(now time.Time, ttl time.Duration, token string) *session {
	ss := &session{id: randomToken(), csrf: randomToken(), expires: now.Add(ttl), tokenHash: sha256.Sum256([]byte(token))}
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, x := range s.m {
		if !now.Before(x.expires) {
			delete(s.m, id)
		}
	}
	s.m[ss.id] = ss
	return ss
}

// get returns the live session id names, given the current admin token.
func (s *sessions) get(id string, now time.Time, token string) *session {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.m[id]
	if ss == nil {
		return nil
	}
	th := sha256.Sum256([]byte(token))
	if !now.Before(ss.expires) || token == "" || subtle.ConstantTimeCompare(th[:], ss.tokenHash[:]) != 1 {
		delete(s.m, id)
		return nil
	}
	return ss
}

func (s *sessions) delete(id string) {
	s.mu.Lock()
	delete(s.m, id)
	s.mu.Unlock()
}

// RevokeSessions ends every admin session at once.
func (h *Handler) RevokeSessions() {
	h.once.Do(h.init)
	h.sessions.mu.Lock()
	clear(h.sessions.m)
	h.sessions.mu.Unlock()
}

// tokenEqual compares in constant time, whatever the lengths.
func tokenEqual(a, b string) bool {
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}

// caller is who made an authenticated call.
type caller struct {
	s      *session // nil for a bearer token
	bearer bool
}

// who names the caller in logs without anything that would let a reader
// take over the session.
func (c caller) who() string {
	if c.s == nil {
		return "bearer"
	}
	return "session:" + c.s.id[:8]
}

type callerKey struct{}

func callerOf(r *http.Request) caller {
	c, _ := r.Context().Value(callerKey{}).(caller)
	return c
}

// authenticate returns the caller, or ok false with the reason.
func (h *Handler) authenticate(r *http.Request) (caller, string, bool) {
	o := h.opts()
	if auth := r.Header.Get("Authorization"); auth != "" {
		tok, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok || o.AdminToken == "" || !tokenEqual(strings.TrimSpace(tok), o.AdminToken) {
			return caller{}, "invalid bearer token", false
		}
		return caller{bearer: true}, "", true
	}
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return caller{}, "log in first", false
	}
	s := h.sessions.get(c.Value, h.now(), o.AdminToken)
	if s == nil {
		return caller{}, "session expired or revoked; log in again", false
	}
	return caller{s: s}, "", true
}

func unsafeMethod(m string) bool {
	return m != http.MethodGet && m != http.MethodHead && m != http.MethodOptions
}

// admin wraps f with the authentication and CSRF rules.
func (h *Handler) admin(f http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, why, ok := h.authenticate(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="gb admin"`)
			writeError(w, http.StatusUnauthorized, "unauthorized", why)
			return
		}
		if c.s != nil && unsafeMethod(r.Method) {
			if err := h.cop.Check(r); err != nil {
				writeError(w, http.StatusForbidden, "cross_origin", "cross-origin request refused")
				return
			}
			tok := r.Header.Get(CSRFHeader)
			if tok == "" && isForm(r) {
				tok = r.PostFormValue("csrf_token")
			}
			ck, err := r.Cookie(CSRFCookie)
			if tok == "" || err != nil || !tokenEqual(tok, c.s.csrf) || !tokenEqual(ck.Value, c.s.csrf) {
				writeError(w, http.StatusForbidden, "csrf", "missing or wrong "+CSRFHeader+" header (copy it from the "+CSRFCookie+" cookie)")
				return
			}
		}
		f(w, r.WithContext(contextWith(r, c)))
	}
}

func isForm(r *http.Request) bool {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return ct == "application/x-www-form-urlencoded" || ct == "multipart/form-data"
}

func secure(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

func (h *Handler) limiter(ip string) *rate.Limiter {
	h.limitMu.Lock()
	defer h.limitMu.Unlock()
	l := h.limiters[ip]
	if l == nil {
		lim, burst := h.LoginRate, h.LoginBurst
		if lim == 0 {
			lim = rate.Every(12 * time.Second)
		}
		if burst <= 0 {
			burst = 5
		}
		if len(h.limiters) > 10_000 {
			now := h.now()
			for k, x := range h.limiters {
				if x.TokensAt(now) >= float64(x.Burst()) {
					delete(h.limiters, k)
				}
			}
		}
		l = rate.NewLimiter(lim, burst)
		h.limiters[ip] = l
	}
	return l
}

type loginAnswer struct {
	Success   bool      `json:"success"`
	CSRFToken string    `json:"csrf_token"`
	ExpiresAt time.Time `json:"expires_at"`
}

// login serves POST /auth (HTML form field auth_token, or JSON
// {"auth_token": …}) and POST /api/auth/login.
func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	form := isForm(r)
	fail := func(code int, kind, msg, flag string) {
		if form {
			http.Redirect(w, r, "/?error="+flag, http.StatusSeeOther)
			return
		}
		writeError(w, code, kind, msg)
	}
	if err := h.cop.Check(r); err != nil {
		fail(http.StatusForbidden, "cross_origin", "cross-origin log-in refused", "cross_origin")
		return
	}
	o := h.opts()
	now := h.now()
	ip := h.clientIP(r)
	lim := h.limiter(ip)
	if lim.TokensAt(now) < 1 {
		wait := time.Duration((1 - lim.TokensAt(now)) / float64(lim.Limit()) * float64(time.Second))
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		fail(http.StatusTooManyRequests, "rate_limited", "too many failed log-ins from your address; try again later", "rate_limited")
		return
	}
	var token string
	if form {
		token = r.PostFormValue("auth_token")
	} else {
		var body struct {
			AuthToken string `json:"auth_token"`
		}
		b, _ := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<16))
		if err := json.Unmarshal(b, &body); err != nil {
			writeError(w, http.StatusBadRequest, "bad_json", `send {"auth_token": "..."} or the form field auth_token`)
			return
		}
		token = body.AuthToken
	}
	if o.AdminToken == "" {
		fail(http.StatusForbidden, "admin_disabled", "admin log-in is disabled: AUTH_TOKEN is not set", "disabled")
		return
	}
	if !tokenEqual(token, o.AdminToken) {
		lim.AllowN(now, 1)
		h.logger().Warn("admin log-in failed", "client", ip)
		fail(http.StatusUnauthorized, "unauthorized", "wrong admin token", "invalid")
		return
	}
	s := h.sessions.create(now, o.SessionTTL, o.AdminToken)
	maxAge := int(o.SessionTTL / time.Second)
	sec := secure(r)
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: s.id, Path: "/", MaxAge: maxAge, HttpOnly: true, Secure: sec, SameSite: http.SameSiteStrictMode})
	http.SetCookie(w, &http.Cookie{Name: CSRFCookie, Value: s.csrf, Path: "/", MaxAge: maxAge, Secure: sec, SameSite: http.SameSiteStrictMode})
	h.logger().Info("admin logged in", "client", ip, "session", s.id[:8])
	if form {
		http.Redirect(w, r, "/keys", http.StatusSeeOther)
		return
	}
	writeJSON(w, http.StatusOK, loginAnswer{Success: true, CSRFToken: s.csrf, ExpiresAt: s.expires})
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	c := callerOf(r)
	if c.s != nil {
		h.sessions.delete(c.s.id)
	}
	sec := secure(r)
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: sec, SameSite: http.SameSiteStrictMode})
	http.SetCookie(w, &http.Cookie{Name: CSRFCookie, Value: "", Path: "/", MaxAge: -1, Secure: sec, SameSite: http.SameSiteStrictMode})
	if isForm(r) {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"success": true})
}

func (h *Handler) sessionInfo(w http.ResponseWriter, r *http.Request) {
	c := callerOf(r)
	out := map[string]any{"authenticated": true, "via": "bearer"}
	if c.s != nil {
		out["via"] = "session"
		out["expires_at"] = c.s.expires
		out["csrf_token"] = c.s.csrf
	}
	writeJSON(w, http.StatusOK, out)
}

func contextWith(r *http.Request, c caller) context.Context {
	return context.WithValue(r.Context(), callerKey{}, c)
}
