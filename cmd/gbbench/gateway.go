package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	_ "github.com/mattn/go-sqlite3" // to count the gateway's request-log rows
)

// benchToken is the client token the gateway accepts.
const benchToken = "bench-token"

// clockTick is USER_HZ, the unit of utime and stime in /proc/<pid>/stat
// (100 on every Linux architecture Go supports).
const clockTick = 10 * time.Millisecond

// buildGateway builds ./cmd/gbserver of the module containing the working
// directory into outDir and returns the binary's path.
func buildGateway(ctx context.Context, outDir string) (string, error) {
	return buildPackage(ctx, outDir, "./cmd/gbserver", "gbserver")
}

// buildPackage builds the main package pkg of the module containing the
// working directory into outDir/name and returns the binary's path.
func buildPackage(ctx context.Context, outDir, pkg, name string) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside the gb module: run gbbench from the repository")
	}
	root := filepath.Dir(gomod)
	bin := filepath.Join(outDir, name)
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, pkg)
	cmd.Dir = root
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %w\n%s", pkg, err, msg)
	}
	return bin, nil
}

// gatewayProc is a gbserver child process.
type gatewayProc struct {
	URL    string
	cmd    *exec.Cmd
	dbPath string
	stderr *tailBuffer
	waited chan error
}

// startGateway runs bin serve in its own temporary working directory,
// pointed at upstream (the simulator's base URL, with /v1beta).
func startGateway(ctx context.Context, bin, workDir, upstream string, keys int, extraEnv ...string) (*gatewayProc, error) {
	if err := os.MkdirAll(workDir, 0o755); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	apiKeys := make([]string, keys)
	for i := range apiKeys {
		apiKeys[i] = fmt.Sprintf("AIzaSyBench%028d", i)
	}
	g := &gatewayProc{
		URL:    "http://127.0.0.1:" + strconv.Itoa(port),
		dbPath: filepath.Join(workDir, "data", "bench.db"),
		stderr: &tailBuffer{max: 64 << 10},
		waited: make(chan error, 1),
	}
	g.cmd = exec.Command(bin, "serve")
	g.cmd.Dir = workDir
	g.cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + workDir,
		"BASE_URL=" + upstream + "/v1beta",
		"API_KEYS=" + `["` + strings.Join(apiKeys, `","`) + `"]`,
		"ALLOWED_TOKENS=" + `["` + benchToken + `"]`,
		"HOST=127.0.0.1",
		"PORT=" + strconv.Itoa(port),
		"DATABASE_TYPE=sqlite",
		"SQLITE_DATABASE=bench.db",
		"LOG_LEVEL=ERROR",
	}
	g.cmd.Env = append(g.cmd.Env, extraEnv...)
	// The Go runtime's memory settings, when the operator runs gbbench
	// with them, apply to the gateway too (to measure their effect on RSS).
	for _, k := range []string{"GOGC", "GOMEMLIMIT", "GOMAXPROCS", "GODEBUG"} {
		if v, ok := os.LookupEnv(k); ok {
			g.cmd.Env = append(g.cmd.Env, k+"="+v)
		}
	}
	g.cmd.Stdout = io.Discard
	g.cmd.Stderr = g.stderr
	if err := g.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { g.waited <- g.cmd.Wait() }()
	// Wait for /health.
	c := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case err := <-g.waited:
			g.waited <- err
			return nil, fmt.Errorf("gbserver exited at start: %v\n%s", err, g.stderr.String())
		case <-ctx.Done():
			g.kill()
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		resp, err := c.Get(g.URL + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return g, nil
			}
		}
		if time.Now().After(deadline) {
			g.kill()
			return nil, fmt.Errorf("gbserver not healthy after 20s: %v\n%s", err, g.stderr.String())
		}
	}
}

func (g *gatewayProc) pid() int { return g.cmd.Process.Pid }

func (g *gatewayProc) kill() {
	_ = g.cmd.Process.Kill()
	<-g.waited
}

// stop sends SIGTERM and waits for the gateway to flush its logs and exit.
func (g *gatewayProc) stop() error {
	_ = g.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-g.waited:
		return err
	case <-time.After(60 * time.Second):
		g.kill()
		return errors.New("gbserver did not stop within 60s after SIGTERM")
	}
}

// logRows counts the request-log rows the gateway wrote (call after stop).
func (g *gatewayProc) logRows() (int64, error) {
	db, err := sql.Open("sqlite3", "file:"+g.dbPath+"?mode=ro")
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var n int64
	err = db.QueryRow("SELECT COUNT(*) FROM gb_request_logs").Scan(&n)
	return n, err
}

var stoppedLine = regexp.MustCompile(`request_logs_written=(\d+)`)

// reportedWritten is request_logs_written from gbserver's "stopped" line,
// or -1 when the line was not logged (it is Info; LOG_LEVEL=ERROR hides it).
func (g *gatewayProc) reportedWritten() int64 {
	m := stoppedLine.FindStringSubmatch(g.stderr.String())
	if m == nil {
		return -1
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	return n
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// procCPU returns the CPU time (user+system) of pid so far.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("unexpected /proc/pid/stat")
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0, errors.New("short /proc/pid/stat")
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return time.Duration(ut+st) * clockTick, nil
}

// procMem returns VmRSS and VmHWM (peak RSS) of pid in bytes.
func procMem(pid int) (rss, hwm int64, err error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		var dst *int64
		switch {
		case strings.HasPrefix(line, "VmRSS:"):
			dst = &rss
		case strings.HasPrefix(line, "VmHWM:"):
			dst = &hwm
		default:
			continue
		}
		fs := strings.Fields(line)
		if len(fs) >= 2 {
			kb, _ := strconv.ParseInt(fs[1], 10, 64)
			*dst = kb << 10
		}
	}
	return rss, hwm, sc.Err()
}

// procSyscalls returns the read and write system calls pid made so far
// (syscr + syscw of /proc/<pid>/io), or -1 if unreadable.
func procSyscalls(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/io")
	if err != nil {
		return -1
	}
	var n int64
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && (k == "syscr" || k == "syscw") {
			x, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			n += x
		}
	}
	return n
}

// resetPeakRSS resets VmHWM to the current RSS (Linux 4.0+), so each
// measurement reports its own peak. Failure leaves the lifetime peak.
func resetPeakRSS(pid int) bool {
	return os.WriteFile("/proc/"+strconv.Itoa(pid)+"/clear_refs", []byte("5"), 0) == nil
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}
