// Package gbimport reads an existing gemini-balance database (SQLite file
// or MySQL) and imports what gb can use into a storage.Store: the keys
// (API_KEYS in t_settings), the client and admin tokens and every other
// setting gb knows, and, when asked, the error and request logs.
//
// gemini-balance's schema (reference §8): t_settings(key, value, …),
// t_error_logs(gemini_key, model_name, error_type, error_log, error_code,
// request_msg, request_time) and t_request_log(request_time, model_name,
// api_key, is_success, status_code, latency_ms). Its times are naive
// local times; they are read in TIMEZONE (from t_settings, else
// Asia/Shanghai, gemini-balance's default) unless Options.Location says
// otherwise.
package gbimport

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	_ "github.com/go-sql-driver/mysql" // registers "mysql"
	_ "github.com/mattn/go-sqlite3"    // registers "sqlite3"

	"github.com/geminibalance/gb/internal/config"
	"github.com/geminibalance/gb/storage"
)

// Options say what to import.
type Options struct {
	// ErrorLogs imports t_error_logs.
	ErrorLogs bool
	// RequestLogs imports t_request_log (and so the statistics).
	RequestLogs bool
	// Location reads gemini-balance's naive times; nil means the
	// database's TIMEZONE setting, else Asia/Shanghai.
	Location *time.Location
}

// Report says what was imported.
type Report struct {
	// Keys is how many well-formed keys API_KEYS held; KeysAdded how many
	// were new to the store.
	Keys, KeysAdded int
	// Settings lists the settings stored (names only).
	Settings []string
	// Skipped maps settings not imported to the reason (never the value).
	Skipped map[string]string
	// ErrorLogs and RequestLogs count the imported log rows.
	ErrorLogs, RequestLogs int
}

// String summarises the report in one line.
func (r Report) String() string {
	return fmt.Sprintf("imported %d keys (%d new), %d settings (%d skipped), %d error logs, %d request logs",
		r.Keys, r.KeysAdded, len(r.Settings), len(r.Skipped), r.ErrorLogs, r.RequestLogs)
}

// Open opens a gemini-balance database: a MySQL DSN
// ("user:pass@tcp(host:3306)/db", optionally prefixed "mysql:") or the
// path of a SQLite file (opened read-only). The caller closes it.
func Open(src string) (*sql.DB, error) {
	if dsn, ok := strings.CutPrefix(src, "mysql:"); ok || strings.Contains(src, "@tcp(") || strings.Contains(src, "@unix(") {
		if !ok {
			dsn = src
		}
		db, err := sql.Open("mysql", dsn)
		if err != nil {
			return nil, fmt.Errorf("gbimport: %w", err)
		}
		return db, db.Ping()
	}
	path := strings.TrimPrefix(src, "sqlite:")
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("gbimport: %w", err)
	}
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		return nil, fmt.Errorf("gbimport: %w", err)
	}
	return db, db.Ping()
}

// notImported are settings that describe where gemini-balance kept its
// own data or listened: never carried over.
var notImported = map[string]string{
	"DATABASE_TYPE":   "database location is not imported",
	"SQLITE_DATABASE": "database location is not imported",
	"MYSQL_HOST":      "database location is not imported",
	"MYSQL_PORT":      "database location is not imported",
	"MYSQL_USER":      "database location is not imported",
	"MYSQL_PASSWORD":  "database location is not imported",
	"MYSQL_DATABASE":  "database location is not imported",
	"MYSQL_SOCKET":    "database location is not imported",
}

