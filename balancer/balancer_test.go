package balancer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	invalidBody = `{"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.", "status": "INVALID_ARGUMENT",
  "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID", "domain": "googleapis.com"}]}}`
	suspendedBody = `{"error": {"code": 403, "message": "Permission denied: Consumer 'api_key:AIzaSyA1234567890abcdefghijklmnopqrstuv' has been suspended.", "status": "PERMISSION_DENIED",
  "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "CONSUMER_SUSPENDED"}]}}`
	deniedBody = `{"error": {"code": 403, "message": "The caller does not have permission", "status": "PERMISSION_DENIED"}}`
	quotaBody  = `{"error": {"code": 429, "message": "You exceeded your current quota", "status": "RESOURCE_EXHAUSTED", "details": [
  {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [{"quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier"}]},
  {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "26s"}]}}`
	dailyBody = `{"error": {"code": 429, "message": "You exceeded your current quota", "status": "RESOURCE_EXHAUSTED", "details": [
  {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [{"quotaId": "GenerateRequestsPerDayPerProjectPerModel-FreeTier"}]}]}}`
	badBody      = `{"error": {"code": 400, "message": "Invalid JSON payload received. Unknown name \"foo\": Cannot find field.", "status": "INVALID_ARGUMENT"}}`
	overloadBody = `{"error": {"code": 503, "message": "The model is overloaded. Please try again later.", "status": "UNAVAILABLE"}}`
)

func TestClassifyGemini(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		err    error
		want   Class
		reason string
		retry  time.Duration
		daily  bool
	}{
		{"ok", 200, `{}`, nil, Success, "", 0, false},
		{"invalid key", 400, invalidBody, nil, InvalidKey, "API_KEY_INVALID", 0, false},
		{"invalid key by message", 400, `{"error":{"code":400,"message":"API key expired. Please renew the API key.","status":"INVALID_ARGUMENT"}}`, nil, InvalidKey, "API_KEY_INVALID", 0, false},
		{"client bad request", 400, badBody, nil, ClientError, "", 0, false},
		{"unauthenticated", 401, `{"error":{"code":401,"message":"x","status":"UNAUTHENTICATED"}}`, nil, InvalidKey, "UNAUTHENTICATED", 0, false},
		{"suspended", 403, suspendedBody, nil, InvalidKey, "CONSUMER_SUSPENDED", 0, false},
		{"model denied", 403, deniedBody, nil, ModelDenied, "PERMISSION_DENIED", 0, false},
		{"file denied", 403, `{"error":{"code":403,"message":"You do not have permission to access the File abc or it may not exist.","status":"PERMISSION_DENIED"}}`, nil, ClientError, "", 0, false},
		{"not found", 404, `{"error":{"code":404,"message":"models/x is not found","status":"NOT_FOUND"}}`, nil, ClientError, "", 0, false},
		{"quota per minute", 429, quotaBody, nil, Quota, "GenerateRequestsPerMinutePerProjectPerModel-FreeTier", 26 * time.Second, false},
		{"quota per day", 429, dailyBody, nil, Quota, "GenerateRequestsPerDayPerProjectPerModel-FreeTier", 0, true},
		{"quota bare", 429, `Too many requests`, nil, Quota, "RESOURCE_EXHAUSTED", 0, false},
		{"credits depleted", 429, `{"error":{"code":429,"message":"Your prepayment credits are depleted. Please go to AI Studio","status":"RESOURCE_EXHAUSTED"}}`, nil, InvalidKey, "CREDITS_DEPLETED", 0, false},
		{"overloaded", 503, overloadBody, nil, Transient, "", 0, false},
		{"internal", 500, `{"error":{"code":500,"message":"An internal error has occurred.","status":"INTERNAL"}}`, nil, Transient, "", 0, false},
		{"gateway html", 502, `<html>bad gateway</html>`, nil, Transient, "", 0, false},
		{"array wrapped", 429, "[" + quotaBody + "]", nil, Quota, "GenerateRequestsPerMinutePerProjectPerModel-FreeTier", 26 * time.Second, false},
		{"connection error", 0, "", errors.New("dial tcp: connection refused"), Transient, "CONNECTION", 0, false},
		{"timeout", 0, "", fmt.Errorf("%w: read", ErrTimeout), Transient, "TIMEOUT", 0, false},
		{"client canceled", 0, "", context.Canceled, Canceled, "CANCELED", 0, false},
		{"cancelled status", 499, `{}`, nil, Canceled, "", 0, false},
		{"teapot", 418, ``, nil, ClientError, "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := ClassifyGemini(tt.status, nil, []byte(tt.body), tt.err)
			assert.Equal(t, tt.want, v.Class, "class (message %q)", v.Message)
			assert.Equal(t, tt.reason, v.Reason)
			assert.Equal(t, tt.retry, v.RetryAfter)
			assert.Equal(t, tt.daily, v.Daily)
			assert.Equal(t, tt.status, v.Status)
		})
	}
}

