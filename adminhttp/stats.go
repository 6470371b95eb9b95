package adminhttp

import (
	"net/http"
	"strings"
	"time"

	"github.com/geminibalance/gb/internal/redact"
	"github.com/geminibalance/gb/storage"
)

// statsFilter reads the key= and model= filters; ok is false when key
// names no pooled key (the answer has been written).
func (h *Handler) statsFilter(w http.ResponseWriter, r *http.Request) (keys []string, model string, ok bool) {
	model = strings.TrimPrefix(r.URL.Query().Get("model"), "models/")
	if ref := r.URL.Query().Get("key"); ref != "" {
		keys, _ = h.resolve([]string{ref})
		if len(keys) == 0 {
			writeError(w, http.StatusNotFound, "not_found", "no such key")
			return nil, "", false
		}
	}
	return keys, model, true
}

// Overview is the answer of GET /api/stats/overview.
type Overview struct {
	// Periods holds the counters of the current minute ("1m"), the last
	// hour, the last 24 hours and the calendar month, each window ending
	// with the current minute.
	Periods map[string]Counts `json:"periods"`
	// Keys counts the pool's keys by state.
	Keys     map[string]int `json:"keys"`
	Timezone string         `json:"timezone"`
	Now      time.Time      `json:"now"`
}

func (h *Handler) statsOverview(w http.ResponseWriter, r *http.Request) {
	keys, model, ok := h.statsFilter(w, r)
	if !ok {
		return
	}
	now := h.now()
	out := Overview{Periods: map[string]Counts{}, Timezone: h.opts().Location.String(), Now: now,
		Keys: map[string]int{"total": 0, "active": 0, "cooling": 0, "benched": 0}}
	for name, p := range h.periods(now) {
		rows, err := h.Store.Stats(r.Context(), storage.StatsQuery{From: p[0], To: p[1], Keys: keys, Model: model})
		if err != nil {
			h.internalError(w, r, err)
			return
		}
		out.Periods[name] = countsOf(rows[0].StatsCounts)
	}
	for _, st := range h.Pool.Statuses() {
		out.Keys["total"]++
		out.Keys[keyState(st, "", now)]++
	}
	writeJSON(w, http.StatusOK, out)
}

// Point is one step of a series.
type Point struct {
	Time time.Time `json:"time"`
	Counts
}

// seriesRanges are the charts: per minute over the last hour, per hour
// over the last day or week, per day (in TIMEZONE) over the last 30 days.
var seriesRanges = map[string]struct {
	span, step time.Duration
	days       bool
}{
	"1h":  {time.Hour, time.Minute, false},
	"8h":  {8 * time.Hour, time.Hour, false},
	"24h": {24 * time.Hour, time.Hour, false},
	"7d":  {7 * 24 * time.Hour, time.Hour, false},
	"30d": {30 * 24 * time.Hour, 24 * time.Hour, true},
}

func (h *Handler) statsSeries(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("range")
	if name == "" {
		name = "1h"
	}
	rg, ok := seriesRanges[name]
	if !ok {
		badParam(w, "range", "one of 1h, 8h, 24h, 7d, 30d")
		return
	}
	keys, model, ok := h.statsFilter(w, r)
	if !ok {
		return
	}
	now := h.now()
	var from, to time.Time
	if rg.days {
		loc := h.opts().Location
		lt := now.In(loc)
		to = time.Date(lt.Year(), lt.Month(), lt.Day()+1, 0, 0, 0, 0, loc)
		from = time.Date(lt.Year(), lt.Month(), lt.Day()-29, 0, 0, 0, 0, loc)
	} else {
		to = now.Truncate(rg.step).Add(rg.step)
		from = to.Add(-rg.span)
	}
	pts, err := h.Store.StatsSeries(r.Context(), storage.StatsQuery{From: from, To: to, Keys: keys, Model: model}, rg.step)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	// Fill the steps without data with zeros. Days in TIMEZONE may be 23
	// or 25 hours long: the store's fixed steps are mapped to local days.
	out := []Point{}
	byTime := map[int64]storage.StatsCounts{}
	for _, p := range pts {
		byTime[p.Time.UnixMilli()] = p.StatsCounts
	}
	for t := from; t.Before(to); {
		next := t.Add(rg.step)
		if rg.days {
			lt := t.In(h.opts().Location)
			next = time.Date(lt.Year(), lt.Month(), lt.Day()+1, 0, 0, 0, 0, lt.Location())
		}
		var c storage.StatsCounts
		for k, v := range byTime {
			if k >= t.UnixMilli() && k < next.UnixMilli() {
				c.Add(v)
			}
		}
		out = append(out, Point{Time: t, Counts: countsOf(c)})
		t = next
	}
	writeJSON(w, http.StatusOK, map[string]any{"range": name, "step": rg.step.String(), "from": from, "to": to, "points": out})
}

