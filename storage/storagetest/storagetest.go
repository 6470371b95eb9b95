// Package storagetest is the conformance suite every storage.Store backend
// must pass. A backend's test calls [Run] (or [RunPersistent] when its data
// outlives Close):
//
//	func TestConformance(t *testing.T) {
//		storagetest.RunPersistent(t, func(t *testing.T) (storage.Store, storagetest.Reopen) {
//			path := filepath.Join(t.TempDir(), "gb.db")
//			open := func(t *testing.T) storage.Store {
//				s, err := sqlite.Open(path)
//				require.NoError(t, err)
//				return s
//			}
//			return open(t), open
//		})
//	}
//
// The suite closes every store it is given. It expects times to be kept to
// at least the millisecond and returned as the same instant (any location),
// an empty per-model map to come back as nil or empty, and an empty error
// log request body to come back as nil.
package storagetest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/geminibalance/gb/storage"
)

// Open returns a new, empty store for one subtest. The suite closes it.
type Open func(t *testing.T) storage.Store

// Reopen opens again the data of a store that has been closed.
type Reopen func(t *testing.T) storage.Store

// OpenPersistent returns a new, empty store and a function that reopens
// its data after the suite has closed it.
type OpenPersistent func(t *testing.T) (storage.Store, Reopen)

// LargeKeyCount is how many keys the bulk subtest adds, saves and lists.
const LargeKeyCount = 100_000

// Run runs the conformance suite against the stores open returns: every
// method of storage.Store (statistics are checked against a brute-force
// count of the request logs written), batch sizes of [LargeKeyCount] keys
// and concurrent writers.
func Run(t *testing.T, open Open) {
	t.Helper()
	get := func(t *testing.T) storage.Store {
		t.Helper()
		s := open(t)
		require.NotNil(t, s, "open returned nil")
		t.Cleanup(func() { assert.NoError(t, s.Close()) })
		return s
	}
	t.Run("Keys", func(t *testing.T) {
		t.Run("AddAndList", func(t *testing.T) { testAddKeys(t, get(t)) })
		t.Run("Delete", func(t *testing.T) { testDeleteKeys(t, get(t)) })
		t.Run("StateRoundTrip", func(t *testing.T) { testStateRoundTrip(t, get(t)) })
		t.Run("StateRules", func(t *testing.T) { testStateRules(t, get(t)) })
		t.Run("NoAliasing", func(t *testing.T) { testNoAliasing(t, get(t)) })
		t.Run("Large", func(t *testing.T) { testLargeKeys(t, get(t)) })
	})
	t.Run("RequestLogs", func(t *testing.T) {
		t.Run("Count", func(t *testing.T) { testCountRequests(t, get(t)) })
		t.Run("DeleteBefore", func(t *testing.T) { testDeleteRequests(t, get(t)) })
	})
	t.Run("ErrorLogs", func(t *testing.T) {
		t.Run("Filter", func(t *testing.T) { testErrorFilter(t, get(t)) })
		t.Run("Paging", func(t *testing.T) { testErrorPaging(t, get(t)) })
		t.Run("Fields", func(t *testing.T) { testErrorFields(t, get(t)) })
		t.Run("DeleteBefore", func(t *testing.T) { testDeleteErrors(t, get(t)) })
	})
	t.Run("Settings", func(t *testing.T) { testSettings(t, get(t)) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, get(t)) })
	t.Run("Admin", func(t *testing.T) { runAdmin(t, get) })
}

// RunPersistent runs [Run] on the first store of each open call and then
// checks that keys, key states, logs and settings survive Close and two
// reopens.
func RunPersistent(t *testing.T, open OpenPersistent) {
	t.Helper()
	Run(t, func(t *testing.T) storage.Store {
		s, _ := open(t)
		return s
	})
	t.Run("Reopen", func(t *testing.T) { testReopen(t, open) })
}

var (
	ctx   = context.Background()
	base  = time.Date(2025, 3, 4, 5, 6, 7, 8_000_000, time.UTC)
	cmpTm = cmp.Options{
		cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) }),
		cmpopts.EquateEmpty(),
	}
)

// future returns a time d from now, to the millisecond, so that the store
// does not drop it as expired.
func future(d time.Duration) time.Time { return time.Now().Add(d).Truncate(time.Millisecond).UTC() }

func keyNames(recs []storage.KeyRecord) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.Key
	}
	return out
}

func listKeys(t *testing.T, s storage.Store) []storage.KeyRecord {
	t.Helper()
	recs, err := s.ListKeys(ctx)
	require.NoError(t, err)
	return recs
}

func stateOf(t *testing.T, s storage.Store, key string) storage.KeyState {
	t.Helper()
	for _, r := range listKeys(t, s) {
		if r.Key == key {
			return r.State
		}
	}
	require.Failf(t, "key missing", "key %q not listed", key)
	return storage.KeyState{}
}