func TestClassifyRetryAfterHeader(t *testing.T) {
	v := ClassifyGemini(429, http.Header{"Retry-After": {"7"}}, nil, nil)
	assert.Equal(t, 7*time.Second, v.RetryAfter)
}

func FuzzClassifyGemini(f *testing.F) {
	for _, b := range []string{invalidBody, suspendedBody, deniedBody, quotaBody, dailyBody, badBody, overloadBody, "[", "[{}]", `{"error":{"details":[{"@type":"x.RetryInfo","retryDelay":"1e309s"}]}}`} {
		f.Add(429, []byte(b))
		f.Add(403, []byte(b))
	}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		v := ClassifyGemini(status, nil, body, nil)
		if v.RetryAfter < 0 {
			t.Fatalf("negative retry %v", v.RetryAfter)
		}
		if status >= 200 && status < 300 && v.Class != Success {
			t.Fatalf("2xx classified %v", v.Class)
		}
	})
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func newClock() *fakeClock { return &fakeClock{t: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)} }

func TestPoolRoundRobinIsEven(t *testing.T) {
	p := NewMemoryPool([]string{"k1", "k2", "k3", "k1", ""}, PoolOptions{})
	require.Equal(t, 3, p.Len())
	counts := map[string]int{}
	for i := 0; i < 300; i++ {
		k, err := p.Pick("m", nil)
		require.NoError(t, err)
		counts[k]++
	}
	assert.Equal(t, map[string]int{"k1": 100, "k2": 100, "k3": 100}, counts)
}

func TestPoolSkipsTried(t *testing.T) {
	p := NewMemoryPool([]string{"a", "b"}, PoolOptions{})
	k1, _ := p.Pick("m", nil)
	k2, err := p.Pick("m", []string{k1})
	require.NoError(t, err)
	assert.NotEqual(t, k1, k2)
	_, err = p.Pick("m", []string{"a", "b"})
	var ex *ExhaustedError
	require.ErrorAs(t, err, &ex)
	assert.Equal(t, 2, ex.Tried)
	assert.ErrorIs(t, err, ErrNoKey)
}

func TestPoolBenchesInvalidAtOnce(t *testing.T) {
	var changed []string
	p := NewMemoryPool([]string{"bad", "good"}, PoolOptions{OnChange: func(k string) { changed = append(changed, k) }})
	p.Report("bad", "m", ClassifyGemini(400, nil, []byte(invalidBody), nil))
	for i := 0; i < 10; i++ {
		k, err := p.Pick("m", nil)
		require.NoError(t, err)
		assert.Equal(t, "good", k)
	}
	st, ok := p.Status("bad")
	require.True(t, ok)
	assert.True(t, st.State.Benched)
	assert.Equal(t, "API_KEY_INVALID", st.State.BenchReason)
	require.NotNil(t, st.State.LastError)
	assert.Equal(t, 400, st.State.LastError.Status)
	assert.Equal(t, []string{"bad"}, changed)
	assert.Equal(t, "ba…", st.Masked())
}

