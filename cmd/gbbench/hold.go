package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/geminibalance/gb/balancer"
	"github.com/geminibalance/gb/gemini/geminitest"
)

// holdStreams opens n streams through a fresh gateway whose upstream
// waits minutes between events, waits until each has relayed its first
// event, and reads the gateway's RSS with all n open. 10,000 streams need
// about 40,000 descriptors across the two processes; the measured cost per
// stream is projected to 10,000 when n is smaller.
func holdStreams(ctx context.Context, bin, workDir string, n, keys int) *holdResult {
	res := &holdResult{Streams: n}
	sim := geminitest.NewServer(geminitest.Options{
		EventInterval: 10 * time.Minute, StreamEvents: 3, AcceptAnyKey: true, DisableRecording: true,
	})
	defer sim.Close()
	gw, err := startGateway(ctx, bin, workDir, sim.URL, keys)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	defer gw.kill()
	// One finished request first, so the baseline includes a warm pipeline.
	warm := target{URL: gw.URL + genPath, Body: []byte(prompt),
		Header: http.Header{"Content-Type": {"application/json"}, "X-Goog-Api-Key": {benchToken}}}
	if st, ok := probe(ctx, warm); !ok {
		res.Error = "warm-up request: " + st
		return res
	}
	time.Sleep(200 * time.Millisecond)
	rss0, _, _ := procMem(gw.pid())
	res.BaselineMB = mb(rss0)
	resetPeakRSS(gw.pid())

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n, DisableCompression: true}}
	defer client.CloseIdleConnections()
	hctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		opened   atomic.Int64
		started  sync.WaitGroup
		finished sync.WaitGroup
		errMu    sync.Mutex
	)
	url := gw.URL + sseePath
	for i := range n {
		if i%200 == 199 {
			time.Sleep(20 * time.Millisecond) // stay under the listen backlogs
		}
		started.Add(1)
		finished.Add(1)
		go func() {
			defer finished.Done()
			once := sync.OnceFunc(started.Done)
			defer once()
			req, _ := http.NewRequestWithContext(hctx, http.MethodPost, url, bytes.NewReader([]byte(prompt)))
			req.Header = warm.Header
			resp, err := client.Do(req)
			if err != nil {
				errMu.Lock()
				if res.Error == "" && hctx.Err() == nil {
					res.Error = err.Error()
				}
				errMu.Unlock()
				return
			}
			defer resp.Body.Close()
			br := bufio.NewReaderSize(resp.Body, 4096)
			for {
				line, err := br.ReadSlice('\n')
				if err != nil {
					return
				}
				if bytes.HasPrefix(line, []byte("data:")) {
					break
				}
			}
			opened.Add(1)
			once()
			_, _ = io.Copy(io.Discard, br)
		}()
	}
	waitTimeout(&started, 90*time.Second)
	time.Sleep(500 * time.Millisecond)
	res.Opened = int(opened.Load())
	rss, hwm, _ := procMem(gw.pid())
	res.RSSMB, res.PeakMB = mb(rss), mb(hwm)
	if res.Opened > 0 {
		per := float64(rss-rss0) / float64(res.Opened)
		res.KBPerStream = per / 1024
		res.Projected10kMB = mb(rss0 + int64(per*10000))
	}
	cancel()
	waitTimeout(&finished, 30*time.Second)
	return res
}

func waitTimeout(wg *sync.WaitGroup, d time.Duration) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
	}
}

// timePick measures MemoryPool.Pick with 100,000 keys from GOMAXPROCS
// goroutines at once for d, as `go test -bench` with RunParallel does:
// wall time divided by the picks made by all goroutines.
func timePick(d time.Duration) float64 {
	keys := make([]string, 100_000)
	for i := range keys {
		keys[i] = "AIzaSyPick" + itoa34(i)
	}
	pool := balancer.NewMemoryPool(keys, balancer.PoolOptions{})
	procs := runtime.GOMAXPROCS(0)
	var total atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := int64(0)
			for time.Now().Before(deadline) {
				for range 1000 {
					if _, err := pool.Pick("gemini-2.5-flash", nil); err != nil {
						return
					}
				}
				n += 1000
			}
			total.Add(n)
		}()
	}
	wg.Wait()
	if total.Load() == 0 {
		return 0
	}
	return float64(time.Since(start).Nanoseconds()) / float64(total.Load())
}

func itoa34(i int) string {
	b := []byte("0000000000000000000000000000")
	for j := len(b) - 1; i > 0 && j >= 0; j-- {
		b[j] = byte('0' + i%10)
		i /= 10
	}
	return string(b)
}
