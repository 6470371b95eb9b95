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
// UTC day), each for every key and model (api_key = the key) and for all
// keys together (api_key = ”), upserted in the transaction that writes
// the request logs. A query over [from, to) reads whole days where it can,
// hours at the edges of the days and minutes at the edges of the hours, so
// that it reads at most a few hundred buckets per key and model whatever
// the range.
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
// division of expr by the integer n.
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

// addStats upserts the buckets of logs.
func (s *Store) addStats(ctx context.Context, tx *sql.Tx, logs []storage.RequestLog) error {
	agg := map[statKey]*storage.StatsCounts{}
	add := func(k statKey, c storage.StatsCounts) {
		p := agg[k]
		if p == nil {
			p = &storage.StatsCounts{}
			agg[k] = p
		}
		p.Add(c)
	}
	for _, l := range logs {
		c := storage.CountsOf(l)
		ms := toMS(l.Time)
		key, model := s.cut(l.Key), s.cut(l.Model)
		for _, sp := range spans {
			b := floorTo(ms, sp)
			add(statKey{sp / 1000, b, "", model}, c)
			if key != "" {
				add(statKey{sp / 1000, b, key, model}, c)
			}
		}
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
	suffix := s.d.UpsertAdd("span, bucket, api_key, model", statCols)
	for c := range slices.Chunk(keys, logChunk) {
		args := make([]any, 0, 11*len(c))
		for _, k := range c {
			v := agg[k]
			args = append(args, k.span, k.bucket, k.key, k.model, v.Calls, v.Successes, v.Failures, v.Status429,
				v.PromptTokens, v.CompletionTokens, v.TotalTokens)
		}
		q := "INSERT INTO " + s.t.Stats + " (span, bucket, api_key, model, " + strings.Join(statCols, ", ") + ") VALUES " +
			placeholders(len(c), 11) + suffix
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return s.errf("write request statistics: %w", err)
		}
	}
	return nil
}

type segment struct{ span, lo, hi int64 }

