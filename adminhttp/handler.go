// Package adminhttp is gb's admin API: an [http.Handler] that lets an
// operator look after a key pool — list, search, verify, reset, add,
// delete and export keys; read statistics and error logs; change the
// configuration live; pause and resume the [Scheduler].
//
// Like httputil.ReverseProxy, a [Handler] is a struct whose fields are its
// dependencies, each a small interface: the key pool ([Pool], which
// *balancer.MemoryPool implements), the storage ([Store], which every
// storage backend implements), a key [Verifier] ([GeminiVerifier] over
// gemini.Client), the live configuration ([Settings]) and the scheduler.
// A library user can mount it behind their own authentication with their
// own pool and store; gbserver mounts it at the root, where
// gemini-balance's admin pages were.
//
// Every route needs an admin: a session cookie obtained by logging in with
// the admin token (POST /auth, the plain HTML form gemini-balance users
// know, or its JSON form), or an "Authorization: Bearer <token>" header.
// Sessions live in memory, expire, and are revoked by log-out; state
// changes made with a session cookie must carry the CSRF token and come
// from the same origin. Failed log-ins are rate-limited per client
// address. No answer ever carries an unmasked key, unless an
// authenticated caller asks for it explicitly (reveal=true), which is
// logged.
//
// The routes and their JSON are documented in docs/admin-api.md.
package adminhttp

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/geminibalance/gb/balancer"
	"github.com/geminibalance/gb/storage"
)

// Pool is the key pool the admin API manages. *balancer.MemoryPool
// implements it.
type Pool interface {
	// Add puts keys into rotation and returns how many were new.
	Add(keys ...string) int
	// Remove takes keys out and returns how many were there.
	Remove(keys ...string) int
	// Reset clears failure counts, benches and cool-downs of keys.
	Reset(keys ...string) int
	// Report records the verdict of a call made with key for model.
	Report(key, model string, v balancer.Verdict)
	// Status returns the health of one key.
	Status(key string) (balancer.KeyStatus, bool)
	// Statuses returns the health of every key, in insertion order.
	Statuses() []balancer.KeyStatus
}

// Store is the storage the admin API reads and changes. Every
// storage.Store implements it.
type Store interface {
	storage.KeyStore
	storage.LogStore
	storage.StatsStore
}

// Options are the settings the handler reads on every request, so that a
// configuration change applies at once.
type Options struct {
	// AdminToken is the token that logs in (gemini-balance's AUTH_TOKEN).
	// Empty means log-in is refused.
	AdminToken string
	// SessionTTL is how long a session lasts (ADMIN_SESSION_EXPIRE);
	// zero means one hour.
	SessionTTL time.Duration
	// Location is the time zone of calendar periods (TIMEZONE); nil
	// means UTC.
	Location *time.Location
	// TestModel is the model keys are verified with (TEST_MODEL).
	TestModel string
	// BaseURL is the upstream API root (BASE_URL); proxy checks fetch its
	// scheme and host. Empty means [DefaultUpstreamURL].
	BaseURL string
}

// Handler serves the admin API. Set its fields before the first request
// and do not change them afterwards. Pool, Store and Options are
// required; a nil Verifier, Settings or Scheduler makes the routes that
// need it answer 501.
type Handler struct {
	// Pool is the key pool.
	Pool Pool
	// Store persists keys and serves logs and statistics.
	Store Store
	// Verifier checks keys with a real call; nil disables verification.
	Verifier Verifier
	// Settings is the live configuration; nil disables /api/config.
	Settings Settings
	// Scheduler runs the periodic jobs; nil disables /api/scheduler.
	Scheduler *Scheduler
	// Options returns the current options.
	Options func() Options
	// Clock is the time source; nil means [RealClock].
	Clock Clock
	// Logger receives security events (failed log-ins, reveals); nil
	// means slog.Default().
	Logger *slog.Logger
	// ClientIP returns the address failed log-ins are counted against;
	// nil means the host of r.RemoteAddr. Behind a trusted reverse proxy,
	// return the forwarded address.
	ClientIP func(r *http.Request) string
	// LoginRate and LoginBurst limit failed log-ins per client address;
	// zero means 5 per minute with a burst of 5.
	LoginRate  rate.Limit
	LoginBurst int
	// VerifyConcurrency caps concurrent verification calls; zero means 10.
	VerifyConcurrency int

	once     sync.Once
	mux      *http.ServeMux
	sessions sessions
	limitMu  sync.Mutex
	limiters map[string]*rate.Limiter
	idMu     sync.RWMutex
	ids      map[string]string // key → id cache
	cop      *http.CrossOriginProtection
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.once.Do(h.init)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	h.mux.ServeHTTP(w, r)
}

