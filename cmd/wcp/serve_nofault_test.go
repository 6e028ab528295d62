//go:build !wcpfault

package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestServeHasNoFaultFlag: a normal build cannot be told to break the
// protocol; only -tags wcpfault adds --fault (serve_fault.go).
func TestServeHasNoFaultFlag(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	err := run(context.Background(), []string{"serve", "--fault", "no-revoke", "--addr", "127.0.0.1:0", "--db", ":memory:"}, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "unknown flag: --fault") {
		t.Fatalf("wcp serve --fault in a normal build: %v, want unknown flag\n%s", err, out.String())
	}
}
