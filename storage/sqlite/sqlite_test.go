package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/geminibalance/gb/storage"
	"github.com/geminibalance/gb/storage/sqlite"
	"github.com/geminibalance/gb/storage/storagetest"
)

func TestConformance(t *testing.T) {
	storagetest.RunPersistent(t, func(t *testing.T) (storage.Store, storagetest.Reopen) {
		path := filepath.Join(t.TempDir(), "gb.db")
		open := func(t *testing.T) storage.Store {
			s, err := sqlite.Open(path)
			require.NoError(t, err)
			return s
		}
		return open(t), open
	})
}

func TestConformanceInMemory(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Store {
		s, err := sqlite.Open(":memory:")
		require.NoError(t, err)
		return s
	})
}

func TestPath(t *testing.T) {
	cases := []struct {
		name, dir, file, want string
	}{
		{"default", "", "", filepath.Join("data", "default_db")},
		{"no extension kept as is", "data", "gemini", filepath.Join("data", "gemini")},
		{"extension kept", "data", "gb.db", filepath.Join("data", "gb.db")},
		{"other dir", "/var/lib/gb", "x.sqlite", "/var/lib/gb/x.sqlite"},
		{"absolute name wins", "data", "/tmp/a.db", "/tmp/a.db"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, sqlite.Path(c.dir, c.file))
		})
	}
}

func TestOpen(t *testing.T) {
	ctx := context.Background()
	t.Run("creates parent directories and WAL", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "a", "b", "gb.db")
		s, err := sqlite.Open(path)
		require.NoError(t, err)
		defer s.Close()
		assert.Equal(t, path, s.FilePath())
		v, err := s.SchemaVersion(ctx)
		require.NoError(t, err)
		assert.Equal(t, 3, v)

		db, err := sql.Open("sqlite3", path)
		require.NoError(t, err)
		defer db.Close()
		var mode string
		require.NoError(t, db.QueryRow("PRAGMA journal_mode").Scan(&mode))
		assert.Equal(t, "wal", mode)
		var n int
		require.NoError(t, db.QueryRow("SELECT COUNT(*) FROM gb_schema_migrations").Scan(&n))
		assert.Equal(t, 3, n)
		var idx int
		require.NoError(t, db.QueryRow("SELECT COUNT(*) FROM sqlite_master WHERE type='index' AND name LIKE 'gb_%'").Scan(&idx))
		assert.Equal(t, 7, idx, "version 3 adds gb_request_key_stats_key and drops gb_request_logs_key_time")
	})
	t.Run("path with odd characters", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "we?ird #dir %20", "gb.db")
		s, err := sqlite.Open(path)
		require.NoError(t, err)
		_, err = s.AddKeys(ctx, []string{"k"})
		require.NoError(t, err)
		require.NoError(t, s.Close())
		assert.FileExists(t, path)
	})
	t.Run("empty path", func(t *testing.T) {
		_, err := sqlite.Open("")
		assert.Error(t, err)
	})
	t.Run("newer schema is refused", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "gb.db")
		s, err := sqlite.Open(path)
		require.NoError(t, err)
		require.NoError(t, s.Close())
		db, err := sql.Open("sqlite3", path)
		require.NoError(t, err)
		_, err = db.Exec("INSERT INTO gb_schema_migrations (version, name, applied_at) VALUES (99, 'future', 0)")
		require.NoError(t, err)
		require.NoError(t, db.Close())
		_, err = sqlite.Open(path)
		assert.ErrorContains(t, err, "newer")
	})
	t.Run("concurrent opens of one file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "gb.db")
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Go(func() {
				s, err := sqlite.Open(path)
				if err == nil {
					_, err = s.AddKeys(ctx, []string{"k"})
					s.Close()
				}
				errs[i] = err
			})
		}
		wg.Wait()
		for _, err := range errs {
			assert.NoError(t, err)
		}
	})
	t.Run("close twice", func(t *testing.T) {
		s, err := sqlite.Open(filepath.Join(t.TempDir(), "gb.db"))
		require.NoError(t, err)
		assert.NoError(t, s.Close())
		assert.NoError(t, s.Close())
	})
}