// UsageRow is one row of GET /api/stats/usage.
type UsageRow struct {
	ID    string `json:"id,omitempty"`
	Key   string `json:"key,omitempty"`
	Model string `json:"model,omitempty"`
	Counts
}

func (h *Handler) statsUsage(w http.ResponseWriter, r *http.Request) {
	period := r.URL.Query().Get("period")
	if period == "" {
		period = "24h"
	}
	now := h.now()
	p, ok := h.periods(now)[period]
	if !ok {
		badParam(w, "period", "one of 1m, 1h, 24h, month")
		return
	}
	groups := map[string]storage.StatsGroup{"key": storage.GroupKey, "model": storage.GroupModel, "key_model": storage.GroupKeyModel}
	by := r.URL.Query().Get("by")
	if by == "" {
		by = "key"
	}
	g, ok := groups[by]
	if !ok {
		badParam(w, "by", "one of key, model, key_model")
		return
	}
	limit, ok := queryInt(r, "limit", 50, 1, 100000)
	if !ok {
		badParam(w, "limit", "a whole number from 1 to 100000")
		return
	}
	keys, model, ok := h.statsFilter(w, r)
	if !ok {
		return
	}
	rows, err := h.Store.Stats(r.Context(), storage.StatsQuery{From: p[0], To: p[1], Keys: keys, Model: model, GroupBy: g, Limit: limit})
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	out := make([]UsageRow, len(rows))
	for i, row := range rows {
		out[i] = UsageRow{Model: row.Model, Counts: countsOf(row.StatsCounts)}
		if row.Key != "" {
			out[i].ID, out[i].Key = h.keyID(row.Key), redact.Key(row.Key)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"period": period, "by": by, "from": p[0], "to": p[1], "rows": out})
}

// statsAttention is gemini-balance's GET /api/stats/attention-keys:
// the keys with most answers of status_code (default 429; 0 means any
// failure) over the last 24 hours, as [{key, count, status_code}].
func (h *Handler) statsAttention(w http.ResponseWriter, r *http.Request) {
	limit, ok := queryInt(r, "limit", 20, 1, 1000)
	if !ok {
		badParam(w, "limit", "a whole number from 1 to 1000")
		return
	}
	status, ok := queryInt(r, "status_code", 429, 0, 599)
	if !ok {
		badParam(w, "status_code", "an HTTP status, or 0 for any failure")
		return
	}
	p := h.periods(h.now())["24h"]
	rows, err := h.Store.AttentionKeys(r.Context(), p[0], p[1], status, limit)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	out := make([]map[string]any, 0, len(rows))
	for _, a := range rows {
		st, pooled := h.Pool.Status(a.Key)
		m := map[string]any{"id": h.keyID(a.Key), "key": redact.Key(a.Key), "count": a.Count, "calls": a.Calls,
			"status_code": status, "pooled": pooled}
		if pooled {
			m["state"] = keyState(st, "", h.now())
		}
		out = append(out, m)
	}
	writeJSON(w, http.StatusOK, out)
}

// keyUsageDetails is gemini-balance's GET /api/key-usage-details/{key}:
// {model: calls} over the last 24 hours.
func (h *Handler) keyUsageDetails(w http.ResponseWriter, r *http.Request) {
	keys, _ := h.resolve([]string{r.PathValue("id")})
	if len(keys) == 0 {
		writeError(w, http.StatusNotFound, "not_found", "no such key")
		return
	}
	p := h.periods(h.now())["24h"]
	rows, err := h.Store.Stats(r.Context(), storage.StatsQuery{From: p[0], To: p[1], Keys: keys, GroupBy: storage.GroupModel})
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	out := map[string]int64{}
	for _, row := range rows {
		out[row.Model] = row.Calls
	}
	writeJSON(w, http.StatusOK, out)
}
