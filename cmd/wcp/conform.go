package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wcp-project/wcp/conform"
	"github.com/wcp-project/wcp/conform/report"
	"github.com/wcp-project/wcp/specs/harness"
)

const conformLong = `Check a server against every rule of WCP/1 by running the conformance
specs (the same ones 'go tool ginkgo ./specs' runs) and write the verdict as
reports a CI job can keep.

The target, one of:
  --target URL         a running server; every worker shares it, and MSG-3
                       (survives kill -9) is skipped: it needs a restart
  --cmd 'COMMAND'      a shell command started by each worker on a free port
                       of 127.0.0.1: {port} is that port, {dir} a temporary
                       directory for its data (kept across the restart MSG-3
                       makes with SIGKILL, removed at the end)
  --image NAME[:TAG]   a container image on this machine's Docker engine,
                       started by each worker with host networking; its
                       data directory /data is a temporary host directory
                       (kept across MSG-3's SIGKILL and restart). Tell it
                       its port with {port} in --arg or --env values, or
                       name the one port it always uses with --port (then
                       one worker runs). Nothing is pulled: build the image
                       locally first.
  (none)               the embedded reference server, on temporary files

Each worker runs its share of the specs against its own target, so a restart
or a flood in one never disturbs another. --rules picks rules by ID, with
wildcards (--rules 'OWN-*,MSG-3'): every spec that checks one of them runs.

Known failures: --baseline FILE (YAML or JSON) lists failures the server
accepts for now, by rule ID or spec name, each with a reason:

  version: 1
  expected:
    - rule: CON-4
      reason: revocation lands in 2.3
      link: https://tracker.example/123

A listed failure does not fail the run; a listed entry whose specs now pass
does (it is stale), so the baseline only shrinks. --write-baseline records
the current failures in the --baseline file as a starting point.

Reports, in --report-dir: junit.xml (a test case per spec, classname = rule
ID), wcp-rules.json (the rule table, versioned schema) and report.html (one
self-contained page: the rule table, then each failing spec with what was
sent and received). Tokens, connection strings, message keys and message
strings are redacted from every report.

Exit status:
  0  every selected rule passed (failures the baseline lists aside)
  1  a rule failed, or a baseline entry is stale
  2  the harness could not run: bad flags, a target never healthy, an image
     missing, the run over --timeout
  3  nothing ran: the filters matched no spec`

const conformExample = `  # a server you run yourself (MSG-3 skipped)
  wcp conform --target http://127.0.0.1:9000

  # a binary, started per worker on its own port and data directory
  wcp conform --cmd './myserver --port {port} --db {dir}/chat.db'

  # an image, with host networking
  wcp conform --image myserver:dev --env PORT={port} --env DATA=/data

  # the reference's own image
  wcp conform --image wcp:dev --arg serve --arg --addr=127.0.0.1:{port} --arg --db=/data/wcp.db

  # one section, with known failures accepted
  wcp conform --cmd './myserver --port {port}' --rules 'CON-*' --baseline wcp-baseline.yaml`

// conformFlags are the conform command's settings.
type conformFlags struct {
	target, cmd, image string
	port               int
	env, args          []string
	rules              []string
	parallel           int
	timeout            time.Duration
	baseline           string
	writeBaseline      bool
	reportDir          string
	verbose            bool
}

func newConformCmd(stdout, stderr io.Writer) *cobra.Command {
	var f conformFlags
	cmd := &cobra.Command{
		Use:     "conform",
		Short:   "Check a server against every WCP/1 rule; JUnit, JSON and HTML reports",
		Long:    conformLong,
		Example: conformExample,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runConform(cmd, f, stdout, stderr)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.target, "target", "", "base URL of a running server")
	fl.StringVar(&f.cmd, "cmd", "", "shell command that starts the server: {port} and {dir} are replaced")
	fl.StringVar(&f.image, "image", "", "container image NAME[:TAG] of the server, on the local Docker engine")
	fl.IntVar(&f.port, "port", 0, "with --image: the port the image always listens on, when {port} cannot tell it")
	fl.StringArrayVar(&f.env, "env", nil, "with --image: KEY=VALUE for the container ({port} replaced); repeatable")
	fl.StringArrayVar(&f.args, "arg", nil, "with --image: one argument of the container's command ({port} replaced); repeatable, in order")
	fl.StringSliceVar(&f.rules, "rules", nil, "rule IDs to check, wildcards allowed (OWN-*,MSG-3); default all")
	fl.IntVar(&f.parallel, "parallel", 2, "workers, each with its own server")
	fl.DurationVar(&f.timeout, "timeout", 30*time.Minute, "bound on the whole run")
	fl.StringVar(&f.baseline, "baseline", "", "YAML or JSON file of accepted failures")
	fl.BoolVar(&f.writeBaseline, "write-baseline", false, "record this run's failures in the --baseline file (and exit 0 if the run itself worked)")
	fl.StringVar(&f.reportDir, "report-dir", "wcp-report", "directory for junit.xml, wcp-rules.json and report.html")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "a line per spec, not only per failure")
	return cmd
}

// newConformWorkerCmd is the hidden worker conform starts: it runs one
// job's specs and writes their report (package conform).
func newConformWorkerCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "conform-worker JOB",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			job, err := conform.ReadJob(args[0])
			if err != nil {
				return err
			}
			var prog io.Writer
			if job.ProgressFD > 0 {
				f := os.NewFile(uintptr(job.ProgressFD), "progress")
				defer f.Close()
				prog = f
			}
			return conform.RunWorker(job, prog)
		},
	}
}

