package harness

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wcp-project/wcp/client"
)

// cmdTarget is a server process the suite starts from WCP_TARGET_CMD.
type cmdTarget struct {
	tmpl string
	addr string
	dir  string // {dir}: the server's own directory, kept across restarts, removed by Stop
	log  *LogTail
	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

// startCmdTarget starts tmpl with {port} replaced by a free port of
// 127.0.0.1 and {dir} by a new temporary directory (Config.Validate has
// checked that tmpl has {port}).
func startCmdTarget(ctx context.Context, tmpl string) (*cmdTarget, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	// A directory of the target's own for {dir}, so a command can keep
	// its data where restarts find it and no two processes collide.
	dir, err := os.MkdirTemp("", "wcp-target-")
	if err != nil {
		return nil, fmt.Errorf("WCP_TARGET_CMD: a directory for {dir}: %w", err)
	}
	t := &cmdTarget{tmpl: tmpl, addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), dir: dir, log: &LogTail{}}
	if err := t.start(ctx); err != nil {
		return nil, errors.Join(err, t.removeDir())
	}
	return t, nil
}

func (t *cmdTarget) URL() string   { return "http://" + t.addr }
func (t *cmdTarget) Log() *LogTail { return t.log }

func (t *cmdTarget) start(ctx context.Context) error {
	_, port, _ := net.SplitHostPort(t.addr)
	line := strings.NewReplacer("{port}", port, "{dir}", t.dir).Replace(t.tmpl)
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
	if err := client.WaitHealthy(ctx, t.URL(), 60*time.Second, done); err != nil {
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
	return t.removeDir()
}

func (t *cmdTarget) removeDir() error {
	if err := os.RemoveAll(t.dir); err != nil {
		return fmt.Errorf("WCP_TARGET_CMD: remove its directory {dir}: %w", err)
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
