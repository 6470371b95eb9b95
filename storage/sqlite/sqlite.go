// Package sqlite is gb's default storage backend: a single SQLite database
// file, through database/sql and github.com/mattn/go-sqlite3 (cgo).
//
// The database runs in WAL mode with synchronous=NORMAL, a busy timeout and
// foreign keys on. Writes go through a pool of exactly one connection whose
// transactions begin IMMEDIATE, so concurrent writers queue in Go instead of
// failing with SQLITE_BUSY; reads use a separate pool of query-only
// connections and never wait for a writer.
//
// Times are stored as integer Unix milliseconds (UTC). The schema is
// versioned: Open applies pending migrations from the gb_schema_migrations
// table in one transaction.
package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	_ "github.com/mattn/go-sqlite3" // registers the "sqlite3" driver

	"github.com/geminibalance/gb/storage"
	"github.com/geminibalance/gb/storage/internal/sqlstore"
)

// DefaultName is the database file name used when SQLITE_DATABASE is unset.
const DefaultName = "default_db"

// BusyTimeout is how long a connection waits for a lock held by another
// process before failing with SQLITE_BUSY.
const BusyTimeout = 10 * time.Second

// Store is a storage.Store kept in one SQLite file. It is safe for
// concurrent use.
type Store struct {
	db   *sqlstore.Store
	path string
}

var _ storage.Store = (*Store)(nil)

// Path returns where gb keeps the database named name (SQLITE_DATABASE)
// under dataDir, as gemini-balance does with data/<name>: name is used as
// it is, extension or not, and an empty name means [DefaultName]. An
// absolute name is returned unchanged; an empty dataDir means "data".
func Path(dataDir, name string) string {
	if name == "" {
		name = DefaultName
	}
	if filepath.IsAbs(name) {
		return filepath.Clean(name)
	}
	if dataDir == "" {
		dataDir = "data"
	}
	return filepath.Join(dataDir, name)
}

// Open opens (creating it and its parent directory when missing) the
// SQLite database at path and brings its schema up to date. The special
// path ":memory:" gives a private in-memory database, gone on Close.
func Open(path string) (*Store, error) { return open(path, dialect) }

func open(path string, dialect sqlstore.Dialect) (*Store, error) {
	if path == "" {
		return nil, fmt.Errorf("storage/sqlite: empty path")
	}
	var w, r *sql.DB
	var err error
	if path == ":memory:" {
		// One connection: every connection to :memory: is its own database.
		w, err = sql.Open("sqlite3", "file::memory:?_foreign_keys=on&_txlock=immediate")
		if err != nil {
			return nil, fmt.Errorf("storage/sqlite: %w", err)
		}
		w.SetMaxOpenConns(1)
		w.SetMaxIdleConns(1)
		w.SetConnMaxLifetime(0)
		w.SetConnMaxIdleTime(0)
		r = w
	} else {
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, fmt.Errorf("storage/sqlite: %w", err)
		}
		if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
			return nil, fmt.Errorf("storage/sqlite: create directory: %w", err)
		}
		path = abs
		base := (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
		common := fmt.Sprintf("_busy_timeout=%d&_foreign_keys=on&_synchronous=NORMAL", BusyTimeout.Milliseconds())
		w, err = sql.Open("sqlite3", base+"?_journal_mode=WAL&_txlock=immediate&"+common)
		if err != nil {
			return nil, fmt.Errorf("storage/sqlite: %w", err)
		}
		w.SetMaxOpenConns(1)
		w.SetMaxIdleConns(1)
		w.SetConnMaxLifetime(0)
		w.SetConnMaxIdleTime(0)
		// Create the file and switch it to WAL before readers connect.
		if err := w.Ping(); err != nil {
			w.Close()
			return nil, fmt.Errorf("storage/sqlite: open %s: %w", path, err)
		}
		r, err = sql.Open("sqlite3", base+"?_query_only=1&"+common)
		if err != nil {
			w.Close()
			return nil, fmt.Errorf("storage/sqlite: %w", err)
		}
		n := max(4, runtime.GOMAXPROCS(0))
		r.SetMaxOpenConns(n)
		r.SetMaxIdleConns(n)
		r.SetConnMaxIdleTime(5 * time.Minute)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, err := sqlstore.New(ctx, w, r, dialect, "")
	if err != nil {
		w.Close()
		if r != w {
			r.Close()
		}
		return nil, err
	}
	return &Store{db: db, path: path}, nil
}

