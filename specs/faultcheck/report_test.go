package faultcheck

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRuleTableFile checks where the suite writes wcp-rules.json when
// WCP_REPORT_DIR is not set: beside Ginkgo's --json-report when one is asked
// for, and nowhere otherwise (a plain run must leave no file behind).
func TestRuleTableFile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the spec suite; skipped with -short")
	}
	bin := buildSpecs(t)
	run := func(t *testing.T, dir string, args ...string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, append([]string{"-ginkgo.no-color", "-ginkgo.label-filter=OWN-4"}, args...)...)
		cmd.Dir = dir
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "WCP_") {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("suite: %v\n%s", err, out)
		}
	}

	t.Run("no report asked for", func(t *testing.T) {
		dir := t.TempDir()
		run(t, dir)
		if _, err := os.Stat(filepath.Join(dir, "wcp-rules.json")); !os.IsNotExist(err) {
			t.Errorf("a plain run wrote wcp-rules.json into its working directory (stat: %v)", err)
		}
	})
	t.Run("beside --json-report", func(t *testing.T) {
		dir, out := t.TempDir(), t.TempDir()
		run(t, dir, "-ginkgo.json-report="+filepath.Join(out, "report.json"))
		if _, err := os.Stat(filepath.Join(out, "wcp-rules.json")); err != nil {
			t.Errorf("no wcp-rules.json beside the JSON report: %v", err)
		}
		if _, err := os.Stat(filepath.Join(dir, "wcp-rules.json")); !os.IsNotExist(err) {
			t.Errorf("wcp-rules.json also landed in the working directory (stat: %v)", err)
		}
	})
}
