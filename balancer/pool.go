package balancer

import (
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/geminibalance/gb/internal/redact"
	"github.com/geminibalance/gb/storage"
)

// KeyPool hands out API keys and learns from how they fare. It is the seam
// between the request pipeline and key state: the default [MemoryPool]
// keeps state in process; a shared implementation (for example on Redis)
// can serve several gateway instances.
//
// Implementations must be safe for concurrent use. Pick is on every
// request's hot path and must not wait on I/O.
type KeyPool interface {
	// Pick returns a key usable for model, skipping the keys in tried
	// (those already tried for this request). When no key is usable it
	// returns an error wrapping ErrNoKey, usually an *ExhaustedError.
	Pick(model string, tried []string) (string, error)
	// Report records the verdict of a call made with key for model.
	Report(key, model string, v Verdict)
}

// ErrNoKey is wrapped by every error Pick returns when no key is usable.
var ErrNoKey = errors.New("no usable API key")

// ExhaustedError says why Pick found no key.
type ExhaustedError struct {
	// Model is the model asked for.
	Model string
	// Total is the number of keys in the pool.
	Total int
	// Benched counts keys benched for every model.
	Benched int
	// Cooling counts keys cooling down or denied for this model.
	Cooling int
	// Tried counts keys skipped because this request already tried them.
	Tried int
	// RetryAt is the soonest time a cooling key comes back for the model;
	// zero when none will come back by itself.
	RetryAt time.Time
}

// Error says how many keys the pool has and why none could serve.
func (e *ExhaustedError) Error() string {
	if e.Total == 0 {
		return "no API keys are configured"
	}
	s := fmt.Sprintf("no usable API key for model %q: %d keys, %d benched, %d cooling down or denied for this model", e.Model, e.Total, e.Benched, e.Cooling)
	if !e.RetryAt.IsZero() {
		s += ", next available at " + e.RetryAt.UTC().Format(time.RFC3339)
	}
	return s
}

// Unwrap makes errors.Is(err, ErrNoKey) true.
func (e *ExhaustedError) Unwrap() error { return ErrNoKey }

// PoolOptions configure a MemoryPool. The zero value is usable.
type PoolOptions struct {
	// MaxFailures is how many consecutive transient failures bench a key
	// (gemini-balance's MAX_FAILURES). Zero means 3.
	MaxFailures int
	// DefaultCooldown is how long a key cools down for a model after a 429
	// that carries no RetryInfo. Zero means one minute.
	DefaultCooldown time.Duration
	// DailyReset returns when per-day quotas next reset after t. Nil means
	// midnight in America/Los_Angeles, when Google resets them.
	DailyReset func(t time.Time) time.Time
	// Now is the clock. Nil means time.Now.
	Now func() time.Time
	// OnChange, if set, is called after a key's persisted state changed
	// (benched, restored, failure count, cool-down). It runs on the
	// reporting goroutine and must not block; use [MemoryPool.DirtyStates]
	// to persist in batches instead where possible.
	OnChange func(key string)
}

// MemoryPool is the default KeyPool: keys and their health in process
// memory, round-robin over usable keys. Pick is lock-free: an atomic cursor
// over a copy-on-write snapshot of the keys that are not benched, so a pick
// costs a few atomic loads whatever the number of keys. Benching and
// restoring keys, adding and removing them rebuild that snapshot lazily.
type MemoryPool struct {
	opts        PoolOptions
	maxFailures atomic.Int32

	mu     sync.Mutex                        // serialises changes to the key set and snapshot rebuilds
	all    atomic.Pointer[[]*entry]          // every key, in insertion order
	index  atomic.Pointer[map[string]*entry] // key → entry
	active atomic.Pointer[[]*entry]          // keys not benched
	stale  atomic.Bool                       // active needs a rebuild
	cursor atomic.Uint64

	dirtyMu sync.Mutex
	dirty   map[string]struct{}
}