func TestPoolTransientBenchesAfterMaxFailuresAndSuccessResets(t *testing.T) {
	p := NewMemoryPool([]string{"k"}, PoolOptions{MaxFailures: 3})
	tr := Verdict{Class: Transient, Status: 503}
	p.Report("k", "m", tr)
	p.Report("k", "m", tr)
	st, _ := p.Status("k")
	assert.Equal(t, 2, st.State.Failures)
	p.Report("k", "m", Verdict{Class: Success, Status: 200})
	st, _ = p.Status("k")
	assert.Equal(t, 0, st.State.Failures, "a success resets the count")
	for i := 0; i < 3; i++ {
		p.Report("k", "m", tr)
	}
	st, _ = p.Status("k")
	assert.True(t, st.State.Benched)
	assert.Equal(t, "TOO_MANY_FAILURES", st.State.BenchReason)
	_, err := p.Pick("m", nil)
	var ex *ExhaustedError
	require.ErrorAs(t, err, &ex)
	assert.Equal(t, 1, ex.Benched)
	assert.True(t, ex.RetryAt.IsZero())
}

func TestPoolClientErrorsAreNotCounted(t *testing.T) {
	p := NewMemoryPool([]string{"k"}, PoolOptions{MaxFailures: 1})
	p.Report("k", "m", ClassifyGemini(400, nil, []byte(badBody), nil))
	p.Report("k", "m", Verdict{Class: Canceled})
	st, _ := p.Status("k")
	assert.False(t, st.State.Benched)
	assert.Equal(t, 0, st.State.Failures)
	assert.Nil(t, st.State.LastError)
}

func TestPoolQuotaCoolsDownPerModel(t *testing.T) {
	clk := newClock()
	p := NewMemoryPool([]string{"a", "b"}, PoolOptions{Now: clk.Now})
	p.Report("a", "flash", ClassifyGemini(429, nil, []byte(quotaBody), nil))
	// a is cooling for flash only.
	for i := 0; i < 4; i++ {
		k, err := p.Pick("flash", nil)
		require.NoError(t, err)
		assert.Equal(t, "b", k)
	}
	seen := map[string]bool{}
	for i := 0; i < 4; i++ {
		k, _ := p.Pick("pro", nil)
		seen[k] = true
	}
	assert.True(t, seen["a"], "a still serves other models")
	st, _ := p.Status("a")
	assert.False(t, st.State.Benched)
	assert.Equal(t, 0, st.State.Failures, "quota is not counted as broken")
	assert.Equal(t, clk.Now().Add(26*time.Second), st.State.Models["flash"].Until)

	_, err := p.Pick("flash", []string{"b"})
	var ex *ExhaustedError
	require.ErrorAs(t, err, &ex)
	assert.Equal(t, clk.Now().Add(26*time.Second), ex.RetryAt)

	clk.Add(27 * time.Second)
	seen = map[string]bool{}
	for i := 0; i < 4; i++ {
		k, _ := p.Pick("flash", nil)
		seen[k] = true
	}
	assert.True(t, seen["a"], "a is back after the retry delay")
}

func TestPoolDailyQuotaParksUntilReset(t *testing.T) {
	clk := newClock()
	p := NewMemoryPool([]string{"a"}, PoolOptions{Now: clk.Now})
	p.Report("a", "flash", ClassifyGemini(429, nil, []byte(dailyBody), nil))
	st, _ := p.Status("a")
	want := NextPacificMidnight(clk.Now())
	assert.Equal(t, want, st.State.Models["flash"].Until)
	assert.Equal(t, "DAILY_QUOTA", st.State.Models["flash"].Reason)
	assert.Equal(t, 0, want.In(pacific).Hour())
	assert.True(t, want.After(clk.Now()))
}

