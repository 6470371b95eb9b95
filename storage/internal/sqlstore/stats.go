package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/geminibalance/gb/storage"
)

// Statistics are kept in buckets of three spans (a minute, an hour and a
// UTC day), upserted in the transaction that writes the request logs, in
// two tables:
//
//   - Tables.Stats, per key and model (api_key = the key) and for all keys
//     together (api_key = ”), keyed (span, bucket, api_key, model) with an
//     index (span, api_key, bucket);
//   - Tables.KeyStats (schema version 3), per key with all models
//     together, keyed (span, bucket, api_key) with an index
//     (span, api_key, bucket). Queries that need no model (rankings of
//     keys, usage of a page of keys, attention keys) read it: a fifth of
//     the rows when keys serve five models.
//
// A query over [from, to) reads whole days where it can, hours at the
// edges of the days and minutes at the edges of the hours, so that it
// reads at most a few hundred buckets per key (and model) whatever the
// range. Each range of buckets of one span is grouped on its own and only
// the groups are summed across ranges (see groupedQuery): a UNION ALL of
// the raw buckets would be materialised whole by MariaDB before grouping.
const (
	minuteMS = int64(time.Minute / time.Millisecond)
	hourMS   = 60 * minuteMS
	dayMS    = 24 * hourMS
)

// spans are the bucket lengths in milliseconds, longest first. The span
// column holds them in seconds.
var spans = []int64{dayMS, hourMS, minuteMS}

var statCols = []string{"calls", "successes", "failures", "status429", "prompt_tokens", "completion_tokens", "total_tokens"}

const statSums = "SUM(calls), SUM(successes), SUM(failures), SUM(status429), SUM(prompt_tokens), SUM(completion_tokens), SUM(total_tokens)"

// StatsMigration returns the statements creating the statistics table
// (created by the dialect's create statement) and filling it from the
// request logs already stored. div(expr, n) is the engine's integer
// division of expr by the integer n. It is schema version 2: never change
// what it returns.
func StatsMigration(t Tables, create []string, div func(expr string, n int64) string) []string {
	out := append([]string(nil), create...)
	cols := "span, bucket, api_key, model, " + strings.Join(statCols, ", ")
	sums := "COUNT(*), SUM(CASE WHEN success THEN 1 ELSE 0 END), SUM(CASE WHEN success THEN 0 ELSE 1 END), " +
		"SUM(CASE WHEN status = 429 THEN 1 ELSE 0 END), SUM(prompt_tokens), SUM(completion_tokens), SUM(total_tokens)"
	for _, sp := range spans {
		b := div("time", sp) + " * " + fmt.Sprint(sp)
		out = append(out,
			"INSERT INTO "+t.Stats+" ("+cols+") SELECT "+fmt.Sprint(sp/1000)+", "+b+", api_key, model, "+sums+
				" FROM "+t.Requests+" WHERE api_key <> '' GROUP BY "+b+", api_key, model",
			"INSERT INTO "+t.Stats+" ("+cols+") SELECT "+fmt.Sprint(sp/1000)+", "+b+", '', model, "+sums+
				" FROM "+t.Requests+" GROUP BY "+b+", model")
	}
	return out
}

// KeyStatsMigration returns the statements creating the per-key
// statistics table (by the dialect's create statements) and filling it
// from the per-key-and-model buckets already stored, then the statements
// after (schema version 3). Emptying the table first makes the step safe
// to run again after a half-applied attempt.
func KeyStatsMigration(t Tables, create []string, after ...string) []string {
	out := append([]string(nil), create...)
	out = append(out,
		"DELETE FROM "+t.KeyStats,
		"INSERT INTO "+t.KeyStats+" (span, bucket, api_key, "+strings.Join(statCols, ", ")+") SELECT span, bucket, api_key, "+
			statSums+" FROM "+t.Stats+" WHERE api_key <> '' GROUP BY span, bucket, api_key")
	return append(out, after...)
}

func floorTo(ms, span int64) int64 {
	return ms - ((ms%span)+span)%span
}

func ceilTo(ms, span int64) int64 {
	f := floorTo(ms, span)
	if f == ms {
		return ms
	}
	return f + span
}

type statKey struct {
	span, bucket int64
	key, model   string
}

