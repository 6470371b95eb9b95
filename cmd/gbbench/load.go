package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"
)

// target is one side of a measurement: where a scenario's request goes.
type target struct {
	URL    string
	Body   []byte
	Header http.Header
	// Stream makes the worker read the answer as server-sent events.
	Stream bool
}

// newClient returns a load-generator client whose keep-alive pool holds
// every worker's connection, so a warm run opens no new connection.
func newClient(concurrency int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        concurrency * 2,
		MaxIdleConnsPerHost: concurrency,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}}
}

// sample is what one worker records. Slices are preallocated to the
// worker's request cap, so recording does not allocate.
type sample struct {
	lat  []time.Duration // whole request, to the end of the body
	ttfb []time.Duration // streams: to the end of the first data event

	errors     int
	firstErr   string
	events     int64 // data events seen
	shortReqs  int   // streams with fewer events than expected
	gaps       int64 // inter-event intervals measured
	gapSum     time.Duration
	coalesced  int64 // events that completed in the same read as the previous one
	okRequests int
}

// phase drives concurrency workers against t until deadline or until
// each worker made perWorkerCap requests, and returns the samples and
// the wall time from start to the last answer.
func phase(ctx context.Context, c *http.Client, t target, concurrency int, d time.Duration, perWorkerCap int, expectEvents int, record bool) ([]*sample, time.Duration) {
	samples := make([]*sample, concurrency)
	for i := range samples {
		s := &sample{}
		if record {
			s.lat = make([]time.Duration, 0, perWorkerCap)
			if t.Stream {
				s.ttfb = make([]time.Duration, 0, perWorkerCap)
			}
		}
		samples[i] = s
	}
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for i := range concurrency {
		wg.Add(1)
		go func(s *sample) {
			defer wg.Done()
			buf := make([]byte, 32<<10)
			for n := 0; n < perWorkerCap && ctx.Err() == nil; n++ {
				if time.Now().After(deadline) {
					return
				}
				oneRequest(ctx, c, t, s, buf, expectEvents, record)
			}
		}(samples[i])
	}
	wg.Wait()
	return samples, time.Since(start)
}

// oneRequest sends one request and records it in s.
func oneRequest(ctx context.Context, c *http.Client, t target, s *sample, buf []byte, expectEvents int, record bool) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.URL, bytes.NewReader(t.Body))
	if err != nil {
		s.fail(err.Error())
		return
	}
	req.Header = t.Header
	t0 := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		if ctx.Err() == nil {
			s.fail(err.Error())
		}
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		s.fail(fmt.Sprintf("status %d: %s", resp.StatusCode, bytes.TrimSpace(msg)))
		return
	}
	if !t.Stream {
		if _, err := io.CopyBuffer(io.Discard, resp.Body, buf); err != nil {
			s.fail("reading body: " + err.Error())
			return
		}
		s.okRequests++
		if record {
			s.lat = append(s.lat, time.Since(t0))
		}
		return
	}
	st, err := readEvents(resp.Body, buf, t0)
	if err != nil {
		s.fail("reading stream: " + err.Error())
		return
	}
	end := time.Since(t0)
	s.okRequests++
	if !record {
		return
	}
	s.lat = append(s.lat, end)
	if st.events > 0 {
		s.ttfb = append(s.ttfb, st.first)
	}
	s.events += int64(st.events)
	if st.events < expectEvents {
		s.shortReqs++
	}
	if st.events > 1 {
		s.gaps += int64(st.events - 1)
		s.gapSum += st.last - st.first
	}
	s.coalesced += int64(st.coalesced)
}

func (s *sample) fail(msg string) {
	s.errors++
	if s.firstErr == "" {
		s.firstErr = msg
	}
}

type streamStats struct {
	events      int
	first, last time.Duration // since the request was sent
	coalesced   int
}

