// Package memory is a storage backend that keeps everything in process
// memory: nothing survives Close. It is meant for tests, for embedding gb,
// and for running without a database.
//
// It behaves like the SQL backends: times come back in UTC truncated to the
// millisecond, expired per-model restrictions are dropped on save, and
// records are copied in and out, so no caller shares a map or slice with
// the store.
package memory

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/geminibalance/gb/storage"
)

// Store is an in-memory storage.Store. The zero value is not usable; call
// [New]. It is safe for concurrent use.
type Store struct {
	mu       sync.RWMutex
	keys     map[string]*keyEntry
	seq      int64 // insertion counter for key order
	requests []storage.RequestLog
	errs     []storage.ErrorLog // ascending ID
	nextErr  int64
	settings map[string]string
	stats    map[bucket]*storage.StatsCounts // per minute, key and model
}

// bucket identifies one minute of one key and model.
type bucket struct {
	minute int64 // Unix milliseconds
	key    string
	model  string
}

type keyEntry struct {
	seq int64
	rec storage.KeyRecord
}

var _ storage.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	return &Store{keys: map[string]*keyEntry{}, settings: map[string]string{}, stats: map[bucket]*storage.StatsCounts{}}
}

func norm(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return time.UnixMilli(t.UnixMilli()).UTC()
}

func copyState(st storage.KeyState, now time.Time) storage.KeyState {
	out := storage.KeyState{
		Failures:    st.Failures,
		Benched:     st.Benched,
		BenchReason: st.BenchReason,
		BenchedAt:   norm(st.BenchedAt),
		UpdatedAt:   norm(st.UpdatedAt),
	}
	for k, v := range st.Models {
		if !now.IsZero() && !v.Until.IsZero() && v.Until.Before(now) {
			continue
		}
		if out.Models == nil {
			out.Models = make(map[string]storage.ModelState, len(st.Models))
		}
		out.Models[k] = storage.ModelState{Until: norm(v.Until), Reason: v.Reason}
	}
	if st.LastError != nil {
		le := *st.LastError
		le.Time = norm(le.Time)
		out.LastError = &le
	}
	return out
}

// ListKeys returns every stored key in insertion order.
func (s *Store) ListKeys(ctx context.Context) ([]storage.KeyRecord, error) {
	s.mu.RLock()
	entries := make([]*keyEntry, 0, len(s.keys))
	for _, e := range s.keys {
		entries = append(entries, e)
	}
	slices.SortFunc(entries, func(a, b *keyEntry) int { return cmp.Compare(a.seq, b.seq) })
	out := make([]storage.KeyRecord, len(entries))
	for i, e := range entries {
		out[i] = storage.KeyRecord{Key: e.rec.Key, AddedAt: e.rec.AddedAt, State: copyState(e.rec.State, time.Time{})}
	}
	s.mu.RUnlock()
	return out, nil
}

// AddKeys stores keys not stored yet, in order, and returns how many were
// new. Empty strings are skipped.
func (s *Store) AddKeys(ctx context.Context, keys []string) (int, error) {
	now := norm(time.Now())
	s.mu.Lock()
	defer s.mu.Unlock()
	added := 0
	for _, k := range keys {
		if k == "" {
			continue
		}
		if _, ok := s.keys[k]; ok {
			continue
		}
		s.seq++
		s.keys[k] = &keyEntry{seq: s.seq, rec: storage.KeyRecord{Key: k, AddedAt: now}}
		added++
	}
	return added, nil
}

// DeleteKeys removes keys and returns how many existed.
func (s *Store) DeleteKeys(ctx context.Context, keys []string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, k := range keys {
		if _, ok := s.keys[k]; ok {
			delete(s.keys, k)
			n++
		}
	}
	return n, nil
}

// SaveKeyStates replaces the state of stored keys; unknown keys are
// ignored and expired per-model entries dropped.
func (s *Store) SaveKeyStates(ctx context.Context, states map[string]storage.KeyState) error {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, st := range states {
		if e, ok := s.keys[k]; ok {
			e.rec.State = copyState(st, now)
		}
	}
	return nil
}

