package gbimport_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/geminibalance/gb/internal/gbimport"
	"github.com/geminibalance/gb/storage"
	"github.com/geminibalance/gb/storage/sqlite"
)

// gemini-balance's tables as SQLAlchemy creates them on SQLite
// (app/database/models.py).
var schema = []string{
	`CREATE TABLE t_settings (id INTEGER NOT NULL PRIMARY KEY, "key" VARCHAR(100) NOT NULL UNIQUE, value TEXT, description VARCHAR(255), created_at DATETIME, updated_at DATETIME)`,
	`CREATE TABLE t_error_logs (id INTEGER NOT NULL PRIMARY KEY, gemini_key VARCHAR(100), model_name VARCHAR(100), error_type VARCHAR(50), error_log TEXT, error_code INTEGER, request_msg JSON, request_time DATETIME)`,
	`CREATE TABLE t_request_log (id INTEGER NOT NULL PRIMARY KEY, request_time DATETIME, model_name VARCHAR(100), api_key VARCHAR(100), is_success BOOLEAN NOT NULL, status_code INTEGER, latency_ms INTEGER)`,
}

const (
	k1 = "AIzaSyImportTest00000000000000000000001"
	k2 = "AIzaSyImportTest00000000000000000000002"
)

func TestImportSQLite(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "default_db")
	db, err := sql.Open("sqlite3", path)
	require.NoError(t, err)
	for _, q := range schema {
		_, err := db.Exec(q)
		require.NoError(t, err)
	}
	settings := map[string]string{
		"API_KEYS":            `["` + k1[:39] + `","` + k2[:39] + `"]`,
		"ALLOWED_TOKENS":      `["sk-client-1","sk-client-2"]`,
		"AUTH_TOKEN":          "sk-admin",
		"MAX_RETRIES":         "5",
		"MAX_FAILURES":        "abc",
		"TEST_MODEL":          "gemini-2.5-flash-lite", // the default
		"DATABASE_TYPE":       "sqlite",
		"MYSQL_PASSWORD":      "secret",
		"TIMEZONE":            "Europe/Berlin",
		"SHOW_SEARCH_LINK":    "false",
		"UNKNOWN_NEW_SETTING": "x",
	}
	for k, v := range settings {
		_, err := db.Exec(`INSERT INTO t_settings ("key", value, description, created_at, updated_at) VALUES (?, ?, '', '2025-01-01 00:00:00', '2025-01-01 00:00:00')`, k, v)
		require.NoError(t, err)
	}
	_, err = db.Exec(`INSERT INTO t_error_logs (gemini_key, model_name, error_type, error_log, error_code, request_msg, request_time) VALUES
		(?, 'gemini-2.5-pro', 'gemini-chat-stream', 'quota exceeded', 429, '{"contents":[]}', '2025-06-10 12:00:00.250000'),
		(?, 'gemini-2.5-flash', 'openai-chat-non-stream', 'boom', 500, NULL, '2025-06-10 12:01:00')`, k1[:39], k2[:39])
	require.NoError(t, err)
	_, err = db.Exec(`INSERT INTO t_request_log (request_time, model_name, api_key, is_success, status_code, latency_ms) VALUES
		('2025-06-10 12:00:00', 'gemini-2.5-pro', ?, 0, 429, 120), ('2025-06-10 12:00:30', 'gemini-2.5-pro', ?, 1, 200, 900)`, k1[:39], k2[:39])
	require.NoError(t, err)
	require.NoError(t, db.Close())

	src, err := gbimport.Open(path)
	require.NoError(t, err)
	defer src.Close()
	dst, err := sqlite.Open(filepath.Join(dir, "gb.db"))
	require.NoError(t, err)
	defer dst.Close()

	rep, err := gbimport.Import(ctx, src, dst, gbimport.Options{ErrorLogs: true, RequestLogs: true})
	require.NoError(t, err)
	t.Log(rep)
	assert.Equal(t, 2, rep.Keys)
	assert.Equal(t, 2, rep.KeysAdded)
	assert.ElementsMatch(t, []string{"ALLOWED_TOKENS", "AUTH_TOKEN", "MAX_RETRIES", "TIMEZONE", "SHOW_SEARCH_LINK"}, rep.Settings)
	assert.Contains(t, rep.Skipped["MAX_FAILURES"], "invalid")
	assert.Equal(t, "same as gb's default", rep.Skipped["TEST_MODEL"])
	assert.Contains(t, rep.Skipped["DATABASE_TYPE"], "not imported")
	assert.Contains(t, rep.Skipped["MYSQL_PASSWORD"], "not imported")
	assert.Contains(t, rep.Skipped["UNKNOWN_NEW_SETTING"], "not a setting")
	for _, why := range rep.Skipped {
		assert.NotContains(t, why, "secret")
	}
	assert.Equal(t, 2, rep.ErrorLogs)
	assert.Equal(t, 2, rep.RequestLogs)

	keys, err := dst.ListKeys(ctx)
	require.NoError(t, err)
	require.Len(t, keys, 2)
	assert.Equal(t, k1[:39], keys[0].Key)
	st, err := dst.Settings(ctx)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"ALLOWED_TOKENS": `["sk-client-1","sk-client-2"]`, "AUTH_TOKEN": "sk-admin",
		"MAX_RETRIES": "5", "TIMEZONE": "Europe/Berlin", "SHOW_SEARCH_LINK": "false"}, st)

	logs, total, err := dst.ListErrorLogs(ctx, storage.ErrorLogFilter{Ascending: true})
	require.NoError(t, err)
	require.Equal(t, 2, total)
	berlin, _ := time.LoadLocation("Europe/Berlin")
	assert.True(t, logs[0].Time.Equal(time.Date(2025, 6, 10, 12, 0, 0, 250e6, berlin)), "naive times read in TIMEZONE: %v", logs[0].Time)
	assert.Equal(t, 429, logs[0].Status)
	assert.Equal(t, `{"contents":[]}`, string(logs[0].RequestBody))
	assert.Nil(t, logs[1].RequestBody)
	rows, err := dst.Stats(ctx, storage.StatsQuery{From: time.Date(2025, 6, 10, 0, 0, 0, 0, berlin), To: time.Date(2025, 6, 11, 0, 0, 0, 0, berlin)})
	require.NoError(t, err)
	assert.Equal(t, storage.StatsCounts{Calls: 2, Successes: 1, Failures: 1, Status429: 1}, rows[0].StatsCounts)

	// Importing again adds nothing new.
	rep, err = gbimport.Import(ctx, src, dst, gbimport.Options{})
	require.NoError(t, err)
	assert.Equal(t, 0, rep.KeysAdded)

	_, err = gbimport.Open(filepath.Join(dir, "missing.db"))
	assert.Error(t, err)
}
