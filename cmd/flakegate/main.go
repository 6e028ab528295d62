// Command flakegate runs the conformance suite N times against each of the
// servers named on its command line and lists every spec that failed even
// once, with how often and its first failure. A suite that passes 50 runs
// of 50 against a correct server needs no luck; one that fails once in 50
// would give some team a red build it did not earn.
//
//	go run ./cmd/flakegate [-n 50] [-p 2] reference python node
//
// Targets: reference (the embedded reference server), python
// (examples/python on /usr/bin/python3) and node (examples/node; run
// `npm ci --prefix examples/node` first). Each run of a target starts its
// servers afresh with their data in a temporary directory, removed after.
// Exit status: 0 when every run passed, 1 when a spec failed, 2 when the
// gate could not run.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	var flaky errFlaky
	switch {
	case err == nil:
	case errors.As(err, &flaky):
		os.Exit(1)
	default:
		fmt.Fprintln(os.Stderr, "flakegate:", err)
		os.Exit(2)
	}
}

// errFlaky: some spec failed at least once.
type errFlaky struct{ specs int }

func (e errFlaky) Error() string { return fmt.Sprintf("%d specs failed at least once", e.specs) }

// targets maps a target name to the WCP_TARGET_CMD that starts it, given the
// module root and a data directory ("" for the embedded reference).
var targets = map[string]func(root, dir string) string{
	"reference": func(string, string) string { return "" },
	"python": func(root, dir string) string {
		return fmt.Sprintf("/usr/bin/python3 %s --port {port} --db %s",
			filepath.Join(root, "examples", "python", "server.py"), filepath.Join(dir, "wcp-{port}.db"))
	},
	"node": func(root, dir string) string {
		return fmt.Sprintf("node %s --port {port} --db %s",
			filepath.Join(root, "examples", "node", "server.mjs"), filepath.Join(dir, "wcp-{port}.db"))
	},
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("flakegate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("n", 50, "runs of the suite per target")
	procs := fs.Int("p", 2, "Ginkgo processes per run")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: flakegate [-n runs] [-p procs] target... (targets: reference, python, node)")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 || *n < 1 || *procs < 1 {
		fs.Usage()
		return errors.New("name at least one target, with -n and -p at least 1")
	}
	for _, name := range fs.Args() {
		if targets[name] == nil {
			return fmt.Errorf("unknown target %q (targets: reference, python, node)", name)
		}
	}
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(root, "specs")); err != nil {
		return errors.New("run it from the repository root (no specs/ here)")
	}

	total := 0
	for _, name := range fs.Args() {
		fails := map[string]*failure{}
		for i := 1; i <= *n; i++ {
			start := time.Now()
			specs, err := runOnce(ctx, root, name, *procs)
			if err != nil {
				return fmt.Errorf("%s run %d: %w", name, i, err)
			}
			failed := 0
			for _, s := range specs {
				if !s.failed() {
					continue
				}
				failed++
				f := fails[s.name()]
				if f == nil {
					f = &failure{first: s.Failure.Message, run: i}
					fails[s.name()] = f
				}
				f.count++
			}
			fmt.Fprintf(stdout, "%-9s run %2d/%d: %d specs, %d failed (%.1fs)\n", name, i, *n, len(specs), failed, time.Since(start).Seconds())
		}
		names := make([]string, 0, len(fails))
		for k := range fails {
			names = append(names, k)
		}
		sort.Strings(names)
		if len(names) == 0 {
			fmt.Fprintf(stdout, "%s: no spec failed in %d runs\n", name, *n)
		}
		for _, k := range names {
			f := fails[k]
			fmt.Fprintf(stdout, "%s: FLAKY %d/%d  %s\n    first failure (run %d): %s\n", name, f.count, *n, k, f.run, firstLine(f.first))
		}
		total += len(names)
	}
	if total > 0 {
		return errFlaky{total}
	}
	return nil
}

type failure struct {
	count, run int
	first      string
}

// spec is the part of a Ginkgo JSON report's SpecReport the gate reads.
type spec struct {
	ContainerHierarchyTexts []string
	LeafNodeText            string
	LeafNodeType            string
	State                   string
	Failure                 struct{ Message string }
}

func (s spec) name() string {
	return strings.TrimSpace(strings.Join(append(append([]string(nil), s.ContainerHierarchyTexts...), s.LeafNodeText), " "))
}

// runOnce runs the suite once against target and returns its spec reports
// (setup nodes that failed included, so a broken start counts too).
func runOnce(ctx context.Context, root, target string, procs int) ([]spec, error) {
	dir, err := os.MkdirTemp("", "wcp-flakegate-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	cmd := exec.CommandContext(ctx, "go", "tool", "ginkgo", fmt.Sprintf("--procs=%d", procs),
		"--output-dir="+dir, "--json-report=report.json", "--silence-skips", "./specs")
	cmd.Dir = root
	// An empty WCP_TARGET_CMD is the embedded reference.
	cmd.Env = append(os.Environ(), "WCP_TARGET_CMD="+targets[target](root, dir), "WCP_TARGET=")
	out, runErr := cmd.CombinedOutput()
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		// No report: the suite did not even start.
		return nil, fmt.Errorf("no report (%v); ginkgo said:\n%s", runErr, tail(out, 40))
	}
	return parseReport(b)
}

// parseReport reads a Ginkgo JSON report: every It, and every other node
// (a BeforeSuite, an AfterEach...) that did not pass, so that a setup that
// failed counts as a failure too.
func parseReport(b []byte) ([]spec, error) {
	var suites []struct{ SpecReports []spec }
	if err := json.Unmarshal(b, &suites); err != nil {
		return nil, fmt.Errorf("read report: %w", err)
	}
	var specs []spec
	for _, s := range suites {
		for _, r := range s.SpecReports {
			if r.LeafNodeType == "It" || r.State != "passed" {
				specs = append(specs, r)
			}
		}
	}
	return specs, nil
}

// failed reports whether a spec's state is a failure (failed, panicked,
// interrupted, aborted, timedout), not a pass, skip or pending.
func (s spec) failed() bool {
	switch s.State {
	case "passed", "skipped", "pending":
		return false
	}
	return true
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

func tail(b []byte, lines int) string {
	l := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(l) > lines {
		l = l[len(l)-lines:]
	}
	return strings.Join(l, "\n")
}