// WriteRequestLogs appends request logs.
func (s *Store) WriteRequestLogs(ctx context.Context, logs []storage.RequestLog) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range logs {
		l.Time = norm(l.Time)
		l.Latency = l.Latency.Truncate(time.Millisecond)
		s.requests = append(s.requests, l)
		b := bucket{minute: minuteOf(l.Time), key: l.Key, model: l.Model}
		c := s.stats[b]
		if c == nil {
			c = &storage.StatsCounts{}
			s.stats[b] = c
		}
		c.Add(storage.CountsOf(l))
	}
	return nil
}

// WriteErrorLogs appends error logs and assigns their IDs.
func (s *Store) WriteErrorLogs(ctx context.Context, logs []storage.ErrorLog) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range logs {
		s.nextErr++
		l.ID = s.nextErr
		l.Time = norm(l.Time)
		l.RequestBody = cloneBytes(l.RequestBody)
		s.errs = append(s.errs, l)
	}
	return nil
}

func cloneBytes(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return slices.Clone(b)
}

func inRange(t, from, to time.Time) bool {
	return (from.IsZero() || !t.Before(norm(from))) && (to.IsZero() || t.Before(norm(to)))
}

// ListErrorLogs returns error logs matching f, newest first, and how many
// match in all.
func (s *Store) ListErrorLogs(ctx context.Context, f storage.ErrorLogFilter) ([]storage.ErrorLog, int, error) {
	limit, offset := f.Limit, max(f.Offset, 0)
	if limit <= 0 {
		limit = 100
	}
	s.mu.RLock()
	var match []*storage.ErrorLog
	for i := range s.errs {
		l := &s.errs[i]
		if (f.Key == "" || l.Key == f.Key) && (f.Model == "" || l.Model == f.Model) &&
			(f.Kind == "" || l.Kind == f.Kind) && (f.Status == 0 || l.Status == f.Status) &&
			inRange(l.Time, f.From, f.To) && containsFold(l.Key, f.KeyContains) && containsFold(l.Message, f.Text) {
			match = append(match, l)
		}
	}
	slices.SortStableFunc(match, func(a, b *storage.ErrorLog) int {
		c := 0
		if f.SortBy != "id" {
			c = a.Time.Compare(b.Time)
		}
		if c == 0 {
			c = cmp.Compare(a.ID, b.ID)
		}
		if !f.Ascending {
			c = -c
		}
		return c
	})
	out := []storage.ErrorLog{}
	if offset < len(match) {
		for _, l := range match[offset:min(len(match), offset+limit)] {
			c := *l
			c.RequestBody = cloneBytes(l.RequestBody)
			out = append(out, c)
		}
	}
	s.mu.RUnlock()
	return out, len(match), nil
}

// CountRequestLogs counts request logs in [from, to) (a zero bound is
// open) and how many succeeded.
func (s *Store) CountRequestLogs(ctx context.Context, from, to time.Time) (total, success int, err error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for i := range s.requests {
		l := &s.requests[i]
		if inRange(l.Time, from, to) {
			total++
			if l.Success {
				success++
			}
		}
	}
	return total, success, nil
}

// DeleteLogsBefore deletes request and error logs older than the given
// times; a zero time leaves that kind alone.
func (s *Store) DeleteLogsBefore(ctx context.Context, requestsBefore, errorsBefore time.Time) (requests, errs int64, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !requestsBefore.IsZero() {
		b := norm(requestsBefore)
		n := len(s.requests)
		s.requests = slices.DeleteFunc(s.requests, func(l storage.RequestLog) bool { return l.Time.Before(b) })
		requests = int64(n - len(s.requests))
		for k := range s.stats {
			if k.minute+minuteMS <= b.UnixMilli() {
				delete(s.stats, k)
			}
		}
	}
	if !errorsBefore.IsZero() {
		b := norm(errorsBefore)
		n := len(s.errs)
		s.errs = slices.DeleteFunc(s.errs, func(l storage.ErrorLog) bool { return l.Time.Before(b) })
		errs = int64(n - len(s.errs))
	}
	return requests, errs, nil
}

// Settings returns a copy of every stored setting.
func (s *Store) Settings(ctx context.Context) (map[string]string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return maps.Clone(s.settings), nil
}

