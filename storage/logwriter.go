package storage

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// LogWriterOptions tunes a [LogWriter]. Zero fields take their defaults.
type LogWriterOptions struct {
	// QueueSize is how many records of each kind may wait to be written
	// (default 65536). When a queue is full, new records are dropped and
	// counted.
	QueueSize int
	// BatchSize is the most records of one kind written in one call
	// (default 512).
	BatchSize int
	// FlushInterval is the longest a record waits in a partial batch
	// (default 200ms).
	FlushInterval time.Duration
	// Retries is how many times a failed batch is tried again, with
	// exponential backoff from RetryBackoff, before its records count as
	// Failed (default 3; negative means no retry).
	Retries int
	// RetryBackoff is the wait before the first retry; it doubles up to
	// 5s (default 100ms).
	RetryBackoff time.Duration
	// WriteTimeout bounds one store call (default 30s).
	WriteTimeout time.Duration
	// OnError, if set, is called on the writer's goroutine with the error
	// of each batch that failed for good. It must not block for long.
	OnError func(error)
}

// LogKindStats counts what happened to the records of one kind.
type LogKindStats struct {
	// Written counts records the store accepted.
	Written uint64
	// Dropped counts records refused because the queue was full or the
	// writer closed.
	Dropped uint64
	// Failed counts records accepted into the queue that could not be
	// written (every retry failed, or Close gave up).
	Failed uint64
	// Queued is how many records wait in the queue now (not counting a
	// batch being written).
	Queued int
}

// LogWriterStats is a snapshot of a [LogWriter]'s counters.
type LogWriterStats struct {
	// Requests counts request logs.
	Requests LogKindStats
	// Errors counts error logs.
	Errors LogKindStats
}

// LogWriter takes request and error logs off the request hot path: Request
// and Error only put the record in a bounded queue, and one background
// goroutine writes them to a [LogStore] in batches, when a batch is full
// or FlushInterval has passed (it is not woken for each record).
//
// Every record is accounted for in [LogWriter.Stats]: written, dropped at
// the door, or failed after retries. The writer reuses its batch slices, so
// a LogStore must not keep the slice it is given after the call returns.
type LogWriter struct {
	store LogStore
	opt   LogWriterOptions

	// The queues are slices that grow with the backlog (up to QueueSize
	// records each) instead of channels preallocated at QueueSize: a busy
	// gateway's memory holds what waits, not the worst case. The writer
	// swaps each queue for its spare slice under mu and writes outside it.
	mu     sync.Mutex
	closed bool
	reqs   []RequestLog
	errs   []ErrorLog

	kick    chan struct{} // a full batch is waiting (capacity 1, never blocks)
	flushes chan chan struct{}
	done    chan struct{} // closed by Close: drain and exit
	exited  chan struct{} // closed by the goroutine when it ends

	ctx    context.Context // cancelled when Close gives up
	cancel context.CancelFunc

	closeOnce sync.Once

	reqWritten, reqDropped, reqFailed atomic.Uint64
	errWritten, errDropped, errFailed atomic.Uint64
}