// FilePath returns the absolute path of the database file (":memory:" for
// an in-memory database).
func (s *Store) FilePath() string { return s.path }

// SchemaVersion returns the highest applied schema migration.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) { return s.db.SchemaVersion(ctx) }

// Close closes the database. It is safe to call more than once.
func (s *Store) Close() error { return s.db.Close() }

// ListKeys implements [storage.KeyStore].
func (s *Store) ListKeys(ctx context.Context) ([]storage.KeyRecord, error) { return s.db.ListKeys(ctx) }

// AddKeys implements [storage.KeyStore]. Empty strings are skipped.
func (s *Store) AddKeys(ctx context.Context, keys []string) (int, error) {
	return s.db.AddKeys(ctx, keys)
}

// DeleteKeys implements [storage.KeyStore].
func (s *Store) DeleteKeys(ctx context.Context, keys []string) (int, error) {
	return s.db.DeleteKeys(ctx, keys)
}

// SaveKeyStates implements [storage.KeyStore]. Expired per-model entries
// are dropped.
func (s *Store) SaveKeyStates(ctx context.Context, states map[string]storage.KeyState) error {
	return s.db.SaveKeyStates(ctx, states)
}

// WriteRequestLogs implements [storage.LogStore].
func (s *Store) WriteRequestLogs(ctx context.Context, logs []storage.RequestLog) error {
	return s.db.WriteRequestLogs(ctx, logs)
}

// WriteErrorLogs implements [storage.LogStore].
func (s *Store) WriteErrorLogs(ctx context.Context, logs []storage.ErrorLog) error {
	return s.db.WriteErrorLogs(ctx, logs)
}

// ListErrorLogs implements [storage.LogStore].
func (s *Store) ListErrorLogs(ctx context.Context, f storage.ErrorLogFilter) ([]storage.ErrorLog, int, error) {
	return s.db.ListErrorLogs(ctx, f)
}

// CountRequestLogs implements [storage.LogStore]; a zero bound is open.
func (s *Store) CountRequestLogs(ctx context.Context, from, to time.Time) (int, int, error) {
	return s.db.CountRequestLogs(ctx, from, to)
}

// DeleteLogsBefore implements [storage.LogStore].
func (s *Store) DeleteLogsBefore(ctx context.Context, requestsBefore, errorsBefore time.Time) (int64, int64, error) {
	return s.db.DeleteLogsBefore(ctx, requestsBefore, errorsBefore)
}

// ErrorLog implements [storage.LogStore].
func (s *Store) ErrorLog(ctx context.Context, id int64) (storage.ErrorLog, error) {
	return s.db.ErrorLog(ctx, id)
}

// DeleteErrorLogs implements [storage.LogStore].
func (s *Store) DeleteErrorLogs(ctx context.Context, ids []int64) (int64, error) {
	return s.db.DeleteErrorLogs(ctx, ids)
}

// ClearErrorLogs implements [storage.LogStore].
func (s *Store) ClearErrorLogs(ctx context.Context) (int64, error) { return s.db.ClearErrorLogs(ctx) }

// NearestErrorLog implements [storage.LogStore].
func (s *Store) NearestErrorLog(ctx context.Context, key string, at time.Time, window time.Duration, status int) (storage.ErrorLog, error) {
	return s.db.NearestErrorLog(ctx, key, at, window, status)
}

// Stats implements [storage.StatsStore].
func (s *Store) Stats(ctx context.Context, q storage.StatsQuery) ([]storage.StatsRow, error) {
	return s.db.Stats(ctx, q)
}

// StatsSeries implements [storage.StatsStore].
func (s *Store) StatsSeries(ctx context.Context, q storage.StatsQuery, step time.Duration) ([]storage.StatsPoint, error) {
	return s.db.StatsSeries(ctx, q, step)
}