// PutSettings upserts the given settings.
func (s *Store) PutSettings(ctx context.Context, values map[string]string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	maps.Copy(s.settings, values)
	return nil
}

// DeleteSettings removes the named settings.
func (s *Store) DeleteSettings(ctx context.Context, names []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range names {
		delete(s.settings, n)
	}
	return nil
}

// Close does nothing and returns nil; the data stays readable. It exists
// to satisfy storage.Store.
func (s *Store) Close() error { return nil }

const minuteMS = int64(time.Minute / time.Millisecond)

func minuteOf(t time.Time) int64 {
	ms := t.UnixMilli()
	return ms - ((ms%minuteMS)+minuteMS)%minuteMS
}

// containsFold reports whether s contains sub, ignoring ASCII case.
func containsFold(s, sub string) bool {
	if sub == "" {
		return true
	}
	return strings.Contains(lowerASCII(s), lowerASCII(sub))
}

func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// ErrorLog returns the error log with the given ID.
func (s *Store) ErrorLog(ctx context.Context, id int64) (storage.ErrorLog, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	i, ok := slices.BinarySearchFunc(s.errs, id, func(l storage.ErrorLog, id int64) int { return cmp.Compare(l.ID, id) })
	if !ok {
		return storage.ErrorLog{}, fmt.Errorf("storage/memory: error log %d: %w", id, storage.ErrNotFound)
	}
	l := s.errs[i]
	l.RequestBody = cloneBytes(l.RequestBody)
	return l, nil
}

// DeleteErrorLogs deletes the error logs with the given IDs.
func (s *Store) DeleteErrorLogs(ctx context.Context, ids []int64) (int64, error) {
	del := make(map[int64]bool, len(ids))
	for _, id := range ids {
		del[id] = true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.errs)
	s.errs = slices.DeleteFunc(s.errs, func(l storage.ErrorLog) bool { return del[l.ID] })
	return int64(n - len(s.errs)), nil
}

// ClearErrorLogs deletes every error log.
func (s *Store) ClearErrorLogs(ctx context.Context) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.errs)
	s.errs = nil
	return int64(n), nil
}

// NearestErrorLog returns the error log of key nearest to at within
// window.
func (s *Store) NearestErrorLog(ctx context.Context, key string, at time.Time, window time.Duration, status int) (storage.ErrorLog, error) {
	at = norm(at)
	window = window.Truncate(time.Millisecond)
	s.mu.RLock()
	defer s.mu.RUnlock()
	var best *storage.ErrorLog
	var bestD time.Duration
	for i := range s.errs {
		l := &s.errs[i]
		if l.Key != key || (status != 0 && l.Status != status) {
			continue
		}
		d := l.Time.Sub(at)
		if d < 0 {
			d = -d
		}
		if d > window {
			continue
		}
		if best == nil || d < bestD || d == bestD && (l.Time.Before(best.Time) || l.Time.Equal(best.Time) && l.ID < best.ID) {
			best, bestD = l, d
		}
	}
	if best == nil {
		return storage.ErrorLog{}, fmt.Errorf("storage/memory: no error log near %s: %w", at.Format(time.RFC3339), storage.ErrNotFound)
	}
	l := *best
	l.RequestBody = cloneBytes(best.RequestBody)
	return l, nil
}

// match calls f for every bucket q selects.
func (s *Store) match(q storage.StatsQuery, f func(b bucket, c *storage.StatsCounts)) {
	from, to := minuteOf(q.From), minuteOf(q.To)
	var keys map[string]bool
	if len(q.Keys) > 0 {
		keys = make(map[string]bool, len(q.Keys))
		for _, k := range q.Keys {
			keys[k] = true
		}
	}
	byKey := q.GroupBy == storage.GroupKey || q.GroupBy == storage.GroupKeyModel
	for b, c := range s.stats {
		if b.minute < from || b.minute >= to || (q.Model != "" && b.model != q.Model) ||
			(keys != nil && !keys[b.key]) || (byKey && b.key == "") {
			continue
		}
		f(b, c)
	}
}