// NewLogWriter starts a writer that saves logs to store. Close it to flush
// and stop its goroutine.
func NewLogWriter(store LogStore, opt LogWriterOptions) *LogWriter {
	if opt.QueueSize <= 0 {
		opt.QueueSize = 65536
	}
	if opt.BatchSize <= 0 {
		opt.BatchSize = 512
	}
	if opt.FlushInterval <= 0 {
		opt.FlushInterval = 200 * time.Millisecond
	}
	if opt.Retries == 0 {
		opt.Retries = 3
	}
	if opt.RetryBackoff <= 0 {
		opt.RetryBackoff = 100 * time.Millisecond
	}
	if opt.WriteTimeout <= 0 {
		opt.WriteTimeout = 30 * time.Second
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := &LogWriter{
		store:   store,
		opt:     opt,
		kick:    make(chan struct{}, 1),
		flushes: make(chan chan struct{}),
		done:    make(chan struct{}),
		exited:  make(chan struct{}),
		ctx:     ctx,
		cancel:  cancel,
	}
	go w.run()
	return w
}

// Request queues a request log. It never blocks: when the queue is full or
// the writer is closed, the record is dropped and counted.
func (w *LogWriter) Request(l RequestLog) {
	w.mu.Lock()
	if w.closed || len(w.reqs) >= w.opt.QueueSize {
		w.mu.Unlock()
		w.reqDropped.Add(1)
		return
	}
	w.reqs = append(w.reqs, l)
	n := len(w.reqs)
	w.mu.Unlock()
	w.maybeKick(n)
}

// Error queues an error log, like [LogWriter.Request]. The writer keeps
// l.RequestBody until it is written; the caller must not change it.
func (w *LogWriter) Error(l ErrorLog) {
	w.mu.Lock()
	if w.closed || len(w.errs) >= w.opt.QueueSize {
		w.mu.Unlock()
		w.errDropped.Add(1)
		return
	}
	w.errs = append(w.errs, l)
	n := len(w.errs)
	w.mu.Unlock()
	w.maybeKick(n)
}

// maybeKick wakes the writer when a whole batch is queued. Below that the
// writer sleeps until its ticker, so a busy gateway does not wake it for
// every record.
func (w *LogWriter) maybeKick(queued int) {
	if queued >= w.opt.BatchSize {
		select {
		case w.kick <- struct{}{}:
		default:
		}
	}
}

// Stats returns the writer's counters.
func (w *LogWriter) Stats() LogWriterStats {
	w.mu.Lock()
	nr, ne := len(w.reqs), len(w.errs)
	w.mu.Unlock()
	return LogWriterStats{
		Requests: LogKindStats{Written: w.reqWritten.Load(), Dropped: w.reqDropped.Load(), Failed: w.reqFailed.Load(), Queued: nr},
		Errors:   LogKindStats{Written: w.errWritten.Load(), Dropped: w.errDropped.Load(), Failed: w.errFailed.Load(), Queued: ne},
	}
}

// Flush writes every record queued before the call and returns when that
// is done (written or failed), or when ctx ends.
func (w *LogWriter) Flush(ctx context.Context) error {
	ack := make(chan struct{})
	select {
	case w.flushes <- ack:
	case <-w.exited:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-ack:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops accepting records, writes everything queued and returns nil
// when done. If ctx ends first, Close abandons the remaining writes (their
// records count as Failed) and returns ctx.Err() without waiting for the
// goroutine. Calling Close again waits the same way.
func (w *LogWriter) Close(ctx context.Context) error {
	w.closeOnce.Do(func() {
		w.mu.Lock()
		w.closed = true
		w.mu.Unlock()
		close(w.done)
	})
	select {
	case <-w.exited:
		return nil
	case <-ctx.Done():
		w.cancel()
		return ctx.Err()
	}
}

func (w *LogWriter) run() {
	defer close(w.exited)
	defer w.cancel()
	var spareReqs []RequestLog
	var spareErrs []ErrorLog
	// drain takes what is queued now and writes it in batches. The taken
	// slices become the next spares, unless a burst made them large.
	drain := func() {
		w.mu.Lock()
		reqs, errs := w.reqs, w.errs
		w.reqs, w.errs = spareReqs, spareErrs
		w.mu.Unlock()
		for b := reqs; len(b) > 0; {
			n := min(len(b), w.opt.BatchSize)
			w.writeRequests(b[:n])
			b = b[n:]
		}
		for b := errs; len(b) > 0; {
			n := min(len(b), w.opt.BatchSize)
			w.writeErrors(b[:n])
			b = b[n:]
		}
		clear(reqs) // drop references to strings and bodies
		clear(errs)
		spareReqs, spareErrs = reqs[:0], errs[:0]
		if cap(spareReqs) > 4*w.opt.BatchSize {
			spareReqs = nil
		}
		if cap(spareErrs) > 4*w.opt.BatchSize {
			spareErrs = nil
		}
	}
	tick := time.NewTicker(w.opt.FlushInterval)
	defer tick.Stop()
	for {
		select {
		case <-w.kick:
			drain()
		case <-tick.C:
			drain()
		case ack := <-w.flushes:
			drain()
			close(ack)
		case <-w.done:
			// No sender can be inside Request or Error any more (Close
			// held the lock), so emptying the queues writes everything.
			drain()
			return
		}
	}
}

func (w *LogWriter) writeRequests(b []RequestLog) {
	if err := w.retry(func(ctx context.Context) error { return w.store.WriteRequestLogs(ctx, b) }); err != nil {
		w.reqFailed.Add(uint64(len(b)))
		w.report(fmt.Errorf("storage: writing %d request logs: %w", len(b), err))
		return
	}
	w.reqWritten.Add(uint64(len(b)))
}

func (w *LogWriter) writeErrors(b []ErrorLog) {
	if err := w.retry(func(ctx context.Context) error { return w.store.WriteErrorLogs(ctx, b) }); err != nil {
		w.errFailed.Add(uint64(len(b)))
		w.report(fmt.Errorf("storage: writing %d error logs: %w", len(b), err))
		return
	}
	w.errWritten.Add(uint64(len(b)))
}

func (w *LogWriter) report(err error) {
	if w.opt.OnError != nil {
		w.opt.OnError(err)
	}
}

// retry calls f until it succeeds, the retries are used up, or the writer
// is abandoned by Close.
func (w *LogWriter) retry(f func(context.Context) error) error {
	backoff := w.opt.RetryBackoff
	for attempt := 0; ; attempt++ {
		if err := w.ctx.Err(); err != nil {
			return fmt.Errorf("abandoned by Close: %w", err)
		}
		ctx, cancel := context.WithTimeout(w.ctx, w.opt.WriteTimeout)
		err := f(ctx)
		cancel()
		if err == nil {
			return nil
		}
		if attempt >= w.opt.Retries {
			return err
		}
		t := time.NewTimer(backoff)
		select {
		case <-w.ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}
