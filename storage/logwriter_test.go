package storage_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/geminibalance/gb/storage"
)

// fakeLogs is a LogStore that records batch sizes and can fail or block.
type fakeLogs struct {
	storage.LogStore // methods the writer never calls (nil: they panic)

	mu        sync.Mutex
	reqs      []storage.RequestLog
	errs      []storage.ErrorLog
	batches   []int
	failFirst int           // calls that fail before the store works
	failAll   bool          // every call fails
	gate      chan struct{} // when set, calls wait for it to close (or ctx)
	calls     atomic.Int64
}

var errFake = errors.New("fake write failure")

func (f *fakeLogs) enter(ctx context.Context) error {
	n := f.calls.Add(1)
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if f.failAll || n <= int64(f.failFirst) {
		return errFake
	}
	return nil
}

func (f *fakeLogs) WriteRequestLogs(ctx context.Context, logs []storage.RequestLog) error {
	if err := f.enter(ctx); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs = append(f.reqs, logs...)
	f.batches = append(f.batches, len(logs))
	return nil
}

func (f *fakeLogs) WriteErrorLogs(ctx context.Context, logs []storage.ErrorLog) error {
	if err := f.enter(ctx); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errs = append(f.errs, logs...)
	f.batches = append(f.batches, len(logs))
	return nil
}

func (f *fakeLogs) ListErrorLogs(context.Context, storage.ErrorLogFilter) ([]storage.ErrorLog, int, error) {
	return nil, 0, nil
}

func (f *fakeLogs) CountRequestLogs(context.Context, time.Time, time.Time) (int, int, error) {
	return 0, 0, nil
}

func (f *fakeLogs) DeleteLogsBefore(context.Context, time.Time, time.Time) (int64, int64, error) {
	return 0, 0, nil
}

func (f *fakeLogs) counts() (reqs, errs int, batches []int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.reqs), len(f.errs), append([]int(nil), f.batches...)
}

func closeNow(t *testing.T, w *storage.LogWriter) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, w.Close(ctx))
}

func TestLogWriterWritesEverything(t *testing.T) {
	cases := []struct {
		name             string
		opt              storage.LogWriterOptions
		nReq, nErr       int
		producers        int
		maxBatch         int
		wantMinBatches   int
		wantExactWritten bool
	}{
		{"defaults", storage.LogWriterOptions{}, 1000, 100, 1, 512, 1, true},
		{"small batches", storage.LogWriterOptions{BatchSize: 7}, 100, 30, 1, 7, 100/7 + 30/7, true},
		{"many producers", storage.LogWriterOptions{BatchSize: 64, QueueSize: 1 << 16}, 20000, 2000, 8, 64, 20000 / 64, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := &fakeLogs{}
			w := storage.NewLogWriter(f, c.opt)
			var wg sync.WaitGroup
			for p := range c.producers {
				wg.Go(func() {
					for i := p; i < c.nReq; i += c.producers {
						w.Request(storage.RequestLog{Status: 200, Model: fmt.Sprint(i)})
					}
					for i := p; i < c.nErr; i += c.producers {
						w.Error(storage.ErrorLog{Status: 500, Message: fmt.Sprint(i)})
					}
				})
			}
			wg.Wait()
			closeNow(t, w)
			reqs, errs, batches := f.counts()
			assert.Equal(t, c.nReq, reqs)
			assert.Equal(t, c.nErr, errs)
			assert.GreaterOrEqual(t, len(batches), c.wantMinBatches)
			for _, b := range batches {
				assert.LessOrEqual(t, b, c.maxBatch)
			}
			st := w.Stats()
			assert.Equal(t, storage.LogKindStats{Written: uint64(c.nReq)}, st.Requests)
			assert.Equal(t, storage.LogKindStats{Written: uint64(c.nErr)}, st.Errors)
		})
	}
}

func TestLogWriterFlushInterval(t *testing.T) {
	f := &fakeLogs{}
	w := storage.NewLogWriter(f, storage.LogWriterOptions{FlushInterval: 20 * time.Millisecond})
	defer closeNow(t, w)
	w.Request(storage.RequestLog{Status: 200})
	w.Error(storage.ErrorLog{Status: 500})
	assert.Eventually(t, func() bool {
		r, e, _ := f.counts()
		return r == 1 && e == 1
	}, 5*time.Second, 5*time.Millisecond, "a partial batch must be written after FlushInterval")
}

func TestLogWriterFlush(t *testing.T) {
	f := &fakeLogs{}
	w := storage.NewLogWriter(f, storage.LogWriterOptions{FlushInterval: time.Hour})
	defer closeNow(t, w)
	for range 10 {
		w.Request(storage.RequestLog{})
	}
	w.Error(storage.ErrorLog{})
	require.NoError(t, w.Flush(context.Background()))
	r, e, _ := f.counts()
	assert.Equal(t, 10, r)
	assert.Equal(t, 1, e)
}