// Stats implements [storage.StatsStore].
func (s *Store) Stats(ctx context.Context, q storage.StatsQuery) ([]storage.StatsRow, error) {
	s.mu.RLock()
	type gk struct{ key, model string }
	groups := map[gk]*storage.StatsRow{}
	s.match(q, func(b bucket, c *storage.StatsCounts) {
		var k gk
		switch q.GroupBy {
		case storage.GroupKey:
			k.key = b.key
		case storage.GroupModel:
			k.model = b.model
		case storage.GroupKeyModel:
			k = gk{b.key, b.model}
		}
		r := groups[k]
		if r == nil {
			r = &storage.StatsRow{Key: k.key, Model: k.model}
			groups[k] = r
		}
		r.Add(*c)
	})
	s.mu.RUnlock()
	if q.GroupBy == storage.GroupNone {
		if r := groups[gk{}]; r != nil {
			return []storage.StatsRow{*r}, nil
		}
		return []storage.StatsRow{{}}, nil
	}
	out := make([]storage.StatsRow, 0, len(groups))
	for _, r := range groups {
		out = append(out, *r)
	}
	sortStatsRows(out)
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out, nil
}

// sortStatsRows sorts grouped rows most calls first, then by key and model.
func sortStatsRows(rows []storage.StatsRow) {
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.Calls != b.Calls {
			return a.Calls > b.Calls
		}
		if a.Key != b.Key {
			return a.Key < b.Key
		}
		return a.Model < b.Model
	})
}

// StatsSeries implements [storage.StatsStore].
func (s *Store) StatsSeries(ctx context.Context, q storage.StatsQuery, step time.Duration) ([]storage.StatsPoint, error) {
	stepMS := step.Milliseconds()
	if stepMS < minuteMS || stepMS%minuteMS != 0 {
		return nil, fmt.Errorf("storage/memory: series step %s is not a whole number of minutes", step)
	}
	from := minuteOf(q.From)
	q.GroupBy = storage.GroupNone
	points := map[int64]*storage.StatsPoint{}
	s.mu.RLock()
	s.match(q, func(b bucket, c *storage.StatsCounts) {
		t := from + (b.minute-from)/stepMS*stepMS
		p := points[t]
		if p == nil {
			p = &storage.StatsPoint{Time: time.UnixMilli(t).UTC()}
			points[t] = p
		}
		p.Add(*c)
	})
	s.mu.RUnlock()
	out := make([]storage.StatsPoint, 0, len(points))
	for _, p := range points {
		out = append(out, *p)
	}
	slices.SortFunc(out, func(a, b storage.StatsPoint) int { return a.Time.Compare(b.Time) })
	return out, nil
}

// AttentionKeys implements [storage.StatsStore].
func (s *Store) AttentionKeys(ctx context.Context, from, to time.Time, status, limit int) ([]storage.AttentionKey, error) {
	if limit <= 0 {
		limit = 20
	}
	lo, hi := minuteOf(from), minuteOf(to)
	counts := map[string]*storage.AttentionKey{}
	s.mu.RLock()
	for b, c := range s.stats {
		if b.key == "" || b.minute < lo || b.minute >= hi {
			continue
		}
		a := counts[b.key]
		if a == nil {
			a = &storage.AttentionKey{Key: b.key}
			counts[b.key] = a
		}
		a.Calls += c.Calls
		switch status {
		case 0:
			a.Count += c.Failures
		case 429:
			a.Count += c.Status429
		}
	}
	if status != 0 && status != 429 {
		for i := range s.requests {
			l := &s.requests[i]
			if m := minuteOf(l.Time); l.Key != "" && l.Status == status && m >= lo && m < hi {
				counts[l.Key].Count++
			}
		}
	}
	s.mu.RUnlock()
	return topAttention(counts, limit), nil
}

// topAttention returns the entries of counts with a positive Count, most
// first, then by key, at most limit.
func topAttention(counts map[string]*storage.AttentionKey, limit int) []storage.AttentionKey {
	out := []storage.AttentionKey{}
	for _, a := range counts {
		if a.Count > 0 {
			out = append(out, *a)
		}
	}
	slices.SortFunc(out, func(a, b storage.AttentionKey) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}
