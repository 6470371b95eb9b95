// Package sqlstore is the database/sql implementation of storage.Store
// shared by the SQLite and MySQL/MariaDB backends. A backend supplies a
// [Dialect] (schema and the few statements that differ) and the connection
// pools; this package does the rest.
//
// Times are stored as integer Unix milliseconds in UTC, 0 meaning the zero
// time, in every dialect.
package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/geminibalance/gb/storage"
)

// Tables holds the table names of one store, all sharing a prefix.
type Tables struct {
	// Prefix is what every name starts with ("gb_" by default).
	Prefix string
	// Migrations lists applied schema versions.
	Migrations string
	// Keys holds pooled keys and their state.
	Keys string
	// Requests holds request logs.
	Requests string
	// Errors holds error logs.
	Errors string
	// Settings holds edited settings.
	Settings string
	// Stats holds request statistics buckets per key and model, and for
	// all keys together (api_key = '').
	Stats string
	// KeyStats holds request statistics buckets per key, all models
	// together (schema version 3).
	KeyStats string
}

// NewTables returns the table names for prefix ("gb_" when empty).
func NewTables(prefix string) Tables {
	if prefix == "" {
		prefix = "gb_"
	}
	return Tables{
		Prefix:     prefix,
		Migrations: prefix + "schema_migrations",
		Keys:       prefix + "keys",
		Requests:   prefix + "request_logs",
		Errors:     prefix + "error_logs",
		Settings:   prefix + "settings",
		Stats:      prefix + "request_stats",
		KeyStats:   prefix + "request_key_stats",
	}
}

// Migration is one schema step. Its statements run in order; Version
// numbers start at 1 and increase by one.
type Migration struct {
	// Version is the step's number, recorded once applied.
	Version int
	// Name says what the step does.
	Name string
	// Stmts run in order, in the migration transaction.
	Stmts []string
}

// Dialect is what differs between SQL engines.
type Dialect struct {
	// Name is the engine's name, used in errors.
	Name string
	// MigrationsTable returns the CREATE TABLE IF NOT EXISTS statement for
	// the migrations table.
	MigrationsTable func(t Tables) string
	// Migrations returns the schema steps in order.
	Migrations func(t Tables) []Migration
	// LockMigrations serialises schema changes between processes on conn.
	// It may be nil when the migration transaction itself is exclusive.
	LockMigrations func(ctx context.Context, conn *sql.Conn, t Tables) (release func(), err error)
	// DoNothing is appended to an INSERT to skip rows whose unique column
	// conflict exists, so that RowsAffected counts only inserted rows.
	DoNothing func(conflict, anyCol string) string
	// Upsert is appended to an INSERT to update cols on a unique conflict.
	Upsert func(conflict string, cols []string) string
	// IndexHint returns the clause placed after a table name to make the
	// engine use the named index ("" for none).
	IndexHint func(index string) string
	// GroupKeysInClient makes rows per key (and model) be summed here
	// from the buckets rather than by the engine: MariaDB groups
	// VARCHAR(255) columns in a temporary table of fixed-width rows, which
	// took ~100 ms for a day of 500 keys and 5 models.
	GroupKeysInClient bool
	// PrimaryKeyHint is placed after a table name to make the engine read
	// a range of its primary key ("" when the engine picks it unaided).
	PrimaryKeyHint string
	// UpsertAdd is appended to an INSERT to add the inserted values of
	// cols to the existing row's on a unique conflict.
	UpsertAdd func(conflict string, cols []string) string
	// BulkUpdate returns one statement updating cols of the rows of table
	// whose column key matches, from rows rows of arguments, each ordered
	// key, cols... Rows without a match are ignored.
	BulkUpdate func(table, key string, cols []string, rows int) string
	// DeleteLimit, when positive, makes large deletes run in chunks of
	// this many rows (DELETE ... LIMIT n).
	DeleteLimit int
	// TxIsolation is the isolation level of write transactions
	// (sql.LevelDefault to leave the engine's default).
	TxIsolation sql.IsolationLevel
	// Retryable reports errors after which a write transaction is run
	// again (deadlocks, lock wait timeouts). It may be nil.
	Retryable func(error) bool
	// MaxStringBytes caps indexed string columns of log rows (model, kind,
	// key); longer values are cut on a rune boundary. 0 means no cap.
	MaxStringBytes int
}

// Store is a storage.Store over database/sql.
type Store struct {
	w, r      *sql.DB
	d         Dialect
	t         Tables
	closeOnce sync.Once
	closeErr  error
}

