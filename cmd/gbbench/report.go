package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// checkLine is one target of issue 6 with its measured value.
type checkLine struct {
	Target string `json:"target"`
	Got    string `json:"measured"`
	Result string `json:"result"` // PASS, MISS or N/A
}

func findRow(rows []*row, scenario, profile string, c int) *row {
	for _, r := range rows {
		if r.Scenario == scenario && r.Profile == profile && r.Concurrency == c {
			return r
		}
	}
	return nil
}

func passMiss(ok bool) string {
	if ok {
		return "PASS"
	}
	return "MISS"
}

// checks evaluates the targets of issue 6 against what this run measured.
func checks(rep *report) []checkLine {
	var out []checkLine
	add := func(target, got string, ok bool) { out = append(out, checkLine{target, got, passMiss(ok)}) }
	na := func(target, why string) { out = append(out, checkLine{target, why, "N/A"}) }
	// usable returns the row, or nil after recording why it cannot be judged.
	usable := func(target, scenario, profile string, c int) *row {
		r := findRow(rep.Rows, scenario, profile, c)
		switch {
		case r == nil:
			na(target, fmt.Sprintf("not measured in this run (%s, %s, c=%d)", scenario, profile, c))
			return nil
		case r.Status != "ok":
			na(target, scenario+": "+r.Status)
			return nil
		}
		return r
	}

	if r := usable("native non-stream, fast, c=64: throughput >= 0.45x direct", "native-generate", "fast", 64); r != nil {
		add("native non-stream, fast, c=64: throughput >= 0.45x direct",
			fmt.Sprintf("%.2fx (%.0f vs %.0f req/s)", r.Ratio, r.Gateway.RPS, r.Direct.RPS), r.Ratio >= 0.45)
		add("native non-stream, fast, c=64: gateway CPU <= 50 us/req",
			fmt.Sprintf("%.0f us/req", r.Gateway.CPUMicrosReq), r.Gateway.CPUMicrosReq <= 50 && r.Gateway.Requests > 0)
		add("native non-stream, fast, c=64: no new upstream connections once warm",
			fmt.Sprintf("%d new, %d closed", r.Gateway.UpstreamConns, r.Gateway.UpstreamClosed), r.Gateway.UpstreamConns == 0)
	}
	if r := usable("OpenAI chat non-stream, fast, c=64: throughput >= 0.35x direct", "openai-chat", "fast", 64); r != nil {
		add("OpenAI chat non-stream, fast, c=64: throughput >= 0.35x direct",
			fmt.Sprintf("%.2fx (%.0f vs %.0f req/s)", r.Ratio, r.Gateway.RPS, r.Direct.RPS), r.Ratio >= 0.35)
	}
	if r := usable("added latency, fast, c=1: p50 <= 0.10 ms", "native-generate", "fast", 1); r != nil {
		add("added latency, fast, c=1: p50 <= 0.10 ms",
			fmt.Sprintf("%.3f ms (%.3f vs %.3f)", r.AddedP50Ms, r.Gateway.P50Ms, r.Direct.P50Ms), r.AddedP50Ms <= 0.10)
		add("added latency, fast, c=1: p99 <= 0.5 ms",
			fmt.Sprintf("%.3f ms (%.3f vs %.3f)", r.AddedP99Ms, r.Gateway.P99Ms, r.Direct.P99Ms), r.AddedP99Ms <= 0.5)
	}
	for _, sc := range allScenarios {
		t := "realistic, c=256, " + sc.Name + ": throughput >= 0.97x direct"
		r := findRow(rep.Rows, sc.Name, "realistic", 256)
		if r == nil {
			continue // scenario not selected; the native one below says so if missing
		}
		if r.Status != "ok" {
			na(t, r.Status)
			continue
		}
		add(t, fmt.Sprintf("%.3fx (%.0f vs %.0f req/s)", r.Ratio, r.Gateway.RPS, r.Direct.RPS), r.Ratio >= 0.97)
		if !sc.Stream {
			continue
		}
		add("realistic, c=256, "+sc.Name+": time to first event within 1 ms of direct",
			fmt.Sprintf("p50 %+.2f ms (%.2f vs %.2f), p99 %.2f vs %.2f", r.AddedTTFBMs, r.Gateway.TTFBP50Ms, r.Direct.TTFBP50Ms,
				r.Gateway.TTFBP99Ms, r.Direct.TTFBP99Ms), r.AddedTTFBMs <= 1.0)
		// Coalescing would shorten a stream's span from its first event to
		// its last. The span, not the mean gap, is compared: an OpenAI
		// stream carries more events than upstream sent (the role chunk,
		// the finish chunk), so its gaps are shorter by design.
		spanRatio := 0.0
		if ds, gs := span(r.Direct), span(r.Gateway); ds > 0 {
			spanRatio = gs / ds
		}
		add("realistic, c=256, "+sc.Name+": events never coalesced",
			fmt.Sprintf("%d/%d events, %d short streams, first-to-last event %.1f ms vs %.1f direct (mean gap %.2f vs %.2f), same-read events %d vs %d direct",
				r.Gateway.Events, r.Gateway.ExpectedEvents, r.Gateway.ShortStreams, span(r.Gateway), span(r.Direct),
				r.Gateway.MeanGapMs, r.Direct.MeanGapMs, r.Gateway.CoalescedReads, r.Direct.CoalescedReads),
			r.Gateway.ShortStreams == 0 && r.Gateway.Events >= r.Gateway.ExpectedEvents && spanRatio >= 0.9)
	}
	if findRow(rep.Rows, "native-generate", "realistic", 256) == nil {
		na("realistic, c=256: throughput >= 0.97x direct", "not measured in this run")
	}
	peak, where := 0.0, ""
	for _, r := range rep.Rows {
		if r.Concurrency == 256 && r.Gateway != nil && r.Gateway.PeakRSSMB > peak {
			peak, where = r.Gateway.PeakRSSMB, r.Scenario+"/"+r.Profile
		}
	}
	if where == "" {
		na("peak RSS <= 60 MB at c=256", "c=256 not measured in this run")
	} else {
		add("peak RSS <= 60 MB at c=256", fmt.Sprintf("%.1f MB (%s)", peak, where), peak <= 60)
	}
	switch h := rep.Hold; {
	case h == nil:
		na("10,000 concurrent open streams <= 300 MB", "not measured in this run (-hold 0)")
	case h.Opened == 0:
		na("10,000 concurrent open streams <= 300 MB", "no stream opened: "+h.Error)
	default:
		got := fmt.Sprintf("%.1f MB with %d open (%.1f KB/stream over %.1f MB idle)", h.RSSMB, h.Opened, h.KBPerStream, h.BaselineMB)
		v := h.RSSMB
		if h.Opened < 10000 {
			got = fmt.Sprintf("projected %.0f MB; ", h.Projected10kMB) + got
			v = h.Projected10kMB
		}
		add("10,000 concurrent open streams <= 300 MB", got, v <= 300 && h.Opened == h.Streams)
	}
	if rep.PickNs > 0 {
		add("key pick <= 100 ns with 100,000 keys under parallel load", fmt.Sprintf("%.1f ns/pick", rep.PickNs), rep.PickNs <= 100)
	} else {
		na("key pick <= 100 ns with 100,000 keys under parallel load", "not measured in this run (-pick 0)")
	}
	if len(rep.Logs) == 0 {
		na("request logging keeps up: zero rows dropped", "no gateway run")
	} else {
		var sent, written, missing int64
		ok := true
		for _, l := range rep.Logs {
			sent += l.Sent
			written += l.Written
			missing += l.Dropped
			ok = ok && l.Written >= 0 && l.Dropped == 0
		}
		add("request logging keeps up (SQLite): zero rows dropped",
			fmt.Sprintf("%d rows written for %d requests, %d missing", written, sent, missing), ok)
	}
	return out
}

