// Package mysql is gb's MySQL/MariaDB storage backend, through database/sql
// and github.com/go-sql-driver/mysql. It is tested on MariaDB 10.11.
//
// Times are stored as BIGINT Unix milliseconds (UTC), exactly as the SQLite
// backend stores them. Tables are InnoDB, utf8mb4 with binary collation (so
// keys, model names and setting names compare case-sensitively, as in
// SQLite). The schema is versioned: Open applies pending migrations listed
// in the <prefix>schema_migrations table, holding a named lock
// (GET_LOCK) so that processes starting together do not race.
package mysql

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	driver "github.com/go-sql-driver/mysql"

	"github.com/geminibalance/gb/storage"
	"github.com/geminibalance/gb/storage/internal/sqlstore"
)

// DefaultTablePrefix is the prefix of every table name unless
// [Config.TablePrefix] or [WithTablePrefix] says otherwise.
const DefaultTablePrefix = "gb_"

// Config says where the database is (gemini-balance's MYSQL_* settings).
type Config struct {
	// Host and Port locate the server over TCP (defaults 127.0.0.1, 3306).
	Host string
	Port int
	// User and Password authenticate.
	User     string
	Password string
	// Database is the schema to use; it must exist.
	Database string
	// Socket, when set, is a Unix socket path used instead of Host/Port.
	Socket string
	// TablePrefix is prepended to every table name; empty means
	// [DefaultTablePrefix]. It lets several stores share one database.
	TablePrefix string
}

// DSN returns the go-sql-driver data source name for c, with parseTime,
// UTC location and utf8mb4.
func (c Config) DSN() string {
	dc := driver.NewConfig()
	dc.User, dc.Passwd, dc.DBName = c.User, c.Password, c.Database
	if c.Socket != "" {
		dc.Net, dc.Addr = "unix", c.Socket
	} else {
		host, port := c.Host, c.Port
		if host == "" {
			host = "127.0.0.1"
		}
		if port == 0 {
			port = 3306
		}
		dc.Net, dc.Addr = "tcp", net.JoinHostPort(host, strconv.Itoa(port))
	}
	applyDefaults(dc)
	return dc.FormatDSN()
}

// Option changes how [OpenDSN] opens a store.
type Option func(*options)

type options struct{ prefix string }

// WithTablePrefix sets the table-name prefix (default [DefaultTablePrefix]).
func WithTablePrefix(prefix string) Option { return func(o *options) { o.prefix = prefix } }

// Store is a storage.Store kept in a MySQL or MariaDB database. It is safe
// for concurrent use.
type Store struct {
	db *sqlstore.Store
}

var _ storage.Store = (*Store)(nil)

// Open connects to the database cfg describes, checks that it answers and
// brings the schema up to date.
func Open(cfg Config) (*Store, error) {
	return OpenDSN(cfg.DSN(), WithTablePrefix(cfg.TablePrefix))
}

// OpenDSN is [Open] for a go-sql-driver DSN such as
// "user:pass@tcp(127.0.0.1:3306)/gb". parseTime, a UTC location and a
// utf8mb4 collation are forced; other parameters are kept.
func OpenDSN(dsn string, opts ...Option) (*Store, error) { return openDSN(dsn, 0, opts...) }

// openDSN is OpenDSN applying the migrations up to version only (all of
// them when 0), for upgrade tests.
func openDSN(dsn string, version int, opts ...Option) (*Store, error) {
	var o options
	for _, f := range opts {
		f(&o)
	}
	if o.prefix == "" {
		o.prefix = DefaultTablePrefix
	}
	if err := checkPrefix(o.prefix); err != nil {
		return nil, err
	}
	dc, err := driver.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("storage/mysql: %w", err)
	}
	if dc.DBName == "" {
		return nil, errors.New("storage/mysql: no database named in the DSN")
	}
	applyDefaults(dc)
	conn, err := driver.NewConnector(dc)
	if err != nil {
		return nil, fmt.Errorf("storage/mysql: %w", err)
	}
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(20)
	db.SetMaxIdleConns(10)
	db.SetConnMaxLifetime(30 * time.Minute)
	db.SetConnMaxIdleTime(5 * time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("storage/mysql: connect to %s: %w", dc.Addr, err)
	}
	d := dialect(dc.DBName)
	if version > 0 {
		d.Migrations = func(t sqlstore.Tables) []sqlstore.Migration { return migrations(t)[:version] }
	}
	s, err := sqlstore.New(ctx, db, db, d, o.prefix)
	if err != nil {
		db.Close()
		return nil, err
	}
	return &Store{db: s}, nil
}

