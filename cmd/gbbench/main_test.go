package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestQuickRunProducesSaneFigures runs a very short benchmark (building
// gbserver included) and checks the figures are present, non-zero and
// consistent. It asserts nothing about speed.
func TestQuickRunProducesSaneFigures(t *testing.T) {
	if testing.Short() {
		t.Skip("builds gbserver and drives load for a few seconds")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	jsonPath := filepath.Join(t.TempDir(), "out.json")
	var stdout, stderr bytes.Buffer
	err := run(ctx, []string{
		"-duration", "300ms", "-warmup", "100ms", "-concurrency", "1,4",
		"-scenarios", "native-generate,native-stream", "-profiles", "fast",
		"-hold", "20", "-pick", "50ms", "-json", jsonPath,
	}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("run: %v\nstderr:\n%s", err, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{"native-generate", "native-stream", "ratio", "Targets (issue 6):", "rows written"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	b, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var rep report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Rows) != 4 {
		t.Fatalf("got %d rows, want 4 (2 scenarios × 2 concurrencies)", len(rep.Rows))
	}
	var sent int64
	for _, r := range rep.Rows {
		name := r.Scenario + "/" + r.Profile + "/c=" + itoa34(r.Concurrency)
		if r.Status != "ok" {
			t.Errorf("%s: status %q", name, r.Status)
			continue
		}
		for side, s := range map[string]*sideResult{"direct": r.Direct, "gateway": r.Gateway} {
			if s.Requests <= 0 || s.RPS <= 0 || s.Seconds <= 0 {
				t.Errorf("%s %s: requests %d, rps %v, seconds %v", name, side, s.Requests, s.RPS, s.Seconds)
			}
			if s.Errors != 0 {
				t.Errorf("%s %s: %d errors (%s)", name, side, s.Errors, s.FirstError)
			}
			if !(s.P50Ms > 0 && s.P50Ms <= s.P90Ms && s.P90Ms <= s.P99Ms) {
				t.Errorf("%s %s: percentiles out of order: %v %v %v", name, side, s.P50Ms, s.P90Ms, s.P99Ms)
			}
			if r.Scenario == "native-stream" {
				if s.Events != s.ExpectedEvents || s.Events != int64(s.Requests)*streamEvents || s.ShortStreams != 0 {
					t.Errorf("%s %s: %d events, expected %d, %d short", name, side, s.Events, s.ExpectedEvents, s.ShortStreams)
				}
				if s.TTFBP50Ms <= 0 || s.TTFBP50Ms > s.P99Ms {
					t.Errorf("%s %s: time to first event p50 %v (request p99 %v)", name, side, s.TTFBP50Ms, s.P99Ms)
				}
			}
		}
		g := r.Gateway
		if r.Ratio <= 0 || r.Ratio > 100 {
			t.Errorf("%s: ratio %v", name, r.Ratio)
		}
		if g.CPUSeconds < 0 || g.RSSMB <= 0 || g.PeakRSSMB < g.RSSMB-1 || g.PeakRSSMB > 4096 {
			t.Errorf("%s: cpu %v s, rss %v MB, peak %v MB", name, g.CPUSeconds, g.RSSMB, g.PeakRSSMB)
		}
		if g.UpstreamConns < 0 {
			t.Errorf("%s: %d new upstream connections", name, g.UpstreamConns)
		}
		sent += int64(g.AllOK)
	}
	if len(rep.Logs) != 1 {
		t.Fatalf("got %d log checks, want 1", len(rep.Logs))
	}
	if l := rep.Logs[0]; l.Sent <= sent || l.Written != l.Sent || l.Dropped != 0 {
		// l.Sent also counts the probes, hence strictly more than the rows' sum.
		t.Errorf("request logs: %+v (rows counted %d)", l, sent)
	}
	if h := rep.Hold; h == nil || h.Opened != 20 || h.RSSMB <= 0 {
		t.Errorf("open streams: %+v", h)
	}
	if rep.PickNs <= 0 {
		t.Errorf("key pick: %v ns", rep.PickNs)
	}
	if ref := rep.Reference; ref == nil || len(ref.Rows) != 2 {
		t.Errorf("reference proxy: %+v", ref)
	} else {
		for _, r := range ref.Rows {
			if r.Gateway.Requests <= 0 || r.Gateway.Errors != 0 || r.Ratio <= 0 {
				t.Errorf("reference c=%d: %d requests, %d errors (%s), ratio %v", r.Concurrency, r.Gateway.Requests, r.Gateway.Errors, r.Gateway.FirstError, r.Ratio)
			}
		}
		if len(ref.SimRows) != 2 || ref.SimRows[0].Gateway.Requests <= 0 || ref.SimRows[0].Gateway.Errors != 0 {
			t.Errorf("simulator in its own process: %+v", ref.SimRows)
		}
		if h := ref.Hold; h == nil || h.Opened != 20 {
			t.Errorf("reference open streams: %+v", h)
		}
	}
	if !strings.Contains(out, "Reference, same run") {
		t.Errorf("output lacks the reference table:\n%s", out)
	}
	if len(rep.Checks) == 0 {
		t.Error("no target checks")
	}
	for _, c := range rep.Checks {
		if c.Result != "PASS" && c.Result != "MISS" && c.Result != "N/A" {
			t.Errorf("check %q: result %q", c.Target, c.Result)
		}
	}
}

func TestReadEventsCountsAndCoalescing(t *testing.T) {
	// Three events: two arrive in one read, the third in its own; a [DONE]
	// sentinel is not an event.
	r := &chunkReader{chunks: []string{
		"data: {\"a\":1}\r\n\r\ndata: {\"a\":2}\r\n\r\n",
		"data: {\"a\":3}\n\n",
		"data: [DONE]\n\n",
	}}
	st, err := readEvents(r, make([]byte, 1024), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if st.events != 3 || st.coalesced != 1 {
		t.Errorf("events %d coalesced %d, want 3 and 1", st.events, st.coalesced)
	}
	if st.first <= 0 || st.last < st.first {
		t.Errorf("first %v last %v", st.first, st.last)
	}
}

type chunkReader struct{ chunks []string }

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(p, c.chunks[0])
	c.chunks = c.chunks[1:]
	return n, nil
}

func TestParseFlags(t *testing.T) {
	o, err := parseFlags([]string{"-quick"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.duration != 2*time.Second || o.hold != 0 || len(o.scenarios) != 3 {
		t.Errorf("quick: %+v", o)
	}
	if got := o.concurrencies(allProfiles[0]); len(got) != 2 {
		t.Errorf("quick fast concurrencies %v", got)
	}
	if _, err := parseFlags([]string{"-scenarios", "nope"}, io.Discard); err == nil {
		t.Error("unknown scenario accepted")
	}
	if _, err := parseFlags([]string{"-concurrency", "0"}, io.Discard); err == nil {
		t.Error("concurrency 0 accepted")
	}
}
