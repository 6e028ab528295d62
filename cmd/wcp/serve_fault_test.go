package main

import (
	"bufio"
	"bytes"
	"context"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wcp-project/wcp/internal/dockertest"
)

// TestServeFaultBuild: a binary built with -tags wcpfault takes the hidden
// --fault, refuses an unknown one, and says loudly that it breaks the
// protocol.
func TestServeFaultBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds wcp with -tags wcpfault; skipped with -short")
	}
	bin := dockertest.WCPBinary(t, "wcpfault")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	help, err := exec.CommandContext(ctx, bin, "serve", "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("serve --help: %v\n%s", err, help)
	}
	for _, hidden := range []string{"--fault", "--ack-delay"} {
		if bytes.Contains(help, []byte(hidden)) {
			t.Errorf("serve --help shows the hidden %s:\n%s", hidden, help)
		}
	}
	if out, err := exec.CommandContext(ctx, bin, "serve", "--ack-delay", "-1ms", "--addr", "127.0.0.1:0", "--db", ":memory:").CombinedOutput(); err == nil || !strings.Contains(string(out), "must not be negative") {
		t.Errorf("a negative --ack-delay: %v\n%s", err, out)
	}

	out, err := exec.CommandContext(ctx, bin, "serve", "--fault", "no-such-fault", "--addr", "127.0.0.1:0", "--db", ":memory:").CombinedOutput()
	if err == nil || !strings.Contains(string(out), `unknown fault "no-such-fault"`) {
		t.Errorf("an unknown fault: %v\n%s", err, out)
	}

	cmd := exec.CommandContext(ctx, bin, "serve", "--fault", "owner-removable", "--ack-delay", "2ms", "--addr", "127.0.0.1:0", "--db", ":memory:")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The startup line comes after the configuration was applied.
	line, readErr := bufio.NewReader(stdout).ReadString('\n')
	_ = cmd.Process.Signal(syscall.SIGTERM)
	waitErr := cmd.Wait()
	if readErr != nil || !strings.Contains(line, "serving WCP/1") {
		t.Fatalf("--fault owner-removable did not start: %q %v %v\n%s", line, readErr, waitErr, stderr.String())
	}
	if !strings.Contains(stderr.String(), "fault=owner-removable") {
		t.Errorf("a server started with a fault does not say so:\n%s", stderr.String())
	}
	if !strings.Contains(stderr.String(), "ack_delay=2ms") {
		t.Errorf("a server started with an ack delay does not say so:\n%s", stderr.String())
	}
}