func (h *Handler) init() {
	h.sessions.m = map[string]*session{}
	h.limiters = map[string]*rate.Limiter{}
	h.ids = map[string]string{}
	h.cop = http.NewCrossOriginProtection()
	h.cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusForbidden, "cross_origin", "cross-origin request refused")
	}))
	m := http.NewServeMux()
	h.mux = m

	// Log-in, pages.
	m.HandleFunc("GET /{$}", h.loginPage)
	m.HandleFunc("POST /auth", h.login)
	m.HandleFunc("POST /api/auth/login", h.login)
	m.HandleFunc("POST /api/auth/logout", h.admin(h.logout))
	m.HandleFunc("POST /logout", h.admin(h.logout))
	m.HandleFunc("GET /api/auth/session", h.admin(h.sessionInfo))
	for _, p := range []string{"/keys", "/config", "/logs"} {
		m.HandleFunc("GET "+p, h.page(p))
	}

	// Keys.
	m.HandleFunc("GET /api/keys", h.admin(h.listKeys))
	m.HandleFunc("POST /api/keys", h.admin(h.addKeys))
	m.HandleFunc("DELETE /api/keys", h.admin(h.deleteKeys))
	m.HandleFunc("POST /api/keys/delete", h.admin(h.deleteKeys))
	m.HandleFunc("GET /api/keys/all", h.admin(h.allKeys))
	m.HandleFunc("GET /api/keys/export", h.admin(h.exportKeys))
	m.HandleFunc("POST /api/keys/verify", h.admin(h.verifyKeys))
	m.HandleFunc("POST /api/keys/reset", h.admin(h.resetKeys))
	m.HandleFunc("GET /api/keys/{id}", h.admin(h.keyDetails))
	m.HandleFunc("DELETE /api/keys/{id}", h.admin(h.deleteKey))
	m.HandleFunc("DELETE /api/config/keys/{id}", h.admin(h.deleteKey))
	m.HandleFunc("POST /api/config/keys/delete-selected", h.admin(h.deleteKeys))
	// gemini-balance's key routes, authenticated here.
	m.HandleFunc("POST /gemini/v1beta/verify-key/{id}", h.admin(h.legacyVerifyOne))
	m.HandleFunc("POST /gemini/v1beta/verify-selected-keys", h.admin(h.legacyVerifySelected))
	m.HandleFunc("POST /gemini/v1beta/reset-fail-count/{id}", h.admin(h.legacyResetOne))
	m.HandleFunc("POST /gemini/v1beta/reset-all-fail-counts", h.admin(h.legacyResetAll))
	m.HandleFunc("POST /gemini/v1beta/reset-selected-fail-counts", h.admin(h.legacyResetSelected))

	// Statistics.
	m.HandleFunc("GET /api/stats/overview", h.admin(h.statsOverview))
	m.HandleFunc("GET /api/stats/series", h.admin(h.statsSeries))
	m.HandleFunc("GET /api/stats/usage", h.admin(h.statsUsage))
	m.HandleFunc("GET /api/stats/attention-keys", h.admin(h.statsAttention))
	m.HandleFunc("GET /api/key-usage-details/{id}", h.admin(h.keyUsageDetails))

	// Error logs.
	m.HandleFunc("GET /api/logs/errors", h.admin(h.listErrors))
	m.HandleFunc("GET /api/logs/errors/lookup", h.admin(h.lookupError))
	m.HandleFunc("GET /api/logs/errors/{id}/details", h.admin(h.errorDetails))
	m.HandleFunc("DELETE /api/logs/errors", h.admin(h.deleteErrors))
	m.HandleFunc("DELETE /api/logs/errors/all", h.admin(h.clearErrors))
	m.HandleFunc("DELETE /api/logs/errors/{id}", h.admin(h.deleteError))

	// Configuration.
	m.HandleFunc("GET /api/config", h.admin(h.getConfig))
	m.HandleFunc("PUT /api/config", h.admin(h.putConfig))
	m.HandleFunc("POST /api/config/reset", h.admin(h.resetConfig))
	m.HandleFunc("POST /api/config/proxy/check", h.admin(h.proxyCheck))
	m.HandleFunc("POST /api/config/proxy/check-all", h.admin(h.proxyCheckAll))

	// Scheduler.
	m.HandleFunc("GET /api/scheduler", h.admin(h.schedulerStatus))
	m.HandleFunc("POST /api/scheduler/pause", h.admin(h.schedulerPause))
	m.HandleFunc("POST /api/scheduler/stop", h.admin(h.schedulerPause))
	m.HandleFunc("POST /api/scheduler/resume", h.admin(h.schedulerResume))
	m.HandleFunc("POST /api/scheduler/start", h.admin(h.schedulerResume))
	m.HandleFunc("POST /api/scheduler/run/{job}", h.admin(h.schedulerRun))

	m.HandleFunc("/api/", h.admin(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "no admin route "+r.Method+" "+r.URL.Path)
	}))
}