func requireStateEqual(t *testing.T, want, got storage.KeyState) {
	t.Helper()
	if d := cmp.Diff(want, got, cmpTm); d != "" {
		require.Failf(t, "key state differs", "(-want +got):\n%s", d)
	}
}

// stateEqual is a fast cmp.Equal(a, b, cmpTm) for the bulk subtest.
func stateEqual(a, b storage.KeyState) bool {
	if a.Failures != b.Failures || a.Benched != b.Benched || a.BenchReason != b.BenchReason ||
		!a.BenchedAt.Equal(b.BenchedAt) || !a.UpdatedAt.Equal(b.UpdatedAt) || len(a.Models) != len(b.Models) ||
		(a.LastError == nil) != (b.LastError == nil) {
		return false
	}
	for k, v := range a.Models {
		w, ok := b.Models[k]
		if !ok || v.Reason != w.Reason || !v.Until.Equal(w.Until) {
			return false
		}
	}
	if a.LastError != nil {
		x, y := a.LastError, b.LastError
		return x.Status == y.Status && x.Message == y.Message && x.Time.Equal(y.Time)
	}
	return true
}

func testAddKeys(t *testing.T, s storage.Store) {
	before := time.Now().Add(-time.Second)
	require.Empty(t, listKeys(t, s))
	steps := []struct {
		name  string
		add   []string
		added int
		list  []string
	}{
		{"nil", nil, 0, nil},
		{"first", []string{"k1", "k2", "k3"}, 3, []string{"k1", "k2", "k3"}},
		{"repeats in input", []string{"k4", "k4", "k5", "k4"}, 2, []string{"k1", "k2", "k3", "k4", "k5"}},
		{"existing skipped, order kept", []string{"k2", "k0", "k1", "k9"}, 2, []string{"k1", "k2", "k3", "k4", "k5", "k0", "k9"}},
		{"all existing", []string{"k9", "k3"}, 0, []string{"k1", "k2", "k3", "k4", "k5", "k0", "k9"}},
		{"case matters", []string{"K1"}, 1, []string{"k1", "k2", "k3", "k4", "k5", "k0", "k9", "K1"}},
	}
	for _, st := range steps {
		n, err := s.AddKeys(ctx, st.add)
		require.NoError(t, err, st.name)
		assert.Equal(t, st.added, n, st.name)
		recs := listKeys(t, s)
		assert.Equal(t, st.list, nilIfEmpty(keyNames(recs)), st.name)
	}
	after := time.Now().Add(time.Second)
	for _, r := range listKeys(t, s) {
		assert.True(t, r.AddedAt.After(before) && r.AddedAt.Before(after), "AddedAt %v of %s not near now", r.AddedAt, r.Key)
		requireStateEqual(t, storage.KeyState{}, r.State)
	}
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

func testDeleteKeys(t *testing.T, s storage.Store) {
	_, err := s.AddKeys(ctx, []string{"a", "b", "c", "d", "e"})
	require.NoError(t, err)
	steps := []struct {
		name    string
		del     []string
		deleted int
		list    []string
	}{
		{"nil", nil, 0, []string{"a", "b", "c", "d", "e"}},
		{"unknown", []string{"x", "y"}, 0, []string{"a", "b", "c", "d", "e"}},
		{"some, with repeats and unknown", []string{"b", "x", "d", "b"}, 2, []string{"a", "c", "e"}},
		{"again", []string{"b", "d"}, 0, []string{"a", "c", "e"}},
		{"rest", []string{"e", "a", "c"}, 3, nil},
	}
	for _, st := range steps {
		n, err := s.DeleteKeys(ctx, st.del)
		require.NoError(t, err, st.name)
		assert.Equal(t, st.deleted, n, st.name)
		assert.Equal(t, st.list, nilIfEmpty(keyNames(listKeys(t, s))), st.name)
	}
	// A deleted key comes back at the end with a fresh state.
	_, err = s.AddKeys(ctx, []string{"a", "b"})
	require.NoError(t, err)
	require.NoError(t, s.SaveKeyStates(ctx, map[string]storage.KeyState{"a": {Failures: 3, Benched: true}}))
	_, err = s.DeleteKeys(ctx, []string{"a"})
	require.NoError(t, err)
	n, err := s.AddKeys(ctx, []string{"a"})
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	assert.Equal(t, []string{"b", "a"}, keyNames(listKeys(t, s)))
	requireStateEqual(t, storage.KeyState{}, stateOf(t, s, "a"))
}

func testStateRoundTrip(t *testing.T, s storage.Store) {
	until := future(time.Hour)
	cases := []struct {
		name  string
		state storage.KeyState
	}{
		{"zero", storage.KeyState{}},
		{"failures", storage.KeyState{Failures: 2, UpdatedAt: base}},
		{"benched", storage.KeyState{Benched: true, BenchReason: "API_KEY_INVALID", BenchedAt: base, Failures: 5, UpdatedAt: base.Add(time.Second)}},
		{"models", storage.KeyState{
			Models: map[string]storage.ModelState{
				"gemini-2.5-pro":   {Until: until, Reason: "DAILY_QUOTA"},
				"gemini-2.5-flash": {Until: until.Add(time.Minute), Reason: "RATE_LIMIT"},
				"imagen-3.0":       {Reason: "PERMISSION_DENIED"}, // until reset
			},
			UpdatedAt: base,
		}},
		{"last error", storage.KeyState{
			LastError: &storage.LastError{Time: base.Add(-time.Minute), Status: 429, Message: "Resource has been exhausted (e.g. check quota). «ünïcode»"},
			UpdatedAt: base,
		}},
		{"last error without status", storage.KeyState{
			LastError: &storage.LastError{Time: base, Status: 0, Message: "connection reset"},
		}},
		{"everything", storage.KeyState{
			Failures: 1, Benched: true, BenchReason: "CONSUMER_SUSPENDED", BenchedAt: base,
			Models:    map[string]storage.ModelState{"m": {Until: until, Reason: "RATE_LIMIT"}},
			LastError: &storage.LastError{Time: base, Status: 403, Message: "denied"},
			UpdatedAt: base.Add(time.Hour),
		}},
	}
	keys := make([]string, len(cases))
	states := map[string]storage.KeyState{}
	for i, c := range cases {
		keys[i] = fmt.Sprintf("key-%02d", i)
		states[keys[i]] = c.state
	}
	_, err := s.AddKeys(ctx, keys)
	require.NoError(t, err)
	// One call with all of them, then each on its own over a different
	// state, to see both the batch and the replace paths.
	require.NoError(t, s.SaveKeyStates(ctx, states))
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			requireStateEqual(t, c.state, stateOf(t, s, keys[i]))
			other := cases[(i+1)%len(cases)].state
			require.NoError(t, s.SaveKeyStates(ctx, map[string]storage.KeyState{keys[i]: other}))
			requireStateEqual(t, other, stateOf(t, s, keys[i]))
			require.NoError(t, s.SaveKeyStates(ctx, map[string]storage.KeyState{keys[i]: c.state}))
			requireStateEqual(t, c.state, stateOf(t, s, keys[i]))
		})
	}
	assert.Equal(t, keys, keyNames(listKeys(t, s)), "saving states must not change the order")
}

