package conform

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
	"github.com/onsi/gomega"

	"github.com/wcp-project/wcp/specs"
	"github.com/wcp-project/wcp/specs/harness"
)

// progressLine is what a worker tells the orchestrator as each spec ends:
// no failure text, which may hold what the redaction has not seen yet.
type progressLine struct {
	Spec  string   `json:"spec"`
	Rules []string `json:"rules"`
	State string   `json:"state"`
}

// RunWorker runs job's specs in this process and writes their report to
// job.Report. Ginkgo runs a suite once per process, so a process calls it
// once. progress, when not nil, gets a JSON line per finished spec. The
// error is about the worker itself (a report it could not write); the
// specs' verdicts are in the report.
func RunWorker(job Job, progress io.Writer) error {
	if !job.DryRun && len(job.Specs) == 0 {
		return errors.New("conform worker: the job names no spec to run")
	}
	var (
		mu       sync.Mutex // progress lines come from the spec goroutine
		written  bool
		writeErr error
	)
	hooks := specs.Hooks{
		SuiteDone: func(r types.Report) {
			writeErr = writeReport(job.Report, r)
			written = true
		},
	}
	if progress != nil {
		enc := json.NewEncoder(progress)
		hooks.SpecDone = func(r types.SpecReport) {
			if r.LeafNodeType != types.NodeTypeIt || r.State == types.SpecStateSkipped && !job.DryRun && !wanted(job, r) {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			_ = enc.Encode(progressLine{Spec: r.FullText(), Rules: r.Labels(), State: r.State.String()})
		}
	}
	gomega.RegisterFailHandler(ginkgo.Fail)
	specs.ConfigureWith(job.Config, hooks)

	sc := types.NewDefaultSuiteConfig()
	sc.DryRun = job.DryRun
	sc.FocusStrings = focusStrings(specs.Title, job.Specs)
	if job.Timeout > 0 {
		sc.Timeout = job.Timeout
	}
	rc := types.NewDefaultReporterConfig()
	rc.NoColor = true
	rc.Succinct = true
	ginkgo.RunSpecs(&testingT{}, specs.Title, sc, rc)

	if !written {
		return errors.New("conform worker: the suite ended without a report")
	}
	return writeErr
}

// wanted says whether r is one of the specs job runs (the others show up
// in Ginkgo's report as skipped).
func wanted(job Job, r types.SpecReport) bool {
	name := r.FullText()
	for _, s := range job.Specs {
		if s == name {
			return true
		}
	}
	return false
}

// writeReport writes r as JSON, with every secret the harness saw on the
// wire replaced, to a file only its owner can read.
func writeReport(path string, r types.Report) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode the report: %w", err)
	}
	b = harness.RedactJSON(b)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return fmt.Errorf("write the report: %w", err)
	}
	return nil
}

// testingT is the GinkgoTestingT RunSpecs reports the suite's failure to;
// the worker reads verdicts from the report instead.
type testingT struct{}

func (*testingT) Fail() {}