// AttentionKeys implements [storage.StatsStore].
func (s *Store) AttentionKeys(ctx context.Context, from, to time.Time, status, limit int) ([]storage.AttentionKey, error) {
	return s.db.AttentionKeys(ctx, from, to, status, limit)
}

// Settings implements [storage.SettingsStore].
func (s *Store) Settings(ctx context.Context) (map[string]string, error) { return s.db.Settings(ctx) }

// PutSettings implements [storage.SettingsStore].
func (s *Store) PutSettings(ctx context.Context, values map[string]string) error {
	return s.db.PutSettings(ctx, values)
}

// DeleteSettings implements [storage.SettingsStore].
func (s *Store) DeleteSettings(ctx context.Context, names []string) error {
	return s.db.DeleteSettings(ctx, names)
}

var dialect = sqlstore.Dialect{
	Name: "sqlite",
	MigrationsTable: func(t sqlstore.Tables) string {
		return "CREATE TABLE IF NOT EXISTS " + t.Migrations +
			" (version INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '', applied_at INTEGER NOT NULL)"
	},
	Migrations: migrations,
	DoNothing: func(conflict, _ string) string {
		return " ON CONFLICT(" + conflict + ") DO NOTHING"
	},
	// UPDATE ... FROM (VALUES ...), SQLite 3.33 and later.
	BulkUpdate: func(table, key string, cols []string, rows int) string {
		set := make([]string, len(cols))
		for i, c := range cols {
			set[i] = fmt.Sprintf("%s = v.column%d", c, i+2)
		}
		return "UPDATE " + table + " SET " + strings.Join(set, ", ") +
			" FROM (VALUES " + placeholders(rows, len(cols)+1) + ") AS v WHERE " + table + "." + key + " = v.column1"
	},
	Upsert: func(conflict string, cols []string) string {
		set := make([]string, len(cols))
		for i, c := range cols {
			set[i] = c + " = excluded." + c
		}
		return " ON CONFLICT(" + conflict + ") DO UPDATE SET " + strings.Join(set, ", ")
	},
	IndexHint: func(index string) string { return " INDEXED BY " + index },
	UpsertAdd: func(conflict string, cols []string) string {
		set := make([]string, len(cols))
		for i, c := range cols {
			set[i] = c + " = " + c + " + excluded." + c
		}
		return " ON CONFLICT(" + conflict + ") DO UPDATE SET " + strings.Join(set, ", ")
	},
}

