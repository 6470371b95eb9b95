package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/geminibalance/gb/adminhttp"
	"github.com/geminibalance/gb/adminhttp/console"
	"github.com/geminibalance/gb/internal/config"
	"github.com/geminibalance/gb/storage"
)

// AuthoritativeEnv names the environment variable listing settings whose
// environment (or .env) value always wins over console edits: a comma
// list of names, or "*" for every setting.
const AuthoritativeEnv = "GB_ENV_AUTHORITATIVE"

// restartOnly are settings read only at start-up: the console cannot
// change them. API_KEYS is managed through the key routes instead.
var restartOnly = map[string]string{
	"DATABASE_TYPE":    "read at start-up only; set it in the environment",
	"SQLITE_DATABASE":  "read at start-up only; set it in the environment",
	"MYSQL_HOST":       "read at start-up only; set it in the environment",
	"MYSQL_PORT":       "read at start-up only; set it in the environment",
	"MYSQL_USER":       "read at start-up only; set it in the environment",
	"MYSQL_PASSWORD":   "read at start-up only; set it in the environment",
	"MYSQL_DATABASE":   "read at start-up only; set it in the environment",
	"MYSQL_SOCKET":     "read at start-up only; set it in the environment",
	"HOST":             "read at start-up only; set it in the environment",
	"PORT":             "read at start-up only; set it in the environment",
	"SHUTDOWN_TIMEOUT": "read at start-up only; set it in the environment",
	"API_KEYS":         "keys are managed under /api/keys (add, delete, export)",
}

// authoritative returns the test for names marked authoritative in
// GB_ENV_AUTHORITATIVE.
func authoritative(getenv func(string) string) func(string) bool {
	if getenv == nil {
		return func(string) bool { return false }
	}
	raw := strings.TrimSpace(getenv(AuthoritativeEnv))
	if raw == "*" {
		return func(string) bool { return true }
	}
	set := map[string]bool{}
	for _, n := range strings.Split(raw, ",") {
		if n = strings.ToUpper(strings.TrimSpace(n)); n != "" {
			set[n] = true
		}
	}
	return func(n string) bool { return set[n] }
}

// MergeStoredSettings applies the settings edited in the admin console
// (kept in store) over cfg, which was loaded from the environment and
// .env. Precedence, lowest first: built-in default < .env < environment <
// console edits; a name listed in GB_ENV_AUTHORITATIVE (or every name,
// with "*") keeps its environment value and its stored edit is ignored.
// Settings read only at start-up (database, listen address) and API_KEYS
// are never taken from the store. A stored value that no longer validates
// is skipped. The notices say what was taken and what was skipped; they
// never contain a value.
//
// gbserver calls it after config.Load and before New.
func MergeStoredSettings(ctx context.Context, cfg *config.Config, store storage.SettingsStore, getenv func(string) string) (*config.Config, []string, error) {
	stored, err := store.Settings(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("reading stored settings: %w", err)
	}
	auth := authoritative(getenv)
	known := map[string]bool{}
	for _, n := range config.Names() {
		known[n] = true
	}
	names := make([]string, 0, len(stored))
	for n := range stored {
		names = append(names, n)
	}
	slices.Sort(names)
	var notices, taken []string
	out := cfg
	for _, n := range names {
		switch {
		case !known[n]:
			notices = append(notices, "stored setting "+n+" is not a known setting: ignored")
			continue
		case restartOnly[n] != "":
			continue
		case auth(n):
			notices = append(notices, "stored setting "+n+" ignored: the environment is authoritative for it ("+AuthoritativeEnv+")")
			continue
		}
		next, err := out.With(map[string]string{n: stored[n]})
		if err != nil {
			notices = append(notices, "stored setting "+n+" is invalid and was ignored: "+err.Error())
			continue
		}
		out = next
		taken = append(taken, n)
	}
	if len(taken) > 0 {
		notices = append(notices, "settings from console edits: "+strings.Join(taken, ", "))
	}
	return out, notices, nil
}

// AdminOptions configure [NewAdmin]. The zero value is usable.
type AdminOptions struct {
	// Getenv reads the environment, for GB_ENV_AUTHORITATIVE and the
	// configuration reset; nil means os.Getenv.
	Getenv func(string) string
	// DotEnv returns the .env contents for the configuration reset; nil
	// reads ".env" (a missing file is no error).
	DotEnv func() ([]byte, error)
	// Clock drives sessions and the scheduler; nil means real time.
	Clock adminhttp.Clock
	// OnApply, if set, is called with every configuration the console
	// applies (for example to set the log level).
	OnApply func(*config.Config)
	// Version is shown in the console's footer.
	Version string
}