func applyDefaults(dc *driver.Config) {
	dc.ParseTime = true
	dc.Loc = time.UTC
	if dc.Collation == "" || !strings.HasPrefix(dc.Collation, "utf8mb4") {
		dc.Collation = "utf8mb4_general_ci"
	}
	// Client-side interpolation: one round trip per statement instead of
	// prepare+execute+close. Safe with utf8mb4.
	dc.InterpolateParams = true
	if dc.Timeout == 0 {
		dc.Timeout = 10 * time.Second
	}
}

func checkPrefix(p string) error {
	for _, r := range p {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return fmt.Errorf("storage/mysql: table prefix %q: only letters, digits and _ allowed", p)
		}
	}
	if len(p) > 40 {
		return fmt.Errorf("storage/mysql: table prefix %q is longer than 40 bytes", p)
	}
	return nil
}

// TablePrefix returns the prefix of the store's table names.
func (s *Store) TablePrefix() string { return s.db.Tables().Prefix }

// DropTables drops every table of the store (all data is lost) and closes
// it. It is meant for tests that use a private [Config.TablePrefix].
func (s *Store) DropTables(ctx context.Context) error {
	t := s.db.Tables()
	_, err := s.db.DB().ExecContext(ctx, "DROP TABLE IF EXISTS "+
		strings.Join([]string{t.Keys, t.Requests, t.Errors, t.Settings, t.Stats, t.KeyStats, t.Migrations}, ", "))
	return errors.Join(err, s.Close())
}

// SchemaVersion returns the highest applied schema migration.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) { return s.db.SchemaVersion(ctx) }

// Close closes the connection pool. It is safe to call more than once.
func (s *Store) Close() error { return s.db.Close() }

// ListKeys implements [storage.KeyStore].
func (s *Store) ListKeys(ctx context.Context) ([]storage.KeyRecord, error) { return s.db.ListKeys(ctx) }

// AddKeys implements [storage.KeyStore]. Empty strings are skipped; a key
// longer than 255 characters is an error.
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

// WriteRequestLogs implements [storage.LogStore]. Key, model and kind are
// cut to 255 bytes.
func (s *Store) WriteRequestLogs(ctx context.Context, logs []storage.RequestLog) error {
	return s.db.WriteRequestLogs(ctx, logs)
}

// WriteErrorLogs implements [storage.LogStore]. Key, model and kind are cut
// to 255 bytes.
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

// DeleteLogsBefore implements [storage.LogStore]. Rows go in chunks of
// 10,000 so that a large purge does not hold locks for long.
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

// ClearErrorLogs implements [storage.LogStore]. Rows go in chunks of
// 10,000.
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

// PutSettings implements [storage.SettingsStore]. Names are at most 191
// characters.
func (s *Store) PutSettings(ctx context.Context, values map[string]string) error {
	return s.db.PutSettings(ctx, values)
}

// DeleteSettings implements [storage.SettingsStore].
func (s *Store) DeleteSettings(ctx context.Context, names []string) error {
	return s.db.DeleteSettings(ctx, names)
}

