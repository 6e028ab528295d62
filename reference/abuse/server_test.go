package abuse

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// testLimits are the limits every attack's server runs with unless the
// attack says otherwise: small enough that each limit bites within a
// second or two, large enough that the honest client never meets one.
var testLimits = []string{
	"--max-conns=4000",
	"--max-pending-handshakes=500",
	"--handshake-timeout=2s",
	"--read-timeout=2s",
	"--write-timeout=2s",
	"--session-buffer=1048576",
	"--session-burst=8388608", // the default
	"--burst-grace=2s",        // the default
	"--slow-after=2s",
	"--replay-page=50",
	"--writer-queue=1000",
}

// server is one `wcp serve` child process.
type server struct {
	url  string
	pid  int
	http *http.Client // for /metrics: a transport of its own, closed at the end
	logs *syncBuffer  // its stderr
	stop func()       // SIGTERM, wait; idempotent
}

// startServer runs wcp serve on 127.0.0.1 with a temporary database and
// testLimits, flags overriding them (a later flag wins).
func startServer(t testing.TB, flags ...string) *server {
	t.Helper()
	return startServerOn(t, filepath.Join(t.TempDir(), "wcp.db"), flags...)
}

// startServerOn is startServer on the database db. The cleanup stops the
// server with SIGTERM, kills it if it has not exited 10 s later, and fails
// the test then.
func startServerOn(t testing.TB, db string, flags ...string) *server {
	t.Helper()
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--db", db, "--log-level", "warn"}, testLimits...)
	cmd := exec.Command(wcpBin, append(args, flags...)...)
	logs := &syncBuffer{}
	cmd.Stderr = logs
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.WaitDelay = time.Second // should the pipes outlive the process
	if err := cmd.Start(); err != nil {
		t.Fatalf("start wcp serve: %v", err)
	}
	exited := make(chan error, 1)
	url := make(chan string, 1)
	go func() {
		const prefix = "wcp: serving WCP/1 on "
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), prefix); ok {
				url <- u
			}
		}
		exited <- cmd.Wait()
	}()
	s := &server{pid: cmd.Process.Pid, logs: logs, http: &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{}}}
	var once sync.Once
	s.stop = func() {
		once.Do(func() {
			s.http.CloseIdleConnections()
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-exited:
			case <-time.After(10 * time.Second):
				_ = cmd.Process.Kill()
				<-exited
				t.Errorf("wcp serve did not exit within 10 s of SIGTERM")
			}
		})
	}
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			t.Logf("wcp serve log (last 4 KiB):\n%s", tail(logs.String(), 4096))
		}
	})
	select {
	case s.url = <-url:
	case err := <-exited:
		t.Fatalf("wcp serve exited before listening: %v\n%s", err, logs.String())
	case <-time.After(15 * time.Second):
		t.Fatalf("wcp serve did not say where it listens within 15 s\n%s", logs.String())
	}
	return s
}

// rss is the server's resident set in bytes (VmRSS).
func (s *server) rss() (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no VmRSS in /proc/PID/status")
}

// metrics is one scrape of /metrics: each sample's value by its name with
// labels, as the text format spells them (go_goroutines,
// wcp_limit_refusals_total{limit="conns"}).
type metrics map[string]float64

func (s *server) metrics(ctx context.Context) (metrics, error) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	m := metrics{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			m[line[:i]] = v
		}
	}
	return m, sc.Err()
}

// goroutines is go_goroutines.
func (m metrics) goroutines() int { return int(m["go_goroutines"]) }

// refusals is wcp_limit_refusals_total for one limit (conns,
// pending_handshakes, session_buffer, writer_queue, read_timeout,
// write_timeout).
func (m metrics) refusals(limit string) float64 {
	return m[`wcp_limit_refusals_total{limit="`+limit+`"}`]
}

// syncBuffer collects a process's output for the test log.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}
