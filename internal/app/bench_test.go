package app_test

import (
	"bytes"
	"io"
	"net/http"
	"testing"

	"github.com/geminibalance/gb/gemini/geminitest"
	"github.com/geminibalance/gb/internal/config"
)

// benchPost sends body to url with key and drains the answer.
func benchPost(b *testing.B, c *http.Client, url, key string, body []byte) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-goog-api-key", key)
	resp, err := c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		b.Fatalf("status %d", resp.StatusCode)
	}
}

func benchClient() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
}

// BenchmarkNativePassThrough measures a non-stream generateContent through
// the gateway to geminitest over loopback. Compare with BenchmarkDirect.
func BenchmarkNativePassThrough(b *testing.B) {
	gw := newGateway(b, withConfig(func(c *config.Config) { c.SafetySettings = nil }))
	c := benchClient()
	body := []byte(hello)
	url := gw.URL + flashGen
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		benchPost(b, c, url, token, body)
	}
}

// BenchmarkDirect is the same call straight to geminitest.
func BenchmarkDirect(b *testing.B) {
	sim := geminitest.NewServer(geminitest.Options{})
	b.Cleanup(sim.Close)
	sim.SetKey(keyA, geminitest.Behavior{})
	c := benchClient()
	body := []byte(hello)
	url := sim.URL + flashGen
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		benchPost(b, c, url, keyA, body)
	}
}
