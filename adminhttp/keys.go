package adminhttp

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/geminibalance/gb/balancer"
	"github.com/geminibalance/gb/gemini"
	"github.com/geminibalance/gb/internal/redact"
	"github.com/geminibalance/gb/storage"
)

// Verifier checks that a key works with a real, small call.
type Verifier interface {
	// VerifyKey calls model with key and classifies the outcome.
	VerifyKey(ctx context.Context, key, model string) balancer.Verdict
}

// GeminiVerifier verifies keys with a generateContent call of at most 10
// output tokens ("hi"), as gemini-balance does.
type GeminiVerifier struct {
	// Client sends the call.
	Client *gemini.Client
}

var verifyBody = []byte(`{"contents":[{"role":"user","parts":[{"text":"hi"}]}],"generationConfig":{"maxOutputTokens":10}}`)

// VerifyKey implements [Verifier].
func (v GeminiVerifier) VerifyKey(ctx context.Context, key, model string) balancer.Verdict {
	model = strings.TrimPrefix(model, "models/")
	resp, err := v.Client.Do(ctx, key, &gemini.Request{Path: "models/" + model + ":generateContent", Body: verifyBody})
	if err != nil {
		vd := balancer.ClassifyGemini(0, nil, nil, err)
		vd.Message = redact.Text(vd.Message, key)
		return vd
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	vd := balancer.ClassifyGemini(resp.StatusCode, resp.Header, body, err)
	vd.Message = redact.Text(vd.Message, key)
	return vd
}

// ---- extraction ----

// Extracted is what [ExtractKeys] found in pasted text.
type Extracted struct {
	// Keys are the well-formed keys, first occurrence order, no repeats.
	Keys []string
	// Repeats counts well-formed keys seen again in the same text.
	Repeats int
	// Malformed counts tokens that start with "AIza" but are not a key.
	Malformed int
}

func keyChar(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '-'
}

// ExtractKeys finds Gemini API keys in free text: tokens (runs of
// letters, digits, '_' and '-') of the form AIza[0-9A-Za-z_-]{35}. Tokens
// that start with AIza but have another length count as malformed.
func ExtractKeys(text string) Extracted {
	var out Extracted
	seen := map[string]bool{}
	for i := 0; i < len(text); {
		if !keyChar(text[i]) {
			i++
			continue
		}
		j := i
		for j < len(text) && keyChar(text[j]) {
			j++
		}
		tok := text[i:j]
		i = j
		if !strings.HasPrefix(tok, "AIza") {
			continue
		}
		if len(tok) != 39 {
			out.Malformed++
			continue
		}
		if seen[tok] {
			out.Repeats++
			continue
		}
		seen[tok] = true
		out.Keys = append(out.Keys, tok)
	}
	return out
}

// ---- views ----

// Counts is the JSON form of storage.StatsCounts.
type Counts struct {
	Calls            int64 `json:"calls"`
	Successes        int64 `json:"successes"`
	Failures         int64 `json:"failures"`
	Status429        int64 `json:"status_429"`
	PromptTokens     int64 `json:"prompt_tokens"`
	CompletionTokens int64 `json:"completion_tokens"`
	TotalTokens      int64 `json:"total_tokens"`
}

func countsOf(c storage.StatsCounts) Counts {
	return Counts{c.Calls, c.Successes, c.Failures, c.Status429, c.PromptTokens, c.CompletionTokens, c.TotalTokens}
}

// KeyView is one key as the API shows it: masked, with an ID to refer to
// it.
type KeyView struct {
	ID          string            `json:"id"`
	Key         string            `json:"key"`
	State       string            `json:"state"`
	Failures    int               `json:"failures"`
	BenchReason string            `json:"bench_reason,omitempty"`
	BenchedAt   *time.Time        `json:"benched_at,omitempty"`
	AddedAt     *time.Time        `json:"added_at,omitempty"`
	LastError   *LastErrorView    `json:"last_error,omitempty"`
	Models      []ModelView       `json:"models,omitempty"`
	Usage       map[string]Counts `json:"usage,omitempty"`
}

// LastErrorView is a key's last error.
type LastErrorView struct {
	Time    time.Time `json:"time"`
	Status  int       `json:"status"`
	Message string    `json:"message"`
}

// ModelView is a key's restriction for one model.
type ModelView struct {
	Model  string     `json:"model"`
	Until  *time.Time `json:"until"`
	Reason string     `json:"reason"`
}

// keyState is "benched", "cooling" (restricted for model, or for any
// model when model is "") or "active".
func keyState(st balancer.KeyStatus, model string, now time.Time) string {
	if st.State.Benched {
		return "benched"
	}
	for m, ms := range st.State.Models {
		if (model == "" || m == model) && (ms.Until.IsZero() || ms.Until.After(now)) {
			return "cooling"
		}
	}
	return "active"
}

func (h *Handler) view(st balancer.KeyStatus, now time.Time) KeyView {
	v := KeyView{ID: h.keyID(st.Key), Key: st.Masked(), State: keyState(st, "", now), Failures: st.State.Failures,
		BenchReason: st.State.BenchReason, BenchedAt: timePtr(st.State.BenchedAt), AddedAt: timePtr(st.AddedAt)}
	if v.Key == "" {
		v.Key = redact.Key(st.Key)
	}
	if le := st.State.LastError; le != nil {
		v.LastError = &LastErrorView{Time: le.Time, Status: le.Status, Message: redact.Text(le.Message, st.Key)}
	}
	for m, ms := range st.State.Models {
		if ms.Until.IsZero() || ms.Until.After(now) {
			v.Models = append(v.Models, ModelView{Model: m, Until: timePtr(ms.Until), Reason: ms.Reason})
		}
	}
	slices.SortFunc(v.Models, func(a, b ModelView) int { return strings.Compare(a.Model, b.Model) })
	return v
}

// filterKeys applies the list filters of r to the pool.
func (h *Handler) filterKeys(r *http.Request, now time.Time) ([]balancer.KeyStatus, error) {
	q := r.URL.Query()
	state := q.Get("state")
	switch q.Get("status") { // gemini-balance's names
	case "valid":
		state = "valid"
	case "invalid":
		state = "benched"
	}
	if state == "" {
		state = "all"
	}
	if !slices.Contains([]string{"all", "active", "cooling", "benched", "valid"}, state) {
		return nil, fmt.Errorf("state: want all, active, cooling or benched")
	}
	model := strings.TrimPrefix(q.Get("model"), "models/")
	search := strings.ToLower(q.Get("search"))
	minFails := -1
	if s := q.Get("fail_count_threshold"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return nil, fmt.Errorf("fail_count_threshold: want a whole number")
		}
		minFails = n
	}
	all := h.Pool.Statuses()
	out := all[:0:0]
	for _, st := range all {
		if search != "" && !strings.Contains(strings.ToLower(st.Key), search) && !strings.HasPrefix(h.keyID(st.Key), search) {
			continue
		}
		if minFails >= 0 && st.State.Failures < minFails {
			continue
		}
		if state != "all" {
			s := keyState(st, model, now)
			if state == "valid" && s == "benched" || state != "valid" && s != state {
				continue
			}
		}
		out = append(out, st)
	}
	return out, nil
}