// Admin is the admin API and scheduler of an App.
type Admin struct {
	// Handler serves the admin routes (see Mount).
	Handler *adminhttp.Handler
	// Scheduler runs the key check and the log clean-up.
	Scheduler *adminhttp.Scheduler

	app  *App
	opt  AdminOptions
	mu   sync.Mutex // serialises configuration changes
	auth func(string) bool
}

// NewAdmin builds the admin API of a. Call Start to run the scheduler and
// Close to stop it.
func NewAdmin(a *App, opt AdminOptions) *Admin {
	if opt.Getenv == nil {
		opt.Getenv = os.Getenv
	}
	if opt.DotEnv == nil {
		opt.DotEnv = func() ([]byte, error) {
			b, err := os.ReadFile(".env")
			if errors.Is(err, os.ErrNotExist) {
				return nil, nil
			}
			return b, err
		}
	}
	ad := &Admin{app: a, opt: opt, auth: authoritative(opt.Getenv)}
	verifier := adminhttp.GeminiVerifier{Client: a.Client}
	ad.Scheduler = &adminhttp.Scheduler{
		Pool:     a.Pool,
		Store:    a.Store,
		Verifier: verifier,
		Clock:    opt.Clock,
		Logger:   a.Logger,
		Config: func() adminhttp.SchedulerConfig {
			c := a.Config.Load()
			sc := adminhttp.SchedulerConfig{
				CheckInterval: time.Duration(c.CheckIntervalHours) * time.Hour,
				TestModel:     c.TestModel,
				Location:      c.Location,
			}
			if c.AutoDeleteErrorLogsEnabled {
				sc.ErrorLogRetention = time.Duration(c.AutoDeleteErrorLogsDays) * 24 * time.Hour
			}
			if c.AutoDeleteRequestLogsEnabled {
				sc.RequestLogRetention = time.Duration(c.AutoDeleteRequestLogsDays) * 24 * time.Hour
			}
			return sc
		},
	}
	ad.Handler = &adminhttp.Handler{
		Pool:      a.Pool,
		Store:     a.Store,
		Verifier:  verifier,
		Settings:  (*adminSettings)(ad),
		Scheduler: ad.Scheduler,
		Clock:     opt.Clock,
		Logger:    a.Logger,
		Options: func() adminhttp.Options {
			c := a.Config.Load()
			return adminhttp.Options{AdminToken: c.AdminToken(), SessionTTL: c.AdminSessionExpire, Location: c.Location, TestModel: c.TestModel, BaseURL: c.BaseURL}
		},
	}
	return ad
}

// Start runs the scheduler until ctx ends or Close.
func (ad *Admin) Start(ctx context.Context) { ad.Scheduler.Start(ctx) }

// Close stops the scheduler.
func (ad *Admin) Close() { ad.Scheduler.Stop() }

// AdminPatterns are the ServeMux patterns Mount registers: the log-in
// form and pages, the JSON API, and gemini-balance's key routes under
// /gemini/v1beta (more specific than the native API's /gemini/v1beta/).
var AdminPatterns = []string{
	"GET /{$}",
	"POST /auth",
	"POST /logout",
	"GET /keys",
	"GET /config",
	"GET /logs",
	"/api/",
	"POST /gemini/v1beta/verify-key/{key}",
	"POST /gemini/v1beta/verify-selected-keys",
	"POST /gemini/v1beta/reset-fail-count/{key}",
	"POST /gemini/v1beta/reset-all-fail-counts",
	"POST /gemini/v1beta/reset-selected-fail-counts",
}

// Mount registers the admin API and the web console on mux: the console
// serves the pages (/, /keys, /config, /logs) and /static/, adminhttp the
// log-in and log-out forms, the JSON API and gemini-balance's key routes.
func (ad *Admin) Mount(mux *http.ServeMux) {
	con := &console.Handler{
		Authenticated: console.SessionCheck(ad.Handler),
		LoginEnabled:  func() bool { return ad.app.Config.Load().AuthToken != "" },
		Version:       ad.opt.Version,
	}
	pages := map[string]bool{"GET /{$}": true, "GET /keys": true, "GET /config": true, "GET /logs": true}
	for _, p := range AdminPatterns {
		if pages[p] {
			mux.Handle(p, con)
		} else {
			mux.Handle(p, ad.Handler)
		}
	}
	mux.Handle("GET /static/", con)
}

// adminSettings implements adminhttp.Settings over the App's
// configuration and settings store.
type adminSettings Admin

var _ adminhttp.Settings = (*adminSettings)(nil)