func testStateRules(t *testing.T, s storage.Store) {
	_, err := s.AddKeys(ctx, []string{"known"})
	require.NoError(t, err)
	st := storage.KeyState{Failures: 4, Benched: true, BenchReason: "X", BenchedAt: base}

	// Unknown keys are ignored, not created.
	require.NoError(t, s.SaveKeyStates(ctx, map[string]storage.KeyState{"unknown": st, "known": st}))
	assert.Equal(t, []string{"known"}, keyNames(listKeys(t, s)))
	requireStateEqual(t, st, stateOf(t, s, "known"))

	// Key names are case-sensitive.
	require.NoError(t, s.SaveKeyStates(ctx, map[string]storage.KeyState{"KNOWN": {Failures: 9}}))
	requireStateEqual(t, st, stateOf(t, s, "known"))

	// Adding an existing key keeps its state.
	n, err := s.AddKeys(ctx, []string{"known"})
	require.NoError(t, err)
	assert.Zero(t, n)
	requireStateEqual(t, st, stateOf(t, s, "known"))

	// Empty input is fine.
	require.NoError(t, s.SaveKeyStates(ctx, nil))
	require.NoError(t, s.SaveKeyStates(ctx, map[string]storage.KeyState{}))

	// A state replaces the previous one as a whole: models not named are
	// gone, a nil LastError clears it.
	full := storage.KeyState{
		Models:    map[string]storage.ModelState{"a": {Reason: "PERMISSION_DENIED"}, "b": {Until: future(time.Hour), Reason: "RATE_LIMIT"}},
		LastError: &storage.LastError{Time: base, Status: 500, Message: "boom"},
	}
	require.NoError(t, s.SaveKeyStates(ctx, map[string]storage.KeyState{"known": full}))
	requireStateEqual(t, full, stateOf(t, s, "known"))
	less := storage.KeyState{Models: map[string]storage.ModelState{"b": full.Models["b"]}}
	require.NoError(t, s.SaveKeyStates(ctx, map[string]storage.KeyState{"known": less}))
	requireStateEqual(t, less, stateOf(t, s, "known"))

	// An expired restriction may be dropped; a live one must stay.
	mixed := storage.KeyState{Models: map[string]storage.ModelState{
		"old":  {Until: time.Now().Add(-time.Hour).Truncate(time.Millisecond), Reason: "RATE_LIMIT"},
		"live": {Until: future(time.Hour), Reason: "RATE_LIMIT"},
	}}
	require.NoError(t, s.SaveKeyStates(ctx, map[string]storage.KeyState{"known": mixed}))
	got := stateOf(t, s, "known")
	require.Contains(t, got.Models, "live")
	assert.True(t, got.Models["live"].Until.Equal(mixed.Models["live"].Until))
	if old, ok := got.Models["old"]; ok {
		assert.True(t, old.Until.Equal(mixed.Models["old"].Until))
	}
}