// periods returns the usage windows shown per key: the last hour, the
// last 24 hours and the calendar month, each ending with the current
// minute.
func (h *Handler) periods(now time.Time) map[string][2]time.Time {
	loc := h.opts().Location
	end := now.Truncate(time.Minute).Add(time.Minute)
	lt := now.In(loc)
	month := time.Date(lt.Year(), lt.Month(), 1, 0, 0, 0, 0, loc)
	return map[string][2]time.Time{
		"1m":    {end.Add(-time.Minute), end},
		"1h":    {end.Add(-time.Hour), end},
		"24h":   {end.Add(-24 * time.Hour), end},
		"month": {month, end},
	}
}

// usage fills the Usage of views from the statistics.
func (h *Handler) usage(ctx context.Context, views []KeyView, keys []string, now time.Time) error {
	if len(keys) == 0 {
		return nil
	}
	for name, p := range h.periods(now) {
		if name == "1m" {
			continue
		}
		rows, err := h.Store.Stats(ctx, storage.StatsQuery{From: p[0], To: p[1], Keys: keys, GroupBy: storage.GroupKey})
		if err != nil {
			return err
		}
		by := make(map[string]storage.StatsCounts, len(rows))
		for _, r := range rows {
			by[r.Key] = r.StatsCounts
		}
		for i := range views {
			if views[i].Usage == nil {
				views[i].Usage = map[string]Counts{}
			}
			views[i].Usage[name] = countsOf(by[keys[i]])
		}
	}
	return nil
}

