package conform

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/conform/report"
	"github.com/wcp-project/wcp/specs/harness"
)

// Options are one conformance run's settings.
type Options struct {
	Target   harness.Config // what to check; see harness.Config
	Rules    []string       // rule patterns from ParseRules; none selects every spec
	Parallel int            // workers, each with its own target (a URL target is shared); at least 1
	Timeout  time.Duration  // bounds the whole run; 0 for none
	Baseline *Baseline      // accepted failures; nil for none
	// Worker is the command line that starts a worker process; the job
	// file's path is appended. The worker must call RunWorker with that job
	// and write progress lines to file descriptor 3 (see cmd/wcp).
	Worker []string
	// Log gets a line per failed spec (every spec with Verbose) and, every
	// few seconds, how far the run is; nil for silence.
	Log     io.Writer
	Verbose bool
	// Version names the harness build in the reports.
	Version string
	// ProtocolURL is the base of the rule links, PROTOCOL.md on the web
	// ("" for the project's repository: report.ProtocolLink).
	ProtocolURL string
	// TempDir holds the run's private files (jobs, worker reports); ""
	// for the system's. They are removed at the end.
	TempDir string
}

// progressEvery is how often a quiet run says how far it is.
const progressEvery = 10 * time.Second

// timeoutGrace is how long past --timeout workers have to end their specs
// and write their reports before they are stopped.
const timeoutGrace = 30 * time.Second

// Run plans, runs and judges one conformance run. The returned Run is the
// verdict (its ExitCode 0 or 1); an error is a run without one: a
// *HarnessError, or ErrNothingToRun. ExitCode maps both to wcp conform's
// exit code.
func Run(ctx context.Context, o Options) (report.Run, error) {
	run := report.Run{
		Target:     Describe(o.Target),
		Started:    time.Now(),
		WCPVersion: o.Version,
		Filters:    o.Rules,
	}
	if len(o.Worker) == 0 {
		return run, &HarnessError{Msg: "no worker command"}
	}
	if err := o.Target.Validate(); err != nil {
		return run, &HarnessError{Msg: "target", Err: err}
	}
	// Workers get what is left of --timeout as their suite's timeout, so
	// Ginkgo ends their specs in order and they still report; the run as
	// a whole gets a grace period on top for that.
	var deadline time.Time
	if o.Timeout > 0 {
		deadline = run.Started.Add(o.Timeout)
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline.Add(timeoutGrace))
		defer cancel()
	}
	dir, err := os.MkdirTemp(o.TempDir, "wcp-conform-")
	if err != nil {
		return run, &HarnessError{Msg: "make a private directory", Err: err}
	}
	defer os.RemoveAll(dir)

	// 1. Plan: list the suite, pick the specs.
	dry := &worker{n: 0, dir: dir, argv: o.Worker, job: Job{Config: o.Target, DryRun: true}}
	listing, err := dry.run(ctx, nil)
	if err != nil {
		return run, err
	}
	all := listSpecs(listing)
	selected := selectSpecs(all, o.Rules)
	if len(selected) == 0 {
		return run, ErrNothingToRun
	}
	shards := shard(selected, o.Parallel)
	if o.Target.Target == "" && o.Target.ImagePort != 0 && len(shards) > 1 {
		// An image that always listens on one port can run once at a time.
		shards = shard(selected, 1)
	}

	// 2. Run the shards, each in its own worker.
	prog := newProgress(o.Log, len(selected), o.Verbose)
	stopTicker := prog.tick(progressEvery)
	reports, err := runShards(ctx, o, dir, shards, deadline, prog.spec)
	stopTicker()
	if !deadline.IsZero() && time.Now().After(deadline) {
		return run, &HarnessError{Msg: fmt.Sprintf("the run did not finish within --timeout %v", o.Timeout)}
	}
	if err != nil {
		return run, err
	}

	// 3. Judge.
	results := map[string]types.SpecReport{}
	for i, r := range reports {
		if err := harnessFailure(r, i+1); err != nil {
			return run, err
		}
		mine := map[string]bool{}
		for _, n := range shards[i] {
			mine[n] = true
		}
		for _, sr := range r.SpecReports {
			if sr.LeafNodeType == types.NodeTypeIt && mine[sr.FullText()] {
				results[sr.FullText()] = sr
			}
		}
	}
	for _, p := range selected {
		sr, ok := results[p.Name]
		if !ok {
			return run, &HarnessError{Msg: fmt.Sprintf("no worker reported on spec %q", p.Name)}
		}
		s := report.SpecFromGinkgo(sr, p.Rules)
		s.Name = p.Name
		run.Specs = append(run.Specs, s)
	}
	run.Stale = applyBaseline(o.Baseline, all, run.Specs)
	link := report.ProtocolLink
	if o.ProtocolURL != "" {
		link = func(r wcp.Rule) string { return o.ProtocolURL + "#" + r.Anchor }
	}
	run.Rules = report.Tally(run.Specs, func(id string) bool { return ruleSelected(o.Rules, id) }, link)
	run.ExitCode = exitCode(run.Specs, run.Stale)
	run.Duration = time.Since(run.Started)
	return run, nil
}

