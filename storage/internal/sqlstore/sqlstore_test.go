package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/geminibalance/gb/storage"
)

func TestModelsRoundTrip(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	later := now.Add(time.Hour)
	cases := []struct {
		name string
		in   map[string]storage.ModelState
		text string
		want map[string]storage.ModelState
	}{
		{"nil", nil, "", nil},
		{"empty", map[string]storage.ModelState{}, "", nil},
		{"until reset", map[string]storage.ModelState{"m": {Reason: "PERMISSION_DENIED"}}, `{"m":{"reason":"PERMISSION_DENIED"}}`,
			map[string]storage.ModelState{"m": {Reason: "PERMISSION_DENIED"}}},
		{"live", map[string]storage.ModelState{"m": {Until: later, Reason: "RATE_LIMIT"}},
			`{"m":{"until":` + strconv.FormatInt(later.UnixMilli(), 10) + `,"reason":"RATE_LIMIT"}}`,
			map[string]storage.ModelState{"m": {Until: later, Reason: "RATE_LIMIT"}}},
		{"expired dropped", map[string]storage.ModelState{"m": {Until: now.Add(-time.Second)}}, "", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			text, err := EncodeModels(c.in, now)
			require.NoError(t, err)
			assert.Equal(t, c.text, text)
			got, err := DecodeModels(text)
			require.NoError(t, err)
			assert.Equal(t, c.want, got)
		})
	}
	_, err := DecodeModels("{not json")
	assert.Error(t, err)
}

func TestPlaceholders(t *testing.T) {
	cases := []struct {
		rows, cols int
		want       string
	}{
		{1, 1, "(?)"},
		{1, 3, "(?,?,?)"},
		{3, 2, "(?,?),(?,?),(?,?)"},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, placeholders(c.rows, c.cols))
	}
	assert.Equal(t, "(?,?)", inList(2))
}

func TestDedupe(t *testing.T) {
	assert.Equal(t, []string{"b", "a", "c"}, dedupe([]string{"b", "", "a", "b", "c", "a"}))
	assert.Empty(t, dedupe(nil))
}

func TestInTxRetries(t *testing.T) {
	errRetry := errors.New("deadlock")
	errOther := errors.New("other")
	cases := []struct {
		name      string
		fails     []error // error of each call in turn; nil after the list
		wantCalls int
		wantErr   error
	}{
		{"first try", nil, 1, nil},
		{"retried then fine", []error{errRetry, errRetry}, 3, nil},
		{"not retryable", []error{errOther}, 1, errOther},
		{"gives up after three", []error{errRetry, errRetry, errRetry, errRetry}, 3, errRetry},
	}
	db, err := sql.Open("sqlite3", "file::memory:")
	require.NoError(t, err)
	db.SetMaxOpenConns(1)
	defer db.Close()
	s := &Store{w: db, r: db, d: Dialect{Name: "test", Retryable: func(err error) bool { return errors.Is(err, errRetry) }}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			calls := 0
			err := s.inTx(context.Background(), func(tx *sql.Tx) error {
				calls++
				if calls <= len(c.fails) {
					return c.fails[calls-1]
				}
				return nil
			})
			assert.Equal(t, c.wantCalls, calls)
			if c.wantErr == nil {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, c.wantErr)
			}
		})
	}
}

func TestCut(t *testing.T) {
	s := &Store{d: Dialect{MaxStringBytes: 4}}
	assert.Equal(t, "abcd", s.cut("abcdef"))
	assert.Equal(t, "abü", s.cut("abü"))  // exactly 4 bytes
	assert.Equal(t, "abü", s.cut("abüx")) // cut after a whole rune
	assert.Equal(t, "abc", s.cut("abcü")) // ü would be split: dropped
	assert.Equal(t, "a€", s.cut("a€b"))   // € is 3 bytes: 4 in all
	assert.Equal(t, "ab", (&Store{}).cut("ab"))
}
