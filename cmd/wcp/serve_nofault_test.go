//go:build !wcpfault

package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestServeHasNoFaultFlag: a normal build cannot be told to break the
// protocol or to slow down on purpose; only -tags wcpfault adds --fault and
// --ack-delay (serve_fault.go).
func TestServeHasNoFaultFlag(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"--fault", "no-revoke"}, {"--ack-delay", "2ms"}} {
		var out bytes.Buffer
		err := run(context.Background(), append([]string{"serve", "--addr", "127.0.0.1:0", "--db", ":memory:"}, args...), &out, &out)
		if err == nil || !strings.Contains(err.Error(), "unknown flag: "+args[0]) {
			t.Fatalf("wcp serve %s in a normal build: %v, want unknown flag\n%s", args[0], err, out.String())
		}
	}
}
