//go:build gbprofile

// The in-process gateway benchmark, for profiling the gateway alone:
//
//	go test -tags gbprofile -run '^$' -bench 'Gateway/native-generate/c=64' \
//	    -benchtime 30000x -cpuprofile cpu.out -memprofile mem.out ./cmd/gbbench
//	go tool pprof -top -nodecount 40 cpu.out
//
// The gateway (internal/app over SQLite, as gbserver runs it) is the only
// thing in the benchmark process: the simulated upstream and the load
// generator run in a child process (this test binary re-executed), so the
// CPU profile and the gw-cpu-us/op metric are the gateway's own.
package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/geminibalance/gb/gemini/geminitest"
	"github.com/geminibalance/gb/internal/app"
	"github.com/geminibalance/gb/internal/config"
	"github.com/geminibalance/gb/storage/sqlite"
)

const helperEnv = "GBBENCH_PROFILE_HELPER"

// TestProfileHelper is the child process: it serves the simulator and
// drives load on request. It does nothing in a normal test run.
func TestProfileHelper(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		t.Skip("helper process for BenchmarkGateway")
	}
	sim := geminitest.NewServer(geminitest.Options{StreamEvents: streamEvents, AcceptAnyKey: true, DisableRecording: true})
	defer sim.Close()
	fmt.Printf("SIM %s\n", sim.URL)
	clients := map[int]*http.Client{}
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		// "<url> <stream 0|1> <openai 0|1> <body-name> <concurrency> <n>"
		f := strings.Fields(sc.Text())
		if len(f) != 6 {
			fmt.Println("bad command")
			continue
		}
		stream, openai := f[1] == "1", f[2] == "1"
		c, _ := strconv.Atoi(f[4])
		n, _ := strconv.Atoi(f[5])
		tg := target{URL: f[0], Stream: stream, Body: []byte(map[string]string{"prompt": prompt, "chat": chatBody, "chats": chatSBody, "embed": embedBody}[f[3]]),
			Header: http.Header{"Content-Type": {"application/json"}}}
		if openai {
			tg.Header.Set("Authorization", "Bearer "+benchToken)
		} else {
			tg.Header.Set("x-goog-api-key", benchToken)
		}
		if clients[c] == nil {
			clients[c] = newClient(c)
		}
		var left atomic.Int64
		left.Store(int64(n))
		var wg sync.WaitGroup
		samples := make([]*sample, c)
		for i := range c {
			samples[i] = &sample{}
			wg.Add(1)
			go func(s *sample) {
				defer wg.Done()
				buf := make([]byte, 32<<10)
				for left.Add(-1) >= 0 {
					oneRequest(context.Background(), clients[c], tg, s, buf, 0, false)
				}
			}(samples[i])
		}
		wg.Wait()
		errs, first := 0, ""
		for _, s := range samples {
			errs += s.errors
			if first == "" {
				first = s.firstErr
			}
		}
		fmt.Printf("done %d %s\n", errs, strings.ReplaceAll(first, "\n", " "))
	}
}

type helper struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Reader
	simURL string
}

func startHelper(b *testing.B) *helper {
	cmd := exec.Command(os.Args[0], "-test.run=^TestProfileHelper$", "-test.v=false")
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	h := &helper{cmd: cmd, in: in, out: bufio.NewReader(outPipe)}
	b.Cleanup(func() { in.Close(); _ = cmd.Wait() })
	for {
		line, err := h.out.ReadString('\n')
		if err != nil {
			b.Fatalf("helper: %v", err)
		}
		if u, ok := strings.CutPrefix(strings.TrimSpace(line), "SIM "); ok {
			h.simURL = u
			return h
		}
	}
}

func (h *helper) drive(b *testing.B, url string, sc scenario, c, n int) {
	body := map[string]string{prompt: "prompt", chatBody: "chat", chatSBody: "chats", embedBody: "embed"}[sc.Body]
	fmt.Fprintf(h.in, "%s %d %d %s %d %d\n", url, b2i(sc.Stream), b2i(sc.OpenAI), body, c, n)
	for {
		line, err := h.out.ReadString('\n')
		if err != nil {
			b.Fatalf("helper: %v", err)
		}
		if rest, ok := strings.CutPrefix(line, "done "); ok {
			if !strings.HasPrefix(rest, "0 ") {
				b.Fatalf("load errors: %s", rest)
			}
			return
		}
	}
}

func b2i(v bool) int {
	if v {
		return 1
	}
	return 0
}

func cpuNow() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkGateway serves the gateway in this process (as gbserver does:
// internal/app over SQLite, logs at ERROR) and reports its CPU per request.
func BenchmarkGateway(b *testing.B) {
	h := startHelper(b)
	cfg := config.Default()
	cfg.BaseURL = h.simURL + "/v1beta"
	for i := range 20 {
		cfg.APIKeys = append(cfg.APIKeys, fmt.Sprintf("AIzaSyBench%028d", i))
	}
	cfg.AllowedTokens = []string{benchToken}
	store, err := sqlite.Open(filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelError}))
	a, err := app.New(context.Background(), cfg, store, logger)
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: a.Handler(), ReadHeaderTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	b.Cleanup(func() {
		_ = srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = a.Close(ctx)
	})
	base := "http://" + ln.Addr().String()
	for _, sc := range allScenarios {
		for _, c := range []int{1, 64} {
			b.Run(fmt.Sprintf("%s/c=%d", sc.Name, c), func(b *testing.B) {
				if st, ok := probe(context.Background(), target{URL: base + sc.Path, Body: []byte(sc.Body), Stream: sc.Stream,
					Header: authHeader(sc)}); !ok {
					b.Skip(st)
				}
				h.drive(b, base+sc.Path, sc, c, 2*c) // warm the connections
				cpu0 := cpuNow()
				b.ResetTimer()
				h.drive(b, base+sc.Path, sc, c, b.N)
				b.StopTimer()
				b.ReportMetric(float64(cpuNow()-cpu0)/1e3/float64(b.N), "gw-cpu-us/op")
			})
		}
	}
}

func authHeader(sc scenario) http.Header {
	h := http.Header{"Content-Type": {"application/json"}}
	if sc.OpenAI {
		h.Set("Authorization", "Bearer "+benchToken)
	} else {
		h.Set("x-goog-api-key", benchToken)
	}
	return h
}
