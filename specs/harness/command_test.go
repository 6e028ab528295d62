package harness_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wcp-project/wcp/internal/dockertest"
	"github.com/wcp-project/wcp/specs/harness"
)

// TestCommandTargetDir: {dir} is a directory of the target's own that
// outlives a kill -9 restart and goes away with Stop.
func TestCommandTargetDir(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the wcp binary; skipped with -short")
	}
	bin := dockertest.WCPBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	target, err := harness.StartTarget(ctx, harness.Config{TargetCmd: bin + " serve --addr 127.0.0.1:{port} --db {dir}/wcp.db"})
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if !stopped {
			_ = target.Stop()
		}
	}()
	m := regexp.MustCompile(`--db (\S+)/wcp\.db`).FindStringSubmatch(target.Log().Since(0))
	if m == nil || strings.Contains(m[1], "{dir}") {
		t.Fatalf("no {dir} in the command line the target ran:\n%s", target.Log().Since(0))
	}
	dir := m[1]
	if _, err := os.Stat(filepath.Join(dir, "wcp.db")); err != nil {
		t.Fatalf("the server's database is not in {dir}: %v", err)
	}

	if err := target.Restart(ctx); err != nil {
		t.Fatalf("restart: %v", err)
	}
	// The secret was generated on the first start and found on the
	// second: the data stayed.
	if n := strings.Count(target.Log().Since(0), "generated a connection-string secret"); n != 1 {
		t.Errorf("the secret was generated %d times, want once\n%s", n, target.Log().Since(0))
	}

	stopped = true
	if err := target.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("{dir} %s after Stop: %v", dir, err)
	}
}