var _ storage.Store = (*Store)(nil)

// chunk sizes: rows per multi-row statement. They keep every statement
// under SQLite's and MySQL's placeholder limits.
const (
	keyChunk     = 500
	logChunk     = 500
	errBodyChunk = 4 << 20 // bytes of message+body per error-log statement
	// maxStmtArgs caps the placeholders of one bulk statement: SQLite
	// allows 32,766 (SQLITE_MAX_VARIABLE_NUMBER since 3.32), MySQL 65,535.
	maxStmtArgs = 30000
	// maxStmtBytes caps the estimated size of one bulk statement, far
	// under MySQL's max_allowed_packet (4 MiB at the least; 16 MiB on
	// MariaDB 10.11 by default) even when every string needs escaping.
	maxStmtBytes = 1 << 20
)

// New wraps the writer pool w and reader pool r (which may be the same),
// applies pending migrations and returns the store. On error the caller
// still owns the pools.
func New(ctx context.Context, w, r *sql.DB, d Dialect, prefix string) (*Store, error) {
	s := &Store{w: w, r: r, d: d, t: NewTables(prefix)}
	if err := s.migrate(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Tables returns the table names in use.
func (s *Store) Tables() Tables { return s.t }

// Close closes both pools. It is safe to call more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		err := s.w.Close()
		if s.r != s.w {
			err = errors.Join(err, s.r.Close())
		}
		s.closeErr = err
	})
	return s.closeErr
}

func (s *Store) errf(format string, args ...any) error {
	return fmt.Errorf("storage/"+s.d.Name+": "+format, args...)
}

// migrate applies the migrations the database lacks, in order, inside one
// transaction (MySQL commits DDL implicitly; there the advisory lock and
// IF NOT EXISTS make a half-applied step safe to re-run).
func (s *Store) migrate(ctx context.Context) (err error) {
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return s.errf("connect: %w", err)
	}
	defer conn.Close()
	if s.d.LockMigrations != nil {
		release, err := s.d.LockMigrations(ctx, conn, s.t)
		if err != nil {
			return s.errf("lock migrations: %w", err)
		}
		defer release()
	}
	if _, err := conn.ExecContext(ctx, s.d.MigrationsTable(s.t)); err != nil {
		return s.errf("create %s: %w", s.t.Migrations, err)
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return s.errf("begin migration: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	applied := map[int]bool{}
	rows, err := tx.QueryContext(ctx, "SELECT version FROM "+s.t.Migrations)
	if err != nil {
		return s.errf("read %s: %w", s.t.Migrations, err)
	}
	maxApplied := 0
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return s.errf("read %s: %w", s.t.Migrations, err)
		}
		applied[v] = true
		maxApplied = max(maxApplied, v)
	}
	if err := rows.Err(); err != nil {
		return s.errf("read %s: %w", s.t.Migrations, err)
	}
	rows.Close()
	migs := s.d.Migrations(s.t)
	if n := len(migs); maxApplied > n {
		return s.errf("database schema version %d is newer than this program knows (%d)", maxApplied, n)
	}
	for i, m := range migs {
		if m.Version != i+1 {
			return s.errf("migration %q has version %d, want %d", m.Name, m.Version, i+1)
		}
		if applied[m.Version] {
			continue
		}
		for _, q := range m.Stmts {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return s.errf("migration %d (%s): %w", m.Version, m.Name, err)
			}
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO "+s.t.Migrations+" (version, name, applied_at) VALUES (?, ?, ?)",
			m.Version, m.Name, time.Now().UnixMilli()); err != nil {
			return s.errf("record migration %d: %w", m.Version, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return s.errf("commit migrations: %w", err)
	}
	return nil
}

// SchemaVersion returns the highest applied migration version.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v sql.NullInt64
	if err := s.r.QueryRowContext(ctx, "SELECT MAX(version) FROM "+s.t.Migrations).Scan(&v); err != nil {
		return 0, s.errf("schema version: %w", err)
	}
	return int(v.Int64), nil
}

// ---- helpers ----

func toMS(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

func placeholders(rows, cols int) string {
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", cols), ",") + ")"
	var b strings.Builder
	b.Grow(rows * (len(one) + 1))
	for i := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(one)
	}
	return b.String()
}

func inList(n int) string {
	return "(" + strings.TrimSuffix(strings.Repeat("?,", n), ",") + ")"
}