func TestLogWriterEndToEnd(t *testing.T) {
	s, err := sqlite.Open(filepath.Join(t.TempDir(), "gb.db"))
	require.NoError(t, err)
	defer s.Close()
	w := storage.NewLogWriter(s, storage.LogWriterOptions{})
	const producers, each = 8, 5000
	var wg sync.WaitGroup
	for p := range producers {
		wg.Go(func() {
			for i := range each {
				w.Request(storage.RequestLog{Key: "k", Status: 200, Success: i%2 == 0})
				if i%100 == 0 {
					w.Error(storage.ErrorLog{Key: "k", Status: 500, Message: "boom", RequestBody: []byte{byte(p)}})
				}
			}
		})
	}
	wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, w.Close(ctx))
	st := w.Stats()
	assert.Equal(t, storage.LogKindStats{Written: producers * each}, st.Requests)
	assert.Equal(t, storage.LogKindStats{Written: producers * each / 100}, st.Errors)
	total, ok, err := s.CountRequestLogs(ctx, time.Time{}, time.Time{})
	require.NoError(t, err)
	assert.Equal(t, producers*each, total)
	assert.Equal(t, producers*each/2, ok)
	_, n, err := s.ListErrorLogs(ctx, storage.ErrorLogFilter{})
	require.NoError(t, err)
	assert.Equal(t, producers*each/100, n)
}

// BenchmarkStats measures the statistics queries over 1,000,000 request
// logs (go test -run XXX -bench Stats -benchtime 20x ./storage/sqlite).
func BenchmarkStats(b *testing.B) {
	s, err := sqlite.Open(filepath.Join(b.TempDir(), "gb.db"))
	require.NoError(b, err)
	defer s.Close()
	storagetest.BenchmarkStats(b, s)
}

// BenchmarkWriteRequestLogs measures request-log writes in batches of 512
// (go test -run XXX -bench WriteRequestLogs ./storage/sqlite).
func BenchmarkWriteRequestLogs(b *testing.B) {
	s, err := sqlite.Open(filepath.Join(b.TempDir(), "gb.db"))
	require.NoError(b, err)
	defer s.Close()
	storagetest.BenchmarkWriteRequestLogs(b, s)
}

// TestUpgradeFromV2 makes a version 2 database holding request logs and
// their statistics buckets, opens it with this version and checks the
// statistics against a brute-force count, before and after more writes.
func TestUpgradeFromV2(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "gb.db")
	logs := storagetest.StatsLogs()
	old, more := logs[:2000], logs[2000:]

	// Version 1 had no statistics: logs written then are counted by
	// version 2's migration, as on a real upgrade.
	s, err := sqlite.OpenAtVersion(path, 1)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	db, err := sql.Open("sqlite3", path)
	require.NoError(t, err)
	storagetest.InsertRequestLogsSQL(t, db, "gb_request_logs", old)
	require.NoError(t, db.Close())
	s, err = sqlite.OpenAtVersion(path, 2)
	require.NoError(t, err)
	v, err := s.SchemaVersion(ctx)
	require.NoError(t, err)
	require.Equal(t, 2, v)
	require.NoError(t, s.Close())

	s, err = sqlite.Open(path)
	require.NoError(t, err)
	defer s.Close()
	v, err = s.SchemaVersion(ctx)
	require.NoError(t, err)
	require.Equal(t, 3, v)
	t.Run("upgraded", func(t *testing.T) { storagetest.CheckStats(t, s, old) })
	require.NoError(t, s.WriteRequestLogs(ctx, more))
	t.Run("written after", func(t *testing.T) { storagetest.CheckStats(t, s, logs) })
}
