// Command gbbench is gb's load benchmark. In one run it measures every
// scenario twice, straight against the simulated Gemini API (geminitest)
// and through the gateway (a gbserver child process), and reports the
// gateway's figures as ratios to direct, so they hold on a noisy machine.
//
// Usage:
//
//	go run ./cmd/gbbench            full run (fits in 10 minutes)
//	go run ./cmd/gbbench -quick     about one minute
//	go run ./cmd/gbbench -json out.json -scenarios native-generate -concurrency 1,64
//
// See docs/benchmarks.md for the method and the figures of this machine.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/geminibalance/gb/gemini/geminitest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "gbbench:", err)
		os.Exit(1)
	}
}

// profile is a simulated-upstream behaviour.
type profile struct {
	Name     string
	Latency  time.Duration
	Interval time.Duration
}

var allProfiles = []profile{
	{Name: "fast"},
	{Name: "realistic", Latency: 50 * time.Millisecond, Interval: 10 * time.Millisecond},
}

// streamEvents is the simulator's number of events per streamed answer.
const streamEvents = 10

const (
	prompt    = `{"contents":[{"role":"user","parts":[{"text":"Hello there, how are you today?"}]}]}`
	chatBody  = `{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"Hello there, how are you today?"}]}`
	chatSBody = `{"model":"gemini-2.5-flash","stream":true,"messages":[{"role":"user","content":"Hello there, how are you today?"}]}`
	embedBody = `{"content":{"parts":[{"text":"Hello there, how are you today?"}]}}`
	genPath   = "/v1beta/models/gemini-2.5-flash:generateContent"
	sseePath  = "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
	embedPath = "/v1beta/models/gemini-embedding-001:embedContent"
	chatPath  = "/v1/chat/completions"
	directKey = "AIzaSyBenchDirectKey0000000000000000000"
)

// scenario is one kind of request. The direct side is the native call the
// gateway makes upstream for it (the simulator speaks only the native API).
type scenario struct {
	Name       string
	Stream     bool
	OpenAI     bool
	Path       string
	Body       string
	DirectPath string
	DirectBody string
}

var allScenarios = []scenario{
	{Name: "native-generate", Path: genPath, Body: prompt, DirectPath: genPath, DirectBody: prompt},
	{Name: "native-stream", Stream: true, Path: sseePath, Body: prompt, DirectPath: sseePath, DirectBody: prompt},
	{Name: "openai-chat", OpenAI: true, Path: chatPath, Body: chatBody, DirectPath: genPath, DirectBody: prompt},
	{Name: "openai-chat-stream", OpenAI: true, Stream: true, Path: chatPath, Body: chatSBody, DirectPath: sseePath, DirectBody: prompt},
	{Name: "embed", Path: embedPath, Body: embedBody, DirectPath: embedPath, DirectBody: embedBody},
}