// dedupe returns keys without empty strings and repeats, first occurrence
// kept.
func dedupe(keys []string) []string {
	seen := make(map[string]struct{}, len(keys))
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		if k == "" {
			continue
		}
		if _, ok := seen[k]; ok {
			continue
		}
		seen[k] = struct{}{}
		out = append(out, k)
	}
	return out
}

func (s *Store) cut(v string) string {
	n := s.d.MaxStringBytes
	if n <= 0 || len(v) <= n {
		return v
	}
	for n > 0 && !utf8.RuneStart(v[n]) {
		n--
	}
	return v[:n]
}

// inTx runs f in a write transaction, running it again (up to three
// times in all) when the dialect calls the error retryable. f must start
// from scratch on every call.
func (s *Store) inTx(ctx context.Context, f func(tx *sql.Tx) error) error {
	var err error
	for attempt := range 3 {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return err
			case <-time.After(time.Duration(attempt*attempt) * 20 * time.Millisecond):
			}
		}
		err = s.tryTx(ctx, f)
		if err == nil || s.d.Retryable == nil || !s.d.Retryable(err) {
			return err
		}
	}
	return err
}

func (s *Store) tryTx(ctx context.Context, f func(tx *sql.Tx) error) error {
	var opts *sql.TxOptions
	if s.d.TxIsolation != sql.LevelDefault {
		opts = &sql.TxOptions{Isolation: s.d.TxIsolation}
	}
	tx, err := s.w.BeginTx(ctx, opts)
	if err != nil {
		return s.errf("begin: %w", err)
	}
	if err := f(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return s.errf("commit: %w", err)
	}
	return nil
}

func affected(res sql.Result) int64 {
	n, err := res.RowsAffected()
	if err != nil {
		return 0
	}
	return n
}

// ---- keys ----