func migrations(t sqlstore.Tables) []sqlstore.Migration {
	return []sqlstore.Migration{{
		Version: 1,
		Name:    "initial schema",
		Stmts: []string{
			`CREATE TABLE IF NOT EXISTS ` + t.Keys + ` (
				id INTEGER PRIMARY KEY,
				api_key TEXT NOT NULL UNIQUE,
				added_at INTEGER NOT NULL,
				failures INTEGER NOT NULL DEFAULT 0,
				benched INTEGER NOT NULL DEFAULT 0,
				bench_reason TEXT NOT NULL DEFAULT '',
				benched_at INTEGER NOT NULL DEFAULT 0,
				models TEXT NOT NULL DEFAULT '',
				last_error_time INTEGER NOT NULL DEFAULT 0,
				last_error_status INTEGER,
				last_error_message TEXT,
				updated_at INTEGER NOT NULL DEFAULT 0
			)`,
			`CREATE TABLE IF NOT EXISTS ` + t.Requests + ` (
				id INTEGER PRIMARY KEY,
				time INTEGER NOT NULL,
				api_key TEXT NOT NULL DEFAULT '',
				model TEXT NOT NULL DEFAULT '',
				kind TEXT NOT NULL DEFAULT '',
				status INTEGER NOT NULL DEFAULT 0,
				success INTEGER NOT NULL DEFAULT 0,
				latency_ms INTEGER NOT NULL DEFAULT 0,
				prompt_tokens INTEGER NOT NULL DEFAULT 0,
				completion_tokens INTEGER NOT NULL DEFAULT 0,
				total_tokens INTEGER NOT NULL DEFAULT 0
			)`,
			`CREATE INDEX IF NOT EXISTS ` + t.Requests + `_time ON ` + t.Requests + ` (time)`,
			`CREATE INDEX IF NOT EXISTS ` + t.Requests + `_key_time ON ` + t.Requests + ` (api_key, time)`,
			`CREATE INDEX IF NOT EXISTS ` + t.Requests + `_status_time ON ` + t.Requests + ` (status, time)`,
			`CREATE TABLE IF NOT EXISTS ` + t.Errors + ` (
				id INTEGER PRIMARY KEY AUTOINCREMENT,
				time INTEGER NOT NULL,
				api_key TEXT NOT NULL DEFAULT '',
				model TEXT NOT NULL DEFAULT '',
				kind TEXT NOT NULL DEFAULT '',
				status INTEGER NOT NULL DEFAULT 0,
				message TEXT NOT NULL DEFAULT '',
				request_body BLOB
			)`,
			`CREATE INDEX IF NOT EXISTS ` + t.Errors + `_time ON ` + t.Errors + ` (time)`,
			`CREATE INDEX IF NOT EXISTS ` + t.Errors + `_key_time ON ` + t.Errors + ` (api_key, time)`,
			`CREATE INDEX IF NOT EXISTS ` + t.Errors + `_status ON ` + t.Errors + ` (status)`,
			`CREATE TABLE IF NOT EXISTS ` + t.Settings + ` (
				name TEXT PRIMARY KEY,
				value TEXT NOT NULL DEFAULT '',
				updated_at INTEGER NOT NULL DEFAULT 0
			)`,
		},
	}, {
		Version: 2,
		Name:    "request statistics buckets",
		Stmts: sqlstore.StatsMigration(t, []string{
			`CREATE TABLE IF NOT EXISTS ` + t.Stats + ` (
				span INTEGER NOT NULL,
				bucket INTEGER NOT NULL,
				api_key TEXT NOT NULL,
				model TEXT NOT NULL,
				calls INTEGER NOT NULL DEFAULT 0,
				successes INTEGER NOT NULL DEFAULT 0,
				failures INTEGER NOT NULL DEFAULT 0,
				status429 INTEGER NOT NULL DEFAULT 0,
				prompt_tokens INTEGER NOT NULL DEFAULT 0,
				completion_tokens INTEGER NOT NULL DEFAULT 0,
				total_tokens INTEGER NOT NULL DEFAULT 0,
				PRIMARY KEY (span, bucket, api_key, model)
			) WITHOUT ROWID`,
			`CREATE INDEX IF NOT EXISTS ` + t.Stats + `_key ON ` + t.Stats + ` (span, api_key, bucket)`,
		}, func(expr string, n int64) string { return fmt.Sprintf("(%s / %d)", expr, n) }),
	}, {
		Version: 3,
		Name:    "request statistics per key",
		Stmts: sqlstore.KeyStatsMigration(t, []string{
			`CREATE TABLE IF NOT EXISTS ` + t.KeyStats + ` (
				span INTEGER NOT NULL,
				bucket INTEGER NOT NULL,
				api_key TEXT NOT NULL,
				calls INTEGER NOT NULL DEFAULT 0,
				successes INTEGER NOT NULL DEFAULT 0,
				failures INTEGER NOT NULL DEFAULT 0,
				status429 INTEGER NOT NULL DEFAULT 0,
				prompt_tokens INTEGER NOT NULL DEFAULT 0,
				completion_tokens INTEGER NOT NULL DEFAULT 0,
				total_tokens INTEGER NOT NULL DEFAULT 0,
				PRIMARY KEY (span, bucket, api_key)
			) WITHOUT ROWID`,
			`CREATE INDEX IF NOT EXISTS ` + t.KeyStats + `_key ON ` + t.KeyStats + ` (span, api_key, bucket)`,
		},
			// Statistics come from the buckets: nothing reads request logs
			// by key any more, and this index cost a scattered write per log.
			`DROP INDEX IF EXISTS `+t.Requests+`_key_time`,
		),
	}}
}

func placeholders(rows, cols int) string {
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", cols), ",") + ")"
	return strings.TrimSuffix(strings.Repeat(one+",", rows), ",")
}