// span is a stream's mean time from its first event to its last: the mean
// gap times the gaps per stream.
func span(s *sideResult) float64 {
	if s == nil || s.Requests == 0 {
		return 0
	}
	return s.MeanGapMs * (float64(s.Events)/float64(s.Requests) - 1)
}

func f0(v float64) string { return fmt.Sprintf("%.0f", v) }
func f2(v float64) string { return fmt.Sprintf("%.2f", v) }

// printRows writes the measurement table and the first error of each row
// that had errors.
func printRows(w io.Writer, rows []*row) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tprofile\tc\tdirect rps\tgateway rps\tratio\tgw p50 ms\tgw p90 ms\tgw p99 ms\t+p50 ms\t+p99 ms\tTTFB p50 d/gw ms\tgap d/gw ms\tCPU us/req\tr+w calls/req\tRSS/peak MB\tconns new/closed\terrors d/gw\t")
	for _, r := range rows {
		if r.Status != "ok" {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\n", r.Scenario, r.Profile, r.Concurrency, r.Status)
			continue
		}
		d, g := r.Direct, r.Gateway
		added := "\t"
		if r.Concurrency == 1 {
			added = f2(r.AddedP50Ms) + "\t" + f2(r.AddedP99Ms)
		}
		ttfb, gap := "", ""
		if g.TTFBP50Ms > 0 || d.TTFBP50Ms > 0 {
			ttfb = f2(d.TTFBP50Ms) + "/" + f2(g.TTFBP50Ms)
			gap = f2(d.MeanGapMs) + "/" + f2(g.MeanGapMs)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%.2fx\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.1f\t%.1f/%.1f\t%d/%d\t%d/%d\t\n",
			r.Scenario, r.Profile, r.Concurrency, f0(d.RPS), f0(g.RPS), r.Ratio, f2(g.P50Ms), f2(g.P90Ms), f2(g.P99Ms),
			added, ttfb, gap, f0(g.CPUMicrosReq), g.SyscallsReq, g.RSSMB, g.PeakRSSMB, g.UpstreamConns, g.UpstreamClosed, d.Errors, g.Errors)
	}
	tw.Flush()
	for _, r := range rows {
		if r.Status == "ok" && (r.Direct.Errors > 0 || r.Gateway.Errors > 0) {
			fmt.Fprintf(w, "  errors in %s/%s c=%d: direct %q, gateway %q\n", r.Scenario, r.Profile, r.Concurrency, r.Direct.FirstError, r.Gateway.FirstError)
		}
	}
}

