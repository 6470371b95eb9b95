package mysql_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	driver "github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/geminibalance/gb/storage"
	"github.com/geminibalance/gb/storage/mysql"
	"github.com/geminibalance/gb/storage/storagetest"
)

const dsnEnv = "GB_TEST_MYSQL_DSN"

// testDSN returns the DSN of the test server, skipping when none is set.
// A set DSN whose server does not answer fails the test: it is never a
// reason to skip.
func testDSN(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv(dsnEnv)
	if dsn == "" {
		t.Skip(dsnEnv + " not set: skipping MariaDB suite (set it to e.g. root@tcp(127.0.0.1:3306)/test)")
	}
	return dsn
}

var (
	runID   = randomHex(4)
	counter atomic.Int64
)

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// newPrefix returns a table prefix private to this test run and drops its
// tables when t ends.
func newPrefix(t *testing.T, dsn string) string {
	t.Helper()
	prefix := fmt.Sprintf("gbt_%s_%d_", runID, counter.Add(1))
	t.Cleanup(func() { dropPrefix(t, dsn, prefix) })
	return prefix
}

func dropPrefix(t *testing.T, dsn, prefix string) {
	t.Helper()
	db, err := sql.Open("mysql", dsn)
	require.NoError(t, err)
	defer db.Close()
	rows, err := db.Query("SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name LIKE ?",
		prefix+"%")
	require.NoError(t, err)
	var tables []string
	for rows.Next() {
		var name string
		require.NoError(t, rows.Scan(&name))
		tables = append(tables, name)
	}
	require.NoError(t, rows.Err())
	rows.Close()
	for _, name := range tables {
		_, err := db.Exec("DROP TABLE IF EXISTS `" + name + "`")
		assert.NoError(t, err)
	}
}

func openStore(t *testing.T, dsn, prefix string) storage.Store {
	t.Helper()
	s, err := mysql.OpenDSN(dsn, mysql.WithTablePrefix(prefix))
	require.NoError(t, err, "opening the MariaDB/MySQL server named by %s", dsnEnv)
	return s
}

func TestConformance(t *testing.T) {
	dsn := testDSN(t)
	storagetest.RunPersistent(t, func(t *testing.T) (storage.Store, storagetest.Reopen) {
		prefix := newPrefix(t, dsn)
		reopen := func(t *testing.T) storage.Store { return openStore(t, dsn, prefix) }
		return reopen(t), reopen
	})
}

func TestOpenConfig(t *testing.T) {
	dsn := testDSN(t)
	dc, err := driver.ParseDSN(dsn)
	require.NoError(t, err)
	cfg := mysql.Config{User: dc.User, Password: dc.Passwd, Database: dc.DBName, TablePrefix: newPrefix(t, dsn)}
	switch dc.Net {
	case "unix":
		cfg.Socket = dc.Addr
	default:
		host, port, err := net.SplitHostPort(dc.Addr)
		require.NoError(t, err)
		cfg.Host = host
		cfg.Port, err = strconv.Atoi(port)
		require.NoError(t, err)
	}
	s, err := mysql.Open(cfg)
	require.NoError(t, err)
	defer s.Close()
	assert.Equal(t, cfg.TablePrefix, s.TablePrefix())
	v, err := s.SchemaVersion(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 3, v)
	n, err := s.AddKeys(context.Background(), []string{"k"})
	require.NoError(t, err)
	assert.Equal(t, 1, n)
}