// KeyPage is the answer of GET /api/keys.
type KeyPage struct {
	// Items are the keys of the page.
	Items []KeyView `json:"items"`
	// Keys maps each masked key of the page to its failure count, as
	// gemini-balance's answer does.
	Keys        map[string]int `json:"keys"`
	TotalItems  int            `json:"total_items"`
	TotalPages  int            `json:"total_pages"`
	CurrentPage int            `json:"current_page"`
	Limit       int            `json:"limit"`
	Counts      map[string]int `json:"counts"`
}

func (h *Handler) listKeys(w http.ResponseWriter, r *http.Request) {
	page, ok := queryInt(r, "page", 1, 1, 1<<30)
	if !ok {
		badParam(w, "page", "a whole number ≥ 1")
		return
	}
	limit, ok := queryInt(r, "limit", 10, 1, 1000)
	if !ok {
		badParam(w, "limit", "a whole number from 1 to 1000")
		return
	}
	now := h.now()
	list, err := h.filterKeys(r, now)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_parameter", err.Error())
		return
	}
	counts := map[string]int{"active": 0, "cooling": 0, "benched": 0}
	for _, st := range list {
		counts[keyState(st, "", now)]++
	}
	out := KeyPage{Items: []KeyView{}, Keys: map[string]int{}, TotalItems: len(list), CurrentPage: page, Limit: limit, Counts: counts}
	out.TotalPages = (len(list) + limit - 1) / limit
	lo := min((page-1)*limit, len(list))
	hi := min(lo+limit, len(list))
	keys := make([]string, 0, hi-lo)
	for _, st := range list[lo:hi] {
		out.Items = append(out.Items, h.view(st, now))
		out.Keys[out.Items[len(out.Items)-1].Key] = st.State.Failures
		keys = append(keys, st.Key)
	}
	if r.URL.Query().Get("usage") != "false" {
		if err := h.usage(r.Context(), out.Items, keys, now); err != nil {
			h.internalError(w, r, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *Handler) keyDetails(w http.ResponseWriter, r *http.Request) {
	keys, _ := h.resolve([]string{r.PathValue("id")})
	if len(keys) == 0 {
		writeError(w, http.StatusNotFound, "not_found", "no such key")
		return
	}
	st, _ := h.Pool.Status(keys[0])
	now := h.now()
	v := []KeyView{h.view(st, now)}
	if err := h.usage(r.Context(), v, keys, now); err != nil {
		h.internalError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v[0])
}

// keyRefs is the body of calls that act on several keys: IDs or full
// keys.
type keyRefs struct {
	IDs     []string `json:"ids"`
	Keys    []string `json:"keys"`
	Benched bool     `json:"all_benched"`
	All     bool     `json:"all"`
	KeyType string   `json:"key_type"`
}

func (h *Handler) refs(b keyRefs) (keys, unknown []string) {
	if b.All || b.Benched {
		for _, st := range h.Pool.Statuses() {
			if b.All || st.State.Benched {
				keys = append(keys, st.Key)
			}
		}
		return keys, nil
	}
	return h.resolve(append(append([]string(nil), b.IDs...), b.Keys...))
}

// AddResult is the answer of POST /api/keys.
type AddResult struct {
	Added     int `json:"added"`
	Duplicate int `json:"duplicate"`
	Malformed int `json:"malformed"`
	Total     int `json:"total"`
}

func (h *Handler) addKeys(w http.ResponseWriter, r *http.Request) {
	var text string
	ct := r.Header.Get("Content-Type")
	if strings.HasPrefix(ct, "text/plain") {
		b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			writeError(w, http.StatusRequestEntityTooLarge, "too_large", "request body too large")
			return
		}
		text = string(b)
	} else {
		var body struct {
			Text string   `json:"text"`
			Keys []string `json:"keys"`
		}
		if !readJSON(w, r, &body) {
			return
		}
		text = body.Text + "\n" + strings.Join(body.Keys, "\n")
	}
	ex := ExtractKeys(text)
	res := AddResult{Duplicate: ex.Repeats, Malformed: ex.Malformed}
	var fresh []string
	for _, k := range ex.Keys {
		if _, ok := h.Pool.Status(k); ok {
			res.Duplicate++
			continue
		}
		fresh = append(fresh, k)
	}
	if len(fresh) > 0 {
		if _, err := h.Store.AddKeys(r.Context(), fresh); err != nil {
			h.internalError(w, r, err)
			return
		}
		res.Added = h.Pool.Add(fresh...)
		res.Duplicate += len(fresh) - res.Added
	}
	res.Total = len(h.Pool.Statuses())
	h.logger().Info("admin added keys", "by", callerOf(r).who(), "added", res.Added, "duplicate", res.Duplicate, "malformed", res.Malformed)
	writeJSON(w, http.StatusOK, res)
}

func (h *Handler) remove(ctx context.Context, keys []string) (int, error) {
	if len(keys) == 0 {
		return 0, nil
	}
	if _, err := h.Store.DeleteKeys(ctx, keys); err != nil {
		return 0, err
	}
	return h.Pool.Remove(keys...), nil
}

func (h *Handler) deleteKeys(w http.ResponseWriter, r *http.Request) {
	var b keyRefs
	if !readJSON(w, r, &b) {
		return
	}
	keys, unknown := h.refs(b)
	n, err := h.remove(r.Context(), keys)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	h.logger().Info("admin deleted keys", "by", callerOf(r).who(), "deleted", n)
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "deleted": n, "deleted_count": n, "unknown": len(unknown)})
}