// entry is one key's live state. Fields read by Pick are atomic; the rest
// are guarded by mu.
type entry struct {
	key      string
	benched  atomic.Bool
	failures atomic.Int32
	models   atomic.Pointer[map[string]storage.ModelState] // nil when none

	mu          sync.Mutex
	benchReason string
	benchedAt   time.Time
	lastErr     *storage.LastError
	updatedAt   time.Time
	addedAt     time.Time
}

// NewMemoryPool returns a pool holding keys (duplicates and empty strings
// are dropped) with a clean state.
func NewMemoryPool(keys []string, opts PoolOptions) *MemoryPool {
	p := &MemoryPool{opts: opts, dirty: map[string]struct{}{}}
	p.SetMaxFailures(opts.MaxFailures)
	empty := []*entry{}
	p.all.Store(&empty)
	p.active.Store(&empty)
	m := map[string]*entry{}
	p.index.Store(&m)
	p.Add(keys...)
	return p
}

// NewMemoryPoolFromRecords returns a pool restored from stored records,
// keeping their health (benched keys stay benched, cool-downs that have
// not ended stay).
func NewMemoryPoolFromRecords(recs []storage.KeyRecord, opts PoolOptions) *MemoryPool {
	p := NewMemoryPool(nil, opts)
	p.mu.Lock()
	defer p.mu.Unlock()
	all := append([]*entry(nil), *p.all.Load()...)
	idx := cloneIndex(*p.index.Load())
	now := p.now()
	for _, r := range recs {
		if r.Key == "" || idx[r.Key] != nil {
			continue
		}
		e := &entry{key: r.Key, addedAt: r.AddedAt}
		e.failures.Store(int32(r.State.Failures))
		e.benched.Store(r.State.Benched)
		e.benchReason = r.State.BenchReason
		e.benchedAt = r.State.BenchedAt
		e.lastErr = r.State.LastError
		e.updatedAt = r.State.UpdatedAt
		if len(r.State.Models) > 0 {
			m := make(map[string]storage.ModelState, len(r.State.Models))
			for k, v := range r.State.Models {
				if v.Until.IsZero() || v.Until.After(now) {
					m[k] = v
				}
			}
			if len(m) > 0 {
				e.models.Store(&m)
			}
		}
		all = append(all, e)
		idx[r.Key] = e
	}
	p.all.Store(&all)
	p.index.Store(&idx)
	p.rebuildLocked()
	return p
}

func (p *MemoryPool) now() time.Time {
	if p.opts.Now != nil {
		return p.opts.Now()
	}
	return time.Now()
}

// SetMaxFailures changes MaxFailures for the running pool (values below 1
// mean 3).
func (p *MemoryPool) SetMaxFailures(n int) {
	if n < 1 {
		n = 3
	}
	p.maxFailures.Store(int32(n))
}

func cloneIndex(m map[string]*entry) map[string]*entry {
	c := make(map[string]*entry, len(m)+1)
	for k, v := range m {
		c[k] = v
	}
	return c
}

// Add puts keys into rotation and returns how many were new. Keys already
// in the pool keep their state.
func (p *MemoryPool) Add(keys ...string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	all := append([]*entry(nil), *p.all.Load()...)
	idx := *p.index.Load()
	copied := false
	n := 0
	now := p.now()
	for _, k := range keys {
		if k == "" || idx[k] != nil {
			continue
		}
		if !copied {
			idx = cloneIndex(idx)
			copied = true
		}
		e := &entry{key: k, addedAt: now}
		all = append(all, e)
		idx[k] = e
		n++
	}
	if n == 0 {
		return 0
	}
	p.all.Store(&all)
	p.index.Store(&idx)
	p.rebuildLocked()
	return n
}

