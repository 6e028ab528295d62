package faultcheck

import (
	"context"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// buildServer compiles the reference server's command, the stand-in here
// for "any WCP/1 server" started from outside the suite.
func buildServer(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "wcp")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/wcp-project/wcp/cmd/wcp").CombinedOutput(); err != nil {
		t.Fatalf("build cmd/wcp: %v\n%s", err, out)
	}
	return bin
}

// TestTargets checks the suite's other two target kinds: a command it
// starts itself (and kills with SIGKILL for MSG-3), and a URL it may only
// talk to (MSG-3 skipped, with the reason).
func TestTargets(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the spec suite; skipped with -short")
	}
	specs, server := buildSpecs(t), buildServer(t)

	t.Run("WCP_TARGET_CMD restarts with kill -9", func(t *testing.T) {
		db := filepath.Join(t.TempDir(), "wcp-{port}.db")
		res := runSpecs(t, specs, []string{"WCP_TARGET_CMD=" + server + " serve --addr 127.0.0.1:{port} --db " + db}, "MSG-3 || OWN-4")
		if res.err != nil {
			t.Fatalf("suite failed against WCP_TARGET_CMD: %v\n%s", res.err, res.tail())
		}
		if got := res.rule("MSG-3"); got != "passed" {
			t.Errorf("MSG-3 is %s with a restartable command target, want passed", got)
		}
	})

	t.Run("WCP_TARGET skips restarts", func(t *testing.T) {
		url := startServer(t, server)
		res := runSpecs(t, specs, []string{"WCP_TARGET=" + url}, "MSG-3 || OWN-4")
		if res.err != nil {
			t.Fatalf("suite failed against WCP_TARGET: %v\n%s", res.err, res.tail())
		}
		if got := res.rule("MSG-3"); got != "skipped" {
			t.Errorf("MSG-3 is %s against a URL target, want skipped", got)
		}
		if got := res.rule("OWN-4"); got != "passed" {
			t.Errorf("OWN-4 is %s against a URL target, want passed", got)
		}
	})

	t.Run("a fault with another target is refused", func(t *testing.T) {
		url := startServer(t, server)
		res := runSpecs(t, specs, []string{"WCP_TARGET=" + url, "WCP_REFERENCE_FAULT=no-revoke"}, "OWN-4")
		if res.err == nil {
			t.Fatal("the suite ran a fault against a server it does not control")
		}
	})
}

// startServer runs the server binary on a free port until the test ends.
func startServer(t *testing.T, bin string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "serve", "--addr", addr, "--db", filepath.Join(t.TempDir(), "wcp.db"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	url := "http://" + addr
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/healthz", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return url
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("server on %s not healthy in time", addr)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
