package storagetest

import (
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/geminibalance/gb/storage"
)

// runAdmin runs the subtests of the operator-facing methods: error-log
// search and maintenance, and statistics.
func runAdmin(t *testing.T, get func(t *testing.T) storage.Store) {
	t.Run("ErrorLogs", func(t *testing.T) {
		t.Run("Search", func(t *testing.T) { testErrorSearch(t, get(t)) })
		t.Run("Sort", func(t *testing.T) { testErrorSort(t, get(t)) })
		t.Run("ByIDAndDelete", func(t *testing.T) { testErrorByIDDelete(t, get(t)) })
		t.Run("Nearest", func(t *testing.T) { testErrorNearest(t, get(t)) })
	})
	t.Run("Stats", func(t *testing.T) {
		t.Run("Empty", func(t *testing.T) { testStatsEmpty(t, get(t)) })
		t.Run("MatchLogs", func(t *testing.T) { testStatsMatchLogs(t, get(t)) })
		t.Run("Attention", func(t *testing.T) { testStatsAttention(t, get(t)) })
		t.Run("DeleteBefore", func(t *testing.T) { testStatsDelete(t, get(t)) })
	})
}

func testErrorSearch(t *testing.T, s storage.Store) {
	at := func(sec int) time.Time { return base.Add(time.Duration(sec) * time.Second) }
	in := []storage.ErrorLog{
		{Time: at(0), Key: "AIzaAlphaKey", Model: "m1", Status: 429, Message: "Resource has been EXHAUSTED"},
		{Time: at(1), Key: "AIzaBetaKey", Model: "m1", Status: 500, Message: "internal error 100% sure"},
		{Time: at(2), Key: "other_key", Model: "m2", Status: 400, Message: "bad_request: field x"},
		{Time: at(3), Key: "AIzaALPHAkey2", Model: "m2", Status: 429, Message: "quota exhausted"},
	}
	require.NoError(t, s.WriteErrorLogs(ctx, in))
	cases := []struct {
		name string
		f    storage.ErrorLogFilter
		want []string
	}{
		{"key substring ignores case", storage.ErrorLogFilter{KeyContains: "alpha"}, []string{"quota exhausted", "Resource has been EXHAUSTED"}},
		{"text ignores case", storage.ErrorLogFilter{Text: "exhausted"}, []string{"quota exhausted", "Resource has been EXHAUSTED"}},
		{"percent is literal", storage.ErrorLogFilter{Text: "100%"}, []string{"internal error 100% sure"}},
		{"percent alone", storage.ErrorLogFilter{Text: "%"}, []string{"internal error 100% sure"}},
		{"underscore is literal", storage.ErrorLogFilter{KeyContains: "r_k"}, []string{"bad_request: field x"}},
		{"underscore matches no other", storage.ErrorLogFilter{Text: "d_r"}, []string{"bad_request: field x"}},
		{"bang is literal", storage.ErrorLogFilter{Text: "!"}, nil},
		{"combined with exact filters", storage.ErrorLogFilter{KeyContains: "aiza", Status: 429, Model: "m1"}, []string{"Resource has been EXHAUSTED"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			logs, total, err := s.ListErrorLogs(ctx, c.f)
			require.NoError(t, err)
			assert.Equal(t, c.want, nilIfEmpty(messages(logs)))
			assert.Equal(t, len(c.want), total)
		})
	}
}

func testErrorSort(t *testing.T, s storage.Store) {
	// Written out of time order: IDs and times disagree.
	in := []storage.ErrorLog{
		{Time: base.Add(2 * time.Second), Message: "t2"},
		{Time: base, Message: "t0"},
		{Time: base.Add(time.Second), Message: "t1"},
		{Time: base.Add(time.Second), Message: "t1b"},
	}
	require.NoError(t, s.WriteErrorLogs(ctx, in))
	cases := []struct {
		name string
		f    storage.ErrorLogFilter
		want []string
	}{
		{"time desc (default)", storage.ErrorLogFilter{}, []string{"t2", "t1b", "t1", "t0"}},
		{"time asc", storage.ErrorLogFilter{Ascending: true}, []string{"t0", "t1", "t1b", "t2"}},
		{"id desc", storage.ErrorLogFilter{SortBy: "id"}, []string{"t1b", "t1", "t0", "t2"}},
		{"id asc", storage.ErrorLogFilter{SortBy: "id", Ascending: true}, []string{"t2", "t0", "t1", "t1b"}},
		{"id asc paged", storage.ErrorLogFilter{SortBy: "id", Ascending: true, Limit: 2, Offset: 1}, []string{"t0", "t1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			logs, total, err := s.ListErrorLogs(ctx, c.f)
			require.NoError(t, err)
			assert.Equal(t, c.want, messages(logs))
			assert.Equal(t, 4, total)
		})
	}
}