func testNoAliasing(t *testing.T, s storage.Store) {
	_, err := s.AddKeys(ctx, []string{"k"})
	require.NoError(t, err)
	until := future(time.Hour)
	in := storage.KeyState{
		Models:    map[string]storage.ModelState{"m": {Until: until, Reason: "RATE_LIMIT"}},
		LastError: &storage.LastError{Time: base, Status: 429, Message: "quota"},
	}
	require.NoError(t, s.SaveKeyStates(ctx, map[string]storage.KeyState{"k": in}))
	// Changing what was passed in must not change the store.
	in.Models["m"] = storage.ModelState{Reason: "CHANGED"}
	in.Models["n"] = storage.ModelState{}
	in.LastError.Message = "changed"
	want := storage.KeyState{
		Models:    map[string]storage.ModelState{"m": {Until: until, Reason: "RATE_LIMIT"}},
		LastError: &storage.LastError{Time: base, Status: 429, Message: "quota"},
	}
	got := stateOf(t, s, "k")
	requireStateEqual(t, want, got)
	// Neither must changing what came out.
	got.Models["m"] = storage.ModelState{Reason: "CHANGED"}
	got.LastError.Status = 1
	requireStateEqual(t, want, stateOf(t, s, "k"))

	settings := map[string]string{"A": "1"}
	require.NoError(t, s.PutSettings(ctx, settings))
	settings["A"] = "2"
	out, err := s.Settings(ctx)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"A": "1"}, out)
	out["A"] = "3"
	out2, err := s.Settings(ctx)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"A": "1"}, out2)

	body := []byte("body")
	require.NoError(t, s.WriteErrorLogs(ctx, []storage.ErrorLog{{Time: base, Message: "m", RequestBody: body}}))
	body[0] = 'X'
	logs, _, err := s.ListErrorLogs(ctx, storage.ErrorLogFilter{})
	require.NoError(t, err)
	require.Len(t, logs, 1)
	assert.Equal(t, "body", string(logs[0].RequestBody))
	logs[0].RequestBody[0] = 'Y'
	logs, _, err = s.ListErrorLogs(ctx, storage.ErrorLogFilter{})
	require.NoError(t, err)
	assert.Equal(t, "body", string(logs[0].RequestBody))
}

func testLargeKeys(t *testing.T, s storage.Store) {
	keys := make([]string, LargeKeyCount)
	for i := range keys {
		keys[i] = fmt.Sprintf("AIzaSy-large-%07d-%s", LargeKeyCount-i, "xxxxxxxxxxxxxxxxxxxx") // not sorted
	}
	start := time.Now()
	n, err := s.AddKeys(ctx, keys)
	require.NoError(t, err)
	require.Equal(t, len(keys), n)
	t.Logf("AddKeys(%d): %v", len(keys), time.Since(start))

	start = time.Now()
	recs := listKeys(t, s)
	t.Logf("ListKeys: %v", time.Since(start))
	require.Equal(t, keys, keyNames(recs))

	until := future(time.Hour)
	states := make(map[string]storage.KeyState, len(keys))
	for i, k := range keys {
		st := storage.KeyState{Failures: i % 7, UpdatedAt: base}
		if i%10 == 0 {
			st.Benched, st.BenchReason, st.BenchedAt = true, "API_KEY_INVALID", base
		}
		if i%3 == 0 {
			st.Models = map[string]storage.ModelState{"gemini-2.5-pro": {Until: until, Reason: "DAILY_QUOTA"}}
		}
		if i%5 == 0 {
			st.LastError = &storage.LastError{Time: base, Status: 429, Message: "quota"}
		}
		states[k] = st
	}
	start = time.Now()
	require.NoError(t, s.SaveKeyStates(ctx, states))
	t.Logf("SaveKeyStates(%d): %v", len(states), time.Since(start))

	recs = listKeys(t, s)
	require.Len(t, recs, len(keys))
	for i, r := range recs {
		require.Equal(t, keys[i], r.Key)
		if !stateEqual(states[r.Key], r.State) {
			require.Failf(t, "state differs", "key %d (-want +got):\n%s", i, cmp.Diff(states[r.Key], r.State, cmpTm))
		}
	}

	n, err = s.AddKeys(ctx, keys)
	require.NoError(t, err)
	assert.Zero(t, n)

	start = time.Now()
	n, err = s.DeleteKeys(ctx, keys)
	require.NoError(t, err)
	assert.Equal(t, len(keys), n)
	t.Logf("DeleteKeys(%d): %v", len(keys), time.Since(start))
	assert.Empty(t, listKeys(t, s))
}