type statAgg map[statKey]*storage.StatsCounts

func (a statAgg) add(k statKey, c storage.StatsCounts) {
	p := a[k]
	if p == nil {
		p = &storage.StatsCounts{}
		a[k] = p
	}
	p.Add(c)
}

// addStats upserts the buckets of logs: per key and model and for all
// keys into Stats, per key into KeyStats.
func (s *Store) addStats(ctx context.Context, tx *sql.Tx, logs []storage.RequestLog) error {
	byModel, byKey := statAgg{}, statAgg{}
	for _, l := range logs {
		c := storage.CountsOf(l)
		ms := toMS(l.Time)
		key, model := s.cut(l.Key), s.cut(l.Model)
		for _, sp := range spans {
			b := floorTo(ms, sp)
			byModel.add(statKey{sp / 1000, b, "", model}, c)
			if key != "" {
				byModel.add(statKey{sp / 1000, b, key, model}, c)
				byKey.add(statKey{sp / 1000, b, key, ""}, c)
			}
		}
	}
	if err := s.upsertStats(ctx, tx, s.t.Stats, byModel, true); err != nil {
		return err
	}
	return s.upsertStats(ctx, tx, s.t.KeyStats, byKey, false)
}

// upsertStats adds agg to the buckets of table in multi-row upserts, as
// few as the statement limits allow.
func (s *Store) upsertStats(ctx context.Context, tx *sql.Tx, table string, agg statAgg, withModel bool) error {
	if len(agg) == 0 {
		return nil
	}
	keys := make([]statKey, 0, len(agg))
	for k := range agg {
		keys = append(keys, k)
	}
	// A fixed order keeps concurrent writers from deadlocking.
	slices.SortFunc(keys, func(a, b statKey) int {
		return cmp.Or(cmp.Compare(a.span, b.span), cmp.Compare(a.bucket, b.bucket),
			strings.Compare(a.key, b.key), strings.Compare(a.model, b.model))
	})
	idCols := "span, bucket, api_key"
	if withModel {
		idCols += ", model"
	}
	ncols := strings.Count(idCols, ",") + 1 + len(statCols)
	head := "INSERT INTO " + table + " (" + idCols + ", " + strings.Join(statCols, ", ") + ") VALUES "
	suffix := s.d.UpsertAdd(idCols, statCols)
	perStmt := maxStmtArgs / ncols
	args := make([]any, 0, min(len(keys), perStmt)*ncols)
	for start := 0; start < len(keys); {
		n, size := 0, 0
		for start+n < len(keys) && n < perStmt && (n == 0 || size < maxStmtBytes) {
			size += 2*(len(keys[start+n].key)+len(keys[start+n].model)) + rowOverhead
			n++
		}
		args = args[:0]
		for _, k := range keys[start : start+n] {
			v := agg[k]
			args = append(args, k.span, k.bucket, k.key)
			if withModel {
				args = append(args, k.model)
			}
			args = append(args, v.Calls, v.Successes, v.Failures, v.Status429, v.PromptTokens, v.CompletionTokens, v.TotalTokens)
		}
		if _, err := tx.ExecContext(ctx, head+placeholders(n, ncols)+suffix, args...); err != nil {
			return s.errf("write request statistics: %w", err)
		}
		start += n
	}
	return nil
}

// segment is a range of buckets of one span, added to the result or, when
// neg is set, subtracted from it.
type segment struct {
	span, lo, hi int64
	neg          bool
}

// segments splits the minutes [from, to) into bucket ranges, using spans
// no longer than maxSpan.
func segments(from, to, maxSpan int64) []segment {
	var out []segment
	c := from
	add := func(span, hi int64) {
		if span <= maxSpan && hi > c {
			out = append(out, segment{span: span, lo: c, hi: hi})
			c = hi
		}
	}
	add(minuteMS, min(ceilTo(c, hourMS), to))
	if maxSpan < hourMS {
		add(minuteMS, to)
		return out
	}
	add(hourMS, min(ceilTo(c, dayMS), floorTo(to, hourMS)))
	add(dayMS, floorTo(to, dayMS))
	add(hourMS, floorTo(to, hourMS))
	add(minuteMS, to)
	return out
}