func testErrorByIDDelete(t *testing.T, s storage.Store) {
	var in []storage.ErrorLog
	for i := range 5 {
		in = append(in, storage.ErrorLog{Time: base.Add(time.Duration(i) * time.Second), Key: "k", Model: "m", Kind: "kind",
			Status: 500 + i, Message: fmt.Sprint("m", i), RequestBody: []byte(fmt.Sprintf(`{"n":%d}`, i))})
	}
	require.NoError(t, s.WriteErrorLogs(ctx, in))
	logs, _, err := s.ListErrorLogs(ctx, storage.ErrorLogFilter{Ascending: true})
	require.NoError(t, err)
	require.Len(t, logs, 5)
	for i, l := range logs {
		got, err := s.ErrorLog(ctx, l.ID)
		require.NoError(t, err)
		want := in[i]
		want.ID = l.ID
		if d := cmp.Diff(want, got, cmpTm); d != "" {
			t.Errorf("ErrorLog(%d) (-want +got):\n%s", l.ID, d)
		}
	}
	_, err = s.ErrorLog(ctx, logs[4].ID+1000)
	assert.True(t, errors.Is(err, storage.ErrNotFound), "unknown ID: %v", err)

	n, err := s.DeleteErrorLogs(ctx, []int64{logs[1].ID, logs[3].ID, logs[3].ID, logs[4].ID + 1000})
	require.NoError(t, err)
	assert.Equal(t, int64(2), n)
	_, err = s.ErrorLog(ctx, logs[1].ID)
	assert.True(t, errors.Is(err, storage.ErrNotFound))
	left, total, err := s.ListErrorLogs(ctx, storage.ErrorLogFilter{})
	require.NoError(t, err)
	assert.Equal(t, 3, total)
	assert.Equal(t, []string{"m4", "m2", "m0"}, messages(left))
	n, err = s.DeleteErrorLogs(ctx, nil)
	require.NoError(t, err)
	assert.Zero(t, n)

	n, err = s.ClearErrorLogs(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(3), n)
	_, total, err = s.ListErrorLogs(ctx, storage.ErrorLogFilter{})
	require.NoError(t, err)
	assert.Zero(t, total)
	// IDs are not reused after a clear.
	require.NoError(t, s.WriteErrorLogs(ctx, in[:1]))
	again, _, err := s.ListErrorLogs(ctx, storage.ErrorLogFilter{})
	require.NoError(t, err)
	require.Len(t, again, 1)
	assert.Greater(t, again[0].ID, logs[4].ID)
}

func testErrorNearest(t *testing.T, s storage.Store) {
	at := func(sec int) time.Time { return base.Add(time.Duration(sec) * time.Second) }
	in := []storage.ErrorLog{
		{Time: at(0), Key: "k", Status: 429, Message: "a"},
		{Time: at(10), Key: "k", Status: 500, Message: "b"},
		{Time: at(20), Key: "k", Status: 429, Message: "c"},
		{Time: at(15), Key: "other", Status: 429, Message: "o"},
	}
	require.NoError(t, s.WriteErrorLogs(ctx, in))
	cases := []struct {
		name   string
		at     time.Time
		window time.Duration
		status int
		want   string // "" means not found
	}{
		{"exact", at(10), time.Second, 0, "b"},
		{"closer before", at(13), 10 * time.Second, 0, "b"},
		{"closer after", at(17), 10 * time.Second, 0, "c"},
		{"tie goes to the earlier", at(15), 10 * time.Second, 0, "b"},
		{"status filter", at(9), 100 * time.Second, 429, "a"},
		{"outside window", at(5), 4 * time.Second, 0, ""},
		{"window edge is inside", at(5), 5 * time.Second, 0, "a"},
		{"other key not seen", at(15), time.Second, 0, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l, err := s.NearestErrorLog(ctx, "k", c.at, c.window, c.status)
			if c.want == "" {
				assert.True(t, errors.Is(err, storage.ErrNotFound), "want ErrNotFound, got %v (%q)", err, l.Message)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, c.want, l.Message)
			assert.NotZero(t, l.ID)
		})
	}
}