// readEvents reads a server-sent-event body and notes when each data line
// ("data: …", not "data: [DONE]") is complete. Events that complete in
// the same Read as the previous one arrived together: coalesced.
func readEvents(body io.Reader, buf []byte, t0 time.Time) (streamStats, error) {
	var (
		st        streamStats
		prefix    [12]byte
		lineLen   int
		lastRead  = -1
		readCount int
	)
	for {
		n, err := body.Read(buf)
		if n > 0 {
			readCount++
			var now time.Duration
			for _, b := range buf[:n] {
				switch b {
				case '\r':
					continue
				case '\n':
					p := prefix[:min(lineLen, len(prefix))]
					if bytes.HasPrefix(p, []byte("data:")) && !bytes.Equal(bytes.TrimSpace(p[5:]), []byte("[DONE]")) {
						if now == 0 {
							now = time.Since(t0)
						}
						if st.events == 0 {
							st.first = now
						} else if lastRead == readCount {
							st.coalesced++
						}
						st.last = now
						st.events++
						lastRead = readCount
					}
					lineLen = 0
				default:
					if lineLen < len(prefix) {
						prefix[lineLen] = b
					}
					lineLen++
				}
			}
		}
		if errors.Is(err, io.EOF) {
			return st, nil
		}
		if err != nil {
			return st, err
		}
	}
}

// sideResult is one side (direct or gateway) of one measurement.
type sideResult struct {
	Requests   int     `json:"requests"`
	Errors     int     `json:"errors"`
	FirstError string  `json:"first_error,omitempty"`
	Seconds    float64 `json:"seconds"`
	RPS        float64 `json:"rps"`
	P50Ms      float64 `json:"p50_ms"`
	P90Ms      float64 `json:"p90_ms"`
	P99Ms      float64 `json:"p99_ms"`
	// Streams only.
	TTFBP50Ms      float64 `json:"ttfb_p50_ms,omitempty"`
	TTFBP99Ms      float64 `json:"ttfb_p99_ms,omitempty"`
	MeanGapMs      float64 `json:"mean_event_gap_ms,omitempty"`
	Events         int64   `json:"events,omitempty"`
	ExpectedEvents int64   `json:"expected_events,omitempty"`
	ShortStreams   int     `json:"short_streams,omitempty"`
	CoalescedReads int64   `json:"coalesced_events,omitempty"`
	// Gateway only.
	CPUSeconds    float64 `json:"cpu_seconds,omitempty"`
	CPUMicrosReq  float64 `json:"cpu_us_per_req,omitempty"`
	SyscallsReq   float64 `json:"rw_syscalls_per_req,omitempty"`
	RSSMB         float64 `json:"rss_mb,omitempty"`
	PeakRSSMB     float64 `json:"peak_rss_mb,omitempty"`
	UpstreamConns int     `json:"new_upstream_conns"`
	// UpstreamClosed counts upstream connections closed during the
	// recorded phase (by either side): churn, as opposed to the pool
	// growing.
	UpstreamClosed int `json:"closed_upstream_conns"`
	// AllOK counts successful requests in every phase (warm-up included),
	// for the request-log check.
	AllOK int `json:"-"`
}

// summarize folds the workers' samples into a sideResult.
func summarize(samples []*sample, wall time.Duration, stream bool, expectEvents int) *sideResult {
	r := &sideResult{Seconds: wall.Seconds()}
	var lat, ttfb []time.Duration
	n := 0
	for _, s := range samples {
		n += len(s.lat)
	}
	lat = make([]time.Duration, 0, n)
	if stream {
		ttfb = make([]time.Duration, 0, n)
	}
	var gaps int64
	var gapSum time.Duration
	for _, s := range samples {
		lat = append(lat, s.lat...)
		ttfb = append(ttfb, s.ttfb...)
		r.Errors += s.errors
		if r.FirstError == "" {
			r.FirstError = s.firstErr
		}
		r.Events += s.events
		r.ShortStreams += s.shortReqs
		r.CoalescedReads += s.coalesced
		gaps += s.gaps
		gapSum += s.gapSum
	}
	r.Requests = len(lat)
	if wall > 0 {
		r.RPS = float64(r.Requests) / wall.Seconds()
	}
	slices.Sort(lat)
	r.P50Ms, r.P90Ms, r.P99Ms = pct(lat, 50), pct(lat, 90), pct(lat, 99)
	if stream {
		slices.Sort(ttfb)
		r.TTFBP50Ms, r.TTFBP99Ms = pct(ttfb, 50), pct(ttfb, 99)
		if gaps > 0 {
			r.MeanGapMs = ms(gapSum / time.Duration(gaps))
		}
		r.ExpectedEvents = int64(r.Requests) * int64(expectEvents)
	}
	return r
}

// pct is the nearest-rank percentile of sorted d, in milliseconds.
func pct(d []time.Duration, p int) float64 {
	if len(d) == 0 {
		return 0
	}
	i := (len(d)*p + 99) / 100
	if i < 1 {
		i = 1
	}
	return ms(d[i-1])
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }
