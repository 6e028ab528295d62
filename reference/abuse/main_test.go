package abuse

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// wcpBin is the wcp binary the tests run: $WCP_BIN, or one TestMain builds
// for this test process and removes afterwards, with the history database
// (seed).
var wcpBin string

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "wcp-abuse-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	seed.dir = dir
	if wcpBin = os.Getenv("WCP_BIN"); wcpBin == "" {
		wcpBin = filepath.Join(dir, "wcp")
		build := exec.Command("go", "build", "-o", wcpBin, "github.com/wcp-project/wcp/cmd/wcp")
		if out, err := build.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "go build wcp: %v\n%s", err, out)
			return 1
		}
	}
	code := m.Run()
	if code == 0 {
		if left := leftovers(10 * time.Second); len(left) > 0 {
			fmt.Fprintf(os.Stderr, "goroutines left after all tests:\n%s\n", strings.Join(left, "\n\n"))
			code = 1
		}
	}
	return code
}

// leftovers waits up to wait for the goroutines the tests started to end,
// and returns the stacks of those that did not.
func leftovers(wait time.Duration) []string {
	deadline := time.Now().Add(wait)
	for {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		var left []string
		for _, g := range strings.Split(string(buf), "\n\n") {
			if strings.TrimSpace(g) == "" || strings.Contains(g, "testing.(*M).Run") ||
				strings.Contains(g, "abuse.leftovers") || strings.Contains(g, "os/signal.") ||
				strings.Contains(g, "runtime.ensureSigM") || strings.Contains(g, "main.main()") {
				continue
			}
			left = append(left, g)
		}
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
		time.Sleep(50 * time.Millisecond)
	}
}
