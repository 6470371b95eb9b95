// Command gbserver is the gb gateway: many Gemini API keys behind one
// endpoint, a drop-in replacement for gemini-balance that reads the same
// .env.
//
// Usage:
//
//	gbserver [serve]   run the gateway (configuration from the environment and ./.env)
//	gbserver demo      run the gateway against a built-in simulated Gemini API
//	gbserver import    import a gemini-balance database
//	gbserver version   print the version
//	gbserver help      print this help
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"syscall"
	"time"

	"github.com/geminibalance/gb/internal/app"
	"github.com/geminibalance/gb/internal/config"
	"github.com/geminibalance/gb/internal/gbimport"
	"github.com/geminibalance/gb/internal/logx"
	"github.com/geminibalance/gb/storage"
	"github.com/geminibalance/gb/storage/mysql"
	"github.com/geminibalance/gb/storage/sqlite"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = ""

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "gbserver:", err)
		os.Exit(1)
	}
}

const usage = `gbserver — many Gemini API keys behind one endpoint (a drop-in for gemini-balance)

Usage:
  gbserver [serve]   run the gateway; settings come from the environment and ./.env
                     (the environment wins), with gemini-balance's names
  gbserver demo      run the gateway against a built-in simulated Gemini API with
                     demo keys (some invalid, one rate-limited): no real key needed
  gbserver import [-logs] SOURCE
                     import keys, tokens and settings (and with -logs, error and
                     request logs) from a gemini-balance database into gb's store:
                     SOURCE is its SQLite file or a MySQL DSN (user:pass@tcp(host:3306)/db)
  gbserver version   print the version
  gbserver help      print this help

Common settings: API_KEYS, ALLOWED_TOKENS, AUTH_TOKEN, HOST (0.0.0.0), PORT (8000),
DATABASE_TYPE (sqlite|mysql), SQLITE_DATABASE, MYSQL_*, MAX_FAILURES, MAX_RETRIES,
TIME_OUT, PROXIES, BASE_URL. See README.md for the full reference.
`

// run is the whole program; main only supplies the process's context,
// arguments, environment and standard streams.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 1 {
		cmd = args[1]
	}
	switch cmd {
	case "serve":
		return serve(ctx, getenv, stdout, stderr, nil)
	case "demo":
		return demo(ctx, getenv, stdout, stderr)
	case "import":
		return importCmd(ctx, args[2:], getenv, stdout)
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, "gbserver", versionString())
		return nil
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
}

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

// loadConfig reads the environment and ./.env.
func loadConfig(getenv func(string) string) (*config.Config, []config.Notice, error) {
	dotenv, err := os.ReadFile(".env")
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, nil, fmt.Errorf("reading .env: %w", err)
	}
	return config.Load(getenv, dotenv)
}

// openStore opens the configured backend.
func openStore(cfg *config.Config) (storage.Store, string, error) {
	switch cfg.DatabaseType {
	case "mysql":
		st, err := mysql.Open(mysql.Config{Host: cfg.MySQLHost, Port: cfg.MySQLPort, User: cfg.MySQLUser,
			Password: cfg.MySQLPassword, Database: cfg.MySQLDatabase, Socket: cfg.MySQLSocket})
		if err != nil {
			return nil, "", fmt.Errorf("opening MySQL: %w", err)
		}
		where := cfg.MySQLHost + ":" + strconv.Itoa(cfg.MySQLPort) + "/" + cfg.MySQLDatabase
		if cfg.MySQLSocket != "" {
			where = cfg.MySQLSocket + "/" + cfg.MySQLDatabase
		}
		return st, "mysql " + where, nil
	default:
		path := sqlite.Path("data", cfg.SQLiteDatabase)
		st, err := sqlite.Open(path)
		if err != nil {
			return nil, "", fmt.Errorf("opening SQLite database %s: %w", path, err)
		}
		abs, _ := filepath.Abs(path)
		return st, "sqlite " + abs, nil
	}
}

// serveOptions let demo reuse serve with its own store and banner.
type serveOptions struct {
	cfg    *config.Config
	store  storage.Store
	where  string
	banner func(addr string)
}

