package storagetest

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/geminibalance/gb/storage"
)

// StatsBenchRows is how many request logs [BenchmarkStats] writes.
const StatsBenchRows = 1_000_000

// BenchmarkStats writes [StatsBenchRows] request logs spread over the 30
// days before a fixed time (500 keys, 5 models, about 10% failures), then
// runs, as sub-benchmarks, every statistics query the admin API makes:
// the overview windows, usage per key and per model, the series and the
// attention list.
func BenchmarkStats(b *testing.B, s storage.Store) {
	now := time.Date(2025, 6, 30, 15, 42, 17, 0, time.UTC)
	keys := make([]string, 500)
	for i := range keys {
		keys[i] = fmt.Sprintf("AIzaSyBench%028d", i)
	}
	models := []string{"gemini-2.5-flash", "gemini-2.5-pro", "gemini-2.5-flash-lite", "gemini-2.0-flash", "text-embedding-004"}
	r := rand.New(rand.NewPCG(7, 8))
	start := time.Now()
	const chunk = 5000
	span := int64(30 * 24 * time.Hour)
	buf := make([]storage.RequestLog, 0, chunk)
	for i := range StatsBenchRows {
		// Oldest first, as a gateway writes them.
		t := now.Add(-time.Duration(span - span/StatsBenchRows*int64(i)))
		status, ok := 200, true
		switch x := r.IntN(100); {
		case x < 6:
			status, ok = 429, false
		case x < 9:
			status, ok = 500, false
		case x < 10:
			status, ok = 400, false
		}
		p, c := r.IntN(2000), r.IntN(800)
		buf = append(buf, storage.RequestLog{Time: t, Key: keys[r.IntN(len(keys))], Model: models[r.IntN(len(models))],
			Kind: "gemini-chat-stream", Status: status, Success: ok, Latency: time.Duration(r.IntN(3000)) * time.Millisecond,
			PromptTokens: p, CompletionTokens: c, TotalTokens: p + c})
		if len(buf) == chunk {
			if err := s.WriteRequestLogs(ctx, buf); err != nil {
				b.Fatal(err)
			}
			buf = buf[:0]
		}
	}
	b.Logf("wrote %d request logs in %v", StatsBenchRows, time.Since(start))

	loc, _ := time.LoadLocation("Asia/Shanghai")
	end := now.Truncate(time.Minute).Add(time.Minute)
	lt := now.In(loc)
	month := time.Date(lt.Year(), lt.Month(), 1, 0, 0, 0, 0, loc)
	day := time.Date(lt.Year(), lt.Month(), lt.Day()+1, 0, 0, 0, 0, loc)
	page := keys[100:200]
	// Sanity: totals agree with the grouped rows and with the raw count.
	for _, from := range []time.Time{end.Add(-24 * time.Hour), month} {
		tot, err := s.Stats(ctx, storage.StatsQuery{From: from, To: end})
		if err != nil {
			b.Fatal(err)
		}
		byKey, err := s.Stats(ctx, storage.StatsQuery{From: from, To: end, GroupBy: storage.GroupKey})
		if err != nil {
			b.Fatal(err)
		}
		var sum int64
		for _, r := range byKey {
			sum += r.Calls
		}
		raw, _, err := s.CountRequestLogs(ctx, from.Truncate(time.Minute), end)
		if err != nil {
			b.Fatal(err)
		}
		if tot[0].Calls != sum || tot[0].Calls != int64(raw) || sum == 0 {
			b.Fatalf("from %v: total %d, per key %d, raw %d", from, tot[0].Calls, sum, raw)
		}
		b.Logf("from %v: %d calls over %d keys", from, sum, len(byKey))
	}
	run := func(name string, f func() error) {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if err := f(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	total := func(from time.Time) func() error {
		return func() error {
			_, err := s.Stats(ctx, storage.StatsQuery{From: from, To: end})
			return err
		}
	}
	run("Overview1m", total(end.Add(-time.Minute)))
	run("Overview1h", total(end.Add(-time.Hour)))
	run("Overview24h", total(end.Add(-24*time.Hour)))
	run("OverviewMonth", total(month))
	run("OverviewAllFour", func() error {
		for _, from := range []time.Time{end.Add(-time.Minute), end.Add(-time.Hour), end.Add(-24 * time.Hour), month} {
			if err := total(from)(); err != nil {
				return err
			}
		}
		return nil
	})
	run("PerKey24h", func() error {
		_, err := s.Stats(ctx, storage.StatsQuery{From: end.Add(-24 * time.Hour), To: end, GroupBy: storage.GroupKey, Limit: 50})
		return err
	})
	run("PerKeyMonth", func() error {
		_, err := s.Stats(ctx, storage.StatsQuery{From: month, To: end, GroupBy: storage.GroupKey, Limit: 50})
		return err
	})
	run("PerModelMonth", func() error {
		_, err := s.Stats(ctx, storage.StatsQuery{From: month, To: end, GroupBy: storage.GroupModel})
		return err
	})
	run("PerKeyModel24h", func() error {
		_, err := s.Stats(ctx, storage.StatsQuery{From: end.Add(-24 * time.Hour), To: end, GroupBy: storage.GroupKeyModel, Limit: 100})
		return err
	})
	run("KeyPageUsageMonth", func() error {
		_, err := s.Stats(ctx, storage.StatsQuery{From: month, To: end, Keys: page, GroupBy: storage.GroupKey})
		return err
	})
	run("Series1hPerMinute", func() error {
		_, err := s.StatsSeries(ctx, storage.StatsQuery{From: end.Add(-time.Hour), To: end}, time.Minute)
		return err
	})
	run("Series7dPerHour", func() error {
		_, err := s.StatsSeries(ctx, storage.StatsQuery{From: end.Truncate(time.Hour).Add(-7 * 24 * time.Hour), To: end}, time.Hour)
		return err
	})
	run("Series30dPerDay", func() error {
		_, err := s.StatsSeries(ctx, storage.StatsQuery{From: day.AddDate(0, 0, -30), To: day}, time.Hour)
		return err
	})
	run("Attention429", func() error {
		_, err := s.AttentionKeys(ctx, end.Add(-24*time.Hour), end, 429, 20)
		return err
	})
	run("Attention500Raw", func() error {
		_, err := s.AttentionKeys(ctx, end.Add(-24*time.Hour), end, 500, 20)
		return err
	})
}

// WriteBenchBatch is the batch size of [BenchmarkWriteRequestLogs]: the
// default [storage.LogWriterOptions.BatchSize].
const WriteBenchBatch = 512

// BenchmarkWriteRequestLogs times WriteRequestLogs with batches of
// [WriteBenchBatch] request logs as a busy gateway writes them (500 keys,
// 5 models, about 100 logs a second, so a batch spans about 5 seconds),
// statistics buckets included, and reports rows/s. The store should be
// fresh: rows accumulate across iterations.
func BenchmarkWriteRequestLogs(b *testing.B, s storage.Store) {
	keys := make([]string, 500)
	for i := range keys {
		keys[i] = fmt.Sprintf("AIzaSyBench%028d", i)
	}
	models := []string{"gemini-2.5-flash", "gemini-2.5-pro", "gemini-2.5-flash-lite", "gemini-2.0-flash", "text-embedding-004"}
	r := rand.New(rand.NewPCG(9, 10))
	t := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	batch := make([]storage.RequestLog, WriteBenchBatch)
	rows := 0
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		for i := range batch {
			t = t.Add(10 * time.Millisecond)
			status, ok := 200, true
			if x := r.IntN(100); x < 6 {
				status, ok = 429, false
			} else if x < 9 {
				status, ok = 500, false
			}
			p, c := r.IntN(2000), r.IntN(800)
			batch[i] = storage.RequestLog{Time: t, Key: keys[r.IntN(len(keys))], Model: models[r.IntN(len(models))],
				Kind: "gemini-chat-stream", Status: status, Success: ok, Latency: time.Duration(r.IntN(3000)) * time.Millisecond,
				PromptTokens: p, CompletionTokens: c, TotalTokens: p + c}
		}
		b.StartTimer()
		if err := s.WriteRequestLogs(ctx, batch); err != nil {
			b.Fatal(err)
		}
		rows += len(batch)
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}