func (h *Handler) clock() Clock {
	if h.Clock == nil {
		return RealClock{}
	}
	return h.Clock
}

func (h *Handler) now() time.Time { return h.clock().Now() }

func (h *Handler) logger() *slog.Logger {
	if h.Logger == nil {
		return slog.Default()
	}
	return h.Logger
}

func (h *Handler) opts() Options {
	o := h.Options()
	if o.SessionTTL <= 0 {
		o.SessionTTL = time.Hour
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	return o
}

func (h *Handler) clientIP(r *http.Request) string {
	if h.ClientIP != nil {
		return h.ClientIP(r)
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// KeyID returns the stable identifier the admin API uses for key in
// place of the key itself: the first 16 hex digits of its SHA-256.
func KeyID(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:8])
}

func (h *Handler) keyID(key string) string {
	h.idMu.RLock()
	id, ok := h.ids[key]
	h.idMu.RUnlock()
	if ok {
		return id
	}
	id = KeyID(key)
	h.idMu.Lock()
	if len(h.ids) > 1_000_000 {
		clear(h.ids)
	}
	h.ids[key] = id
	h.idMu.Unlock()
	return id
}

// resolve maps identifiers (key IDs or full keys) to pooled keys; unknown
// ones are returned apart.
func (h *Handler) resolve(refs []string) (keys, unknown []string) {
	if len(refs) == 0 {
		return nil, nil
	}
	byID := make(map[string]string)
	need := false
	for _, ref := range refs {
		if _, ok := h.Pool.Status(ref); !ok {
			need = true
			break
		}
	}
	if need {
		for _, st := range h.Pool.Statuses() {
			byID[h.keyID(st.Key)] = st.Key
		}
	}
	seen := map[string]bool{}
	for _, ref := range refs {
		k := ""
		if _, ok := h.Pool.Status(ref); ok {
			k = ref
		} else if full, ok := byID[ref]; ok {
			k = full
		}
		if k == "" {
			unknown = append(unknown, ref)
			continue
		}
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	return keys, unknown
}

// ---- JSON ----

// apiError is the error body: {"error":{"code":…,"message":…}}.
type apiError struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code, b = http.StatusInternalServerError, []byte(`{"error":{"code":"internal","message":"encoding the answer failed"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}

func writeError(w http.ResponseWriter, code int, kind, msg string) {
	writeJSON(w, code, map[string]apiError{"error": {Code: kind, Message: msg}})
}

// internalError logs err and answers 500 without its text (it may name a
// database).
func (h *Handler) internalError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	h.logger().Error("admin API failed", "method", r.Method, "path", r.URL.Path, "err", err)
	writeError(w, http.StatusInternalServerError, "internal", "internal error; see the server log")
}

const maxBody = 64 << 20 // pasted key lists can be large

// readJSON decodes the request body into v; an empty body leaves v alone.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, "too_large", "request body too large or unreadable")
		return false
	}
	if len(b) == 0 {
		return true
	}
	if err := json.Unmarshal(b, v); err != nil {
		writeError(w, http.StatusBadRequest, "bad_json", "request body is not the JSON expected: "+err.Error())
		return false
	}
	return true
}

func queryInt(r *http.Request, name string, def, lo, hi int) (int, bool) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, true
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, false
	}
	return n, true
}

func badParam(w http.ResponseWriter, name, want string) {
	writeError(w, http.StatusBadRequest, "bad_parameter", name+": "+want)
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
