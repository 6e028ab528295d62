package harness

import (
	"context"
	"fmt"
	"net"
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
	log  *LogTail
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
	t := &cmdTarget{tmpl: tmpl, addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), log: &LogTail{}}
	if err := t.start(ctx); err != nil {
		return nil, err
	}
	return t, nil
}

func (t *cmdTarget) URL() string   { return "http://" + t.addr }
func (t *cmdTarget) Log() *LogTail { return t.log }

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