// printReport writes the table, the log check and the target checks.
func printReport(w io.Writer, rep *report) {
	m := rep.Machine
	kind := "full run"
	if rep.Quick {
		kind = "quick run"
	}
	if rep.Custom {
		kind += " (custom flags)"
	}
	fmt.Fprintf(w, "gbbench %s: %d CPUs (%s), %s %s; %s per measurement after %s warm-up; %d keys\n\n",
		kind, m.CPUs, m.CPUModel, m.GoVersion, m.OS, rep.Duration, rep.Warmup, rep.Keys)
	printRows(w, rep.Rows)
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Request logs (SQLite gb_request_logs, counted after SIGTERM):")
	for _, l := range rep.Logs {
		fmt.Fprintf(w, "  %-9s %d successful gateway requests, %d rows written, %d missing\n", l.Profile, l.Sent, l.Written, l.Dropped)
	}
	if h := rep.Hold; h != nil {
		fmt.Fprintf(w, "\nOpen streams: %d of %d opened; gateway RSS %.1f MB (peak %.1f, idle %.1f), %.1f KB/stream, projected 10,000: %.0f MB",
			h.Opened, h.Streams, h.RSSMB, h.PeakMB, h.BaselineMB, h.KBPerStream, h.Projected10kMB)
		if h.Error != "" {
			fmt.Fprintf(w, " (first error: %s)", h.Error)
		}
		fmt.Fprintln(w)
	}
	if ref := rep.Reference; ref != nil {
		fmt.Fprintf(w, "\nReference, same run: the smallest Go proxy in the gateway's place (%s):\n", ref.What)
		printRows(w, ref.Rows)
		if h := ref.Hold; h != nil {
			fmt.Fprintf(w, "  open streams: %d of %d opened; proxy RSS %.1f MB (idle %.1f), %.1f KB/stream, projected 10,000: %.0f MB\n",
				h.Opened, h.Streams, h.RSSMB, h.BaselineMB, h.KBPerStream, h.Projected10kMB)
		}
		if len(ref.SimRows) > 0 {
			fmt.Fprintln(w, "\nReference, same run: the simulator alone in a child process (no proxy; \"gateway\" columns), against the simulator in gbbench's process (\"direct\"):")
			printRows(w, ref.SimRows)
		}
	}
	if rep.PickNs > 0 {
		fmt.Fprintf(w, "Key pick, 100,000 keys, parallel: %.1f ns/pick\n", rep.PickNs)
	}
	fmt.Fprintln(w, "\nTargets (issue 6):")
	miss := 0
	for _, c := range rep.Checks {
		if c.Result == "MISS" {
			miss++
		}
		fmt.Fprintf(w, "  %-4s  %s: %s\n", c.Result, c.Target, c.Got)
	}
	if miss > 0 {
		fmt.Fprintf(w, "\n%d target(s) MISSED on this machine: see docs/benchmarks.md for what bounds them.\n", miss)
	} else {
		fmt.Fprintln(w, "\nEvery measured target met.")
	}
	fmt.Fprintf(w, "(%s in %.0f s)\n", strings.TrimSpace(kind), rep.TotalSecs)
}