func TestLogWriterRetries(t *testing.T) {
	cases := []struct {
		name        string
		failFirst   int
		failAll     bool
		retries     int
		wantWritten uint64
		wantFailed  uint64
		wantOnError int
	}{
		{"no failure", 0, false, 3, 5, 0, 0},
		{"recovers within retries", 2, false, 3, 5, 0, 0},
		{"retries used up", 0, true, 2, 0, 5, 1},
		{"no retries", 1, false, -1, 0, 5, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := &fakeLogs{failFirst: c.failFirst, failAll: c.failAll}
			var onErr atomic.Int64
			w := storage.NewLogWriter(f, storage.LogWriterOptions{
				Retries: c.retries, RetryBackoff: time.Millisecond, FlushInterval: time.Hour,
				OnError: func(err error) {
					assert.ErrorIs(t, err, errFake)
					onErr.Add(1)
				},
			})
			for range 5 {
				w.Request(storage.RequestLog{})
			}
			closeNow(t, w)
			st := w.Stats().Requests
			assert.Equal(t, c.wantWritten, st.Written)
			assert.Equal(t, c.wantFailed, st.Failed)
			assert.Zero(t, st.Dropped)
			assert.Equal(t, int64(c.wantOnError), onErr.Load())
		})
	}
}

func TestLogWriterDropsWhenFull(t *testing.T) {
	f := &fakeLogs{gate: make(chan struct{})}
	w := storage.NewLogWriter(f, storage.LogWriterOptions{QueueSize: 8, BatchSize: 4, FlushInterval: time.Hour})
	const n = 100
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range n {
			w.Request(storage.RequestLog{}) // must never block on the stuck store
			w.Error(storage.ErrorLog{})
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Request/Error blocked while the store was stuck")
	}
	st := w.Stats()
	assert.NotZero(t, st.Requests.Dropped)
	assert.NotZero(t, st.Errors.Dropped)
	assert.LessOrEqual(t, st.Requests.Queued, 8)
	close(f.gate)
	closeNow(t, w)
	st = w.Stats()
	for _, k := range []storage.LogKindStats{st.Requests, st.Errors} {
		assert.Equal(t, uint64(n), k.Written+k.Dropped+k.Failed, "every record is accounted for: %+v", k)
		assert.Zero(t, k.Failed)
		assert.Zero(t, k.Queued)
	}
	r, e, _ := f.counts()
	assert.Equal(t, st.Requests.Written, uint64(r))
	assert.Equal(t, st.Errors.Written, uint64(e))
}

func TestLogWriterCloseGivesUp(t *testing.T) {
	f := &fakeLogs{gate: make(chan struct{})} // never opened: writes hang until cancelled
	w := storage.NewLogWriter(f, storage.LogWriterOptions{BatchSize: 2, FlushInterval: time.Hour})
	for range 10 {
		w.Request(storage.RequestLog{})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := w.Close(ctx)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 5*time.Second)
	// The goroutine winds down, counting what it could not write.
	assert.Eventually(t, func() bool {
		st := w.Stats().Requests
		return st.Failed == 10 && st.Written == 0
	}, 5*time.Second, 5*time.Millisecond)

	// Closed: new records are dropped, Close and Flush return at once.
	w.Request(storage.RequestLog{})
	w.Error(storage.ErrorLog{})
	assert.Equal(t, uint64(1), w.Stats().Requests.Dropped)
	assert.Equal(t, uint64(1), w.Stats().Errors.Dropped)
	assert.NoError(t, w.Close(context.Background()))
	assert.NoError(t, w.Flush(context.Background()))
}

func TestLogWriterEnqueueAllocs(t *testing.T) {
	w := storage.NewLogWriter(&fakeLogs{}, storage.LogWriterOptions{QueueSize: 1 << 20, FlushInterval: time.Hour, BatchSize: 1 << 20})
	defer closeNow(t, w)
	l := storage.RequestLog{Time: time.Now(), Key: "k", Model: "m", Kind: "gemini-chat-stream", Status: 200, Success: true}
	e := storage.ErrorLog{Time: time.Now(), Key: "k", Model: "m", Message: "boom", RequestBody: []byte("{}")}
	allocs := testing.AllocsPerRun(1000, func() {
		w.Request(l)
		w.Error(e)
	})
	assert.Zero(t, allocs)
}

// discardLogs is a LogStore that keeps nothing.
type discardLogs struct{ fakeLogs }

func (*discardLogs) WriteRequestLogs(context.Context, []storage.RequestLog) error { return nil }
func (*discardLogs) WriteErrorLogs(context.Context, []storage.ErrorLog) error     { return nil }

func BenchmarkLogWriterRequest(b *testing.B) {
	w := storage.NewLogWriter(&discardLogs{}, storage.LogWriterOptions{})
	defer w.Close(context.Background()) //nolint:errcheck
	l := storage.RequestLog{Time: time.Now(), Key: "k", Model: "gemini-2.5-flash", Kind: "gemini-chat-stream", Status: 200, Success: true}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			w.Request(l)
		}
	})
}