func (h *Handler) deleteKey(w http.ResponseWriter, r *http.Request) {
	keys, _ := h.resolve([]string{r.PathValue("id")})
	if len(keys) == 0 {
		writeError(w, http.StatusNotFound, "not_found", "no such key")
		return
	}
	n, err := h.remove(r.Context(), keys)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	h.logger().Info("admin deleted keys", "by", callerOf(r).who(), "deleted", n)
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "deleted": n})
}

// reveal reports whether r asks for full keys, logging it when it does.
func (h *Handler) reveal(r *http.Request, what string) bool {
	if r.URL.Query().Get("reveal") != "true" {
		return false
	}
	h.logger().Warn("admin revealed full keys", "by", callerOf(r).who(), "what", what, "client", h.clientIP(r))
	return true
}

func (h *Handler) exportKeys(w http.ResponseWriter, r *http.Request) {
	list, err := h.filterKeys(r, h.now())
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_parameter", err.Error())
		return
	}
	full := h.reveal(r, "export")
	out := make([]string, len(list))
	for i, st := range list {
		if full {
			out[i] = st.Key
		} else {
			out[i] = st.Masked()
		}
	}
	if r.URL.Query().Get("format") == "text" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, strings.Join(out, "\n")+"\n")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"keys": out, "count": len(out), "masked": !full})
}

