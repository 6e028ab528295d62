package reference_test

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestMain fails the run when goroutines are left over after every test has
// closed its servers and sessions.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 && !leakFree(10*time.Second) {
		fmt.Fprintln(os.Stderr, "goroutines left after all tests:")
		fmt.Fprintln(os.Stderr, strings.Join(interesting(), "\n\n"))
		code = 1
	}
	os.Exit(code)
}

// leakFree waits for every goroutine but the test runner's own to end.
func leakFree(wait time.Duration) bool {
	deadline := time.Now().Add(wait)
	for {
		if len(interesting()) == 0 {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func interesting() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "testing.(*M).Run") || strings.Contains(g, "leakFree") ||
			strings.Contains(g, "os/signal.signal_recv") || strings.Contains(g, "os/signal.loop") ||
			strings.Contains(g, "runtime.ensureSigM") || strings.Contains(g, "testing.runFuzzing") ||
			strings.Contains(g, "runtime/trace") || strings.TrimSpace(g) == "" ||
			strings.Contains(g, "main.main()") ||
			// The Socket.IO client package's network monitor, started by its
			// package init (goroutine 1) for the life of the process.
			strings.Contains(g, "utils.SetInterval in goroutine 1\n") {
			continue
		}
		out = append(out, g)
	}
	return out
}
