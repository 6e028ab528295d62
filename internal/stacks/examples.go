package stacks

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/wcp-project/wcp/client"
)

// Example is one of the complete WCP/1 servers of examples/, for tests that
// need a real WCP server on another stack (the load generator's sender).
type Example struct {
	// Name is "python" or "node", the folder under examples/.
	Name string
}

// Examples returns the example servers.
func Examples() []Example { return []Example{{Name: "python"}, {Name: "node"}} }

// Start runs the example on a free port of 127.0.0.1 with its database in
// t's temporary directory, waits for GET /healthz, and returns its base
// URL. Like Stack.Start it skips (fails under CI) when the stack is missing,
// and its cleanup stops the process group.
func (e Example) Start(t testing.TB) string {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "examples", e.Name)
	var bin, script string
	switch e.Name {
	case "python":
		if err := pythonReady(); err != nil {
			unavailable(t, "python example unavailable (%v); install Debian's packages: apt-get install python3-socketio python3-aiohttp", err)
		}
		bin, script = pythonBin, "server.py"
	case "node":
		if bin, err = exec.LookPath("node"); err != nil {
			unavailable(t, "node example unavailable: no node on PATH")
		}
		if _, err := os.Stat(filepath.Join(dir, "node_modules", "better-sqlite3", "package.json")); err != nil {
			unavailable(t, "node example unavailable: run npm ci --prefix examples/node")
		}
		script = "server.mjs"
	default:
		t.Fatalf("no example %q", e.Name)
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	out := &output{ready: make(chan string, 1)}
	cmd := exec.Command(bin, script, "--port", strconv.Itoa(port), "--db", filepath.Join(t.TempDir(), "wcp.db"))
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = out, out
	setProcessGroup(cmd)
	cmd.WaitDelay = time.Second
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s example: %v", e.Name, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		terminateProcessGroup(cmd)
		select {
		case <-exited:
		case <-time.After(stopTimeout):
			killProcessGroup(cmd)
			<-exited
		}
		if t.Failed() {
			t.Logf("%s example output:\n%s", e.Name, out.String())
		}
	})
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	if err := client.WaitHealthy(context.Background(), base, startTimeout, exited); err != nil {
		t.Fatalf("%s example: %v\n%s", e.Name, err, out.String())
	}
	return base
}

// freePort asks the kernel for a port that is free now; the example binds
// it a moment later (the examples take no port 0).
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