// Remove takes keys out of the pool and returns how many were there.
func (p *MemoryPool) Remove(keys ...string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	idx := cloneIndex(*p.index.Load())
	n := 0
	for _, k := range keys {
		if idx[k] != nil {
			delete(idx, k)
			n++
		}
	}
	if n == 0 {
		return 0
	}
	old := *p.all.Load()
	all := make([]*entry, 0, len(old)-n)
	for _, e := range old {
		if idx[e.key] == e {
			all = append(all, e)
		}
	}
	p.all.Store(&all)
	p.index.Store(&idx)
	p.rebuildLocked()
	return n
}

// Len returns the number of keys in the pool.
func (p *MemoryPool) Len() int { return len(*p.all.Load()) }

// Keys returns every key in insertion order.
func (p *MemoryPool) Keys() []string {
	all := *p.all.Load()
	out := make([]string, len(all))
	for i, e := range all {
		out[i] = e.key
	}
	return out
}

func (p *MemoryPool) rebuildLocked() {
	all := *p.all.Load()
	act := make([]*entry, 0, len(all))
	for _, e := range all {
		if !e.benched.Load() {
			act = append(act, e)
		}
	}
	p.active.Store(&act)
	p.stale.Store(false)
}

func (p *MemoryPool) maybeRebuild() {
	if p.stale.Load() && p.mu.TryLock() {
		p.rebuildLocked()
		p.mu.Unlock()
	}
}

// clock reads the time at most once, and only when asked.
type clock struct {
	p *MemoryPool
	t time.Time
}

func (c *clock) now() time.Time {
	if c.t.IsZero() {
		c.t = c.p.now()
	}
	return c.t
}

// restricted reports whether e may not serve model at now, and until when.
func restricted(e *entry, model string, c *clock) (bool, time.Time) {
	mp := e.models.Load()
	if mp == nil {
		return false, time.Time{}
	}
	st, ok := (*mp)[model]
	if !ok {
		return false, time.Time{}
	}
	if st.Until.IsZero() {
		return true, time.Time{}
	}
	if st.Until.After(c.now()) {
		return true, st.Until
	}
	return false, time.Time{}
}

// Pick implements KeyPool: the next usable key in round-robin order.
func (p *MemoryPool) Pick(model string, tried []string) (string, error) {
	p.maybeRebuild()
	act := *p.active.Load()
	n := uint64(len(act))
	if n == 0 {
		return "", p.exhausted(model, tried)
	}
	start := p.cursor.Add(1) - 1
	c := clock{p: p}
	for i := uint64(0); i < n; i++ {
		e := act[(start+i)%n]
		if e.benched.Load() {
			p.stale.Store(true)
			continue
		}
		if r, _ := restricted(e, model, &c); r {
			continue
		}
		if contains(tried, e.key) {
			continue
		}
		if i > 0 {
			// Move the cursor past the keys skipped, so the next pick does
			// not land on this same key again.
			p.cursor.Add(i)
		}
		return e.key, nil
	}
	return "", p.exhausted(model, tried)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (p *MemoryPool) exhausted(model string, tried []string) error {
	all := *p.all.Load()
	e := &ExhaustedError{Model: model, Total: len(all)}
	c := clock{p: p}
	for _, k := range all {
		if k.benched.Load() {
			e.Benched++
			continue
		}
		if r, until := restricted(k, model, &c); r {
			e.Cooling++
			if !until.IsZero() && (e.RetryAt.IsZero() || until.Before(e.RetryAt)) {
				e.RetryAt = until
			}
			continue
		}
		if contains(tried, k.key) {
			e.Tried++
		}
	}
	return e
}

// Report implements KeyPool.
func (p *MemoryPool) Report(key, model string, v Verdict) {
	idx := *p.index.Load()
	e := idx[key]
	if e == nil {
		return
	}
	changed := false
	switch v.Class {
	case Success:
		if e.failures.Load() != 0 {
			e.failures.Store(0)
			changed = true
		}
		if mp := e.models.Load(); mp != nil {
			if st, ok := (*mp)[model]; ok && !st.Until.IsZero() && !st.Until.After(p.now()) {
				changed = p.setModel(e, model, nil) || changed
			}
		}
	case Transient:
		f := e.failures.Add(1)
		p.noteError(e, v)
		changed = true
		if int(f) >= int(p.maxFailures.Load()) {
			p.bench(e, "TOO_MANY_FAILURES")
		}
	case InvalidKey:
		p.noteError(e, v)
		p.bench(e, v.Reason)
		changed = true
	case ModelDenied:
		p.noteError(e, v)
		st := storage.ModelState{Reason: nonEmpty(v.Reason, "PERMISSION_DENIED")}
		p.setModel(e, model, &st)
		changed = true
	case Quota:
		p.noteError(e, v)
		now := p.now()
		st := storage.ModelState{Reason: "RATE_LIMIT"}
		switch {
		case v.Daily:
			st.Reason = "DAILY_QUOTA"
			st.Until = p.dailyReset(now)
		case v.RetryAfter > 0:
			st.Until = now.Add(v.RetryAfter)
		default:
			cd := p.opts.DefaultCooldown
			if cd <= 0 {
				cd = time.Minute
			}
			st.Until = now.Add(cd)
		}
		p.setModel(e, model, &st)
		changed = true
	}
	if changed {
		p.markDirty(e)
	}
}

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func (p *MemoryPool) dailyReset(now time.Time) time.Time {
	if p.opts.DailyReset != nil {
		return p.opts.DailyReset(now)
	}
	return NextPacificMidnight(now)
}

var pacific = func() *time.Location {
	loc, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		return time.FixedZone("PST", -8*3600)
	}
	return loc
}()