// segments splits the minutes [from, to) into bucket ranges, using spans
// no longer than maxSpan.
func segments(from, to, maxSpan int64) []segment {
	var out []segment
	c := from
	add := func(span, hi int64) {
		if span <= maxSpan && hi > c {
			out = append(out, segment{span, c, hi})
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

// union returns a query over the buckets of segs with the given columns
// and extra condition, and its arguments.
// byKeyIndex says the condition fixes api_key (equality or IN): the
// (span, api_key, bucket) index then reads only the rows asked for.
func (s *Store) union(segs []segment, cols, cond string, condArgs []any, byKeyIndex bool) (string, []any) {
	var b strings.Builder
	var args []any
	from := s.t.Stats
	if byKeyIndex && s.d.IndexHint != nil {
		from += s.d.IndexHint(s.t.Stats + "_key")
	}
	for i, sg := range segs {
		if i > 0 {
			b.WriteString(" UNION ALL ")
		}
		b.WriteString("SELECT " + cols + " FROM " + from + " WHERE span = ? AND bucket >= ? AND bucket < ?" + cond)
		args = append(args, sg.span/1000, sg.lo, sg.hi)
		args = append(args, condArgs...)
	}
	return b.String(), args
}

func scanCounts(c *storage.StatsCounts) []any {
	return []any{&c.Calls, &c.Successes, &c.Failures, &c.Status429, &c.PromptTokens, &c.CompletionTokens, &c.TotalTokens}
}

// keyCond returns the condition on api_key for q.
func keyCond(keys []string, byKey bool) (string, []any) {
	switch {
	case len(keys) > 0:
		args := make([]any, len(keys))
		for i, k := range keys {
			args[i] = k
		}
		return " AND api_key IN " + inList(len(keys)), args
	case byKey:
		return " AND api_key <> ''", nil
	default:
		return " AND api_key = ''", nil
	}
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
	type gk struct{ key, model string }
	rows := map[gk]*storage.StatsRow{}
	var order []gk
	segs := segments(from, to, dayMS)
	keys := dedupe(q.Keys)
	chunks := slices.Collect(slices.Chunk(keys, keyChunk))
	if len(keys) == 0 {
		chunks = [][]string{nil}
	}
	if len(segs) > 0 {
		for _, chunk := range chunks {
			cond, cargs := keyCond(chunk, byKey)
			if q.Model != "" {
				cond += " AND model = ?"
				cargs = append(cargs, q.Model)
			}
			sel := strings.Join(append(slices.Clone(gcols), statCols...), ", ")
			inner, args := s.union(segs, sel, cond, cargs, len(chunk) > 0 || !byKey)
			query := "SELECT " + strings.Join(append(slices.Clone(gcols), statSums), ", ") + " FROM (" + inner + ") AS u"
			if len(gcols) > 0 {
				g := strings.Join(gcols, ", ")
				query += " GROUP BY " + g + " ORDER BY SUM(calls) DESC, " + g
				if q.Limit > 0 && len(chunks) == 1 {
					query += fmt.Sprintf(" LIMIT %d", q.Limit)
				}
			}
			res, err := s.r.QueryContext(ctx, query, args...)
			if err != nil {
				return nil, s.errf("stats: %w", err)
			}
			for res.Next() {
				var r storage.StatsRow
				var sums [7]sql.NullInt64
				dest := []any{}
				switch q.GroupBy {
				case storage.GroupKey:
					dest = append(dest, &r.Key)
				case storage.GroupModel:
					dest = append(dest, &r.Model)
				case storage.GroupKeyModel:
					dest = append(dest, &r.Key, &r.Model)
				}
				for i := range sums {
					dest = append(dest, &sums[i])
				}
				if err := res.Scan(dest...); err != nil {
					res.Close()
					return nil, s.errf("stats: %w", err)
				}
				c := scanCounts(&r.StatsCounts)
				for i := range sums {
					*(c[i].(*int64)) = sums[i].Int64
				}
				k := gk{r.Key, r.Model}
				if p := rows[k]; p != nil {
					p.Add(r.StatsCounts)
					continue
				}
				rows[k] = &r
				order = append(order, k)
			}
			if err := res.Err(); err != nil {
				res.Close()
				return nil, s.errf("stats: %w", err)
			}
			res.Close()
		}
	}
	if q.GroupBy == storage.GroupNone {
		out := storage.StatsRow{}
		for _, r := range rows {
			out.Add(r.StatsCounts)
		}
		return []storage.StatsRow{out}, nil
	}
	out := make([]storage.StatsRow, 0, len(order))
	for _, k := range order {
		out = append(out, *rows[k])
	}
	slices.SortStableFunc(out, func(a, b storage.StatsRow) int {
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
	chunks := slices.Collect(slices.Chunk(keys, keyChunk))
	if len(keys) == 0 {
		chunks = [][]string{nil}
	}
	for _, chunk := range chunks {
		cond, cargs := keyCond(chunk, false)
		if q.Model != "" {
			cond += " AND model = ?"
			cargs = append(cargs, q.Model)
		}
		inner, args := s.union(segs, "bucket, "+strings.Join(statCols, ", "), cond, cargs, true)
		res, err := s.r.QueryContext(ctx, "SELECT bucket, "+statSums+" FROM ("+inner+") AS u GROUP BY bucket", args...)
		if err != nil {
			return nil, s.errf("stats series: %w", err)
		}
		for res.Next() {
			var b int64
			var c storage.StatsCounts
			var sums [7]sql.NullInt64
			dest := []any{&b}
			for i := range sums {
				dest = append(dest, &sums[i])
			}
			if err := res.Scan(dest...); err != nil {
				res.Close()
				return nil, s.errf("stats series: %w", err)
			}
			cs := scanCounts(&c)
			for i := range sums {
				*(cs[i].(*int64)) = sums[i].Int64
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
		}
		if err := res.Err(); err != nil {
			res.Close()
			return nil, s.errf("stats series: %w", err)
		}
		res.Close()
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
	segs := segments(lo, hi, dayMS)
	if len(segs) == 0 {
		return out, nil
	}
	if status == 0 || status == 429 {
		col := "failures"
		if status == 429 {
			col = "status429"
		}
		inner, args := s.union(segs, "api_key, calls, "+col+" AS n", " AND api_key <> ''", nil, false)
		rows, err := s.r.QueryContext(ctx, "SELECT api_key, SUM(n), SUM(calls) FROM ("+inner+") AS u GROUP BY api_key HAVING SUM(n) > 0 ORDER BY SUM(n) DESC, api_key LIMIT ?",
			append(args, limit)...)
		if err != nil {
			return nil, s.errf("attention keys: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var a storage.AttentionKey
			if err := rows.Scan(&a.Key, &a.Count, &a.Calls); err != nil {
				return nil, s.errf("attention keys: %w", err)
			}
			out = append(out, a)
		}
		if err := rows.Err(); err != nil {
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