func TestPoolModelDeniedOnlyForThatModel(t *testing.T) {
	p := NewMemoryPool([]string{"a"}, PoolOptions{})
	p.Report("a", "pro", ClassifyGemini(403, nil, []byte(deniedBody), nil))
	_, err := p.Pick("pro", nil)
	require.ErrorIs(t, err, ErrNoKey)
	k, err := p.Pick("flash", nil)
	require.NoError(t, err)
	assert.Equal(t, "a", k)
}

func TestPoolResetRemoveAndRestore(t *testing.T) {
	p := NewMemoryPool([]string{"a", "b"}, PoolOptions{})
	p.Report("a", "m", Verdict{Class: InvalidKey, Reason: "API_KEY_INVALID"})
	p.Report("b", "m", Verdict{Class: Quota, RetryAfter: time.Hour})
	assert.Equal(t, 2, p.Reset("a", "b", "zzz"))
	u, b, c := p.Counts("m")
	assert.Equal(t, [3]int{2, 0, 0}, [3]int{u, b, c})

	p.Report("a", "m", Verdict{Class: InvalidKey, Reason: "API_KEY_INVALID"})
	states := p.DirtyStates()
	require.Contains(t, states, "a")
	assert.True(t, states["a"].Benched)
	assert.Nil(t, p.DirtyStates(), "dirty set is drained")

	assert.Equal(t, 1, p.Remove("b", "nope"))
	assert.Equal(t, []string{"a"}, p.Keys())
	_, err := p.Pick("m", nil)
	assert.ErrorIs(t, err, ErrNoKey)
	assert.Equal(t, 1, p.Add("c", "a"))
	k, err := p.Pick("m", nil)
	require.NoError(t, err)
	assert.Equal(t, "c", k)
}

func TestPoolEmpty(t *testing.T) {
	p := NewMemoryPool(nil, PoolOptions{})
	_, err := p.Pick("m", nil)
	var ex *ExhaustedError
	require.ErrorAs(t, err, &ex)
	assert.Equal(t, "no API keys are configured", ex.Error())
}

// fakeUpstream answers per key with a status and body.
type fakeUpstream struct {
	mu    sync.Mutex
	calls []string
	reply map[string]func() (int, string, error)
}

func (f *fakeUpstream) attempt(ctx context.Context, key string) (*http.Response, error) {
	f.mu.Lock()
	f.calls = append(f.calls, key)
	r := f.reply[key]
	f.mu.Unlock()
	status, body, err := 200, `{"ok":true}`, error(nil)
	if r != nil {
		status, body, err = r()
	}
	if err != nil {
		return nil, err
	}
	return &http.Response{StatusCode: status, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body))}, nil
}

func reply(status int, body string) func() (int, string, error) {
	return func() (int, string, error) { return status, body, nil }
}

func TestPipelineRetriesOnAnotherKey(t *testing.T) {
	// Two broken keys before the good one, in whatever order the rotation
	// reaches them: the client still gets the good key's answer.
	pool := NewMemoryPool([]string{"bad", "flaky", "good"}, PoolOptions{})
	up := &fakeUpstream{reply: map[string]func() (int, string, error){
		"bad":   reply(400, invalidBody),
		"flaky": reply(503, overloadBody),
	}}
	var attempts []Attempt
	var errs int
	p := &Pipeline{Pool: pool, Observe: func(a Attempt) { attempts = append(attempts, a) },
		OnError: func(Attempt, []byte, []byte) { errs++ }}
	for i := 0; i < 3; i++ {
		res, err := p.Do(context.Background(), Call{Model: "m", Kind: "test", Attempt: up.attempt})
		require.NoError(t, err)
		assert.Equal(t, "good", res.Key)
		body, _ := io.ReadAll(res.Response.Body)
		res.Finish(nil, Usage{TotalTokens: 5})
		res.Finish(errors.New("ignored"), Usage{})
		assert.Equal(t, `{"ok":true}`, string(body))
	}
	classes := map[string][]Class{}
	for _, a := range attempts {
		classes[a.Key] = append(classes[a.Key], a.Verdict.Class)
	}
	assert.Equal(t, []Class{InvalidKey}, classes["bad"], "an invalid key is tried once, then benched")
	assert.Equal(t, []Class{Success, Success, Success}, classes["good"])
	assert.NotEmpty(t, classes["flaky"])
	assert.Equal(t, 5, attempts[len(attempts)-1].Usage.TotalTokens)
	assert.Equal(t, 1+len(classes["flaky"]), errs)
}