// NextPacificMidnight returns the first midnight in America/Los_Angeles
// after t: when Gemini's per-day quotas reset.
func NextPacificMidnight(t time.Time) time.Time {
	lt := t.In(pacific)
	y, m, d := lt.Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, pacific)
}

func (p *MemoryPool) noteError(e *entry, v Verdict) {
	now := p.now()
	e.mu.Lock()
	e.lastErr = &storage.LastError{Time: now, Status: v.Status, Message: v.Message}
	e.updatedAt = now
	e.mu.Unlock()
}

func (p *MemoryPool) bench(e *entry, reason string) {
	if e.benched.Swap(true) {
		return
	}
	now := p.now()
	e.mu.Lock()
	e.benchReason = nonEmpty(reason, "BENCHED")
	e.benchedAt = now
	e.updatedAt = now
	e.mu.Unlock()
	p.stale.Store(true)
}

// setModel sets (st non-nil) or clears the model restriction of e and
// reports whether anything changed.
func (p *MemoryPool) setModel(e *entry, model string, st *storage.ModelState) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	old := e.models.Load()
	if st == nil && (old == nil || !hasKey(*old, model)) {
		return false
	}
	m := map[string]storage.ModelState{}
	if old != nil {
		now := p.now()
		for k, v := range *old {
			if v.Until.IsZero() || v.Until.After(now) {
				m[k] = v
			}
		}
	}
	if st == nil {
		delete(m, model)
	} else {
		m[model] = *st
	}
	if len(m) == 0 {
		e.models.Store(nil)
	} else {
		e.models.Store(&m)
	}
	e.updatedAt = p.now()
	return true
}

func hasKey(m map[string]storage.ModelState, k string) bool { _, ok := m[k]; return ok }

// Reset brings keys back into rotation: failure counts to zero, bench and
// every per-model restriction lifted. It returns how many keys it found.
func (p *MemoryPool) Reset(keys ...string) int {
	idx := *p.index.Load()
	n := 0
	for _, k := range keys {
		e := idx[k]
		if e == nil {
			continue
		}
		n++
		e.failures.Store(0)
		e.mu.Lock()
		e.benchReason, e.benchedAt = "", time.Time{}
		e.models.Store(nil)
		e.updatedAt = p.now()
		e.mu.Unlock()
		if e.benched.Swap(false) {
			p.stale.Store(true)
		}
		p.markDirty(e)
	}
	if p.stale.Load() {
		p.mu.Lock()
		p.rebuildLocked()
		p.mu.Unlock()
	}
	return n
}

