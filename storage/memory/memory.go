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
	"maps"
	"slices"
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
}

type keyEntry struct {
	seq int64
	rec storage.KeyRecord
}

var _ storage.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	return &Store{keys: map[string]*keyEntry{}, settings: map[string]string{}}
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
			inRange(l.Time, f.From, f.To) {
			match = append(match, l)
		}
	}
	slices.SortStableFunc(match, func(a, b *storage.ErrorLog) int {
		if c := b.Time.Compare(a.Time); c != 0 {
			return c
		}
		return cmp.Compare(b.ID, a.ID)
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