func testStatsEmpty(t *testing.T, s storage.Store) {
	rows, err := s.Stats(ctx, storage.StatsQuery{From: base, To: base.Add(time.Hour)})
	require.NoError(t, err)
	assert.Equal(t, []storage.StatsRow{{}}, rows)
	rows, err = s.Stats(ctx, storage.StatsQuery{From: base, To: base.Add(time.Hour), GroupBy: storage.GroupKey})
	require.NoError(t, err)
	assert.Empty(t, rows)
	pts, err := s.StatsSeries(ctx, storage.StatsQuery{From: base, To: base.Add(time.Hour)}, time.Minute)
	require.NoError(t, err)
	assert.Empty(t, pts)
	att, err := s.AttentionKeys(ctx, base, base.Add(time.Hour), 429, 10)
	require.NoError(t, err)
	assert.Empty(t, att)
	_, err = s.StatsSeries(ctx, storage.StatsQuery{From: base, To: base.Add(time.Hour)}, 90*time.Second)
	assert.Error(t, err, "a step that is not whole minutes")
}

// statsLogs returns request logs spread over three days, written out of
// order, with a fixed seed.
func statsLogs() []storage.RequestLog {
	r := rand.New(rand.NewPCG(1, 2))
	keys := []string{"kA", "kB", "kC", "kD", ""}
	models := []string{"m1", "m2", "m3"}
	start := time.Date(2025, 3, 30, 21, 17, 0, 0, time.UTC)
	var logs []storage.RequestLog
	for range 3000 {
		status := []int{200, 200, 200, 429, 500, 403, 0}[r.IntN(7)]
		p, c := r.IntN(100), r.IntN(50)
		logs = append(logs, storage.RequestLog{
			Time: start.Add(time.Duration(r.Int64N(int64(72 * time.Hour)))).Truncate(time.Millisecond),
			Key:  keys[r.IntN(len(keys))], Model: models[r.IntN(len(models))], Kind: "k",
			Status: status, Success: status == 200, PromptTokens: p, CompletionTokens: c, TotalTokens: p + c,
		})
	}
	return logs
}

// expectStats computes q by brute force over logs.
func expectStats(logs []storage.RequestLog, q storage.StatsQuery) []storage.StatsRow {
	from, to := q.From.Truncate(time.Minute), q.To.Truncate(time.Minute)
	type gk struct{ k, m string }
	groups := map[gk]*storage.StatsRow{}
	byKey := q.GroupBy == storage.GroupKey || q.GroupBy == storage.GroupKeyModel
	for _, l := range logs {
		m := l.Time.Truncate(time.Minute)
		if m.Before(from) || !m.Before(to) || (q.Model != "" && l.Model != q.Model) ||
			(len(q.Keys) > 0 && !slices.Contains(q.Keys, l.Key)) || (byKey && l.Key == "") {
			continue
		}
		var k gk
		switch q.GroupBy {
		case storage.GroupKey:
			k.k = l.Key
		case storage.GroupModel:
			k.m = l.Model
		case storage.GroupKeyModel:
			k = gk{l.Key, l.Model}
		}
		r := groups[k]
		if r == nil {
			r = &storage.StatsRow{Key: k.k, Model: k.m}
			groups[k] = r
		}
		r.Add(storage.CountsOf(l))
	}
	if q.GroupBy == storage.GroupNone {
		if r := groups[gk{}]; r != nil {
			return []storage.StatsRow{*r}
		}
		return []storage.StatsRow{{}}
	}
	out := []storage.StatsRow{}
	for _, r := range groups {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b storage.StatsRow) int {
		if a.Calls != b.Calls {
			if a.Calls > b.Calls {
				return -1
			}
			return 1
		}
		if c := strings.Compare(a.Key, b.Key); c != 0 {
			return c
		}
		return strings.Compare(a.Model, b.Model)
	})
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out
}

func testStatsMatchLogs(t *testing.T, s storage.Store) {
	logs := statsLogs()
	for c := range slices.Chunk(logs, 700) {
		require.NoError(t, s.WriteRequestLogs(ctx, c))
	}
	CheckStats(t, s, logs)
}

// StatsLogs returns the 3,000 request logs the statistics subtests write:
// spread over three days from 2025-03-30 21:17 UTC, out of order, with
// four keys and logs without a key, three models and mixed statuses.
func StatsLogs() []storage.RequestLog { return statsLogs() }