func testCountRequests(t *testing.T, s storage.Store) {
	total, ok, err := s.CountRequestLogs(ctx, time.Time{}, time.Time{})
	require.NoError(t, err)
	assert.Zero(t, total)
	assert.Zero(t, ok)

	var logs []storage.RequestLog
	for i := range 10 {
		logs = append(logs, storage.RequestLog{
			Time: base.Add(time.Duration(i) * time.Second), Key: fmt.Sprintf("k%d", i%3), Model: "gemini-2.5-flash",
			Kind: "gemini-chat-stream", Status: map[bool]int{true: 200, false: 429}[i%2 == 0], Success: i%2 == 0,
			Latency: time.Duration(i) * 100 * time.Millisecond, PromptTokens: i, CompletionTokens: 2 * i, TotalTokens: 3 * i,
		})
	}
	require.NoError(t, s.WriteRequestLogs(ctx, logs[:4]))
	require.NoError(t, s.WriteRequestLogs(ctx, logs[4:]))
	require.NoError(t, s.WriteRequestLogs(ctx, nil))

	sec := func(n float64) time.Time { return base.Add(time.Duration(n * float64(time.Second))) }
	cases := []struct {
		name          string
		from, to      time.Time
		total, succes int
	}{
		{"open", time.Time{}, time.Time{}, 10, 5},
		{"first half", base, sec(5), 5, 3},
		{"second half, open end", sec(5), time.Time{}, 5, 2},
		{"open start", time.Time{}, sec(2), 2, 1},
		{"last one", sec(9), sec(10), 1, 0},
		{"to is exclusive", sec(3), sec(4), 1, 0},
		{"between", sec(1.5), sec(2), 0, 0},
		{"after", sec(10), sec(20), 0, 0},
		{"before", base.Add(-time.Hour), base, 0, 0},
		{"millisecond bounds", sec(2), sec(2).Add(time.Millisecond), 1, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			total, ok, err := s.CountRequestLogs(ctx, c.from, c.to)
			require.NoError(t, err)
			assert.Equal(t, c.total, total, "total")
			assert.Equal(t, c.succes, ok, "success")
		})
	}
}

func testDeleteRequests(t *testing.T, s storage.Store) {
	var logs []storage.RequestLog
	for i := range 10 {
		logs = append(logs, storage.RequestLog{Time: base.Add(time.Duration(i) * time.Minute), Success: true, Status: 200})
	}
	require.NoError(t, s.WriteRequestLogs(ctx, logs))
	require.NoError(t, s.WriteErrorLogs(ctx, []storage.ErrorLog{{Time: base, Message: "x"}}))
	steps := []struct {
		name          string
		reqs, errs    time.Time
		wantR, wantE  int64
		left, errLeft int
	}{
		{"zero times delete nothing", time.Time{}, time.Time{}, 0, 0, 10, 1},
		{"before the first", base, time.Time{}, 0, 0, 10, 1},
		{"some", base.Add(3 * time.Minute), time.Time{}, 3, 0, 7, 1},
		{"same again", base.Add(3 * time.Minute), time.Time{}, 0, 0, 7, 1},
		{"errors only", time.Time{}, base.Add(time.Millisecond), 0, 1, 7, 0},
		{"all", base.Add(time.Hour), base.Add(time.Hour), 7, 0, 0, 0},
	}
	for _, st := range steps {
		r, e, err := s.DeleteLogsBefore(ctx, st.reqs, st.errs)
		require.NoError(t, err, st.name)
		assert.Equal(t, st.wantR, r, st.name)
		assert.Equal(t, st.wantE, e, st.name)
		total, _, err := s.CountRequestLogs(ctx, time.Time{}, time.Time{})
		require.NoError(t, err)
		assert.Equal(t, st.left, total, st.name)
		_, n, err := s.ListErrorLogs(ctx, storage.ErrorLogFilter{})
		require.NoError(t, err)
		assert.Equal(t, st.errLeft, n, st.name)
	}
}

func messages(logs []storage.ErrorLog) []string {
	out := make([]string, len(logs))
	for i, l := range logs {
		out[i] = l.Message
	}
	return out
}