// Bench takes a key out of rotation for every model, as an operator would.
func (p *MemoryPool) Bench(key, reason string) bool {
	e := (*p.index.Load())[key]
	if e == nil {
		return false
	}
	p.bench(e, nonEmpty(reason, "MANUAL"))
	p.markDirty(e)
	return true
}

func (p *MemoryPool) markDirty(e *entry) {
	p.dirtyMu.Lock()
	p.dirty[e.key] = struct{}{}
	p.dirtyMu.Unlock()
	if p.opts.OnChange != nil {
		p.opts.OnChange(e.key)
	}
}

// KeyStatus is a snapshot of one key's health.
type KeyStatus struct {
	// Key is the full key; mask it (Masked) before showing it.
	Key string
	// State is the key's health in its persisted form.
	State storage.KeyState
	// AddedAt is when the key joined the pool.
	AddedAt time.Time
}

func (p *MemoryPool) status(e *entry) KeyStatus {
	st := storage.KeyState{Failures: int(e.failures.Load()), Benched: e.benched.Load()}
	if mp := e.models.Load(); mp != nil {
		st.Models = make(map[string]storage.ModelState, len(*mp))
		for k, v := range *mp {
			st.Models[k] = v
		}
	}
	e.mu.Lock()
	st.BenchReason, st.BenchedAt, st.UpdatedAt = e.benchReason, e.benchedAt, e.updatedAt
	if e.lastErr != nil {
		le := *e.lastErr
		st.LastError = &le
	}
	added := e.addedAt
	e.mu.Unlock()
	if !st.Benched {
		st.BenchReason, st.BenchedAt = "", time.Time{}
	}
	return KeyStatus{Key: e.key, State: st, AddedAt: added}
}

// Masked returns the key masked for display ("AIza…x1Yz").
func (s KeyStatus) Masked() string { return redact.Key(s.Key) }

// Status returns the health of one key.
func (p *MemoryPool) Status(key string) (KeyStatus, bool) {
	e := (*p.index.Load())[key]
	if e == nil {
		return KeyStatus{}, false
	}
	return p.status(e), true
}

// Statuses returns the health of every key, in insertion order.
func (p *MemoryPool) Statuses() []KeyStatus {
	all := *p.all.Load()
	out := make([]KeyStatus, len(all))
	for i, e := range all {
		out[i] = p.status(e)
	}
	return out
}

// DirtyStates returns the states changed since the previous call, for
// persisting in one batch, and forgets them.
func (p *MemoryPool) DirtyStates() map[string]storage.KeyState {
	p.dirtyMu.Lock()
	keys := make([]string, 0, len(p.dirty))
	for k := range p.dirty {
		keys = append(keys, k)
	}
	clear(p.dirty)
	p.dirtyMu.Unlock()
	if len(keys) == 0 {
		return nil
	}
	sort.Strings(keys)
	idx := *p.index.Load()
	out := make(map[string]storage.KeyState, len(keys))
	for _, k := range keys {
		if e := idx[k]; e != nil {
			out[k] = p.status(e).State
		}
	}
	return out
}

// Counts returns how many keys are usable for model right now, benched for
// every model, and cooling down or denied for model.
func (p *MemoryPool) Counts(model string) (usable, benched, cooling int) {
	c := clock{p: p}
	for _, e := range *p.all.Load() {
		switch r, _ := restricted(e, model, &c); {
		case e.benched.Load():
			benched++
		case r:
			cooling++
		default:
			usable++
		}
	}
	return
}