func TestPipelineClientErrorIsNotRetried(t *testing.T) {
	pool := NewMemoryPool([]string{"a", "b"}, PoolOptions{MaxFailures: 1})
	up := &fakeUpstream{reply: map[string]func() (int, string, error){"a": reply(400, badBody), "b": reply(400, badBody)}}
	p := &Pipeline{Pool: pool}
	_, err := p.Do(context.Background(), Call{Model: "m", Attempt: up.attempt})
	var ue *UpstreamError
	require.ErrorAs(t, err, &ue)
	assert.Equal(t, 400, ue.Status)
	assert.JSONEq(t, badBody, string(ue.Body))
	assert.Len(t, up.calls, 1)
	u, _, _ := pool.Counts("m")
	assert.Equal(t, 2, u)
}

func TestPipelineMaxRetries(t *testing.T) {
	keys := []string{"k1", "k2", "k3", "k4", "k5"}
	pool := NewMemoryPool(keys, PoolOptions{MaxFailures: 100})
	up := &fakeUpstream{reply: map[string]func() (int, string, error){}}
	for _, k := range keys {
		up.reply[k] = reply(500, `{"error":{"code":500,"message":"boom","status":"INTERNAL"}}`)
	}
	retries := 2
	p := &Pipeline{Pool: pool, MaxRetries: func() int { return retries }}
	_, err := p.Do(context.Background(), Call{Model: "m", Attempt: up.attempt})
	var ue *UpstreamError
	require.ErrorAs(t, err, &ue)
	assert.Equal(t, 3, ue.Attempts)
	assert.Len(t, up.calls, 3)
	assert.Len(t, map[string]bool{up.calls[0]: true, up.calls[1]: true, up.calls[2]: true}, 3, "each attempt on a different key")
}

func TestPipelineAllKeysExhausted(t *testing.T) {
	pool := NewMemoryPool([]string{"a"}, PoolOptions{})
	up := &fakeUpstream{reply: map[string]func() (int, string, error){"a": reply(429, quotaBody)}}
	p := &Pipeline{Pool: pool}
	_, err := p.Do(context.Background(), Call{Model: "m", Attempt: up.attempt})
	var ue *UpstreamError
	require.ErrorAs(t, err, &ue, "the last upstream answer is returned when keys run out mid-request")
	assert.Equal(t, 429, ue.Status)
	// Next request: nothing usable, answered at once without an upstream call.
	_, err = p.Do(context.Background(), Call{Model: "m", Attempt: up.attempt})
	var ex *ExhaustedError
	require.ErrorAs(t, err, &ex)
	assert.False(t, ex.RetryAt.IsZero())
	assert.Len(t, up.calls, 1)
}

func TestPipelineRedactsKeysInErrors(t *testing.T) {
	key := "AIzaSyA1234567890abcdefghijklmnopqrstuv"
	pool := NewMemoryPool([]string{key}, PoolOptions{})
	up := &fakeUpstream{reply: map[string]func() (int, string, error){key: reply(403, suspendedBody)}}
	p := &Pipeline{Pool: pool}
	_, err := p.Do(context.Background(), Call{Model: "m", Attempt: up.attempt})
	var ue *UpstreamError
	require.ErrorAs(t, err, &ue)
	assert.NotContains(t, string(ue.Body), key)
	assert.NotContains(t, ue.Verdict.Message, key)
	assert.NotContains(t, err.Error(), key)
}