// Import copies src's keys, settings and (optionally) logs into dst.
// Settings equal to gb's defaults are skipped, so that they do not pin a
// default as a console edit.
func Import(ctx context.Context, src *sql.DB, dst storage.Store, opt Options) (Report, error) {
	rep := Report{Skipped: map[string]string{}}
	rows, err := src.QueryContext(ctx, "SELECT `key`, value FROM t_settings")
	if err != nil {
		return rep, fmt.Errorf("gbimport: reading t_settings: %w", err)
	}
	raw := map[string]string{}
	for rows.Next() {
		var k string
		var v sql.NullString
		if err := rows.Scan(&k, &v); err != nil {
			rows.Close()
			return rep, fmt.Errorf("gbimport: reading t_settings: %w", err)
		}
		raw[strings.TrimSpace(k)] = v.String
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return rep, fmt.Errorf("gbimport: reading t_settings: %w", err)
	}

	known := map[string]bool{}
	for _, n := range config.Names() {
		known[n] = true
	}
	def := config.Default()
	defEnv := def.Env()
	put := map[string]string{}
	names := make([]string, 0, len(raw))
	for n := range raw {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		v := raw[n]
		switch {
		case n == "API_KEYS":
			keys, err := config.ParseList(v)
			if err != nil {
				rep.Skipped[n] = "not a list"
				continue
			}
			rep.Keys = len(keys)
			added, err := dst.AddKeys(ctx, keys)
			if err != nil {
				return rep, fmt.Errorf("gbimport: storing keys: %w", err)
			}
			rep.KeysAdded = added
		case notImported[n] != "":
			rep.Skipped[n] = notImported[n]
		case !known[n]:
			rep.Skipped[n] = "not a setting gb knows"
		default:
			c, err := def.With(map[string]string{n: v})
			if err != nil {
				var ce *config.Error
				if errors.As(err, &ce) {
					rep.Skipped[n] = "invalid: " + ce.Msg
				} else {
					rep.Skipped[n] = "invalid"
				}
				continue
			}
			if c.Env()[n] == defEnv[n] {
				rep.Skipped[n] = "same as gb's default"
				continue
			}
			put[n] = v
			rep.Settings = append(rep.Settings, n)
		}
	}
	if err := dst.PutSettings(ctx, put); err != nil {
		return rep, fmt.Errorf("gbimport: storing settings: %w", err)
	}

	loc := opt.Location
	if loc == nil {
		loc = def.Location
		if tz, ok := put["TIMEZONE"]; ok {
			if l, err := time.LoadLocation(tz); err == nil {
				loc = l
			}
		}
	}
	if opt.ErrorLogs {
		if rep.ErrorLogs, err = importErrors(ctx, src, dst, loc); err != nil {
			return rep, err
		}
	}
	if opt.RequestLogs {
		if rep.RequestLogs, err = importRequests(ctx, src, dst, loc); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// parseTime reads a naive DATETIME however the driver returns it.
func parseTime(v any, loc *time.Location) time.Time {
	switch t := v.(type) {
	case time.Time:
		return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), loc)
	case []byte:
		return parseTime(string(t), loc)
	case string:
		for _, layout := range []string{"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05"} {
			if p, err := time.ParseInLocation(layout, t, loc); err == nil {
				return p
			}
		}
	}
	return time.Time{}
}

const batch = 500

func importErrors(ctx context.Context, src *sql.DB, dst storage.Store, loc *time.Location) (int, error) {
	rows, err := src.QueryContext(ctx, "SELECT gemini_key, model_name, error_type, error_log, error_code, request_msg, request_time FROM t_error_logs ORDER BY id")
	if err != nil {
		return 0, fmt.Errorf("gbimport: reading t_error_logs: %w", err)
	}
	defer rows.Close()
	n := 0
	var buf []storage.ErrorLog
	flush := func() error {
		if len(buf) == 0 {
			return nil
		}
		if err := dst.WriteErrorLogs(ctx, buf); err != nil {
			return fmt.Errorf("gbimport: storing error logs: %w", err)
		}
		n += len(buf)
		buf = buf[:0]
		return nil
	}
	for rows.Next() {
		var key, model, kind, msg, body sql.NullString
		var code sql.NullInt64
		var at any
		if err := rows.Scan(&key, &model, &kind, &msg, &code, &body, &at); err != nil {
			return n, fmt.Errorf("gbimport: reading t_error_logs: %w", err)
		}
		l := storage.ErrorLog{Time: parseTime(at, loc), Key: key.String, Model: model.String, Kind: kind.String,
			Status: int(code.Int64), Message: msg.String}
		if body.Valid && body.String != "" && body.String != "null" {
			l.RequestBody = []byte(body.String)
		}
		buf = append(buf, l)
		if len(buf) == batch {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("gbimport: reading t_error_logs: %w", err)
	}
	return n, flush()
}

func importRequests(ctx context.Context, src *sql.DB, dst storage.Store, loc *time.Location) (int, error) {
	rows, err := src.QueryContext(ctx, "SELECT request_time, model_name, api_key, is_success, status_code, latency_ms FROM t_request_log ORDER BY id")
	if err != nil {
		return 0, fmt.Errorf("gbimport: reading t_request_log: %w", err)
	}
	defer rows.Close()
	n := 0
	var buf []storage.RequestLog
	flush := func() error {
		if len(buf) == 0 {
			return nil
		}
		if err := dst.WriteRequestLogs(ctx, buf); err != nil {
			return fmt.Errorf("gbimport: storing request logs: %w", err)
		}
		n += len(buf)
		buf = buf[:0]
		return nil
	}
	for rows.Next() {
		var at any
		var model, key sql.NullString
		var ok sql.NullBool
		var code, lat sql.NullInt64
		if err := rows.Scan(&at, &model, &key, &ok, &code, &lat); err != nil {
			return n, fmt.Errorf("gbimport: reading t_request_log: %w", err)
		}
		buf = append(buf, storage.RequestLog{Time: parseTime(at, loc), Model: model.String, Key: key.String, Kind: "imported",
			Success: ok.Bool, Status: int(code.Int64), Latency: time.Duration(lat.Int64) * time.Millisecond})
		if len(buf) == batch {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("gbimport: reading t_request_log: %w", err)
	}
	return n, flush()
}