// CheckStats checks that s answers Stats, StatsSeries and AttentionKeys
// over the days of [StatsLogs] as a brute-force count of logs (every
// request log s holds) does: a backend's upgrade test calls it on data
// written before a schema change.
func CheckStats(t *testing.T, s storage.Store, logs []storage.RequestLog) {
	t.Helper()
	checkStatsMatch(t, s, logs)
	checkAttention(t, s, logs)
}

func checkStatsMatch(t *testing.T, s storage.Store, logs []storage.RequestLog) {
	t.Helper()
	start := time.Date(2025, 3, 30, 21, 17, 0, 0, time.UTC)
	r := rand.New(rand.NewPCG(3, 4))
	type rng struct{ from, to time.Time }
	ranges := []rng{
		{start.Add(-time.Hour), start.Add(80 * time.Hour)},                                          // everything
		{time.Date(2025, 3, 31, 0, 0, 0, 0, time.UTC), time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)}, // one whole day
		{start.Add(30 * time.Minute), start.Add(31 * time.Minute)},                                  // one minute
		{start.Add(5*time.Hour + 30*time.Second), start.Add(6*time.Hour + 59*time.Second)},          // unaligned bounds
		{start.Add(10 * time.Hour), start.Add(10 * time.Hour)},                                      // empty
	}
	for range 12 {
		a := start.Add(time.Duration(r.Int64N(int64(72 * time.Hour))))
		b := a.Add(time.Duration(r.Int64N(int64(50 * time.Hour))))
		ranges = append(ranges, rng{a, b})
	}
	queries := func(rg rng) []storage.StatsQuery {
		return []storage.StatsQuery{
			{From: rg.from, To: rg.to},
			{From: rg.from, To: rg.to, GroupBy: storage.GroupKey},
			{From: rg.from, To: rg.to, GroupBy: storage.GroupModel},
			{From: rg.from, To: rg.to, GroupBy: storage.GroupKeyModel, Limit: 5},
			{From: rg.from, To: rg.to, Keys: []string{"kB", "kD", "nope"}},
			{From: rg.from, To: rg.to, Keys: []string{"kA"}, Model: "m2", GroupBy: storage.GroupModel},
			{From: rg.from, To: rg.to, Model: "m3", GroupBy: storage.GroupKey, Limit: 2},
		}
	}
	for i, rg := range ranges {
		for j, q := range queries(rg) {
			got, err := s.Stats(ctx, q)
			require.NoError(t, err)
			if d := cmp.Diff(expectStats(logs, q), got, cmpTm); d != "" {
				t.Fatalf("range %d (%s – %s) query %d: Stats (-want +got):\n%s", i, rg.from, rg.to, j, d)
			}
		}
	}
	// Series: per minute, per hour, per day, and 6 hours from an unaligned
	// start.
	series := []struct {
		from, to time.Time
		step     time.Duration
		keys     []string
	}{
		{start.Add(3 * time.Hour), start.Add(4 * time.Hour), time.Minute, nil},
		{start, start.Add(72 * time.Hour), time.Hour, nil},
		{start.Truncate(time.Hour), start.Add(72 * time.Hour), time.Hour, []string{"kC"}},
		{time.Date(2025, 3, 30, 0, 0, 0, 0, time.UTC), start.Add(80 * time.Hour), 24 * time.Hour, nil},
		{start.Add(7 * time.Minute), start.Add(60 * time.Hour), 6 * time.Hour, nil},
		{time.Date(2025, 3, 30, 16, 0, 0, 0, time.UTC), start.Add(80 * time.Hour), 24 * time.Hour, []string{"kA", "kB"}},
	}
	for i, sr := range series {
		q := storage.StatsQuery{From: sr.from, To: sr.to, Keys: sr.keys}
		got, err := s.StatsSeries(ctx, q, sr.step)
		require.NoError(t, err)
		var want []storage.StatsPoint
		from := sr.from.Truncate(time.Minute)
		for p := from; p.Before(sr.to.Truncate(time.Minute)); p = p.Add(sr.step) {
			end := p.Add(sr.step)
			if end.After(sr.to) {
				end = sr.to
			}
			c := expectStats(logs, storage.StatsQuery{From: p, To: end, Keys: sr.keys})[0]
			if c.Calls > 0 {
				want = append(want, storage.StatsPoint{Time: p, StatsCounts: c.StatsCounts})
			}
		}
		if d := cmp.Diff(want, got, cmpTm); d != "" {
			t.Fatalf("series %d (-want +got):\n%s", i, d)
		}
	}
}

