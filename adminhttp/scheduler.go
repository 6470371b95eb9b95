package adminhttp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/geminibalance/gb/balancer"
	"github.com/geminibalance/gb/storage"
)

// Job names.
const (
	// JobKeyCheck re-verifies benched and failing keys every
	// CheckInterval and brings back those that work.
	JobKeyCheck = "key_check"
	// JobLogCleanup deletes old error and request logs daily at midnight
	// in the configured time zone.
	JobLogCleanup = "log_cleanup"
)

// SchedulerConfig is what the scheduler reads before each decision, so
// that configuration changes apply (call [Scheduler.Reschedule] after one).
type SchedulerConfig struct {
	// CheckInterval is the key-check period (CHECK_INTERVAL_HOURS); 0
	// turns the check off.
	CheckInterval time.Duration
	// TestModel is the model keys are verified with.
	TestModel string
	// ErrorLogRetention is how long error logs are kept; 0 keeps them.
	ErrorLogRetention time.Duration
	// RequestLogRetention is how long request logs are kept; 0 keeps them.
	RequestLogRetention time.Duration
	// Location is the time zone of the daily clean-up; nil means UTC.
	Location *time.Location
}

// JobStatus reports one job.
type JobStatus struct {
	Name        string     `json:"name"`
	Description string     `json:"description"`
	Enabled     bool       `json:"enabled"`
	Running     bool       `json:"running"`
	Runs        int        `json:"runs"`
	LastRun     *time.Time `json:"last_run"`
	NextRun     *time.Time `json:"next_run"`
	LastOutcome string     `json:"last_outcome,omitempty"`
	LastError   string     `json:"last_error,omitempty"`
}

// SchedulerStatus is the answer of GET /api/scheduler.
type SchedulerStatus struct {
	Running bool        `json:"running"`
	Paused  bool        `json:"paused"`
	Jobs    []JobStatus `json:"jobs"`
}

// Scheduler runs the periodic jobs: [JobKeyCheck] and [JobLogCleanup].
// Per-day quota parking needs no job: a key parked until the daily reset
// comes back by itself at that time. Set the fields, then call Start.
type Scheduler struct {
	// Pool is the key pool the key check reads and resets.
	Pool Pool
	// Store is where logs are deleted.
	Store storage.LogStore
	// Verifier checks keys; nil turns the key check off.
	Verifier Verifier
	// Config returns the current settings.
	Config func() SchedulerConfig
	// Clock is the time source; nil means [RealClock].
	Clock Clock
	// Logger receives one line per run; nil means slog.Default().
	Logger *slog.Logger
	// OnRun, if set, is called after every run with the job's status.
	OnRun func(JobStatus)
	// Concurrency caps concurrent verification calls; zero means 10.
	Concurrency int

	mu      sync.Mutex
	started bool
	paused  bool
	base    time.Time // when the key-check interval counts from
	jobs    map[string]*JobStatus
	next    map[string]time.Time
	wake    chan struct{}
	cancel  context.CancelFunc
	done    chan struct{}
}

func (s *Scheduler) clock() Clock {
	if s.Clock == nil {
		return RealClock{}
	}
	return s.Clock
}

func (s *Scheduler) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.Default()
	}
	return s.Logger
}

func (s *Scheduler) cfg() SchedulerConfig {
	c := s.Config()
	if c.Location == nil {
		c.Location = time.UTC
	}
	return c
}

func (s *Scheduler) initLocked() {
	if s.jobs != nil {
		return
	}
	s.jobs = map[string]*JobStatus{
		JobKeyCheck:   {Name: JobKeyCheck, Description: "re-verify benched and failing keys; bring back those that work"},
		JobLogCleanup: {Name: JobLogCleanup, Description: "delete error and request logs older than their retention, daily at 00:00"},
	}
	s.next = map[string]time.Time{}
	s.wake = make(chan struct{}, 1)
}

// Start runs the scheduler until ctx ends or Stop is called. It returns
// at once; calling it again does nothing.
func (s *Scheduler) Start(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.initLocked()
	if s.started {
		return
	}
	s.started = true
	s.base = s.clock().Now()
	ctx, s.cancel = context.WithCancel(ctx)
	s.done = make(chan struct{})
	s.planLocked(s.base)
	go s.loop(ctx)
}