func serve(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer, opt *serveOptions) error {
	var (
		cfg     *config.Config
		notices []config.Notice
		err     error
	)
	if opt != nil && opt.cfg != nil {
		cfg = opt.cfg
	} else if cfg, notices, err = loadConfig(getenv); err != nil {
		return err
	}
	level := new(slog.LevelVar)
	level.Set(cfg.SlogLevel())
	logger := logx.New(stderr, level, getenv("LOG_FORMAT") == "json")
	for _, n := range notices {
		logger.Info(n.Text)
	}
	if cfg.AuthToken == "" {
		logger.Warn("AUTH_TOKEN is empty: admin log-in is refused until it is set (gb does not reuse the first ALLOWED_TOKENS entry as gemini-balance does)")
	}
	if len(cfg.AllowedTokens) == 0 && cfg.AuthToken == "" {
		logger.Warn("neither ALLOWED_TOKENS nor AUTH_TOKEN is set: every client request will be refused")
	}

	var store storage.Store
	var where string
	if opt != nil && opt.store != nil {
		store, where = opt.store, opt.where
	} else {
		if store, where, err = openStore(cfg); err != nil {
			return err
		}
		if src := getenv("GB_IMPORT_FROM"); src != "" {
			if err := importAtFirstStart(ctx, src, getenv("GB_IMPORT_LOGS"), store, logger); err != nil {
				store.Close()
				return err
			}
		}
		// Settings edited in the console override the environment, except
		// names listed in GB_ENV_AUTHORITATIVE.
		merged, notes, err := app.MergeStoredSettings(ctx, cfg, store, getenv)
		if err != nil {
			store.Close()
			return err
		}
		cfg = merged
		level.Set(cfg.SlogLevel())
		for _, n := range notes {
			logger.Info(n)
		}
	}
	a, err := app.New(ctx, cfg, store, logger)
	if err != nil {
		store.Close()
		return err
	}
	adminCtx, stopAdmin := context.WithCancel(context.Background())
	defer stopAdmin()
	a.EnableAdmin(adminCtx, app.AdminOptions{
		Getenv:  getenv,
		OnApply: func(c *config.Config) { level.Set(c.SlogLevel()) },
		Version: versionString(),
	})
	ln, err := net.Listen("tcp", net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)))
	if err != nil {
		a.Close(context.Background())
		return err
	}
	srv := &http.Server{
		Handler:           a.Handler(),
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		// No ReadTimeout/WriteTimeout: they would cut off long streams.
		// Upstream silence is bounded by TIME_OUT instead.
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	logger.Info("gbserver listening", "addr", ln.Addr().String(), "version", versionString(),
		"keys", a.Pool.Len(), "store", where)
	if opt != nil && opt.banner != nil {
		opt.banner(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	select {
	case err := <-errc:
		a.Close(context.Background())
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down: finishing in-flight requests", "timeout", cfg.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		logger.Warn("in-flight requests did not finish in time; closing them", "err", err)
		srv.Close()
	}
	fctx, fcancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer fcancel()
	if err := a.Close(fctx); err != nil {
		return fmt.Errorf("flushing on shutdown: %w", err)
	}
	st := a.Logs.Stats()
	logger.Info("stopped", "request_logs_written", st.Requests.Written, "error_logs_written", st.Errors.Written)
	return nil
}

// importCmd copies a gemini-balance database into the configured store.
func importCmd(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stdout)
	logs := fs.Bool("logs", false, "also import error and request logs")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: gbserver import [-logs] SOURCE (a gemini-balance SQLite file or MySQL DSN)")
	}
	cfg, _, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	src, err := gbimport.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer src.Close()
	store, where, err := openStore(cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	rep, err := gbimport.Import(ctx, src, store, gbimport.Options{ErrorLogs: *logs, RequestLogs: *logs})
	if err != nil {
		return fmt.Errorf("importing: %w", err)
	}
	fmt.Fprintf(stdout, "imported into %s:\n%s\n", where, rep)
	return nil
}

// importAtFirstStart imports a gemini-balance database (GB_IMPORT_FROM)
// when the store holds no key yet, so switching needs no separate step. A
// store that already has keys is left alone: the import happened before.
func importAtFirstStart(ctx context.Context, src, withLogs string, store storage.Store, logger *slog.Logger) error {
	keys, err := store.ListKeys(ctx)
	if err != nil {
		return err
	}
	if len(keys) > 0 {
		logger.Info("GB_IMPORT_FROM is set but the store already has keys: not importing again")
		return nil
	}
	db, err := gbimport.Open(src)
	if err != nil {
		return fmt.Errorf("GB_IMPORT_FROM: %w", err)
	}
	defer db.Close()
	logs := withLogs == "true" || withLogs == "1"
	rep, err := gbimport.Import(ctx, db, store, gbimport.Options{ErrorLogs: logs, RequestLogs: logs})
	if err != nil {
		return fmt.Errorf("GB_IMPORT_FROM: importing: %w", err)
	}
	logger.Info("imported a gemini-balance database at first start", "report", rep.String())
	return nil
}