func dialect(dbName string) sqlstore.Dialect {
	return sqlstore.Dialect{
		Name: "mysql",
		MigrationsTable: func(t sqlstore.Tables) string {
			return "CREATE TABLE IF NOT EXISTS " + t.Migrations +
				" (version INT NOT NULL PRIMARY KEY, name VARCHAR(255) NOT NULL DEFAULT '', applied_at BIGINT NOT NULL)" + tableOpts
		},
		Migrations: migrations,
		LockMigrations: func(ctx context.Context, conn *sql.Conn, t sqlstore.Tables) (func(), error) {
			sum := sha256.Sum256([]byte(dbName + "\x00" + t.Prefix))
			name := "gb_migrate_" + hex.EncodeToString(sum[:16])
			var got sql.NullInt64
			if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, 60)", name).Scan(&got); err != nil {
				return nil, err
			}
			if got.Int64 != 1 {
				return nil, fmt.Errorf("timed out waiting for lock %s", name)
			}
			return func() {
				_, _ = conn.ExecContext(context.Background(), "DO RELEASE_LOCK(?)", name)
			}, nil
		},
		DoNothing: func(_, anyCol string) string {
			return " ON DUPLICATE KEY UPDATE " + anyCol + " = " + anyCol
		},
		Upsert: func(_ string, cols []string) string {
			set := make([]string, len(cols))
			for i, c := range cols {
				set[i] = c + " = VALUES(" + c + ")"
			}
			return " ON DUPLICATE KEY UPDATE " + strings.Join(set, ", ")
		},
		IndexHint:         func(index string) string { return " FORCE INDEX (" + index + ")" },
		PrimaryKeyHint:    " FORCE INDEX (PRIMARY)",
		GroupKeysInClient: true,
		UpsertAdd: func(_ string, cols []string) string {
			set := make([]string, len(cols))
			for i, c := range cols {
				set[i] = c + " = " + c + " + VALUES(" + c + ")"
			}
			return " ON DUPLICATE KEY UPDATE " + strings.Join(set, ", ")
		},
		// UPDATE ... JOIN a derived table of the rows; the first SELECT
		// names the columns.
		BulkUpdate: func(table, key string, cols []string, rows int) string {
			var b strings.Builder
			b.WriteString("UPDATE " + table + " AS t JOIN (SELECT ? COLLATE utf8mb4_bin AS k")
			for _, c := range cols {
				b.WriteString(", ? AS " + c)
			}
			more := ", " + strings.TrimSuffix(strings.Repeat("?,", len(cols)+1), ",")
			more = " UNION ALL SELECT" + more[1:]
			for range rows - 1 {
				b.WriteString(more)
			}
			b.WriteString(") AS v ON t." + key + " = v.k SET ")
			for i, c := range cols {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString("t." + c + " = v." + c)
			}
			return b.String()
		},
		TxIsolation: sql.LevelReadCommitted,
		Retryable: func(err error) bool {
			var me *driver.MySQLError
			// 1213 deadlock, 1205 lock wait timeout.
			return errors.As(err, &me) && (me.Number == 1213 || me.Number == 1205)
		},
		DeleteLimit:    10000,
		MaxStringBytes: 255,
	}
}

// dropIndexIfExists returns statements dropping an index when it exists,
// in MySQL and MariaDB alike (MySQL has no DROP INDEX IF EXISTS), so that
// a half-applied migration runs again. The prefix of table is checked
// (letters, digits and _), so the names need no escaping.
func dropIndexIfExists(table, index string) []string {
	return []string{
		"SET @gb_drop = (SELECT IF(COUNT(*) > 0, 'ALTER TABLE " + table + " DROP INDEX " + index + "', 'DO 0')" +
			" FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = '" + table +
			"' AND index_name = '" + index + "')",
		"PREPARE gb_drop FROM @gb_drop",
		"EXECUTE gb_drop",
		"DEALLOCATE PREPARE gb_drop",
	}
}

const tableOpts = " ENGINE=InnoDB ROW_FORMAT=DYNAMIC DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"