func (f conformFlags) targetConfig() (harness.Config, error) {
	c := harness.Config{Target: f.target, TargetCmd: f.cmd, Image: f.image, ImagePort: f.port, ImageEnv: f.env, ImageArgs: f.args, Transcripts: true}
	n := 0
	for _, s := range []string{f.target, f.cmd, f.image} {
		if s != "" {
			n++
		}
	}
	switch {
	case n > 1:
		return c, errors.New("give at most one of --target, --cmd and --image")
	case f.image == "" && (f.port != 0 || len(f.env) > 0 || len(f.args) > 0):
		return c, errors.New("--port, --env and --arg only apply with --image")
	}
	for _, kv := range f.env {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return c, fmt.Errorf("--env %q: want KEY=VALUE", kv)
		}
	}
	return c, c.Validate()
}

func runConform(cmd *cobra.Command, f conformFlags, stdout, stderr io.Writer) error {
	usage := func(err error) error { return &exitError{code: conform.ExitHarness, err: err} }
	target, err := f.targetConfig()
	if err != nil {
		return usage(err)
	}
	rules, err := conform.ParseRules(f.rules)
	if err != nil {
		return &exitError{code: conform.ExitCode(report.Run{}, err), err: err}
	}
	if f.parallel < 1 {
		return usage(fmt.Errorf("--parallel %d: want at least 1", f.parallel))
	}
	if f.timeout <= 0 {
		return usage(fmt.Errorf("--timeout %v: want a positive duration", f.timeout))
	}
	var baseline *conform.Baseline
	switch {
	case f.writeBaseline && f.baseline == "":
		return usage(errors.New("--write-baseline needs --baseline FILE to write to"))
	case f.baseline != "" && !f.writeBaseline:
		if baseline, err = conform.ReadBaseline(f.baseline); err != nil {
			return usage(err)
		}
	}
	if err := os.MkdirAll(f.reportDir, 0o755); err != nil {
		return usage(fmt.Errorf("--report-dir: %w", err))
	}
	self, err := os.Executable()
	if err != nil {
		return usage(fmt.Errorf("find the wcp binary to start workers: %w", err))
	}

	run, err := conform.Run(cmd.Context(), conform.Options{
		Target:   target,
		Rules:    rules,
		Parallel: f.parallel,
		Timeout:  f.timeout,
		Baseline: baseline,
		Worker:   []string{self, "conform-worker"},
		Log:      stderr,
		Verbose:  f.verbose,
		Version:  version(),
	})
	code := conform.ExitCode(run, err)
	if err != nil {
		return &exitError{code: code, err: err}
	}
	run.Baseline = f.baseline
	if f.writeBaseline {
		var failed []string
		for _, s := range run.Specs {
			if s.State == report.Failed {
				failed = append(failed, s.Name)
			}
		}
		if err := conform.NewBaseline(failed, run.Started).Write(f.baseline); err != nil {
			return &exitError{code: conform.ExitHarness, err: err}
		}
		fmt.Fprintf(stdout, "wcp conform: recorded %d failing specs in %s\n", len(failed), f.baseline)
		code = conform.ExitPassed
	}
	run.ExitCode = code
	if err := writeReports(f.reportDir, run); err != nil {
		return &exitError{code: conform.ExitHarness, err: err}
	}
	printVerdict(stdout, run, f.reportDir)
	if code != conform.ExitPassed {
		return &exitError{code: code, err: errors.New(verdictLine(run))}
	}
	return nil
}

// writeReports writes the three reports into dir.
func writeReports(dir string, run report.Run) error {
	for _, r := range []struct {
		name  string
		write func(io.Writer, report.Run) error
	}{
		{"junit.xml", report.WriteJUnit},
		{"wcp-rules.json", report.WriteRulesJSON},
		{"report.html", report.WriteHTML},
	} {
		path := filepath.Join(dir, r.name)
		f, err := os.Create(path)
		if err != nil {
			return fmt.Errorf("report: %w", err)
		}
		err = r.write(f, run)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("report %s: %w", path, err)
		}
	}
	return nil
}

// printVerdict prints the rule table and where the reports are.
func printVerdict(w io.Writer, run report.Run, dir string) {
	fmt.Fprintf(w, "\nWCP/1 rules (%s)\n", run.Target)
	for _, r := range run.Rules {
		fmt.Fprintf(w, "  %-6s %-9s %d passed, %d failed, %d expected, %d skipped\n", r.ID, r.Verdict, r.Passed, r.Failed, r.Expected, r.Skipped)
	}
	for _, s := range run.Stale {
		fmt.Fprintf(w, "  stale baseline entry %q: %s\n", s.Entry, s.Why)
	}
	fmt.Fprintf(w, "reports: %s\n%s\n", strings.Join([]string{
		filepath.Join(dir, "report.html"), filepath.Join(dir, "junit.xml"), filepath.Join(dir, "wcp-rules.json")}, ", "), verdictLine(run))
}

func verdictLine(run report.Run) string {
	var passed, failed, expected, skipped int
	for _, s := range run.Specs {
		switch s.State {
		case report.Passed:
			passed++
		case report.Failed:
			failed++
		case report.Expected:
			expected++
		default:
			skipped++
		}
	}
	verdict := "PASSED"
	if run.ExitCode != conform.ExitPassed {
		verdict = "FAILED"
	}
	s := fmt.Sprintf("%s: %d specs passed, %d failed, %d expected failures, %d skipped in %v", verdict, passed, failed, expected, skipped, run.Duration.Round(100*time.Millisecond))
	if len(run.Stale) > 0 {
		s += fmt.Sprintf("; %d stale baseline entries", len(run.Stale))
	}
	return s
}

// version names this build: the module version, else the VCS revision.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	rev, dirty := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "devel"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "+dirty"
	}
	return rev
}