// allKeys is gemini-balance's GET /api/keys/all: valid and invalid
// (benched) keys, masked unless revealed.
func (h *Handler) allKeys(w http.ResponseWriter, r *http.Request) {
	full := h.reveal(r, "all")
	valid, invalid := []string{}, []string{}
	all := h.Pool.Statuses()
	for _, st := range all {
		k := st.Masked()
		if full {
			k = st.Key
		}
		if st.State.Benched {
			invalid = append(invalid, k)
		} else {
			valid = append(valid, k)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"valid_keys": valid, "invalid_keys": invalid, "total_count": len(all), "masked": !full})
}

// ---- verify and reset ----

// VerifyResult is one key's verification.
type VerifyResult struct {
	ID     string `json:"id"`
	Key    string `json:"key"`
	Valid  bool   `json:"valid"`
	Status int    `json:"status,omitempty"`
	Class  string `json:"class"`
	Reason string `json:"reason,omitempty"`
	Error  string `json:"error,omitempty"`
}

// VerifyGroup gathers the keys that failed the same way.
type VerifyGroup struct {
	Error  string   `json:"error"`
	Status int      `json:"status"`
	Count  int      `json:"count"`
	IDs    []string `json:"ids"`
}

// VerifyReport is the answer of POST /api/keys/verify.
type VerifyReport struct {
	Model   string         `json:"model"`
	Valid   int            `json:"valid"`
	Invalid int            `json:"invalid"`
	Results []VerifyResult `json:"results"`
	Groups  []VerifyGroup  `json:"groups"`
}

// verify checks keys with bounded concurrency: a working key is reset,
// a failing one is reported to the pool like any failed call.
func (h *Handler) verify(ctx context.Context, keys []string) VerifyReport {
	model := h.opts().TestModel
	rep := VerifyReport{Model: model, Results: make([]VerifyResult, len(keys)), Groups: []VerifyGroup{}}
	g, gctx := errgroup.WithContext(ctx)
	lim := h.VerifyConcurrency
	if lim <= 0 {
		lim = 10
	}
	g.SetLimit(lim)
	for i, k := range keys {
		g.Go(func() error {
			vd := h.Verifier.VerifyKey(gctx, k, model)
			res := VerifyResult{ID: h.keyID(k), Key: redact.Key(k), Valid: vd.Class == balancer.Success, Status: vd.Status,
				Class: vd.Class.String(), Reason: vd.Reason}
			if res.Valid {
				h.Pool.Reset(k)
			} else {
				res.Error = redact.Text(vd.Message, k)
				if res.Error == "" {
					res.Error = vd.Class.String()
				}
				if vd.Class != balancer.Canceled {
					h.Pool.Report(k, model, vd)
				}
			}
			rep.Results[i] = res
			return nil
		})
	}
	g.Wait()
	idx := map[string]int{}
	for _, res := range rep.Results {
		if res.Valid {
			rep.Valid++
			continue
		}
		rep.Invalid++
		gk := strconv.Itoa(res.Status) + "\x00" + res.Error
		i, ok := idx[gk]
		if !ok {
			i = len(rep.Groups)
			idx[gk] = i
			rep.Groups = append(rep.Groups, VerifyGroup{Error: res.Error, Status: res.Status, IDs: []string{}})
		}
		rep.Groups[i].Count++
		rep.Groups[i].IDs = append(rep.Groups[i].IDs, res.ID)
	}
	slices.SortStableFunc(rep.Groups, func(a, b VerifyGroup) int { return b.Count - a.Count })
	return rep
}

func (h *Handler) needVerifier(w http.ResponseWriter) bool {
	if h.Verifier == nil {
		writeError(w, http.StatusNotImplemented, "not_configured", "key verification is not configured")
		return false
	}
	return true
}

func (h *Handler) verifyKeys(w http.ResponseWriter, r *http.Request) {
	if !h.needVerifier(w) {
		return
	}
	var b keyRefs
	if !readJSON(w, r, &b) {
		return
	}
	keys, unknown := h.refs(b)
	if len(keys) == 0 {
		writeError(w, http.StatusBadRequest, "no_keys", "no known key given (ids, keys, all_benched or all)")
		return
	}
	rep := h.verify(r.Context(), keys)
	h.logger().Info("admin verified keys", "by", callerOf(r).who(), "valid", rep.Valid, "invalid", rep.Invalid, "unknown", len(unknown))
	writeJSON(w, http.StatusOK, rep)
}