// options are the parsed flags.
type options struct {
	quick     bool
	duration  time.Duration
	warmup    time.Duration
	scenarios []scenario
	profiles  []profile
	conc      []int // nil: the plan's defaults
	jsonOut   string
	gbserver  string
	hold      int
	keys      int
	pickBench time.Duration
	reference bool // also measure the minimal proxy (cmd/gbbench/floorproxy)
	custom    bool // a flag narrowed or changed the default plan
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	fs := flag.NewFlagSet("gbbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	quick := fs.Bool("quick", false, "about one minute: fewer scenarios and concurrencies, 2s per measurement")
	dur := fs.Duration("duration", 0, "length of each measurement (default 3s, 2s with -quick)")
	warm := fs.Duration("warmup", 0, "warm-up before each measurement, not recorded (default 500ms, 300ms with -quick)")
	scen := fs.String("scenarios", "", "comma-separated scenarios (default all; -quick: native-generate,native-stream,openai-chat):\n"+names(allScenarios))
	prof := fs.String("profiles", "", "comma-separated upstream profiles: fast,realistic (default both)")
	conc := fs.String("concurrency", "", "comma-separated concurrencies for every profile (default 1,16,64,256; -quick: fast 1,64 and realistic 256)")
	jsonOut := fs.String("json", "", "also write the results as JSON to this file")
	bin := fs.String("gbserver", "", "use this gbserver binary instead of building ./cmd/gbserver")
	hold := fs.Int("hold", -1, "open this many concurrent streams through the gateway and report its RSS (default 4000; 0 with -quick)")
	keys := fs.Int("keys", 20, "API keys in the gateway's pool")
	ref := fs.Bool("reference", true, "also measure the smallest Go proxy (net/http + httputil.ReverseProxy) in the gateway's place, native-generate fast c=1,64 and open streams (not with -quick)")
	pick := fs.Duration("pick", -1, "time the key pool's Pick with 100,000 keys under parallel load for this long (default 1s; 0 skips)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: gbbench [flags]\n\nMeasures gb against the simulated Gemini API, straight and through the gateway.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	o2custom := false
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "duration", "warmup", "scenarios", "profiles", "concurrency", "hold", "pick":
			o2custom = true
		}
	})
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	o := &options{custom: o2custom, quick: *quick, duration: *dur, warmup: *warm, jsonOut: *jsonOut, gbserver: *bin, hold: *hold, keys: *keys, pickBench: *pick, reference: *ref}
	if o.duration <= 0 {
		o.duration = 3 * time.Second
		if o.quick {
			o.duration = 2 * time.Second
		}
	}
	if o.warmup <= 0 {
		o.warmup = 500 * time.Millisecond
		if o.quick {
			o.warmup = 300 * time.Millisecond
		}
	}
	if o.hold < 0 {
		o.hold = 4000
		if o.quick {
			o.hold = 0
		}
	}
	if o.pickBench < 0 {
		o.pickBench = time.Second
	}
	if o.quick {
		o.reference = false
	}
	if o.keys < 1 {
		return nil, errors.New("-keys must be at least 1")
	}
	sel := *scen
	if sel == "" && o.quick {
		sel = "native-generate,native-stream,openai-chat"
	}
	if sel == "" {
		o.scenarios = allScenarios
	} else {
		for _, n := range splitList(sel) {
			i := slices.IndexFunc(allScenarios, func(s scenario) bool { return s.Name == n })
			if i < 0 {
				return nil, fmt.Errorf("unknown scenario %q (have %s)", n, names(allScenarios))
			}
			o.scenarios = append(o.scenarios, allScenarios[i])
		}
	}
	if *prof == "" {
		o.profiles = allProfiles
	} else {
		for _, n := range splitList(*prof) {
			i := slices.IndexFunc(allProfiles, func(p profile) bool { return p.Name == n })
			if i < 0 {
				return nil, fmt.Errorf("unknown profile %q (have fast, realistic)", n)
			}
			o.profiles = append(o.profiles, allProfiles[i])
		}
	}
	if *conc != "" {
		for _, s := range splitList(*conc) {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 || n > 4096 {
				return nil, fmt.Errorf("bad concurrency %q (1..4096)", s)
			}
			o.conc = append(o.conc, n)
		}
	}
	return o, nil
}

