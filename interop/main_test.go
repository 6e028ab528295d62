package interop_test

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/wcp-project/wcp/reference"
)

// unavailable skips t because a stack is missing, or fails it under CI,
// which installs every stack and must not pass by skipping.
func unavailable(t *testing.T, msg string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// runFlow runs a client flow (cmd in dir, given the reference's URL as its
// first argument after args) against a fresh in-memory reference, and fails
// t when the flow exits non-zero.
func runFlow(t *testing.T, dir string, env []string, name string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	srv, err := reference.Open(ctx, reference.Config{Addr: "127.0.0.1:0", DBPath: ":memory:"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	cmd := exec.CommandContext(ctx, name, append([]string{args[0], srv.URL()}, args[1:]...)...)
	cmd.Dir = dir
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	t.Logf("%s %s:\n%s", name, args[0], out)
	if err != nil {
		t.Fatalf("the %s flow failed: %v", dir, err)
	}
}