// runShards runs one worker per shard at once and returns their reports in
// shard order. The first worker that cannot report ends the others.
func runShards(ctx context.Context, o Options, dir string, shards [][]string, deadline time.Time, onSpec func(progressLine)) ([]types.Report, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	reports := make([]types.Report, len(shards))
	errs := make([]error, len(shards))
	var wg sync.WaitGroup
	for i, names := range shards {
		wg.Add(1)
		go func() {
			defer wg.Done()
			job := Job{Config: o.Target, Specs: names}
			if !deadline.IsZero() {
				job.Timeout = max(time.Until(deadline), time.Second)
			}
			w := &worker{n: i + 1, dir: dir, argv: o.Worker, job: job}
			reports[i], errs[i] = w.run(ctx, onSpec)
			if errs[i] != nil {
				cancel()
			}
		}()
	}
	wg.Wait()
	// The first real error, not the cancellations it caused.
	for _, err := range errs {
		if err != nil && ctx.Err() == nil {
			return nil, err
		}
	}
	return reports, errors.Join(errs...)
}

// harnessFailure reports why a worker's suite could not judge its specs:
// its target did not start or stop (a failed suite-level setup node), or
// Ginkgo ended the suite early (a timeout, an interrupt).
func harnessFailure(r types.Report, n int) error {
	for _, sr := range r.SpecReports {
		if sr.LeafNodeType == types.NodeTypeIt || !sr.State.Is(types.SpecStateFailureStates) {
			continue
		}
		return &HarnessError{Msg: fmt.Sprintf("worker %d: %s failed: %s", n, sr.LeafNodeType, strings.TrimSpace(sr.Failure.Message))}
	}
	if len(r.SpecialSuiteFailureReasons) > 0 {
		return &HarnessError{Msg: fmt.Sprintf("worker %d: %s", n, strings.Join(r.SpecialSuiteFailureReasons, "; "))}
	}
	return nil
}

// Describe names a target for reports and logs without any secret: an
// image's environment is shown by variable name only.
func Describe(c harness.Config) string {
	switch {
	case c.Target != "":
		return c.Target
	case c.TargetCmd != "":
		return "command: " + c.TargetCmd
	case c.Image != "":
		s := "image " + c.Image
		if len(c.ImageArgs) > 0 {
			s += " " + strings.Join(c.ImageArgs, " ")
		}
		var keys []string
		for _, kv := range c.ImageEnv {
			k, _, _ := strings.Cut(kv, "=")
			keys = append(keys, k)
		}
		if len(keys) > 0 {
			s += " (env " + strings.Join(keys, ", ") + ")"
		}
		return s
	}
	return "embedded reference"
}