func names(ss []scenario) string {
	var n []string
	for _, s := range ss {
		n = append(n, s.Name)
	}
	return strings.Join(n, ",")
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// concurrencies returns the concurrency levels measured for p.
func (o *options) concurrencies(p profile) []int {
	if o.conc != nil {
		return o.conc
	}
	if o.quick {
		if p.Name == "fast" {
			return []int{1, 64}
		}
		return []int{256}
	}
	return []int{1, 16, 64, 256}
}

// row is one scenario × profile × concurrency.
type row struct {
	Scenario    string      `json:"scenario"`
	Profile     string      `json:"profile"`
	Concurrency int         `json:"concurrency"`
	Status      string      `json:"status"` // "ok", "n/a (route missing)", or an error
	Direct      *sideResult `json:"direct,omitempty"`
	Gateway     *sideResult `json:"gateway,omitempty"`
	Ratio       float64     `json:"throughput_ratio,omitempty"`
	AddedP50Ms  float64     `json:"added_p50_ms"`
	AddedP99Ms  float64     `json:"added_p99_ms"`
	AddedTTFBMs float64     `json:"added_ttfb_p50_ms,omitempty"`
}

// logCheck is the request-logging result of one gateway process.
type logCheck struct {
	Profile        string `json:"profile"`
	Sent           int64  `json:"requests_sent"` // successful requests through the gateway, warm-ups included
	Written        int64  `json:"rows_written"`  // rows in gb_request_logs
	Dropped        int64  `json:"rows_missing"`  // Sent - Written
	ReportedByStop int64  `json:"reported_written"`
}

// holdResult is the open-streams memory measurement.
type holdResult struct {
	Streams        int     `json:"streams"`
	Opened         int     `json:"opened"`
	BaselineMB     float64 `json:"baseline_rss_mb"`
	RSSMB          float64 `json:"rss_mb"`
	PeakMB         float64 `json:"peak_rss_mb"`
	KBPerStream    float64 `json:"kb_per_stream"`
	Projected10kMB float64 `json:"projected_10k_mb"`
	Error          string  `json:"error,omitempty"`
}

// report is everything a run measured.
type report struct {
	Started   time.Time   `json:"started"`
	Machine   machine     `json:"machine"`
	Quick     bool        `json:"quick"`
	Custom    bool        `json:"custom"`
	Duration  string      `json:"duration"`
	Warmup    string      `json:"warmup"`
	Keys      int         `json:"keys"`
	Rows      []*row      `json:"rows"`
	Logs      []logCheck  `json:"request_logs"`
	Hold      *holdResult `json:"open_streams,omitempty"`
	Reference *reference  `json:"reference,omitempty"`
	PickNs    float64     `json:"key_pick_ns_100k,omitempty"`
	Checks    []checkLine `json:"checks"`
	TotalSecs float64     `json:"total_seconds"`
}

type machine struct {
	CPUs      int    `json:"cpus"`
	CPUModel  string `json:"cpu_model"`
	GoVersion string `json:"go_version"`
	OS        string `json:"os"`
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	began := time.Now()
	tmp, err := os.MkdirTemp("", "gbbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	bin := o.gbserver
	if bin == "" {
		fmt.Fprintln(stderr, "gbbench: building ./cmd/gbserver …")
		if bin, err = buildGateway(ctx, tmp); err != nil {
			return err
		}
	}
	rep := &report{Started: began, Machine: thisMachine(), Quick: o.quick, Custom: o.custom, Duration: o.duration.String(), Warmup: o.warmup.String(), Keys: o.keys}

	for i, p := range o.profiles {
		if err := runProfile(ctx, o, bin, filepath.Join(tmp, "gw-"+p.Name+strconv.Itoa(i)), p, rep, stderr); err != nil {
			return err
		}
	}
	if o.hold > 0 && ctx.Err() == nil {
		fmt.Fprintf(stderr, "gbbench: holding %d concurrent streams open through the gateway …\n", o.hold)
		rep.Hold = holdStreams(ctx, bin, filepath.Join(tmp, "gw-hold"), o.hold, o.keys)
	}
	if o.reference && ctx.Err() == nil {
		fmt.Fprintln(stderr, "gbbench: measuring the reference proxy (cmd/gbbench/floorproxy) …")
		ref, err := runReference(ctx, o, tmp, stderr)
		if err != nil {
			return err
		}
		rep.Reference = ref
	}
	if o.pickBench > 0 && ctx.Err() == nil {
		rep.PickNs = timePick(o.pickBench)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	rep.Checks = checks(rep)
	rep.TotalSecs = time.Since(began).Seconds()
	printReport(stdout, rep)
	if o.jsonOut != "" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(o.jsonOut, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// reference holds the measurements of the minimal proxy.
type reference struct {
	// What is the proxy measured.
	What string      `json:"what"`
	Rows []*row      `json:"rows"`
	Hold *holdResult `json:"open_streams,omitempty"`
	// SimRows compare the simulator in gbbench's process (direct) with
	// the same simulator alone in a child process (gateway columns).
	SimRows []*row `json:"simulator_in_own_process"`
}

// runReference measures cmd/gbbench/floorproxy in the gateway's place:
// native-generate against the fast profile at c=1 and c=64, and open
// streams when o.hold is set. It shows what any Go proxy built on net/http
// costs on this machine, so the gateway's figures can be read against it.
func runReference(ctx context.Context, o *options, tmp string, stderr io.Writer) (*reference, error) {
	bin, err := buildPackage(ctx, tmp, "./cmd/gbbench/floorproxy", "floorproxy")
	if err != nil {
		return nil, err
	}
	ref := &reference{What: "net/http server + httputil.ReverseProxy (net/http Transport), no key pool, no logging"}
	sim := geminitest.NewServer(geminitest.Options{StreamEvents: streamEvents, AcceptAnyKey: true, DisableRecording: true})
	defer sim.Close()
	px, err := startGateway(ctx, bin, filepath.Join(tmp, "ref"), sim.URL, o.keys)
	if err != nil {
		return nil, err
	}
	sc := allScenarios[slices.IndexFunc(allScenarios, func(s scenario) bool { return s.Name == "native-generate" })]
	pxT := target{URL: px.URL + sc.Path, Body: []byte(sc.Body), Header: http.Header{"Content-Type": {"application/json"}, "X-Goog-Api-Key": {benchToken}}}
	dT := target{URL: sim.URL + sc.DirectPath, Body: []byte(sc.DirectBody), Header: http.Header{"Content-Type": {"application/json"}, "X-Goog-Api-Key": {directKey}}}
	ref.Rows = measureRef(ctx, o, sc, dT, pxT, px, sim, func(r *row) {
		fmt.Fprintf(stderr, "gbbench: reference %-18s c=%-3d direct %8.0f rps  proxy %8.0f rps  ratio %.2f  cpu %5.0f µs/req\n",
			sc.Name, r.Concurrency, r.Direct.RPS, r.Gateway.RPS, r.Ratio, r.Gateway.CPUMicrosReq)
	})
	px.kill()
	// The simulator alone in its own process: what one hop between
	// processes costs on this machine, with no proxy at all.
	sp, err := startGateway(ctx, bin, filepath.Join(tmp, "ref-sim"), sim.URL, o.keys, "FLOOR_SIM=1", "FLOOR_SIM_EVENTS="+strconv.Itoa(streamEvents))
	if err != nil {
		return nil, err
	}
	spT := dT
	spT.URL = sp.URL + sc.DirectPath
	ref.SimRows = measureRef(ctx, o, sc, dT, spT, sp, sim, func(r *row) {
		fmt.Fprintf(stderr, "gbbench: reference simulator in its own process c=%-3d in-process %8.0f rps  own process %8.0f rps  p50 +%.3f ms\n",
			r.Concurrency, r.Direct.RPS, r.Gateway.RPS, r.AddedP50Ms)
	})
	sp.kill()
	if o.hold > 0 && ctx.Err() == nil {
		ref.Hold = holdStreams(ctx, bin, filepath.Join(tmp, "ref-hold"), o.hold, o.keys)
	}
	return ref, ctx.Err()
}

// measureRef measures direct (dT) against other (t, served by proc) for sc
// at c=1 and c=64, reporting each row as it is done.
func measureRef(ctx context.Context, o *options, sc scenario, dT, t target, proc *gatewayProc, sim *geminitest.Server, report func(*row)) []*row {
	var rows []*row
	for _, c := range []int{1, 64} {
		if ctx.Err() != nil {
			break
		}
		r := &row{Scenario: sc.Name, Profile: "fast", Concurrency: c, Status: "ok"}
		r.compare(measure(ctx, dT, c, o, nil, nil), measure(ctx, t, c, o, proc, sim), sc.Stream)
		rows = append(rows, r)
		report(r)
	}
	return rows
}

// compare records both sides of a row and the figures derived from them.
func (r *row) compare(direct, gateway *sideResult, stream bool) {
	r.Direct, r.Gateway = direct, gateway
	if direct.RPS > 0 {
		r.Ratio = gateway.RPS / direct.RPS
	}
	r.AddedP50Ms = gateway.P50Ms - direct.P50Ms
	r.AddedP99Ms = gateway.P99Ms - direct.P99Ms
	if stream {
		r.AddedTTFBMs = gateway.TTFBP50Ms - direct.TTFBP50Ms
	}
}

// runProfile starts a simulator with p's behaviour and a gateway in front
// of it, measures every scenario and concurrency, and checks the logs.
func runProfile(ctx context.Context, o *options, bin, workDir string, p profile, rep *report, stderr io.Writer) error {
	sim := geminitest.NewServer(geminitest.Options{
		Latency: p.Latency, EventInterval: p.Interval, StreamEvents: streamEvents,
		AcceptAnyKey: true, DisableRecording: true,
	})
	defer sim.Close()
	gw, err := startGateway(ctx, bin, workDir, sim.URL, o.keys)
	if err != nil {
		return err
	}
	stopped := false
	defer func() {
		if !stopped {
			gw.kill()
		}
	}()
	var sent int64
	for _, sc := range o.scenarios {
		gwT := target{URL: gw.URL + sc.Path, Body: []byte(sc.Body), Stream: sc.Stream, Header: http.Header{"Content-Type": {"application/json"}}}
		if sc.OpenAI {
			gwT.Header.Set("Authorization", "Bearer "+benchToken)
		} else {
			gwT.Header.Set("x-goog-api-key", benchToken)
		}
		dT := target{URL: sim.URL + sc.DirectPath, Body: []byte(sc.DirectBody), Stream: sc.Stream,
			Header: http.Header{"Content-Type": {"application/json"}, "X-Goog-Api-Key": {directKey}}}
		status, ok := probe(ctx, gwT)
		if ok {
			sent++
		}
		for _, c := range o.concurrencies(p) {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			r := &row{Scenario: sc.Name, Profile: p.Name, Concurrency: c, Status: status}
			rep.Rows = append(rep.Rows, r)
			if !ok {
				fmt.Fprintf(stderr, "gbbench: %-18s %-9s c=%-3d %s\n", sc.Name, p.Name, c, status)
				continue
			}
			r.compare(measure(ctx, dT, c, o, nil, nil), measure(ctx, gwT, c, o, gw, sim), sc.Stream)
			sent += int64(r.Gateway.AllOK)
			fmt.Fprintf(stderr, "gbbench: %-18s %-9s c=%-3d direct %8.0f rps  gateway %8.0f rps  ratio %.2f  cpu %5.0f µs/req  errs %d/%d\n",
				sc.Name, p.Name, c, r.Direct.RPS, r.Gateway.RPS, r.Ratio, r.Gateway.CPUMicrosReq, r.Direct.Errors, r.Gateway.Errors)
		}
	}
	stopped = true
	if err := gw.stop(); err != nil {
		fmt.Fprintf(stderr, "gbbench: gbserver (%s) stopped with %v\n%s", p.Name, err, gw.stderr.String())
	}
	lc := logCheck{Profile: p.Name, Sent: sent, ReportedByStop: gw.reportedWritten()}
	n, err := gw.logRows()
	if err != nil {
		fmt.Fprintf(stderr, "gbbench: counting request logs: %v\n", err)
		n = -1
	}
	lc.Written = n
	if n >= 0 {
		lc.Dropped = sent - n
	}
	rep.Logs = append(rep.Logs, lc)
	return nil
}

// probe sends one request to decide whether a route exists: 404 means
// "n/a (route missing)"; any other failure is reported as the row status.
func probe(ctx context.Context, t target) (string, bool) {
	c := newClient(1)
	defer c.CloseIdleConnections()
	s := &sample{}
	oneRequest(ctx, c, t, s, make([]byte, 32<<10), 0, false)
	if s.okRequests == 1 {
		return "ok", true
	}
	if strings.HasPrefix(s.firstErr, "status 404") {
		return "n/a (route missing)", false
	}
	msg := s.firstErr
	if len(msg) > 120 {
		msg = msg[:120] + "…"
	}
	return "failed: " + msg, false
}

// measure warms up, then records one measurement of t at concurrency c.
// With gw set, it also samples the gateway's CPU, memory and the
// simulator's connection count around the recorded phase.
func measure(ctx context.Context, t target, c int, o *options, gw *gatewayProc, sim *geminitest.Server) *sideResult {
	client := newClient(c)
	defer client.CloseIdleConnections()
	expect := 0
	if t.Stream {
		expect = streamEvents
	}
	perWorker := int(200_000*o.duration.Seconds())/c + 1000
	warm, _ := phase(ctx, client, t, c, o.warmup, perWorker, expect, false)
	if gw != nil {
		// Warm means the gateway's upstream pool has stopped growing: at
		// high concurrency the peak of simultaneous upstream calls is
		// reached only now and then. Keep warming in short slices until
		// the upstream connections open reach the concurrency (the pool
		// cannot grow further) or two slices in a row opened none; at
		// most 12 slices.
		quiet := 0
		for range 12 {
			if sim.Connections()-sim.ConnectionsClosed() >= c || quiet == 2 {
				break
			}
			n := sim.Connections()
			more, _ := phase(ctx, client, t, c, 250*time.Millisecond, perWorker, expect, false)
			warm = append(warm, more...)
			if sim.Connections() == n {
				quiet++
			} else {
				quiet = 0
			}
		}
	}
	var (
		cpu0    time.Duration
		conn0   int
		closed0 int
		sys0    int64
	)
	if gw != nil {
		resetPeakRSS(gw.pid())
		cpu0, _ = procCPU(gw.pid())
		sys0 = procSyscalls(gw.pid())
		conn0, closed0 = sim.Connections(), sim.ConnectionsClosed()
	}
	samples, wall := phase(ctx, client, t, c, o.duration, perWorker, expect, true)
	r := summarize(samples, wall, t.Stream, expect)
	for _, s := range append(warm, samples...) {
		r.AllOK += s.okRequests
	}
	if gw != nil {
		cpu1, _ := procCPU(gw.pid())
		r.UpstreamConns = sim.Connections() - conn0
		r.UpstreamClosed = sim.ConnectionsClosed() - closed0
		r.CPUSeconds = (cpu1 - cpu0).Seconds()
		if r.Requests > 0 {
			r.CPUMicrosReq = r.CPUSeconds * 1e6 / float64(r.Requests)
			if sys1 := procSyscalls(gw.pid()); sys0 >= 0 && sys1 >= 0 {
				r.SyscallsReq = float64(sys1-sys0) / float64(r.Requests)
			}
		}
		rss, hwm, _ := procMem(gw.pid())
		r.RSSMB, r.PeakRSSMB = mb(rss), mb(hwm)
	}
	return r
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }

func thisMachine() machine {
	m := machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
}