func testErrorFilter(t *testing.T, s storage.Store) {
	at := func(sec int) time.Time { return base.Add(time.Duration(sec) * time.Second) }
	in := []storage.ErrorLog{
		{Time: at(0), Key: "kA", Model: "m1", Kind: "gemini-chat-stream", Status: 429, Message: "a1"},
		{Time: at(1), Key: "kB", Model: "m1", Kind: "openai-chat-non-stream", Status: 500, Message: "b1"},
		{Time: at(2), Key: "kA", Model: "m2", Kind: "gemini-chat-stream", Status: 400, Message: "a2"},
		{Time: at(3), Key: "kA", Model: "m1", Kind: "gemini-chat-stream", Status: 429, Message: "a3"},
		{Time: at(3), Key: "kC", Model: "m3", Kind: "gemini-embed-single", Status: 0, Message: "c1"}, // same time, later ID
	}
	require.NoError(t, s.WriteErrorLogs(ctx, in[:2]))
	require.NoError(t, s.WriteErrorLogs(ctx, in[2:]))
	cases := []struct {
		name string
		f    storage.ErrorLogFilter
		want []string
	}{
		{"all, newest first", storage.ErrorLogFilter{}, []string{"c1", "a3", "a2", "b1", "a1"}},
		{"key", storage.ErrorLogFilter{Key: "kA"}, []string{"a3", "a2", "a1"}},
		{"model", storage.ErrorLogFilter{Model: "m1"}, []string{"a3", "b1", "a1"}},
		{"kind", storage.ErrorLogFilter{Kind: "openai-chat-non-stream"}, []string{"b1"}},
		{"status", storage.ErrorLogFilter{Status: 429}, []string{"a3", "a1"}},
		{"from", storage.ErrorLogFilter{From: at(1)}, []string{"c1", "a3", "a2", "b1"}},
		{"to is exclusive", storage.ErrorLogFilter{To: at(2)}, []string{"b1", "a1"}},
		{"from and to", storage.ErrorLogFilter{From: at(1), To: at(3)}, []string{"a2", "b1"}},
		{"key and status", storage.ErrorLogFilter{Key: "kA", Status: 400}, []string{"a2"}},
		{"key is exact", storage.ErrorLogFilter{Key: "ka"}, nil},
		{"no match", storage.ErrorLogFilter{Model: "nope"}, nil},
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

func testErrorPaging(t *testing.T, s storage.Store) {
	const n = 250
	var in []storage.ErrorLog
	for i := range n {
		in = append(in, storage.ErrorLog{Time: base.Add(time.Duration(i) * time.Millisecond), Key: "k", Message: fmt.Sprintf("m%03d", i)})
	}
	require.NoError(t, s.WriteErrorLogs(ctx, in))
	newestFirst := make([]string, n)
	for i := range n {
		newestFirst[i] = fmt.Sprintf("m%03d", n-1-i)
	}
	cases := []struct {
		name          string
		limit, offset int
		want          []string
	}{
		{"default limit is 100", 0, 0, newestFirst[:100]},
		{"negative limit is 100", -5, 0, newestFirst[:100]},
		{"first page", 10, 0, newestFirst[:10]},
		{"middle page", 10, 120, newestFirst[120:130]},
		{"last partial page", 30, 240, newestFirst[240:]},
		{"past the end", 10, n, nil},
		{"negative offset", 3, -1, newestFirst[:3]},
		{"all", 1000, 0, newestFirst},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			logs, total, err := s.ListErrorLogs(ctx, storage.ErrorLogFilter{Key: "k", Limit: c.limit, Offset: c.offset})
			require.NoError(t, err)
			assert.Equal(t, c.want, nilIfEmpty(messages(logs)))
			assert.Equal(t, n, total)
		})
	}
}

func testErrorFields(t *testing.T, s storage.Store) {
	long := string(slices.Repeat([]byte("long message "), 10_000))
	in := []storage.ErrorLog{
		{ID: 999, Time: base, Key: "AIzaSyKEY", Model: "gemini-2.5-pro", Kind: "gemini-chat-non-stream", Status: 503, Message: "unavailable", RequestBody: []byte(`{"contents":[{"parts":[{"text":"hi ü"}]}]}`)},
		{Time: base.Add(time.Millisecond), Key: "k2", Model: "m", Kind: "k", Status: 400, Message: long, RequestBody: []byte{0, 1, 2, 255, 254}},
		{Time: base.Add(2 * time.Millisecond), Key: "k3", Message: "no body"},
	}
	require.NoError(t, s.WriteErrorLogs(ctx, in))
	logs, total, err := s.ListErrorLogs(ctx, storage.ErrorLogFilter{})
	require.NoError(t, err)
	require.Equal(t, 3, total)
	require.Len(t, logs, 3)
	seen := map[int64]bool{}
	for i, got := range logs {
		want := in[len(in)-1-i]
		assert.NotZero(t, got.ID)
		assert.False(t, seen[got.ID], "IDs must be unique")
		seen[got.ID] = true
		want.ID = got.ID
		if d := cmp.Diff(want, got, cmpTm); d != "" {
			t.Errorf("error log %d (-want +got):\n%s", i, d)
		}
	}
	assert.Nil(t, logs[0].RequestBody, "no body comes back as nil")
}