// statSegments is segments(from, to, dayMS), except that the part of
// [from, to) after the last whole day (or hour) may be read as that whole
// day (hour) less the buckets of it from to on, when that reads fewer
// buckets: counters are sums, so subtracting is exact. Buckets that start
// after now are counted as free, since they hold no logs yet: a range
// ending now reads its last day as one bucket per key instead of up to 23
// hours and 59 minutes.
func statSegments(from, to, now int64) []segment {
	if to <= from {
		return nil
	}
	// cnt is the number of buckets of span in [lo, hi) (aligned) that
	// start before now.
	cnt := func(span, lo, hi int64) int64 {
		if hi <= lo || now <= lo {
			return 0
		}
		return (min(hi, ceilTo(now, span)) - lo) / span
	}
	hourStart := floorTo(to, hourMS)
	hourEnd := hourStart + hourMS
	minutes := cnt(minuteMS, hourStart, to)
	minutesAlt := 1 + cnt(minuteMS, to, hourEnd)
	if dayStart := floorTo(to, dayMS); dayStart >= from && dayStart < to {
		dayEnd := dayStart + dayMS
		straight := cnt(hourMS, dayStart, hourStart) + min(minutes, minutesAlt)
		if 1+cnt(minuteMS, to, ceilTo(to, hourMS))+cnt(hourMS, ceilTo(to, hourMS), dayEnd) < straight {
			out := segments(from, dayStart, dayMS)
			out = append(out, segment{span: dayMS, lo: dayStart, hi: dayEnd})
			if c := ceilTo(to, hourMS); c > to {
				out = append(out, segment{span: minuteMS, lo: to, hi: c, neg: true})
			}
			if c := ceilTo(to, hourMS); c < dayEnd {
				out = append(out, segment{span: hourMS, lo: c, hi: dayEnd, neg: true})
			}
			return out
		}
	}
	if hourStart >= from && hourStart < to && minutesAlt < minutes {
		out := segments(from, hourStart, dayMS)
		return append(out, segment{span: hourMS, lo: hourStart, hi: hourEnd},
			segment{span: minuteMS, lo: to, hi: hourEnd, neg: true})
	}
	return segments(from, to, dayMS)
}

// groupedQuery returns one statement over the buckets of segs matching
// cond: each segment's range of buckets is grouped by gcols (summing the
// columns sums) on its own, and the groups of all segments are summed
// again by gcols, followed by tail (ORDER BY, LIMIT). Only grouped rows
// reach the outer query: MariaDB materialises a derived table, and a
// UNION ALL of the raw buckets was tens of thousands of rows.
func groupedQuery(segs []segment, gcols, sums []string, from, cond string, condArgs []any, tail string) (string, []any) {
	g := strings.Join(gcols, ", ")
	var inner, outer strings.Builder
	inner.WriteString("SELECT ")
	outer.WriteString("SELECT ")
	if g != "" {
		inner.WriteString(g + ", ")
		outer.WriteString(g + ", ")
	}
	for i, c := range sums {
		if i > 0 {
			inner.WriteString(", ")
			outer.WriteString(", ")
		}
		inner.WriteString("SUM(" + c + ") AS " + c)
		outer.WriteString("SUM(" + c + ")")
	}
	inner.WriteString(" FROM " + from + " WHERE span = ? AND bucket >= ? AND bucket < ?" + cond)
	if g != "" {
		inner.WriteString(" GROUP BY " + g)
	}
	one := inner.String()
	// A subtracted segment negates its sums.
	negated := strings.ReplaceAll(one, "SUM(", "-SUM(")
	outer.WriteString(" FROM (")
	args := make([]any, 0, len(segs)*(3+len(condArgs)))
	neg := false
	for i, sg := range segs {
		if i > 0 {
			outer.WriteString(" UNION ALL ")
		}
		if sg.neg {
			outer.WriteString(negated)
			neg = true
		} else {
			outer.WriteString(one)
		}
		args = append(args, sg.span/1000, sg.lo, sg.hi)
		args = append(args, condArgs...)
	}
	outer.WriteString(") AS u")
	if g != "" {
		outer.WriteString(" GROUP BY " + g)
		if neg && !strings.HasPrefix(tail, " HAVING") {
			// A group whose buckets were all subtracted again.
			outer.WriteString(" HAVING SUM(" + sums[0] + ") <> 0")
		}
	}
	return outer.String() + tail, args
}