func TestConcurrentOpen(t *testing.T) {
	dsn := testDSN(t)
	prefix := newPrefix(t, dsn)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			s, err := mysql.OpenDSN(dsn, mysql.WithTablePrefix(prefix))
			if err == nil {
				_, err = s.AddKeys(context.Background(), []string{"k"})
				s.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for _, err := range errs {
		assert.NoError(t, err)
	}
	s := openStore(t, dsn, prefix)
	defer s.Close()
	keys, err := s.ListKeys(context.Background())
	require.NoError(t, err)
	assert.Len(t, keys, 1)
}

func TestDropTables(t *testing.T) {
	dsn := testDSN(t)
	prefix := newPrefix(t, dsn)
	s, err := mysql.OpenDSN(dsn, mysql.WithTablePrefix(prefix))
	require.NoError(t, err)
	require.NoError(t, s.DropTables(context.Background()))
	db, err := sql.Open("mysql", dsn)
	require.NoError(t, err)
	defer db.Close()
	var n int
	require.NoError(t, db.QueryRow("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name LIKE ?", prefix+"%").Scan(&n))
	assert.Zero(t, n)
}

func TestConfigDSN(t *testing.T) {
	cases := []struct {
		name string
		cfg  mysql.Config
		want func(t *testing.T, dc *driver.Config)
	}{
		{"defaults", mysql.Config{Database: "gb"}, func(t *testing.T, dc *driver.Config) {
			assert.Equal(t, "tcp", dc.Net)
			assert.Equal(t, "127.0.0.1:3306", dc.Addr)
		}},
		{"host and port", mysql.Config{Host: "db.local", Port: 3307, User: "u", Password: "p@ss:/word", Database: "gb"}, func(t *testing.T, dc *driver.Config) {
			assert.Equal(t, "db.local:3307", dc.Addr)
			assert.Equal(t, "u", dc.User)
			assert.Equal(t, "p@ss:/word", dc.Passwd)
		}},
		{"IPv6 host", mysql.Config{Host: "::1", Port: 3306, Database: "gb"}, func(t *testing.T, dc *driver.Config) {
			assert.Equal(t, "[::1]:3306", dc.Addr)
		}},
		{"socket wins", mysql.Config{Host: "ignored", Socket: "/run/mysqld/mysqld.sock", Database: "gb"}, func(t *testing.T, dc *driver.Config) {
			assert.Equal(t, "unix", dc.Net)
			assert.Equal(t, "/run/mysqld/mysqld.sock", dc.Addr)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dc, err := driver.ParseDSN(c.cfg.DSN())
			require.NoError(t, err)
			assert.True(t, dc.ParseTime)
			assert.Equal(t, "UTC", dc.Loc.String())
			assert.Contains(t, dc.Collation, "utf8mb4")
			assert.Equal(t, "gb", dc.DBName)
			c.want(t, dc)
		})
	}
}

func TestOpenErrors(t *testing.T) {
	cases := []struct {
		name, dsn string
		opts      []mysql.Option
		errText   string
	}{
		{"bad DSN", "not a dsn", nil, "storage/mysql"},
		{"no database", "root@tcp(127.0.0.1:3306)/", nil, "no database"},
		{"bad prefix", "root@tcp(127.0.0.1:3306)/test", []mysql.Option{mysql.WithTablePrefix("gb-; DROP")}, "prefix"},
		{"unreachable", "root@tcp(127.0.0.1:1)/test?timeout=1s", nil, "connect"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := mysql.OpenDSN(c.dsn, c.opts...)
			assert.ErrorContains(t, err, c.errText)
		})
	}
}

// BenchmarkStats measures the statistics queries over 1,000,000 request
// logs on the GB_TEST_MYSQL_DSN server.
func BenchmarkStats(b *testing.B) {
	dsn := os.Getenv(dsnEnv)
	if dsn == "" {
		b.Skip(dsnEnv + " not set")
	}
	s, err := mysql.OpenDSN(dsn, mysql.WithTablePrefix("gbbench_"+randomHex(4)+"_"))
	require.NoError(b, err)
	defer s.DropTables(context.Background())
	storagetest.BenchmarkStats(b, s)
}

// BenchmarkWriteRequestLogs measures request-log writes in batches of 512
// on the GB_TEST_MYSQL_DSN server.
func BenchmarkWriteRequestLogs(b *testing.B) {
	dsn := os.Getenv(dsnEnv)
	if dsn == "" {
		b.Skip(dsnEnv + " not set")
	}
	s, err := mysql.OpenDSN(dsn, mysql.WithTablePrefix("gbbench_"+randomHex(4)+"_"))
	require.NoError(b, err)
	defer s.DropTables(context.Background())
	storagetest.BenchmarkWriteRequestLogs(b, s)
}

// TestUpgradeFromV2 makes a version 2 schema holding request logs and
// their statistics buckets, opens it with this version and checks the
// statistics against a brute-force count, before and after more writes.
func TestUpgradeFromV2(t *testing.T) {
	dsn := testDSN(t)
	ctx := context.Background()
	prefix := newPrefix(t, dsn)
	logs := storagetest.StatsLogs()
	old, more := logs[:2000], logs[2000:]

	// Version 1 had no statistics: logs written then are counted by
	// version 2's migration, as on a real upgrade.
	s, err := mysql.OpenAtVersion(dsn, 1, mysql.WithTablePrefix(prefix))
	require.NoError(t, err)
	require.NoError(t, s.Close())
	db, err := sql.Open("mysql", dsn)
	require.NoError(t, err)
	defer db.Close()
	storagetest.InsertRequestLogsSQL(t, db, prefix+"request_logs", old)
	s, err = mysql.OpenAtVersion(dsn, 2, mysql.WithTablePrefix(prefix))
	require.NoError(t, err)
	v, err := s.SchemaVersion(ctx)
	require.NoError(t, err)
	require.Equal(t, 2, v)
	require.NoError(t, s.Close())

	st := openStore(t, dsn, prefix)
	defer st.Close()
	v, err = st.(*mysql.Store).SchemaVersion(ctx)
	require.NoError(t, err)
	require.Equal(t, 3, v)
	var idx int
	require.NoError(t, db.QueryRow("SELECT COUNT(*) FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = ? AND index_name = ?",
		prefix+"request_logs", prefix+"request_logs_key_time").Scan(&idx))
	assert.Zero(t, idx, "the unused (api_key, time) index of request logs is dropped")
	t.Run("upgraded", func(t *testing.T) { storagetest.CheckStats(t, st, old) })
	require.NoError(t, st.WriteRequestLogs(ctx, more))
	t.Run("written after", func(t *testing.T) { storagetest.CheckStats(t, st, logs) })
}
