package specs

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
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
	"time"

	"github.com/wcp-project/wcp/internal/fault"
	"github.com/wcp-project/wcp/reference"
)

// target is the server under test, as one Ginkgo process sees it.
type target interface {
	// URL is the base URL; it stays the same across restarts.
	URL() string
	// Restart stops the server abruptly and starts it again on the same
	// address with the same data, or returns errNotRestartable.
	Restart(ctx context.Context) error
	// Log is the server's output, or nil when the suite cannot see it.
	Log() *logTail
	// Stop ends the server for good.
	Stop() error
}

var errNotRestartable = errors.New("the suite cannot restart a target given as a URL (WCP_TARGET): run it with WCP_TARGET_CMD or against the embedded reference to check restarts")

func startTarget(ctx context.Context, cfg suiteConfig) (target, error) {
	switch {
	case cfg.Target != "":
		return urlTarget(strings.TrimRight(cfg.Target, "/")), nil
	case cfg.TargetCmd != "":
		return startCmdTarget(ctx, cfg.TargetCmd)
	default:
		f, err := fault.Parse(cfg.Fault)
		if err != nil {
			return nil, fmt.Errorf("WCP_REFERENCE_FAULT: %w", err)
		}
		return startEmbedded(ctx, f)
	}
}

// urlTarget is a server someone else runs; the suite only talks to it.
type urlTarget string

func (u urlTarget) URL() string                 { return string(u) }
func (urlTarget) Restart(context.Context) error { return errNotRestartable }
func (urlTarget) Log() *logTail                 { return nil }
func (urlTarget) Stop() error                   { return nil }

// embeddedTarget is the reference server in this process, on a SQLite file
// so that a restart (Close, then Open on the same file, address and secret)
// keeps what was stored.
type embeddedTarget struct {
	dir string
	cfg reference.Config
	log *logTail
	mu  sync.Mutex
	srv *reference.Server
}

func startEmbedded(ctx context.Context, f fault.Fault) (*embeddedTarget, error) {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "wcp-specs-")
	if err != nil {
		return nil, err
	}
	log := &logTail{}
	t := &embeddedTarget{
		dir: dir,
		cfg: reference.Config{
			Addr:   "127.0.0.1:0",
			DBPath: filepath.Join(dir, "wcp.db"),
			Secret: secret,
			Logger: slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug})),
			Fault:  f,
		},
		log: log,
	}
	// The server outlives the node that starts it: its context must not
	// end it.
	srv, err := reference.Open(context.WithoutCancel(ctx), t.cfg)
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("open the embedded reference: %w", err)
	}
	t.srv = srv
	t.cfg.Addr = srv.Addr() // restarts come back on the same port
	return t, nil
}

func (t *embeddedTarget) URL() string   { return "http://" + t.cfg.Addr }
func (t *embeddedTarget) Log() *logTail { return t.log }

func (t *embeddedTarget) Restart(ctx context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.srv.Close(); err != nil {
		return fmt.Errorf("close the embedded reference: %w", err)
	}
	// The port was ours a moment ago; give the kernel a moment if the
	// rebind races the close.
	var err error
	for range 50 {
		var srv *reference.Server
		if srv, err = reference.Open(context.WithoutCancel(ctx), t.cfg); err == nil {
			t.srv = srv
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("reopen the embedded reference on %s: %w", t.cfg.Addr, err)
}

func (t *embeddedTarget) Stop() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	err := t.srv.Close()
	if rmErr := os.RemoveAll(t.dir); err == nil {
		err = rmErr
	}
	return err
}

// cmdTarget is a server process the suite starts from WCP_TARGET_CMD.
type cmdTarget struct {
	tmpl string
	addr string
	log  *logTail
	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

func startCmdTarget(ctx context.Context, tmpl string) (*cmdTarget, error) {
	if !strings.Contains(tmpl, "{port}") {
		return nil, fmt.Errorf("WCP_TARGET_CMD %q has no {port} placeholder", tmpl)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	t := &cmdTarget{tmpl: tmpl, addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), log: &logTail{}}
	if err := t.start(ctx); err != nil {
		return nil, err
	}
	return t, nil
}

func (t *cmdTarget) URL() string   { return "http://" + t.addr }
func (t *cmdTarget) Log() *logTail { return t.log }

func (t *cmdTarget) start(ctx context.Context) error {
	_, port, _ := net.SplitHostPort(t.addr)
	line := strings.ReplaceAll(t.tmpl, "{port}", port)
	cmd := exec.Command("sh", "-c", line)
	cmd.Stdout, cmd.Stderr = t.log, t.log
	// Its own process group, so kill -9 reaches the server even when the
	// command is a wrapper (sh, go run) that started it as a child.
	setProcessGroup(cmd)
	fmt.Fprintf(t.log, "--- starting: %s\n", line)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("WCP_TARGET_CMD: %w", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.cmd, t.done = cmd, done
	if err := waitHealthy(ctx, t.URL(), 60*time.Second, done); err != nil {
		t.kill()
		return fmt.Errorf("WCP_TARGET_CMD %q: %w\n--- its output:\n%s", line, err, t.log.Since(0))
	}
	return nil
}

func (t *cmdTarget) kill() {
	killProcessGroup(t.cmd)
	select {
	case <-t.done:
	case <-time.After(10 * time.Second):
	}
}

func (t *cmdTarget) Restart(ctx context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.kill() // SIGKILL: MSG-3 promises survival of a crash, not only of a clean stop
	return t.start(ctx)
}

func (t *cmdTarget) Stop() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	terminateProcessGroup(t.cmd)
	select {
	case <-t.done:
	case <-time.After(5 * time.Second):
		t.kill()
	}
	return nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// waitHealthy polls GET /healthz until it answers 200 {"status":"ok"}, the
// timeout passes, or exited is closed (the process died).
func waitHealthy(ctx context.Context, baseURL string, timeout time.Duration, exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	hc := &http.Client{Timeout: time.Second}
	for {
		last := healthz(ctx, hc, baseURL)
		if last == nil {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("the process exited before /healthz answered: %w", last)
		case <-ctx.Done():
			return fmt.Errorf("/healthz not ok within %v: %w", timeout, last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func healthz(ctx context.Context, hc *http.Client, baseURL string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	var v struct {
		Status string `json:"status"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &v) != nil || v.Status != "ok" {
		return fmt.Errorf("GET /healthz: %d %q", resp.StatusCode, body)
	}
	return nil
}

// logTail keeps a server's output (the last 1 MiB) so a failed spec can show
// what the server said while it ran.
type logTail struct {
	mu   sync.Mutex
	buf  []byte
	base int // bytes dropped from the front so far
}

const logTailMax = 1 << 20

func (l *logTail) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	if over := len(l.buf) - logTailMax; over > 0 {
		l.buf = append(l.buf[:0], l.buf[over:]...)
		l.base += over
	}
	return len(p), nil
}

// Mark is a position to pass to Since later.
func (l *logTail) Mark() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.base + len(l.buf)
}

// Since returns what was written after mark, at most its last 16 KiB.
func (l *logTail) Since(mark int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	from := max(mark-l.base, 0)
	out := l.buf[min(from, len(l.buf)):]
	if len(out) > 16<<10 {
		out = out[len(out)-16<<10:]
	}
	return string(out)
}
