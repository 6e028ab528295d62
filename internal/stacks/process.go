package stacks

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	// startTimeout bounds the wait for the `listening on` line; Python's
	// imports take about half a second on a quiet machine.
	startTimeout = 30 * time.Second
	// stopTimeout is how long a fixture gets to exit after SIGTERM before
	// its process group is killed.
	stopTimeout = 5 * time.Second
)

// pythonBin is Debian's interpreter, the one with python3-socketio and
// python3-aiohttp: the python3 first on PATH may be another one (pyenv).
const pythonBin = "/usr/bin/python3"

// pythonReady checks once per test binary that pythonBin imports the
// fixture's packages.
var pythonReady = sync.OnceValue(func() error {
	out, err := exec.Command(pythonBin, "-c", "import socketio, aiohttp").CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s -c 'import socketio, aiohttp': %w: %s", pythonBin, err, bytes.TrimSpace(out))
	}
	return nil
})

func startPython(t testing.TB) string {
	t.Helper()
	if err := pythonReady(); err != nil {
		unavailable(t, "python fixture unavailable (%v); install Debian's packages: apt-get install python3-socketio python3-aiohttp", err)
	}
	dir := fixtureDir(t, "python")
	return startProcess(t, "python", dir, pythonBin, "server.py", "--port", "0")
}

func startNode(t testing.TB) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		unavailable(t, "node fixture unavailable: no node on PATH; install Node.js 20 (e.g. apt-get install nodejs npm)")
	}
	dir := fixtureDir(t, "node")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "socket.io", "package.json")); err != nil {
		unavailable(t, "node fixture unavailable: socket.io is not installed in %s; run: npm ci --prefix testdata/stacks/node", dir)
	}
	return startProcess(t, "node", dir, node, "server.mjs", "--port", "0")
}

// startProcess runs a fixture in dir, in its own process group, and returns
// the URL of its `listening on` line. Its cleanup sends SIGTERM to the group,
// kills it if it lingers, waits for the process, and reports an unclean exit.
func startProcess(t testing.TB, name, dir, bin string, args ...string) string {
	t.Helper()
	out := &output{ready: make(chan string, 1)}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = (*stdout)(out), out
	// Its own process group, so that cleanup reaches any child it starts.
	setProcessGroup(cmd)
	// Bounds Wait should a grandchild keep the output pipes open.
	cmd.WaitDelay = time.Second
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s fixture: start %s: %v", name, bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	var stopped bool
	var exitErr error
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		terminateProcessGroup(cmd)
		select {
		case exitErr = <-exited:
		case <-time.After(stopTimeout):
			killProcessGroup(cmd)
			exitErr = errors.Join(fmt.Errorf("no exit %v after SIGTERM", stopTimeout), <-exited)
		}
	}
	t.Cleanup(func() {
		stop()
		if exitErr != nil {
			t.Errorf("%s fixture: unclean exit: %v", name, exitErr)
		}
		if t.Failed() {
			t.Logf("%s fixture output:\n%s", name, out.String())
		}
	})

	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	var line string
	select {
	case line = <-out.ready:
	case err := <-exited:
		stopped, exitErr = true, nil // reported here, not again by the cleanup
		t.Fatalf("%s fixture exited before listening: %v", name, err)
	case <-timer.C:
		t.Fatalf("%s fixture: no `listening on` line within %v", name, startTimeout)
	}
	base, err := parseListening(line)
	if err != nil {
		t.Fatalf("%s fixture: %v", name, err)
	}
	return base
}

// parseListening checks the fixture's first stdout line and returns its URL.
func parseListening(line string) (string, error) {
	rest, ok := strings.CutPrefix(line, "listening on ")
	if !ok {
		return "", fmt.Errorf("first stdout line %q is not `listening on URL`", line)
	}
	u, err := url.Parse(rest)
	if err != nil || u.Scheme != "http" || u.Hostname() != "127.0.0.1" || u.Port() == "" || u.Path != "" {
		return "", fmt.Errorf("first stdout line %q: want `listening on http://127.0.0.1:PORT`", line)
	}
	return rest, nil
}

// output collects a fixture's stdout and stderr for the test log, and hands
// the first stdout line to ready.
type output struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	pending []byte // stdout before its first newline
	ready   chan string
	seen    bool // the first stdout line went to ready
}

// Write takes stderr.
func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.Write(p)
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// stdout is the output's stdout side, which also watches for the first line.
type stdout output

func (s *stdout) Write(p []byte) (int, error) {
	o := (*output)(s)
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.seen {
		o.pending = append(o.pending, p...)
		if line, _, ok := bytes.Cut(o.pending, []byte("\n")); ok {
			o.seen = true
			o.ready <- string(line) // buffered, and sent once
			o.pending = nil
		}
	}
	return o.buf.Write(p)
}