// Stop ends the scheduler and waits for a running job to finish.
func (s *Scheduler) Stop() {
	s.mu.Lock()
	cancel, done := s.cancel, s.done
	s.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

// Pause stops jobs from starting until Resume.
func (s *Scheduler) Pause() {
	s.mu.Lock()
	s.initLocked()
	s.paused = true
	s.mu.Unlock()
	s.poke()
}

// Resume lets jobs start again; their next runs are planned from now.
func (s *Scheduler) Resume() {
	s.mu.Lock()
	s.initLocked()
	s.paused = false
	s.base = s.clock().Now()
	s.planLocked(s.base)
	s.mu.Unlock()
	s.poke()
}

// Reschedule plans the next runs again from the current configuration
// (for example after CHECK_INTERVAL_HOURS or TIMEZONE changed).
func (s *Scheduler) Reschedule() {
	s.mu.Lock()
	s.initLocked()
	s.planLocked(s.clock().Now())
	s.mu.Unlock()
	s.poke()
}

func (s *Scheduler) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// planLocked sets the next run of every job.
func (s *Scheduler) planLocked(now time.Time) {
	c := s.cfg()
	kc := s.jobs[JobKeyCheck]
	kc.Enabled = c.CheckInterval > 0 && s.Verifier != nil
	if kc.Enabled {
		from := s.base
		if kc.LastRun != nil && kc.LastRun.After(from) {
			from = *kc.LastRun
		}
		s.next[JobKeyCheck] = from.Add(c.CheckInterval)
	} else {
		delete(s.next, JobKeyCheck)
	}
	lc := s.jobs[JobLogCleanup]
	lc.Enabled = c.ErrorLogRetention > 0 || c.RequestLogRetention > 0
	if lc.Enabled {
		lt := now.In(c.Location)
		s.next[JobLogCleanup] = time.Date(lt.Year(), lt.Month(), lt.Day()+1, 0, 0, 0, 0, c.Location)
	} else {
		delete(s.next, JobLogCleanup)
	}
}

func (s *Scheduler) loop(ctx context.Context) {
	defer close(s.done)
	for {
		s.mu.Lock()
		var first time.Time
		if !s.paused {
			for _, t := range s.next {
				if first.IsZero() || t.Before(first) {
					first = t
				}
			}
		}
		s.mu.Unlock()
		var timer Timer
		var fire <-chan time.Time
		if !first.IsZero() {
			timer = s.clock().NewTimer(first.Sub(s.clock().Now()))
			fire = timer.C()
		}
		select {
		case <-ctx.Done():
			if timer != nil {
				timer.Stop()
			}
			return
		case <-s.wake:
			if timer != nil {
				timer.Stop()
			}
		case <-fire:
			s.runDue(ctx)
		}
	}
}

// runDue runs the jobs whose time has come.
func (s *Scheduler) runDue(ctx context.Context) {
	now := s.clock().Now()
	s.mu.Lock()
	var due []string
	if !s.paused {
		for _, name := range []string{JobKeyCheck, JobLogCleanup} {
			if t, ok := s.next[name]; ok && !t.After(now) {
				due = append(due, name)
			}
		}
	}
	s.mu.Unlock()
	for _, name := range due {
		s.run(ctx, name)
	}
}

// RunNow runs one job at once, whether paused or not, and returns its
// status afterwards.
func (s *Scheduler) RunNow(ctx context.Context, name string) (JobStatus, error) {
	s.mu.Lock()
	s.initLocked()
	_, ok := s.jobs[name]
	s.mu.Unlock()
	if !ok {
		return JobStatus{}, fmt.Errorf("no job %q", name)
	}
	return s.run(ctx, name), nil
}

func (s *Scheduler) run(ctx context.Context, name string) JobStatus {
	s.mu.Lock()
	j := s.jobs[name]
	if j.Running {
		st := *j
		s.mu.Unlock()
		return st
	}
	j.Running = true
	s.mu.Unlock()

	start := s.clock().Now()
	var outcome string
	var err error
	switch name {
	case JobKeyCheck:
		outcome, err = s.checkKeys(ctx)
	case JobLogCleanup:
		outcome, err = s.cleanLogs(ctx, start)
	}

	s.mu.Lock()
	j.Running = false
	j.Runs++
	j.LastRun = &start
	j.LastOutcome, j.LastError = outcome, ""
	if err != nil {
		j.LastError = err.Error()
	}
	if s.started {
		s.planLocked(s.clock().Now())
	}
	st := s.statusLocked(name)
	s.mu.Unlock()
	if err != nil {
		s.logger().Error("scheduled job failed", "job", name, "err", err)
	} else {
		s.logger().Info("scheduled job ran", "job", name, "outcome", outcome)
	}
	if s.OnRun != nil {
		s.OnRun(st)
	}
	return st
}

func (s *Scheduler) checkKeys(ctx context.Context) (string, error) {
	if s.Verifier == nil {
		return "", errors.New("no verifier configured")
	}
	c := s.cfg()
	var keys []string
	for _, st := range s.Pool.Statuses() {
		if st.State.Benched || st.State.Failures > 0 {
			keys = append(keys, st.Key)
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	lim := s.Concurrency
	if lim <= 0 {
		lim = 10
	}
	g.SetLimit(lim)
	var mu sync.Mutex
	restored := 0
	for _, k := range keys {
		g.Go(func() error {
			if vd := s.Verifier.VerifyKey(gctx, k, c.TestModel); vd.Class == balancer.Success {
				s.Pool.Reset(k)
				mu.Lock()
				restored++
				mu.Unlock()
			}
			return nil
		})
	}
	g.Wait()
	if err := ctx.Err(); err != nil {
		return "", err
	}
	return fmt.Sprintf("checked %d keys: %d back in rotation, %d still failing", len(keys), restored, len(keys)-restored), nil
}

func (s *Scheduler) cleanLogs(ctx context.Context, now time.Time) (string, error) {
	c := s.cfg()
	var reqBefore, errBefore time.Time
	if c.RequestLogRetention > 0 {
		reqBefore = now.Add(-c.RequestLogRetention)
	}
	if c.ErrorLogRetention > 0 {
		errBefore = now.Add(-c.ErrorLogRetention)
	}
	if reqBefore.IsZero() && errBefore.IsZero() {
		return "nothing to delete: retention is off", nil
	}
	reqs, errs, err := s.Store.DeleteLogsBefore(ctx, reqBefore, errBefore)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("deleted %d request logs and %d error logs", reqs, errs), nil
}

func (s *Scheduler) statusLocked(name string) JobStatus {
	st := *s.jobs[name]
	if t, ok := s.next[name]; ok && !s.paused && s.started {
		st.NextRun = &t
	}
	return st
}

// Status reports the scheduler and its jobs.
func (s *Scheduler) Status() SchedulerStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.initLocked()
	out := SchedulerStatus{Running: s.started && !s.paused, Paused: s.paused}
	for _, name := range []string{JobKeyCheck, JobLogCleanup} {
		out.Jobs = append(out.Jobs, s.statusLocked(name))
	}
	return out
}

// ---- routes ----

func (h *Handler) needScheduler(w http.ResponseWriter) bool {
	if h.Scheduler == nil {
		writeError(w, http.StatusNotImplemented, "not_configured", "no scheduler")
		return false
	}
	return true
}

func (h *Handler) schedulerStatus(w http.ResponseWriter, r *http.Request) {
	if h.needScheduler(w) {
		writeJSON(w, http.StatusOK, h.Scheduler.Status())
	}
}

func (h *Handler) schedulerPause(w http.ResponseWriter, r *http.Request) {
	if h.needScheduler(w) {
		h.Scheduler.Pause()
		h.logger().Info("admin paused the scheduler", "by", callerOf(r).who())
		writeJSON(w, http.StatusOK, h.Scheduler.Status())
	}
}

func (h *Handler) schedulerResume(w http.ResponseWriter, r *http.Request) {
	if h.needScheduler(w) {
		h.Scheduler.Resume()
		h.logger().Info("admin resumed the scheduler", "by", callerOf(r).who())
		writeJSON(w, http.StatusOK, h.Scheduler.Status())
	}
}

func (h *Handler) schedulerRun(w http.ResponseWriter, r *http.Request) {
	if !h.needScheduler(w) {
		return
	}
	st, err := h.Scheduler.RunNow(r.Context(), r.PathValue("job"))
	if err != nil {
		writeError(w, http.StatusNotFound, "not_found", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, st)
}