// query runs q and calls scan on every row.
func (s *Store) query(ctx context.Context, q string, args []any, scan func(*sql.Rows) error) error {
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// scanSums scans the seven sums of statSums (NULL when no row matched)
// after the leading destinations dest into c.
func scanSums(rows *sql.Rows, c *storage.StatsCounts, dest ...any) error {
	var sums [7]sql.NullInt64
	for i := range sums {
		dest = append(dest, &sums[i])
	}
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	*c = storage.StatsCounts{Calls: sums[0].Int64, Successes: sums[1].Int64, Failures: sums[2].Int64, Status429: sums[3].Int64,
		PromptTokens: sums[4].Int64, CompletionTokens: sums[5].Int64, TotalTokens: sums[6].Int64}
	return nil
}

// source returns the table (with an index hint) and condition reading the
// buckets of keys (all keys when empty, each on its own when byKey) from
// the per-key table when keyTable is set, else from the per-key-and-model
// table.
func (s *Store) source(keys []string, byKey, keyTable bool) (from, cond string, args []any) {
	table := s.t.Stats
	if keyTable {
		table = s.t.KeyStats
	}
	hint := ""
	if s.d.IndexHint != nil {
		hint = s.d.IndexHint(table + "_key")
	}
	switch {
	case len(keys) > 0:
		args = make([]any, len(keys))
		for i, k := range keys {
			args[i] = k
		}
		// The (span, api_key, bucket) index reads only the keys asked for.
		return table + hint, " AND api_key IN " + inList(len(keys)), args
	case keyTable:
		// Every row is a key's: the primary key's (span, bucket) range.
		// MariaDB otherwise walks the (span, api_key, bucket) index for
		// its order, over every bucket of the span.
		return table + s.d.PrimaryKeyHint, "", nil
	case byKey:
		return table + s.d.PrimaryKeyHint, " AND api_key <> ''", nil
	default:
		return table + hint, " AND api_key = ''", nil
	}
}

// keyChunks returns keys in chunks for IN lists, or one nil chunk when
// there are none.
func keyChunks(keys []string) [][]string {
	if len(keys) == 0 {
		return [][]string{nil}
	}
	return slices.Collect(slices.Chunk(keys, keyChunk))
}

type gk struct{ key, model string }

// bucketsByKey adds to rows the buckets of segs matching cond, one
// statement per segment, summed here per key (and model when withModel)
// (see Dialect.GroupKeysInClient).
func (s *Store) bucketsByKey(ctx context.Context, segs []segment, table, cond string, condArgs []any, withModel bool,
	rows map[gk]*storage.StatsRow) error {
	model := "'' AS model"
	if withModel {
		model = "model"
	}
	q := "SELECT api_key, " + model + ", " + strings.Join(statCols, ", ") + " FROM " + table +
		" WHERE span = ? AND bucket >= ? AND bucket < ?" + cond
	args := make([]any, 3, 3+len(condArgs))
	args = append(args, condArgs...)
	for _, sg := range segs {
		args[0], args[1], args[2] = sg.span/1000, sg.lo, sg.hi
		var k gk
		var c storage.StatsCounts
		dest := append([]any{&k.key, &k.model}, scanCounts(&c)...)
		err := s.query(ctx, q, args, func(res *sql.Rows) error {
			if err := res.Scan(dest...); err != nil {
				return err
			}
			if sg.neg {
				c = storage.StatsCounts{Calls: -c.Calls, Successes: -c.Successes, Failures: -c.Failures, Status429: -c.Status429,
					PromptTokens: -c.PromptTokens, CompletionTokens: -c.CompletionTokens, TotalTokens: -c.TotalTokens}
			}
			if p := rows[k]; p != nil {
				p.Add(c)
			} else {
				rows[k] = &storage.StatsRow{Key: k.key, Model: k.model, StatsCounts: c}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func scanCounts(c *storage.StatsCounts) []any {
	return []any{&c.Calls, &c.Successes, &c.Failures, &c.Status429, &c.PromptTokens, &c.CompletionTokens, &c.TotalTokens}
}

// Stats implements storage.StatsStore.
func (s *Store) Stats(ctx context.Context, q storage.StatsQuery) ([]storage.StatsRow, error) {
	from, to := floorTo(toMS(q.From), minuteMS), floorTo(toMS(q.To), minuteMS)
	var gcols []string
	switch q.GroupBy {
	case storage.GroupKey:
		gcols = []string{"api_key"}
	case storage.GroupModel:
		gcols = []string{"model"}
	case storage.GroupKeyModel:
		gcols = []string{"api_key", "model"}
	}
	byKey := q.GroupBy == storage.GroupKey || q.GroupBy == storage.GroupKeyModel
	keys := dedupe(q.Keys)
	needModel := q.Model != "" || q.GroupBy == storage.GroupModel || q.GroupBy == storage.GroupKeyModel
	keyTable := !needModel && (byKey || len(keys) > 0)
	rows := map[gk]*storage.StatsRow{}
	segs := statSegments(from, to, time.Now().UnixMilli())
	if len(segs) > 0 {
		chunks := keyChunks(keys)
		tail := ""
		if len(gcols) > 0 {
			tail = " ORDER BY SUM(calls) DESC, " + strings.Join(gcols, ", ")
			if q.Limit > 0 && len(chunks) == 1 {
				tail += fmt.Sprintf(" LIMIT %d", q.Limit)
			}
		}
		for _, chunk := range chunks {
			table, cond, args := s.source(chunk, byKey, keyTable)
			if q.Model != "" {
				cond += " AND model = ?"
				args = append(args, q.Model)
			}
			if byKey && s.d.GroupKeysInClient {
				if err := s.bucketsByKey(ctx, segs, table, cond, args, q.GroupBy == storage.GroupKeyModel, rows); err != nil {
					return nil, s.errf("stats: %w", err)
				}
				continue
			}
			query, args := groupedQuery(segs, gcols, statCols, table, cond, args, tail)
			err := s.query(ctx, query, args, func(res *sql.Rows) error {
				var r storage.StatsRow
				var dest []any
				switch q.GroupBy {
				case storage.GroupKey:
					dest = []any{&r.Key}
				case storage.GroupModel:
					dest = []any{&r.Model}
				case storage.GroupKeyModel:
					dest = []any{&r.Key, &r.Model}
				}
				if err := scanSums(res, &r.StatsCounts, dest...); err != nil {
					return err
				}
				k := gk{r.Key, r.Model}
				if p := rows[k]; p != nil {
					p.Add(r.StatsCounts)
				} else {
					rows[k] = &r
				}
				return nil
			})
			if err != nil {
				return nil, s.errf("stats: %w", err)
			}
		}
	}
	if q.GroupBy == storage.GroupNone {
		out := storage.StatsRow{}
		for _, r := range rows {
			out.Add(r.StatsCounts)
		}
		return []storage.StatsRow{out}, nil
	}
	out := make([]storage.StatsRow, 0, len(rows))
	for _, r := range rows {
		if r.Calls != 0 { // not a group whose buckets were all subtracted again
			out = append(out, *r)
		}
	}
	slices.SortFunc(out, func(a, b storage.StatsRow) int {
		return cmp.Or(cmp.Compare(b.Calls, a.Calls), strings.Compare(a.Key, b.Key), strings.Compare(a.Model, b.Model))
	})
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out, nil
}

// StatsSeries implements storage.StatsStore.
func (s *Store) StatsSeries(ctx context.Context, q storage.StatsQuery, step time.Duration) ([]storage.StatsPoint, error) {
	stepMS := step.Milliseconds()
	if stepMS < minuteMS || stepMS%minuteMS != 0 {
		return nil, s.errf("series step %s is not a whole number of minutes", step)
	}
	from, to := floorTo(toMS(q.From), minuteMS), floorTo(toMS(q.To), minuteMS)
	// The longest span that never straddles two steps.
	maxSpan := minuteMS
	for _, sp := range spans {
		if stepMS%sp == 0 && floorTo(from, sp) == from {
			maxSpan = sp
			break
		}
	}
	segs := segments(from, to, maxSpan)
	if len(segs) == 0 {
		return []storage.StatsPoint{}, nil
	}
	points := map[int64]*storage.StatsPoint{}
	keys := dedupe(q.Keys)
	for _, chunk := range keyChunks(keys) {
		table, cond, args := s.source(chunk, false, len(keys) > 0 && q.Model == "")
		if q.Model != "" {
			cond += " AND model = ?"
			args = append(args, q.Model)
		}
		query, args := groupedQuery(segs, []string{"bucket"}, statCols, table, cond, args, "")
		err := s.query(ctx, query, args, func(res *sql.Rows) error {
			var b int64
			var c storage.StatsCounts
			if err := scanSums(res, &c, &b); err != nil {
				return err
			}
			t := from + (b-from)/stepMS*stepMS
			p := points[t]
			if p == nil {
				p = &storage.StatsPoint{Time: fromMS(t)}
				if t == 0 {
					p.Time = time.UnixMilli(0).UTC()
				}
				points[t] = p
			}
			p.Add(c)
			return nil
		})
		if err != nil {
			return nil, s.errf("stats series: %w", err)
		}
	}
	out := make([]storage.StatsPoint, 0, len(points))
	for _, p := range points {
		out = append(out, *p)
	}
	slices.SortFunc(out, func(a, b storage.StatsPoint) int { return a.Time.Compare(b.Time) })
	return out, nil
}

// AttentionKeys implements storage.StatsStore.
func (s *Store) AttentionKeys(ctx context.Context, from, to time.Time, status, limit int) ([]storage.AttentionKey, error) {
	if limit <= 0 {
		limit = 20
	}
	lo, hi := floorTo(toMS(from), minuteMS), floorTo(toMS(to), minuteMS)
	out := []storage.AttentionKey{}
	segs := statSegments(lo, hi, time.Now().UnixMilli())
	if len(segs) == 0 {
		return out, nil
	}
	if status == 0 || status == 429 {
		col := "failures"
		if status == 429 {
			col = "status429"
		}
		table, cond, args := s.source(nil, true, true)
		query, args := groupedQuery(segs, []string{"api_key"}, []string{col, "calls"}, table, cond, args,
			" HAVING SUM("+col+") > 0 ORDER BY SUM("+col+") DESC, api_key LIMIT ?")
		err := s.query(ctx, query, append(args, limit), func(res *sql.Rows) error {
			var a storage.AttentionKey
			if err := res.Scan(&a.Key, &a.Count, &a.Calls); err != nil {
				return err
			}
			out = append(out, a)
			return nil
		})
		if err != nil {
			return nil, s.errf("attention keys: %w", err)
		}
		return out, nil
	}
	rows, err := s.r.QueryContext(ctx, "SELECT api_key, COUNT(*) FROM "+s.t.Requests+
		" WHERE status = ? AND time >= ? AND time < ? AND api_key <> '' GROUP BY api_key ORDER BY COUNT(*) DESC, api_key LIMIT ?",
		status, lo, hi, limit)
	if err != nil {
		return nil, s.errf("attention keys: %w", err)
	}
	var keys []string
	for rows.Next() {
		var a storage.AttentionKey
		if err := rows.Scan(&a.Key, &a.Count); err != nil {
			rows.Close()
			return nil, s.errf("attention keys: %w", err)
		}
		out = append(out, a)
		keys = append(keys, a.Key)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, s.errf("attention keys: %w", err)
	}
	if len(keys) > 0 {
		calls, err := s.Stats(ctx, storage.StatsQuery{From: fromMS(lo), To: fromMS(hi), Keys: keys, GroupBy: storage.GroupKey})
		if err != nil {
			return nil, err
		}
		byKey := map[string]int64{}
		for _, r := range calls {
			byKey[r.Key] = r.Calls
		}
		for i := range out {
			out[i].Calls = byKey[out[i].Key]
		}
	}
	return out, nil
}

// ---- error logs ----

// likePattern is a LIKE pattern (escape character '!') matching values
// that contain sub, in lower case.
func likePattern(sub string) string {
	b := []byte(sub)
	var out strings.Builder
	out.WriteByte('%')
	for _, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c == '%' || c == '_' || c == '!' {
			out.WriteByte('!')
		}
		out.WriteByte(c)
	}
	out.WriteByte('%')
	return out.String()
}

const errCols = "id, time, api_key, model, kind, status, message, request_body"

func scanError(sc interface{ Scan(...any) error }) (storage.ErrorLog, error) {
	var l storage.ErrorLog
	var tm int64
	var msg sql.NullString
	var body []byte
	if err := sc.Scan(&l.ID, &tm, &l.Key, &l.Model, &l.Kind, &l.Status, &msg, &body); err != nil {
		return l, err
	}
	l.Time, l.Message = fromMS(tm), msg.String
	if len(body) > 0 {
		l.RequestBody = body
	}
	return l, nil
}

// ErrorLog implements storage.LogStore.
func (s *Store) ErrorLog(ctx context.Context, id int64) (storage.ErrorLog, error) {
	l, err := scanError(s.r.QueryRowContext(ctx, "SELECT "+errCols+" FROM "+s.t.Errors+" WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return l, s.errf("error log %d: %w", id, storage.ErrNotFound)
	}
	if err != nil {
		return l, s.errf("error log %d: %w", id, err)
	}
	return l, nil
}

// DeleteErrorLogs implements storage.LogStore.
func (s *Store) DeleteErrorLogs(ctx context.Context, ids []int64) (int64, error) {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	var n int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		n = 0
		for c := range slices.Chunk(ids, keyChunk) {
			args := make([]any, len(c))
			for i, id := range c {
				args[i] = id
			}
			res, err := tx.ExecContext(ctx, "DELETE FROM "+s.t.Errors+" WHERE id IN "+inList(len(c)), args...)
			if err != nil {
				return s.errf("delete error logs: %w", err)
			}
			n += affected(res)
		}
		return nil
	})
	return n, err
}

// ClearErrorLogs implements storage.LogStore.
func (s *Store) ClearErrorLogs(ctx context.Context) (int64, error) {
	return s.deleteWhere(ctx, s.t.Errors, "1 = 1")
}

// deleteWhere deletes the rows of table matching cond, in chunks when the
// dialect asks for it.
func (s *Store) deleteWhere(ctx context.Context, table, cond string, args ...any) (int64, error) {
	q := "DELETE FROM " + table + " WHERE " + cond
	if s.d.DeleteLimit <= 0 {
		res, err := s.w.ExecContext(ctx, q, args...)
		if err != nil {
			return 0, s.errf("delete from %s: %w", table, err)
		}
		return affected(res), nil
	}
	var n int64
	for {
		res, err := s.w.ExecContext(ctx, q+fmt.Sprintf(" LIMIT %d", s.d.DeleteLimit), args...)
		if err != nil {
			return n, s.errf("delete from %s: %w", table, err)
		}
		k := affected(res)
		n += k
		if k < int64(s.d.DeleteLimit) {
			return n, nil
		}
	}
}

// NearestErrorLog implements storage.LogStore.
func (s *Store) NearestErrorLog(ctx context.Context, key string, at time.Time, window time.Duration, status int) (storage.ErrorLog, error) {
	t, w := toMS(at), window.Milliseconds()
	cond := " WHERE api_key = ?"
	args := []any{key}
	if status != 0 {
		cond += " AND status = ?"
		args = append(args, status)
	}
	find := func(q string, a ...any) (*storage.ErrorLog, error) {
		l, err := scanError(s.r.QueryRowContext(ctx, "SELECT "+errCols+" FROM "+s.t.Errors+cond+q, append(slices.Clone(args), a...)...))
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil
		}
		if err != nil {
			return nil, s.errf("nearest error log: %w", err)
		}
		return &l, nil
	}
	before, err := find(" AND time <= ? AND time >= ? ORDER BY time DESC, id ASC LIMIT 1", t, t-w)
	if err != nil {
		return storage.ErrorLog{}, err
	}
	after, err := find(" AND time > ? AND time <= ? ORDER BY time ASC, id ASC LIMIT 1", t, t+w)
	if err != nil {
		return storage.ErrorLog{}, err
	}
	switch {
	case before == nil && after == nil:
		return storage.ErrorLog{}, s.errf("no error log near %s: %w", at.UTC().Format(time.RFC3339), storage.ErrNotFound)
	case after == nil:
		return *before, nil
	case before == nil:
		return *after, nil
	case toMS(after.Time)-t < t-toMS(before.Time):
		return *after, nil
	default:
		return *before, nil
	}
}