func testDeleteErrors(t *testing.T, s storage.Store) {
	var in []storage.ErrorLog
	for i := range 6 {
		in = append(in, storage.ErrorLog{Time: base.Add(time.Duration(i) * time.Hour), Message: fmt.Sprint(i)})
	}
	require.NoError(t, s.WriteErrorLogs(ctx, in))
	require.NoError(t, s.WriteRequestLogs(ctx, []storage.RequestLog{{Time: base}}))
	r, e, err := s.DeleteLogsBefore(ctx, time.Time{}, base.Add(2*time.Hour))
	require.NoError(t, err)
	assert.Zero(t, r)
	assert.Equal(t, int64(2), e)
	logs, total, err := s.ListErrorLogs(ctx, storage.ErrorLogFilter{})
	require.NoError(t, err)
	assert.Equal(t, 4, total)
	assert.Equal(t, []string{"5", "4", "3", "2"}, messages(logs))
	n, _, err := s.CountRequestLogs(ctx, time.Time{}, time.Time{})
	require.NoError(t, err)
	assert.Equal(t, 1, n)
}

func testSettings(t *testing.T, s storage.Store) {
	long := string(slices.Repeat([]byte("x"), 100_000))
	steps := []struct {
		name string
		put  map[string]string
		del  []string
		want map[string]string
	}{
		{"empty", nil, nil, map[string]string{}},
		{"put", map[string]string{"MAX_RETRIES": "3", "API_KEYS": `["a","b"]`}, nil, map[string]string{"MAX_RETRIES": "3", "API_KEYS": `["a","b"]`}},
		{"overwrite and add", map[string]string{"MAX_RETRIES": "5", "EMPTY": "", "UNICODE": "héllo → 世界"}, nil,
			map[string]string{"MAX_RETRIES": "5", "API_KEYS": `["a","b"]`, "EMPTY": "", "UNICODE": "héllo → 世界"}},
		{"long value", map[string]string{"LONG": long}, nil,
			map[string]string{"MAX_RETRIES": "5", "API_KEYS": `["a","b"]`, "EMPTY": "", "UNICODE": "héllo → 世界", "LONG": long}},
		{"delete some, with unknown", nil, []string{"API_KEYS", "NOPE", "LONG"}, map[string]string{"MAX_RETRIES": "5", "EMPTY": "", "UNICODE": "héllo → 世界"}},
		{"names are case-sensitive", map[string]string{"max_retries": "1"}, []string{"empty"},
			map[string]string{"MAX_RETRIES": "5", "max_retries": "1", "EMPTY": "", "UNICODE": "héllo → 世界"}},
		{"delete rest", nil, []string{"MAX_RETRIES", "max_retries", "EMPTY", "UNICODE"}, map[string]string{}},
	}
	for _, st := range steps {
		require.NoError(t, s.PutSettings(ctx, st.put), st.name)
		require.NoError(t, s.DeleteSettings(ctx, st.del), st.name)
		got, err := s.Settings(ctx)
		require.NoError(t, err, st.name)
		if len(st.want) == 0 {
			assert.Empty(t, got, st.name)
		} else {
			assert.Equal(t, st.want, got, st.name)
		}
	}
}

