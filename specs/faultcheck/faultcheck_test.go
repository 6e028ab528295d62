package faultcheck

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/wcp-project/wcp/conform/report"
	"github.com/wcp-project/wcp/internal/fault"
)

// parallel bounds how many spec processes run at once: each starts a
// reference server and opens sockets, and the machine has two cores.
const parallel = 2

func TestSpecsCatchEveryFault(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the spec suite once per fault; skipped with -short")
	}
	bin := buildSpecs(t)
	sem := make(chan struct{}, parallel)

	t.Run("no fault", func(t *testing.T) {
		t.Parallel()
		sem <- struct{}{}
		defer func() { <-sem }()
		res := runSpecs(t, bin, nil, "")
		if res.err != nil {
			t.Fatalf("the suite fails against the reference without a fault: %v\n%s", res.err, res.tail())
		}
		for _, r := range res.rules {
			if r.Verdict != "passed" {
				t.Errorf("rule %s is %s without a fault", r.ID, r.Verdict)
			}
		}
	})

	for _, f := range fault.All() {
		t.Run(string(f.Fault), func(t *testing.T) {
			t.Parallel()
			sem <- struct{}{}
			defer func() { <-sem }()
			res := runSpecs(t, bin, []string{"WCP_REFERENCE_FAULT=" + string(f.Fault)}, strings.Join(f.Rules, " || "))
			var exit *exec.ExitError
			if !errors.As(res.err, &exit) {
				t.Fatalf("fault %s (%s): the suite did not fail (err %v); rules %v must catch it\n%s", f.Fault, f.What, res.err, f.Rules, res.tail())
			}
			failed := res.failedSpecs()
			if len(failed) == 0 {
				t.Fatalf("fault %s: the suite exited %d but no spec failed\n%s", f.Fault, exit.ExitCode(), res.tail())
			}
			for _, sr := range failed {
				if sr.LeafNodeType != types.NodeTypeIt {
					t.Errorf("fault %s: %s failed outside a spec: the suite itself broke\n%s", f.Fault, sr.LeafNodeType, sr.Failure.Message)
					continue
				}
				if !slices.ContainsFunc(sr.Labels(), func(l string) bool { return slices.Contains(f.Rules, l) }) {
					t.Errorf("fault %s: failing spec %q carries none of the rules %v", f.Fault, sr.FullText(), f.Rules)
				}
			}
			t.Logf("fault %s caught by %d spec(s), e.g. %q", f.Fault, len(failed), failed[0].FullText())
		})
	}
}

// buildSpecs compiles the spec suite's test binary once.
func buildSpecs(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "specs.test")
	cmd := exec.Command("go", "test", "-c", "-o", bin, "github.com/wcp-project/wcp/specs")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the specs: %v\n%s", err, out)
	}
	return bin
}

type result struct {
	err    error
	output []byte
	report []types.Report
	rules  []report.Rule // from wcp-rules.json
}

func (r result) tail() string {
	out := r.output
	if len(out) > 4000 {
		out = out[len(out)-4000:]
	}
	return string(out)
}

// rule returns the verdict wcp-rules.json gives id.
func (r result) rule(id string) string {
	for _, x := range r.rules {
		if x.ID == id {
			return x.Verdict
		}
	}
	return "missing"
}

func (r result) failedSpecs() []types.SpecReport {
	var out []types.SpecReport
	for _, rep := range r.report {
		for _, sr := range rep.SpecReports {
			if sr.State.Is(types.SpecStateFailureStates) {
				out = append(out, sr)
			}
		}
	}
	return out
}

// runSpecs runs the spec binary with the given WCP_* variables (none: the
// embedded reference) and label filter ("" for none), in a directory of its
// own.
func runSpecs(t *testing.T, bin string, env []string, labels string) result {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	reportPath := filepath.Join(dir, "report.json")
	args := []string{"-ginkgo.no-color", "-ginkgo.json-report=" + reportPath, "-test.timeout=5m"}
	if labels != "" {
		args = append(args, "-ginkgo.label-filter="+labels)
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	// The target is what the test says: one from the caller's environment
	// must not leak in.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "WCP_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(append(cmd.Env, env...), "WCP_REPORT_DIR="+dir)
	var res result
	res.output, res.err = cmd.CombinedOutput()
	if data, err := os.ReadFile(reportPath); err != nil {
		t.Fatalf("no JSON report from the suite (%v); exit %v\n%s", err, res.err, res.tail())
	} else if err := json.Unmarshal(data, &res.report); err != nil {
		t.Fatalf("parse the JSON report: %v", err)
	}
	if data, err := os.ReadFile(filepath.Join(dir, "wcp-rules.json")); err != nil {
		t.Errorf("no wcp-rules.json beside the report: %v", err)
	} else if f, err := report.ReadRulesJSON(bytes.NewReader(data)); err != nil {
		t.Errorf("parse wcp-rules.json: %v", err)
	} else {
		res.rules = f.Rules
	}
	return res
}