func (h *Handler) resetKeys(w http.ResponseWriter, r *http.Request) {
	var b keyRefs
	if !readJSON(w, r, &b) {
		return
	}
	keys, unknown := h.refs(b)
	n := h.Pool.Reset(keys...)
	h.logger().Info("admin reset keys", "by", callerOf(r).who(), "reset", n)
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "reset": n, "unknown": len(unknown)})
}

func (h *Handler) legacyVerifyOne(w http.ResponseWriter, r *http.Request) {
	if !h.needVerifier(w) {
		return
	}
	keys, _ := h.resolve([]string{r.PathValue("id")})
	if len(keys) == 0 {
		writeError(w, http.StatusNotFound, "not_found", "no such key")
		return
	}
	res := h.verify(r.Context(), keys).Results[0]
	if res.Valid {
		writeJSON(w, http.StatusOK, map[string]any{"status": "valid", "id": res.ID, "key": res.Key})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "invalid", "error": res.Error, "error_code": res.Status, "id": res.ID, "key": res.Key})
}

func (h *Handler) legacyVerifySelected(w http.ResponseWriter, r *http.Request) {
	if !h.needVerifier(w) {
		return
	}
	var b keyRefs
	if !readJSON(w, r, &b) {
		return
	}
	keys, _ := h.refs(b)
	if len(keys) == 0 {
		writeError(w, http.StatusBadRequest, "no_keys", "no known key given")
		return
	}
	rep := h.verify(r.Context(), keys)
	ok := []string{}
	failed := map[string]any{}
	for _, res := range rep.Results {
		if res.Valid {
			ok = append(ok, res.Key)
		} else {
			failed[res.Key] = map[string]any{"error_message": res.Error, "error_code": res.Status, "id": res.ID}
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"success": true, "message": fmt.Sprintf("verified %d keys: %d valid, %d invalid", len(keys), rep.Valid, rep.Invalid),
		"successful_keys": ok, "failed_keys": failed, "valid_count": rep.Valid, "invalid_count": rep.Invalid,
		"groups": rep.Groups,
	})
}

func (h *Handler) legacyResetOne(w http.ResponseWriter, r *http.Request) {
	keys, _ := h.resolve([]string{r.PathValue("id")})
	if len(keys) == 0 {
		writeError(w, http.StatusNotFound, "not_found", "no such key")
		return
	}
	h.Pool.Reset(keys...)
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "message": "failure count reset"})
}

// legacyResetAll resets every key, or with key_type=invalid the benched
// ones, or with key_type=valid the others.
func (h *Handler) legacyResetAll(w http.ResponseWriter, r *http.Request) {
	kt := r.URL.Query().Get("key_type")
	var keys []string
	for _, st := range h.Pool.Statuses() {
		if kt == "invalid" && !st.State.Benched || kt == "valid" && st.State.Benched {
			continue
		}
		keys = append(keys, st.Key)
	}
	n := h.Pool.Reset(keys...)
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "message": fmt.Sprintf("reset %d keys", n), "reset": n})
}

func (h *Handler) legacyResetSelected(w http.ResponseWriter, r *http.Request) {
	var b keyRefs
	if !readJSON(w, r, &b) {
		return
	}
	keys, unknown := h.refs(b)
	n := h.Pool.Reset(keys...)
	code := http.StatusOK
	if len(unknown) > 0 {
		code = http.StatusMultiStatus
	}
	writeJSON(w, code, map[string]any{"success": len(unknown) == 0, "message": fmt.Sprintf("reset %d keys, %d unknown", n, len(unknown)),
		"reset_count": n, "unknown": len(unknown)})
}