func testStatsAttention(t *testing.T, s storage.Store) {
	logs := statsLogs()
	require.NoError(t, s.WriteRequestLogs(ctx, logs))
	checkAttention(t, s, logs)
}

func checkAttention(t *testing.T, s storage.Store, logs []storage.RequestLog) {
	t.Helper()
	start := time.Date(2025, 3, 30, 21, 17, 0, 0, time.UTC)
	from, to := start.Add(20*time.Hour+13*time.Second), start.Add(44*time.Hour)
	for _, status := range []int{0, 429, 500, 403, 404} {
		want := map[string]*storage.AttentionKey{}
		for _, l := range logs {
			m := l.Time.Truncate(time.Minute)
			if l.Key == "" || m.Before(from.Truncate(time.Minute)) || !m.Before(to) {
				continue
			}
			a := want[l.Key]
			if a == nil {
				a = &storage.AttentionKey{Key: l.Key}
				want[l.Key] = a
			}
			a.Calls++
			if status == 0 && !l.Success || status != 0 && l.Status == status {
				a.Count++
			}
		}
		var exp []storage.AttentionKey
		for _, a := range want {
			if a.Count > 0 {
				exp = append(exp, *a)
			}
		}
		slices.SortFunc(exp, func(a, b storage.AttentionKey) int {
			if a.Count != b.Count {
				return int(b.Count - a.Count)
			}
			return strings.Compare(a.Key, b.Key)
		})
		if len(exp) > 3 {
			exp = exp[:3]
		}
		got, err := s.AttentionKeys(ctx, from, to, status, 3)
		require.NoError(t, err)
		assert.Equal(t, nilIfEmptyAtt(exp), nilIfEmptyAtt(got), "status %d", status)
	}
}

func nilIfEmptyAtt(a []storage.AttentionKey) []storage.AttentionKey {
	if len(a) == 0 {
		return nil
	}
	return a
}

func testStatsDelete(t *testing.T, s storage.Store) {
	day := time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)
	var logs []storage.RequestLog
	for i := range 48 {
		logs = append(logs, storage.RequestLog{Time: day.Add(time.Duration(i) * time.Hour), Key: "k", Model: "m", Status: 200, Success: true})
	}
	require.NoError(t, s.WriteRequestLogs(ctx, logs))
	all := storage.StatsQuery{From: day.Add(-24 * time.Hour), To: day.Add(72 * time.Hour)}
	rows, err := s.Stats(ctx, all)
	require.NoError(t, err)
	assert.Equal(t, int64(48), rows[0].Calls)
	_, _, err = s.DeleteLogsBefore(ctx, day.Add(24*time.Hour), time.Time{})
	require.NoError(t, err)
	rows, err = s.Stats(ctx, all)
	require.NoError(t, err)
	assert.Equal(t, int64(24), rows[0].Calls, "buckets before the cut go with the logs")
	rows, err = s.Stats(ctx, storage.StatsQuery{From: day.Add(24 * time.Hour), To: day.Add(25 * time.Hour), GroupBy: storage.GroupKey})
	require.NoError(t, err)
	assert.Equal(t, []storage.StatsRow{{Key: "k", StatsCounts: storage.StatsCounts{Calls: 1, Successes: 1}}}, rows)
}

// InsertRequestLogsSQL inserts logs into the request-log table of an SQL
// backend (times in Unix milliseconds) with plain INSERTs, bypassing the
// store and its statistics, as a program of an older schema version did
// before statistics buckets existed.
func InsertRequestLogsSQL(t *testing.T, db *sql.DB, table string, logs []storage.RequestLog) {
	t.Helper()
	tx, err := db.Begin()
	require.NoError(t, err)
	for _, l := range logs {
		_, err := tx.Exec("INSERT INTO "+table+" (time, api_key, model, kind, status, success, latency_ms, prompt_tokens, completion_tokens, total_tokens)"+
			" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", l.Time.UnixMilli(), l.Key, l.Model, l.Kind, l.Status, l.Success,
			l.Latency.Milliseconds(), l.PromptTokens, l.CompletionTokens, l.TotalTokens)
		require.NoError(t, err)
	}
	require.NoError(t, tx.Commit())
}
