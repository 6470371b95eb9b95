//go:build gbprofile

package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/geminibalance/gb/gemini/geminitest"
	"github.com/geminibalance/gb/internal/app"
	"github.com/geminibalance/gb/internal/config"
	"github.com/geminibalance/gb/storage/sqlite"
)

// TestHoldProfile measures what an open stream costs the gateway in heap
// and goroutine stacks, in-process: it opens 2,000 streams straight to a
// simulator that waits minutes between events, then 2,000 through the
// gateway (internal/app over SQLite), and prints the difference per stream
// (runtime.MemStats after a GC). With GB_PROFILE_DIR set it also writes
// heap.out and goroutines.txt there:
//
//	GB_PROFILE_DIR=/tmp go test -tags gbprofile -run TestHoldProfile -v ./cmd/gbbench
//	go tool pprof -sample_index=inuse_space -top /tmp/heap.out
func TestHoldProfile(t *testing.T) {
	sim := geminitest.NewServer(geminitest.Options{EventInterval: 10 * time.Minute, StreamEvents: 3, AcceptAnyKey: true, DisableRecording: true})
	defer sim.Close()
	cfg := config.Default()
	cfg.BaseURL = sim.URL + "/v1beta"
	cfg.APIKeys = []string{"AIzaSyBench0000000000000000000000000001"}
	cfg.AllowedTokens = []string{benchToken}
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "bench.db"))
	require.NoError(t, err)
	a, err := app.New(context.Background(), cfg, store, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: a.Handler()}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	n := 2000
	if os.Getenv("GB_PROFILE_DIR") != "" {
		runtime.MemProfileRate = 1 // every allocation in heap.out (it deepens stacks: the figures grow)
	}
	measure := func(url, key string) (heap, stack float64, gor int, stop func()) {
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n, DisableCompression: true}}
		var ms0, ms1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms0)
		g0 := runtime.NumGoroutine()
		ready := make(chan struct{}, n)
		ctx, cancel := context.WithCancel(context.Background())
		for i := 0; i < n; i++ {
			go func() {
				req, _ := http.NewRequestWithContext(ctx, "POST", url, strings.NewReader(prompt))
				req.Header.Set("x-goog-api-key", key)
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					t.Error(err)
					ready <- struct{}{}
					return
				}
				buf := make([]byte, 512)
				resp.Body.Read(buf)
				ready <- struct{}{}
				resp.Body.Read(buf)
			}()
			if i%200 == 199 {
				time.Sleep(20 * time.Millisecond)
			}
		}
		for i := 0; i < n; i++ {
			<-ready
		}
		time.Sleep(300 * time.Millisecond)
		var msNoGC runtime.MemStats
		runtime.ReadMemStats(&msNoGC)
		fmt.Printf("  before any GC: stack %.1f KB/stream\n", float64(msNoGC.StackInuse-ms0.StackInuse)/1024/float64(n))
		// Each GC halves the stacks that use under a quarter of their
		// size; a few cycles show the stacks' settled size.
		for range 4 {
			runtime.GC()
		}
		runtime.ReadMemStats(&ms1)
		return float64(ms1.HeapInuse-ms0.HeapInuse) / 1024 / float64(n), float64(ms1.StackInuse-ms0.StackInuse) / 1024 / float64(n),
			runtime.NumGoroutine() - g0, func() { cancel(); client.CloseIdleConnections() }
	}
	dh, ds, dg, stop := measure(sim.URL+sseePath, "k")
	fmt.Printf("direct:  heap %.1f KB/stream, stack %.1f KB/stream, goroutines %d\n", dh, ds, dg)
	stop()
	time.Sleep(500 * time.Millisecond)
	gh, gs, gg, _ := measure("http://"+ln.Addr().String()+sseePath, benchToken)
	fmt.Printf("gateway: heap %.1f KB/stream, stack %.1f KB/stream, goroutines %d\n", gh, gs, gg)
	fmt.Printf("gateway's own: heap %.1f KB/stream, stack %.1f KB/stream, %.1f goroutines/stream\n", gh-dh, gs-ds, float64(gg-dg)/float64(n))
	if dir := os.Getenv("GB_PROFILE_DIR"); dir != "" {
		f, err := os.Create(filepath.Join(dir, "heap.out"))
		require.NoError(t, err)
		require.NoError(t, pprof.WriteHeapProfile(f))
		f.Close()
		f, err = os.Create(filepath.Join(dir, "goroutines.txt"))
		require.NoError(t, err)
		require.NoError(t, pprof.Lookup("goroutine").WriteTo(f, 1))
		f.Close()
	}
}
