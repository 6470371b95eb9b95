package balancer_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/geminibalance/gb/balancer"
)

// A pool hands out keys round-robin and learns from the verdicts reported
// to it.
func ExampleMemoryPool() {
	pool := balancer.NewMemoryPool([]string{"key-a", "key-b", "key-c"}, balancer.PoolOptions{MaxFailures: 3})

	// key-b turns out to be invalid: benched at once.
	pool.Report("key-b", "gemini-2.5-flash", balancer.Verdict{Class: balancer.InvalidKey, Reason: "API_KEY_INVALID"})
	// key-c hits its per-minute quota on one model: it cools down for that
	// model only.
	pool.Report("key-c", "gemini-2.5-flash", balancer.Verdict{Class: balancer.Quota, RetryAfter: 30 * time.Second})

	for i := 0; i < 2; i++ {
		k, _ := pool.Pick("gemini-2.5-flash", nil)
		fmt.Println("flash:", k)
	}
	usable, benched, cooling := pool.Counts("gemini-2.5-flash")
	fmt.Println("usable", usable, "benched", benched, "cooling", cooling)
	// Output:
	// flash: key-a
	// flash: key-a
	// usable 1 benched 1 cooling 1
}

// ClassifyGemini reads Google's error bodies: a 429 with RetryInfo is a
// quota cool-down, not a broken key.
func ExampleClassifyGemini() {
	body := `{"error": {"code": 429, "message": "You exceeded your current quota", "status": "RESOURCE_EXHAUSTED",
	  "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "26s"}]}}`
	v := balancer.ClassifyGemini(429, nil, []byte(body), nil)
	fmt.Println(v.Class, v.RetryAfter, v.Class.Retryable())
	// Output: quota 26s true
}

// A Pipeline runs one request against the pool: here the first key is
// invalid, so the request is retried on the next one and the client never
// sees the failure.
func ExamplePipeline_Do() {
	pool := balancer.NewMemoryPool([]string{"bad-key", "good-key"}, balancer.PoolOptions{})
	p := &balancer.Pipeline{
		Pool: pool,
		Observe: func(a balancer.Attempt) {
			fmt.Printf("attempt %d with %s: %s\n", a.N, a.Key, a.Verdict.Class)
		},
	}
	upstream := func(ctx context.Context, key string) (*http.Response, error) {
		if key == "bad-key" {
			body := `{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT"}}`
			return &http.Response{StatusCode: 400, Body: io.NopCloser(strings.NewReader(body))}, nil
		}
		return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader(`{"candidates":[]}`))}, nil
	}
	res, err := p.Do(context.Background(), balancer.Call{Model: "gemini-2.5-flash", Attempt: upstream})
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	body, err := io.ReadAll(res.Response.Body)
	res.Finish(err, balancer.Usage{})
	fmt.Println(string(body))
	// Output:
	// attempt 1 with bad-key: invalid_key
	// attempt 2 with good-key: success
	// {"candidates":[]}
}