func (s *adminSettings) List(ctx context.Context) ([]adminhttp.Setting, error) {
	cfg := s.app.Config.Load()
	stored, err := s.app.Store.Settings(ctx)
	if err != nil {
		return nil, err
	}
	red := cfg.Redacted()
	out := make([]adminhttp.Setting, 0, len(red))
	for _, n := range config.Names() {
		st := adminhttp.Setting{Name: n, Value: red[n], Secret: config.Secret(n), Source: "default", Editable: true}
		if _, ok := stored[n]; ok && restartOnly[n] == "" && !s.auth(n) {
			st.Source = "console"
		} else if s.opt.Getenv(n) != "" || !s.isDefault(cfg, n) {
			st.Source = "environment"
		}
		if note := restartOnly[n]; note != "" {
			st.Editable, st.Note = false, note
		} else if s.auth(n) {
			st.Editable, st.Note = false, "the environment is authoritative ("+AuthoritativeEnv+")"
		}
		if n == "API_KEYS" {
			st.Value = fmt.Sprintf("%d keys in the pool (see /api/keys)", len(s.app.Pool.Keys()))
		}
		out = append(out, st)
	}
	return out, nil
}

func (s *adminSettings) isDefault(cfg *config.Config, name string) bool {
	return cfg.Env()[name] == config.Default().Env()[name]
}

func (s *adminSettings) Reveal(ctx context.Context, name string) (string, error) {
	if name == "API_KEYS" {
		return "", errors.New("keys are exported through /api/keys/export")
	}
	v, ok := s.app.Config.Load().Env()[name]
	if !ok {
		return "", fmt.Errorf("no setting %q", name)
	}
	return v, nil
}

func (s *adminSettings) Update(ctx context.Context, values map[string]string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.app.Config.Load()
	red := cur.Redacted()
	known := map[string]bool{}
	for _, n := range config.Names() {
		known[n] = true
	}
	fe := adminhttp.FieldErrors{}
	change := map[string]string{}
	for n, v := range values {
		switch {
		case !known[n]:
			fe[n] = "is not a known setting"
		case restartOnly[n] != "":
			fe[n] = "cannot be changed here: " + restartOnly[n]
		case s.auth(n):
			fe[n] = "cannot be changed here: the environment is authoritative for it (" + AuthoritativeEnv + ")"
		case config.Secret(n) && v == red[n] && v != cur.Env()[n]:
			// The masked value sent back unchanged: keep the secret.
		default:
			if _, err := cur.With(map[string]string{n: v}); err != nil {
				fe[n] = fieldMessage(err)
				continue
			}
			change[n] = v
		}
	}
	if len(fe) > 0 {
		return fe
	}
	if len(change) == 0 {
		return nil
	}
	next, err := cur.With(change)
	if err != nil {
		var ce *config.Error
		if errors.As(err, &ce) {
			fe[ce.Name] = ce.Msg
			return fe
		}
		return err
	}
	if err := s.apply(cur, next); err != nil {
		return err
	}
	if err := s.app.Store.PutSettings(ctx, change); err != nil {
		return fmt.Errorf("settings applied but not stored: %w", err)
	}
	return nil
}

// fieldMessage is a config error without the setting's name.
func fieldMessage(err error) string {
	var ce *config.Error
	if errors.As(err, &ce) {
		return ce.Msg
	}
	return err.Error()
}

// apply makes next the running configuration. API keys are the pool's
// business: the snapshot keeps only the configured keys still pooled, so
// that applying it never brings back a key deleted in the console.
func (s *adminSettings) apply(cur, next *config.Config) error {
	var keep []string
	for _, k := range cur.APIKeys {
		if _, ok := s.app.Pool.Status(k); ok {
			keep = append(keep, k)
		}
	}
	next.APIKeys = keep
	if err := s.app.Apply(next); err != nil {
		return err
	}
	if s.opt.OnApply != nil {
		s.opt.OnApply(next)
	}
	s.Scheduler.Reschedule()
	return nil
}

func (s *adminSettings) Reset(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	dotenv, err := s.opt.DotEnv()
	if err != nil {
		return fmt.Errorf("reading .env: %w", err)
	}
	next, _, err := config.Load(s.opt.Getenv, dotenv)
	if err != nil {
		var ce *config.Error
		if errors.As(err, &ce) {
			return adminhttp.FieldErrors{ce.Name: ce.Msg}
		}
		return err
	}
	stored, err := s.app.Store.Settings(ctx)
	if err != nil {
		return err
	}
	if err := s.apply(s.app.Config.Load(), next); err != nil {
		return err
	}
	names := make([]string, 0, len(stored))
	for n := range stored {
		names = append(names, n)
	}
	if err := s.app.Store.DeleteSettings(ctx, names); err != nil {
		return fmt.Errorf("configuration reset but stored edits not cleared: %w", err)
	}
	s.app.Logger.Info("configuration reset to the environment", slog.Int("stored_edits_cleared", len(names)))
	return nil
}
