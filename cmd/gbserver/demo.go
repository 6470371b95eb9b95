package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/geminibalance/gb/gemini/geminitest"
	"github.com/geminibalance/gb/internal/config"
	"github.com/geminibalance/gb/storage/memory"
)

// demoToken is the client token the demo accepts. It is printed, so it is
// no secret: the demo only ever talks to its own simulated upstream.
const demoToken = "gb-demo-token"

// demoKeys are the simulated keys and how the simulated Gemini API treats
// them: a newcomer sees rotation, retry and benching without a real key.
var demoKeys = []struct {
	key string
	b   geminitest.Behavior
	why string
}{
	{"AIzaSyDemoKey0000000000000000000000good1", geminitest.Behavior{Kind: geminitest.Valid}, "valid"},
	{"AIzaSyDemoKey0000000000000000000000good2", geminitest.Behavior{Kind: geminitest.Valid}, "valid"},
	{"AIzaSyDemoKey0000000000000000000000good3", geminitest.Behavior{Kind: geminitest.Valid}, "valid"},
	{"AIzaSyDemoKey00000000000000000000invalid", geminitest.Behavior{Kind: geminitest.Invalid}, "invalid: benched at its first use"},
	{"AIzaSyDemoKey000000000000000000suspended", geminitest.Behavior{Kind: geminitest.Suspended}, "suspended: benched at its first use"},
	{"AIzaSyDemoKey0000000000000000000limited1", geminitest.Behavior{Kind: geminitest.Quota, RetryDelay: 30 * time.Second}, "rate-limited: cools down 30 s per model"},
	{"AIzaSyDemoKey000000000000000000000flaky1", geminitest.Behavior{Kind: geminitest.Flaky, Status: 503}, "overloaded (503): benched after MAX_FAILURES"},
}

// demo runs the gateway against geminitest on loopback with demo keys and
// an in-memory store. HOST and PORT are honoured (HOST defaults to
// 127.0.0.1 here, since the demo is for the local machine).
func demo(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) error {
	sim := geminitest.NewServer(geminitest.Options{EventInterval: 40 * time.Millisecond, StreamEvents: 5, DisableRecording: true})
	defer sim.Close()
	keys := make([]string, len(demoKeys))
	for i, k := range demoKeys {
		sim.SetKey(k.key, k.b)
		keys[i] = k.key
	}
	env := func(name string) string {
		switch name {
		case "BASE_URL":
			return sim.URL + "/v1beta"
		case "API_KEYS":
			return ""
		case "ALLOWED_TOKENS":
			return `["` + demoToken + `"]`
		case "AUTH_TOKEN":
			if v := getenv(name); v != "" {
				return v
			}
			return demoToken
		case "HOST":
			if v := getenv(name); v != "" {
				return v
			}
			return "127.0.0.1"
		case "DATABASE_TYPE":
			return "sqlite"
		case "PROXIES":
			return ""
		}
		return getenv(name)
	}
	cfg, _, err := config.Load(env, nil)
	if err != nil {
		return err
	}
	cfg.APIKeys = keys
	banner := func(addr string) {
		host, port, _ := net.SplitHostPort(addr)
		if host == "0.0.0.0" || host == "::" || host == "" {
			host = "127.0.0.1"
		}
		base := "http://" + net.JoinHostPort(host, port)
		fmt.Fprintf(stdout, "\ngb demo: the gateway at %s serves a simulated Gemini API at %s\n\n", base, sim.URL)
		fmt.Fprintf(stdout, "Client token: %s\nDemo keys:\n", demoToken)
		for _, k := range demoKeys {
			fmt.Fprintf(stdout, "  %-12s %s\n", maskDemo(k.key), k.why)
		}
		fmt.Fprintf(stdout, "\nTry it:\n  curl -s %s/v1beta/models/gemini-2.5-flash:generateContent -H 'x-goog-api-key: %s' -H 'Content-Type: application/json' -d '{\"contents\":[{\"parts\":[{\"text\":\"Hello\"}]}]}'\n", base, demoToken)
		fmt.Fprintf(stdout, "\nStreaming:\n  curl -sN '%s/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse' -H 'x-goog-api-key: %s' -H 'Content-Type: application/json' -d '{\"contents\":[{\"parts\":[{\"text\":\"Tell me a story\"}]}]}'\n", base, demoToken)
		fmt.Fprintf(stdout, "\nOpenAI API:\n  curl -s %s/v1/chat/completions -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' -d '{\"model\":\"gemini-2.5-flash\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}'\n", base, demoToken)
		fmt.Fprintf(stdout, "\nConsole: %s/ (log in with %s)\nKey health: curl -s %s/ready\nStop with Ctrl-C.\n\n", base, demoToken, base)
	}
	return serve(ctx, getenv, stdout, stderr, &serveOptions{cfg: cfg, store: memory.New(), where: "memory (demo)", banner: banner})
}

func maskDemo(k string) string {
	return k[:4] + "…" + k[len(k)-4:]
}