func migrations(t sqlstore.Tables) []sqlstore.Migration {
	return []sqlstore.Migration{{
		Version: 1,
		Name:    "initial schema",
		Stmts: []string{
			`CREATE TABLE IF NOT EXISTS ` + t.Keys + ` (
				id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
				api_key VARCHAR(255) NOT NULL,
				added_at BIGINT NOT NULL,
				failures INT NOT NULL DEFAULT 0,
				benched TINYINT(1) NOT NULL DEFAULT 0,
				bench_reason TEXT NULL,
				benched_at BIGINT NOT NULL DEFAULT 0,
				models MEDIUMTEXT NULL,
				last_error_time BIGINT NOT NULL DEFAULT 0,
				last_error_status INT NULL,
				last_error_message MEDIUMTEXT NULL,
				updated_at BIGINT NOT NULL DEFAULT 0,
				UNIQUE KEY ` + t.Keys + `_api_key (api_key)
			)` + tableOpts,
			`CREATE TABLE IF NOT EXISTS ` + t.Requests + ` (
				id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
				time BIGINT NOT NULL,
				api_key VARCHAR(255) NOT NULL DEFAULT '',
				model VARCHAR(255) NOT NULL DEFAULT '',
				kind VARCHAR(255) NOT NULL DEFAULT '',
				status INT NOT NULL DEFAULT 0,
				success TINYINT(1) NOT NULL DEFAULT 0,
				latency_ms BIGINT NOT NULL DEFAULT 0,
				prompt_tokens INT NOT NULL DEFAULT 0,
				completion_tokens INT NOT NULL DEFAULT 0,
				total_tokens INT NOT NULL DEFAULT 0,
				KEY ` + t.Requests + `_time (time),
				KEY ` + t.Requests + `_key_time (api_key, time),
				KEY ` + t.Requests + `_status_time (status, time)
			)` + tableOpts,
			`CREATE TABLE IF NOT EXISTS ` + t.Errors + ` (
				id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
				time BIGINT NOT NULL,
				api_key VARCHAR(255) NOT NULL DEFAULT '',
				model VARCHAR(255) NOT NULL DEFAULT '',
				kind VARCHAR(255) NOT NULL DEFAULT '',
				status INT NOT NULL DEFAULT 0,
				message MEDIUMTEXT NOT NULL,
				request_body LONGBLOB NULL,
				KEY ` + t.Errors + `_time (time),
				KEY ` + t.Errors + `_key_time (api_key, time),
				KEY ` + t.Errors + `_status (status)
			)` + tableOpts,
			`CREATE TABLE IF NOT EXISTS ` + t.Settings + ` (
				name VARCHAR(191) NOT NULL PRIMARY KEY,
				value MEDIUMTEXT NOT NULL,
				updated_at BIGINT NOT NULL DEFAULT 0
			)` + tableOpts,
		},
	}, {
		Version: 2,
		Name:    "request statistics buckets",
		Stmts: sqlstore.StatsMigration(t, []string{
			`CREATE TABLE IF NOT EXISTS ` + t.Stats + ` (
				span INT NOT NULL,
				bucket BIGINT NOT NULL,
				api_key VARCHAR(255) NOT NULL,
				model VARCHAR(255) NOT NULL,
				calls BIGINT NOT NULL DEFAULT 0,
				successes BIGINT NOT NULL DEFAULT 0,
				failures BIGINT NOT NULL DEFAULT 0,
				status429 BIGINT NOT NULL DEFAULT 0,
				prompt_tokens BIGINT NOT NULL DEFAULT 0,
				completion_tokens BIGINT NOT NULL DEFAULT 0,
				total_tokens BIGINT NOT NULL DEFAULT 0,
				PRIMARY KEY (span, bucket, api_key, model),
				KEY ` + t.Stats + `_key (span, api_key, bucket)
			)` + tableOpts,
		}, func(expr string, n int64) string { return fmt.Sprintf("(%s DIV %d)", expr, n) }),
	}, {
		Version: 3,
		Name:    "request statistics per key",
		Stmts: sqlstore.KeyStatsMigration(t, []string{
			`CREATE TABLE IF NOT EXISTS ` + t.KeyStats + ` (
				span INT NOT NULL,
				bucket BIGINT NOT NULL,
				api_key VARCHAR(255) NOT NULL,
				calls BIGINT NOT NULL DEFAULT 0,
				successes BIGINT NOT NULL DEFAULT 0,
				failures BIGINT NOT NULL DEFAULT 0,
				status429 BIGINT NOT NULL DEFAULT 0,
				prompt_tokens BIGINT NOT NULL DEFAULT 0,
				completion_tokens BIGINT NOT NULL DEFAULT 0,
				total_tokens BIGINT NOT NULL DEFAULT 0,
				PRIMARY KEY (span, bucket, api_key),
				KEY ` + t.KeyStats + `_key (span, api_key, bucket)
			)` + tableOpts,
		},
			// Statistics come from the buckets: nothing reads request logs
			// by key any more, and this index cost a scattered write per log.
			dropIndexIfExists(t.Requests, t.Requests+"_key_time")...),
	}}
}