func testConcurrent(t *testing.T, s storage.Store) {
	const (
		workers   = 8
		rounds    = 25
		perRound  = 20
		baseKeys  = 200
		newPerWkr = 50
	)
	initial := make([]string, baseKeys)
	for i := range initial {
		initial[i] = fmt.Sprintf("base-%04d", i)
	}
	_, err := s.AddKeys(ctx, initial)
	require.NoError(t, err)

	var wg sync.WaitGroup
	errc := make(chan error, workers*8)
	run := func(f func() error) {
		wg.Go(func() {
			if err := f(); err != nil {
				errc <- err
			}
		})
	}
	for w := range workers {
		run(func() error { // request logs
			for r := range rounds {
				logs := make([]storage.RequestLog, perRound)
				for i := range logs {
					logs[i] = storage.RequestLog{Time: base.Add(time.Duration(w*1000+r) * time.Millisecond), Key: "k", Success: i%2 == 0, Status: 200}
				}
				if err := s.WriteRequestLogs(ctx, logs); err != nil {
					return err
				}
			}
			return nil
		})
		run(func() error { // error logs
			for r := range rounds {
				if err := s.WriteErrorLogs(ctx, []storage.ErrorLog{{Time: base, Key: fmt.Sprintf("w%d", w), Message: fmt.Sprint(r)}}); err != nil {
					return err
				}
			}
			return nil
		})
		run(func() error { // new keys, in small batches
			for b := range newPerWkr / 10 {
				batch := make([]string, 10)
				for i := range batch {
					batch[i] = fmt.Sprintf("w%d-%d-%d", w, b, i)
				}
				if _, err := s.AddKeys(ctx, append(batch, initial[(w*7+b)%baseKeys])); err != nil {
					return err
				}
			}
			return nil
		})
		run(func() error { // states of shared keys
			for r := range rounds {
				states := map[string]storage.KeyState{}
				for i := range 20 {
					states[initial[(w*13+r*7+i)%baseKeys]] = storage.KeyState{Failures: w + 1, UpdatedAt: base}
				}
				if err := s.SaveKeyStates(ctx, states); err != nil {
					return err
				}
			}
			return nil
		})
		run(func() error { // settings
			for r := range rounds {
				if err := s.PutSettings(ctx, map[string]string{fmt.Sprintf("W%d", w): fmt.Sprint(r), "SHARED": fmt.Sprint(w)}); err != nil {
					return err
				}
			}
			return nil
		})
		run(func() error { // readers alongside
			for range rounds {
				if _, err := s.ListKeys(ctx); err != nil {
					return err
				}
				if _, _, err := s.ListErrorLogs(ctx, storage.ErrorLogFilter{Limit: 5}); err != nil {
					return err
				}
				if _, _, err := s.CountRequestLogs(ctx, time.Time{}, time.Time{}); err != nil {
					return err
				}
			}
			return nil
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		require.NoError(t, err)
	}

	total, ok, err := s.CountRequestLogs(ctx, time.Time{}, time.Time{})
	require.NoError(t, err)
	assert.Equal(t, workers*rounds*perRound, total)
	assert.Equal(t, workers*rounds*perRound/2, ok)
	_, n, err := s.ListErrorLogs(ctx, storage.ErrorLogFilter{})
	require.NoError(t, err)
	assert.Equal(t, workers*rounds, n)
	recs := listKeys(t, s)
	assert.Len(t, recs, baseKeys+workers*newPerWkr)
	assert.Equal(t, initial, keyNames(recs)[:baseKeys])
	for _, r := range recs[:baseKeys] {
		assert.True(t, r.State.Failures >= 0 && r.State.Failures <= workers)
	}
	settings, err := s.Settings(ctx)
	require.NoError(t, err)
	assert.Len(t, settings, workers+1)
	for w := range workers {
		assert.Equal(t, fmt.Sprint(rounds-1), settings[fmt.Sprintf("W%d", w)])
	}
}

func testReopen(t *testing.T, open OpenPersistent) {
	s, reopen := open(t)
	until := future(time.Hour)
	states := map[string]storage.KeyState{
		"k1": {Failures: 2, Benched: true, BenchReason: "API_KEY_INVALID", BenchedAt: base, UpdatedAt: base,
			Models:    map[string]storage.ModelState{"m1": {Until: until, Reason: "DAILY_QUOTA"}, "m2": {Reason: "PERMISSION_DENIED"}},
			LastError: &storage.LastError{Time: base, Status: 400, Message: "API key not valid"}},
		"k2": {},
		"k3": {Failures: 1, UpdatedAt: base.Add(time.Second)},
	}
	_, err := s.AddKeys(ctx, []string{"k3", "k1", "k2"})
	require.NoError(t, err)
	require.NoError(t, s.SaveKeyStates(ctx, states))
	require.NoError(t, s.WriteRequestLogs(ctx, []storage.RequestLog{{Time: base, Success: true}, {Time: base, Success: false}}))
	errLog := storage.ErrorLog{Time: base, Key: "k1", Model: "m1", Kind: "gemini-chat-stream", Status: 400, Message: "bad", RequestBody: []byte("{}")}
	require.NoError(t, s.WriteErrorLogs(ctx, []storage.ErrorLog{errLog}))
	require.NoError(t, s.PutSettings(ctx, map[string]string{"MAX_FAILURES": "10"}))
	before := listKeys(t, s)
	require.NoError(t, s.Close())

	for round := range 2 {
		s = reopen(t)
		recs := listKeys(t, s)
		require.Equal(t, []string{"k3", "k1", "k2"}, keyNames(recs), "round %d", round)
		for i, r := range recs {
			assert.True(t, r.AddedAt.Equal(before[i].AddedAt), "AddedAt of %s", r.Key)
			requireStateEqual(t, states[r.Key], r.State)
		}
		total, ok, err := s.CountRequestLogs(ctx, time.Time{}, time.Time{})
		require.NoError(t, err)
		assert.Equal(t, 2, total)
		assert.Equal(t, 1, ok)
		logs, n, err := s.ListErrorLogs(ctx, storage.ErrorLogFilter{})
		require.NoError(t, err)
		require.Equal(t, 1, n)
		errLog.ID = logs[0].ID
		if d := cmp.Diff(errLog, logs[0], cmpTm); d != "" {
			t.Errorf("error log after reopen (-want +got):\n%s", d)
		}
		settings, err := s.Settings(ctx)
		require.NoError(t, err)
		assert.Equal(t, map[string]string{"MAX_FAILURES": "10"}, settings)
		require.NoError(t, s.Close())
	}
}