type modelJSON struct {
	Until  int64  `json:"until,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// EncodeModels is the JSON text stored for a per-model map: expired entries
// (a non-zero Until before now) are dropped, and an empty result is "".
func EncodeModels(m map[string]storage.ModelState, now time.Time) (string, error) {
	if len(m) == 0 {
		return "", nil
	}
	out := make(map[string]modelJSON, len(m))
	for k, v := range m {
		if !v.Until.IsZero() && v.Until.Before(now) {
			continue
		}
		out[k] = modelJSON{Until: toMS(v.Until), Reason: v.Reason}
	}
	if len(out) == 0 {
		return "", nil
	}
	b, err := json.Marshal(out)
	return string(b), err
}

// DecodeModels parses text written by [EncodeModels]; "" gives nil.
func DecodeModels(text string) (map[string]storage.ModelState, error) {
	if text == "" {
		return nil, nil
	}
	var in map[string]modelJSON
	if err := json.Unmarshal([]byte(text), &in); err != nil {
		return nil, err
	}
	if len(in) == 0 {
		return nil, nil
	}
	out := make(map[string]storage.ModelState, len(in))
	for k, v := range in {
		out[k] = storage.ModelState{Until: fromMS(v.Until), Reason: v.Reason}
	}
	return out, nil
}

const keyCols = "api_key, added_at, failures, benched, bench_reason, benched_at, models, last_error_time, last_error_status, last_error_message, updated_at"

// ListKeys returns every stored key in insertion order.
func (s *Store) ListKeys(ctx context.Context) ([]storage.KeyRecord, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT "+keyCols+" FROM "+s.t.Keys+" ORDER BY id")
	if err != nil {
		return nil, s.errf("list keys: %w", err)
	}
	defer rows.Close()
	var out []storage.KeyRecord
	for rows.Next() {
		var (
			r                                 storage.KeyRecord
			added, benchedAt, leTime, updated int64
			benched                           bool
			reason, models, leMsg             sql.NullString
			leStatus                          sql.NullInt64
			failures                          int64
		)
		if err := rows.Scan(&r.Key, &added, &failures, &benched, &reason, &benchedAt, &models,
			&leTime, &leStatus, &leMsg, &updated); err != nil {
			return nil, s.errf("list keys: %w", err)
		}
		r.AddedAt = fromMS(added)
		r.State = storage.KeyState{
			Failures:    int(failures),
			Benched:     benched,
			BenchReason: reason.String,
			BenchedAt:   fromMS(benchedAt),
			UpdatedAt:   fromMS(updated),
		}
		if r.State.Models, err = DecodeModels(models.String); err != nil {
			return nil, s.errf("key state models: %w", err)
		}
		if leStatus.Valid {
			r.State.LastError = &storage.LastError{Time: fromMS(leTime), Status: int(leStatus.Int64), Message: leMsg.String}
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, s.errf("list keys: %w", err)
	}
	return out, nil
}

// AddKeys stores keys not stored yet, in order, and returns how many were
// new. Empty strings and repeats are skipped.
func (s *Store) AddKeys(ctx context.Context, keys []string) (int, error) {
	keys = dedupe(keys)
	if len(keys) == 0 {
		return 0, nil
	}
	now := time.Now().UnixMilli()
	var added int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		added = 0
		for c := range slices.Chunk(keys, keyChunk) {
			q := "INSERT INTO " + s.t.Keys + " (api_key, added_at, updated_at) VALUES " +
				placeholders(len(c), 3) + s.d.DoNothing("api_key", "added_at")
			args := make([]any, 0, 3*len(c))
			for _, k := range c {
				args = append(args, k, now, 0)
			}
			res, err := tx.ExecContext(ctx, q, args...)
			if err != nil {
				return s.errf("add keys: %w", err)
			}
			added += affected(res)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return int(added), nil
}

// DeleteKeys removes keys and returns how many existed.
func (s *Store) DeleteKeys(ctx context.Context, keys []string) (int, error) {
	keys = dedupe(keys)
	if len(keys) == 0 {
		return 0, nil
	}
	slices.Sort(keys) // a fixed lock order
	var n int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		n = 0
		for c := range slices.Chunk(keys, keyChunk) {
			args := make([]any, len(c))
			for i, k := range c {
				args[i] = k
			}
			res, err := tx.ExecContext(ctx, "DELETE FROM "+s.t.Keys+" WHERE api_key IN "+inList(len(c)), args...)
			if err != nil {
				return s.errf("delete keys: %w", err)
			}
			n += affected(res)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return int(n), nil
}

var stateUpdateCols = []string{"failures", "benched", "bench_reason", "benched_at", "models",
	"last_error_time", "last_error_status", "last_error_message", "updated_at"}

// SaveKeyStates replaces the state of stored keys; unknown keys are
// ignored. Each chunk of keys is one bulk UPDATE, so no row is inserted and
// no auto-increment value is used up.
func (s *Store) SaveKeyStates(ctx context.Context, states map[string]storage.KeyState) error {
	if len(states) == 0 {
		return nil
	}
	keys := make([]string, 0, len(states))
	for k := range states {
		if k != "" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys) // a fixed lock order
	now := time.Now()
	args := make([]any, 0, min(len(keys), keyChunk)*(1+len(stateUpdateCols)))
	return s.inTx(ctx, func(tx *sql.Tx) error {
		for c := range slices.Chunk(keys, keyChunk) {
			args = args[:0]
			for _, k := range c {
				st := states[k]
				models, err := EncodeModels(st.Models, now)
				if err != nil {
					return s.errf("save key states: models of a key: %w", err)
				}
				var leTime int64
				var leStatus, leMsg any
				if st.LastError != nil {
					leTime, leStatus, leMsg = toMS(st.LastError.Time), st.LastError.Status, st.LastError.Message
				}
				args = append(args, k, st.Failures, st.Benched, st.BenchReason, toMS(st.BenchedAt),
					models, leTime, leStatus, leMsg, toMS(st.UpdatedAt))
			}
			q := s.d.BulkUpdate(s.t.Keys, "api_key", stateUpdateCols, len(c))
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return s.errf("save key states: %w", err)
			}
		}
		return nil
	})
}

// ---- logs ----

// requestLogCols are the columns of a request log row, in argument order.
const requestLogCols = "time, api_key, model, kind, status, success, latency_ms, prompt_tokens, completion_tokens, total_tokens"

// rowOverhead is the bytes a bulk row takes besides its strings (numbers,
// quotes, commas and parentheses), for [maxStmtBytes].
const rowOverhead = 160

// WriteRequestLogs appends request logs and upserts their statistics
// buckets in one transaction: one multi-row INSERT per chunk of logs (a
// whole batch of the default 512 in one statement) and one multi-row
// upsert per statistics table and chunk.
func (s *Store) WriteRequestLogs(ctx context.Context, logs []storage.RequestLog) error {
	if len(logs) == 0 {
		return nil
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		const cols = 10
		args := make([]any, 0, min(len(logs), maxStmtArgs/cols)*cols)
		for start := 0; start < len(logs); {
			n, size := 0, 0
			for start+n < len(logs) && (n+1)*cols <= maxStmtArgs && (n == 0 || size < maxStmtBytes) {
				l := &logs[start+n]
				size += 2*(len(l.Key)+len(l.Model)+len(l.Kind)) + rowOverhead
				n++
			}
			args = args[:0]
			for _, l := range logs[start : start+n] {
				args = append(args, toMS(l.Time), s.cut(l.Key), s.cut(l.Model), s.cut(l.Kind), l.Status, l.Success,
					l.Latency.Milliseconds(), l.PromptTokens, l.CompletionTokens, l.TotalTokens)
			}
			q := "INSERT INTO " + s.t.Requests + " (" + requestLogCols + ") VALUES " + placeholders(n, cols)
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return s.errf("write request logs: %w", err)
			}
			start += n
		}
		return s.addStats(ctx, tx, logs)
	})
}

// WriteErrorLogs appends error logs in multi-row statements (bounded in
// rows and bytes) inside one transaction.
func (s *Store) WriteErrorLogs(ctx context.Context, logs []storage.ErrorLog) error {
	if len(logs) == 0 {
		return nil
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		rest := logs // f may run again: do not consume logs itself
		for len(rest) > 0 {
			n, size := 0, 0
			for n < len(rest) && n < logChunk && (n == 0 || size < errBodyChunk) {
				size += len(rest[n].Message) + len(rest[n].RequestBody)
				n++
			}
			c := rest[:n]
			rest = rest[n:]
			args := make([]any, 0, 8*len(c))
			for _, l := range c {
				var body any
				if len(l.RequestBody) > 0 {
					body = l.RequestBody
				}
				args = append(args, toMS(l.Time), s.cut(l.Key), s.cut(l.Model), s.cut(l.Kind), l.Status, l.Message, body)
			}
			q := "INSERT INTO " + s.t.Errors + " (time, api_key, model, kind, status, message, request_body) VALUES " +
				placeholders(len(c), 7)
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return s.errf("write error logs: %w", err)
			}
		}
		return nil
	})
}

// ListErrorLogs returns error logs matching f, newest first, and how many
// match in all.
func (s *Store) ListErrorLogs(ctx context.Context, f storage.ErrorLogFilter) ([]storage.ErrorLog, int, error) {
	var where []string
	var args []any
	add := func(cond string, v any) { where = append(where, cond); args = append(args, v) }
	if f.Key != "" {
		add("api_key = ?", f.Key)
	}
	if f.Model != "" {
		add("model = ?", f.Model)
	}
	if f.Kind != "" {
		add("kind = ?", f.Kind)
	}
	if f.Status != 0 {
		add("status = ?", f.Status)
	}
	if !f.From.IsZero() {
		add("time >= ?", toMS(f.From))
	}
	if !f.To.IsZero() {
		add("time < ?", toMS(f.To))
	}
	if f.KeyContains != "" {
		add("LOWER(api_key) LIKE ? ESCAPE '!'", likePattern(f.KeyContains))
	}
	if f.Text != "" {
		add("LOWER(message) LIKE ? ESCAPE '!'", likePattern(f.Text))
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	dir := " DESC"
	if f.Ascending {
		dir = " ASC"
	}
	order := " ORDER BY time" + dir + ", id" + dir
	if f.SortBy == "id" {
		order = " ORDER BY id" + dir
	}
	limit, offset := f.Limit, max(f.Offset, 0)
	if limit <= 0 {
		limit = 100
	}
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, 0, s.errf("list error logs: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only
	var total int
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+s.t.Errors+cond, args...).Scan(&total); err != nil {
		return nil, 0, s.errf("count error logs: %w", err)
	}
	rows, err := tx.QueryContext(ctx, "SELECT id, time, api_key, model, kind, status, message, request_body FROM "+
		s.t.Errors+cond+order+" LIMIT ? OFFSET ?", append(args, limit, offset)...)
	if err != nil {
		return nil, 0, s.errf("list error logs: %w", err)
	}
	defer rows.Close()
	out := []storage.ErrorLog{}
	for rows.Next() {
		var l storage.ErrorLog
		var tm int64
		var msg sql.NullString
		var body []byte
		if err := rows.Scan(&l.ID, &tm, &l.Key, &l.Model, &l.Kind, &l.Status, &msg, &body); err != nil {
			return nil, 0, s.errf("list error logs: %w", err)
		}
		l.Time, l.Message = fromMS(tm), msg.String
		if len(body) > 0 {
			l.RequestBody = body
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, s.errf("list error logs: %w", err)
	}
	return out, total, nil
}

// CountRequestLogs counts request logs in [from, to) (a zero bound is
// open) and how many succeeded.
func (s *Store) CountRequestLogs(ctx context.Context, from, to time.Time) (int, int, error) {
	var where []string
	var args []any
	if !from.IsZero() {
		where, args = append(where, "time >= ?"), append(args, toMS(from))
	}
	if !to.IsZero() {
		where, args = append(where, "time < ?"), append(args, toMS(to))
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var total, success sql.NullInt64
	err := s.r.QueryRowContext(ctx, "SELECT COUNT(*), SUM(CASE WHEN success THEN 1 ELSE 0 END) FROM "+s.t.Requests+cond, args...).
		Scan(&total, &success)
	if err != nil {
		return 0, 0, s.errf("count request logs: %w", err)
	}
	return int(total.Int64), int(success.Int64), nil
}

// DeleteLogsBefore deletes request and error logs older than the given
// times; a zero time leaves that kind alone.
func (s *Store) DeleteLogsBefore(ctx context.Context, requestsBefore, errorsBefore time.Time) (int64, int64, error) {
	del := func(table string, before time.Time) (int64, error) {
		if before.IsZero() {
			return 0, nil
		}
		q := "DELETE FROM " + table + " WHERE time < ?"
		if s.d.DeleteLimit <= 0 {
			res, err := s.w.ExecContext(ctx, q, toMS(before))
			if err != nil {
				return 0, s.errf("delete logs: %w", err)
			}
			return affected(res), nil
		}
		var n int64
		for {
			res, err := s.w.ExecContext(ctx, q+fmt.Sprintf(" LIMIT %d", s.d.DeleteLimit), toMS(before))
			if err != nil {
				return n, s.errf("delete logs: %w", err)
			}
			k := affected(res)
			n += k
			if k < int64(s.d.DeleteLimit) {
				return n, nil
			}
		}
	}
	reqs, err := del(s.t.Requests, requestsBefore)
	if err != nil {
		return reqs, 0, err
	}
	if !requestsBefore.IsZero() {
		for _, table := range []string{s.t.Stats, s.t.KeyStats} {
			for _, span := range spans {
				if _, err := s.deleteWhere(ctx, table, "span = ? AND bucket <= ?", span/1000, toMS(requestsBefore)-span); err != nil {
					return reqs, 0, err
				}
			}
		}
	}
	errs, err := del(s.t.Errors, errorsBefore)
	return reqs, errs, err
}

// ---- settings ----

// Settings returns every stored setting.
func (s *Store) Settings(ctx context.Context) (map[string]string, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT name, value FROM "+s.t.Settings)
	if err != nil {
		return nil, s.errf("settings: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k string
		var v sql.NullString
		if err := rows.Scan(&k, &v); err != nil {
			return nil, s.errf("settings: %w", err)
		}
		out[k] = v.String
	}
	if err := rows.Err(); err != nil {
		return nil, s.errf("settings: %w", err)
	}
	return out, nil
}

// PutSettings upserts the given settings.
func (s *Store) PutSettings(ctx context.Context, values map[string]string) error {
	if len(values) == 0 {
		return nil
	}
	names := make([]string, 0, len(values))
	for k := range values {
		names = append(names, k)
	}
	slices.Sort(names)
	now := time.Now().UnixMilli()
	return s.inTx(ctx, func(tx *sql.Tx) error {
		for c := range slices.Chunk(names, keyChunk) {
			args := make([]any, 0, 3*len(c))
			for _, k := range c {
				args = append(args, k, values[k], now)
			}
			q := "INSERT INTO " + s.t.Settings + " (name, value, updated_at) VALUES " + placeholders(len(c), 3) +
				s.d.Upsert("name", []string{"value", "updated_at"})
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return s.errf("put settings: %w", err)
			}
		}
		return nil
	})
}

// DeleteSettings removes the named settings.
func (s *Store) DeleteSettings(ctx context.Context, names []string) error {
	names = dedupe(names)
	if len(names) == 0 {
		return nil
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		for c := range slices.Chunk(names, keyChunk) {
			args := make([]any, len(c))
			for i, k := range c {
				args[i] = k
			}
			if _, err := tx.ExecContext(ctx, "DELETE FROM "+s.t.Settings+" WHERE name IN "+inList(len(c)), args...); err != nil {
				return s.errf("delete settings: %w", err)
			}
		}
		return nil
	})
}

// DB returns the writer pool, for backend-specific maintenance.
func (s *Store) DB() *sql.DB { return s.w }