func TestPipelineFinishCountsStreamFailures(t *testing.T) {
	pool := NewMemoryPool([]string{"a"}, PoolOptions{MaxFailures: 1})
	up := &fakeUpstream{}
	p := &Pipeline{Pool: pool}
	res, err := p.Do(context.Background(), Call{Model: "m", Attempt: up.attempt})
	require.NoError(t, err)
	res.Finish(context.Canceled, Usage{})
	st, _ := pool.Status("a")
	assert.False(t, st.State.Benched, "a client disconnect counts for nothing")

	res, err = p.Do(context.Background(), Call{Model: "m", Attempt: up.attempt})
	require.NoError(t, err)
	res.Finish(io.ErrUnexpectedEOF, Usage{})
	st, _ = pool.Status("a")
	assert.True(t, st.State.Benched, "a broken stream is a transient failure")
}

func TestPipelineCanceledContext(t *testing.T) {
	pool := NewMemoryPool([]string{"a"}, PoolOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p := &Pipeline{Pool: pool}
	_, err := p.Do(ctx, Call{Model: "m", Attempt: (&fakeUpstream{}).attempt})
	assert.ErrorIs(t, err, context.Canceled)
}

func TestConcurrentPoolUse(t *testing.T) {
	keys := make([]string, 50)
	for i := range keys {
		keys[i] = fmt.Sprintf("key-%02d", i)
	}
	pool := NewMemoryPool(keys, PoolOptions{MaxFailures: 2})
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 2000; i++ {
				k, err := pool.Pick("m", nil)
				if err != nil {
					pool.Reset(keys...)
					continue
				}
				switch i % 7 {
				case 0:
					pool.Report(k, "m", Verdict{Class: Transient})
				case 1:
					pool.Report(k, "m", Verdict{Class: Quota, RetryAfter: time.Millisecond})
				default:
					pool.Report(k, "m", Verdict{Class: Success})
				}
				if i%500 == 0 {
					pool.DirtyStates()
					pool.Statuses()
				}
			}
		}(g)
	}
	wg.Wait()
}

func BenchmarkPick100k(b *testing.B) {
	keys := make([]string, 100_000)
	for i := range keys {
		keys[i] = fmt.Sprintf("AIzaSy%034d", i)
	}
	pool := NewMemoryPool(keys, PoolOptions{})
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := pool.Pick("gemini-2.5-flash", nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkPick100kWithCooling(b *testing.B) {
	keys := make([]string, 100_000)
	for i := range keys {
		keys[i] = fmt.Sprintf("AIzaSy%034d", i)
	}
	pool := NewMemoryPool(keys, PoolOptions{})
	for i := 0; i < len(keys); i += 10 {
		pool.Report(keys[i], "gemini-2.5-flash", Verdict{Class: Quota, RetryAfter: time.Hour})
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := pool.Pick("gemini-2.5-flash", nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func TestUpstreamErrorClientStatus(t *testing.T) {
	tests := []struct {
		name string
		err  UpstreamError
		want int
		key  bool
	}{
		{"timeout", UpstreamError{Verdict: Verdict{Class: Transient, Reason: "TIMEOUT"}}, http.StatusGatewayTimeout, false},
		{"no answer", UpstreamError{Verdict: Verdict{Class: Transient, Reason: "NETWORK"}}, http.StatusBadGateway, false},
		{"invalid key", UpstreamError{Status: 400, Verdict: Verdict{Class: InvalidKey}}, http.StatusServiceUnavailable, true},
		{"model denied", UpstreamError{Status: 403, Verdict: Verdict{Class: ModelDenied}}, http.StatusServiceUnavailable, true},
		{"client error", UpstreamError{Status: 400, Verdict: Verdict{Class: ClientError}}, 400, false},
		{"quota", UpstreamError{Status: 429, Verdict: Verdict{Class: Quota}}, 429, false},
		{"server error", UpstreamError{Status: 500, Verdict: Verdict{Class: Transient}}, 500, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.err.ClientStatus())
			assert.Equal(t, tt.key, tt.err.KeyRejected())
		})
	}
}
