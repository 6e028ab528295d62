package conform

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"time"

	"github.com/wcp-project/wcp/specs/harness"
)

// Job is what one worker process is asked to do. The orchestrator writes it
// as JSON to a private file and names the file on the worker's command line.
type Job struct {
	Config harness.Config `json:"config"`
	// Specs are the full texts of the specs to run; every other spec is
	// skipped. Empty with DryRun.
	Specs []string `json:"specs,omitempty"`
	// DryRun walks the suite without running anything (no target is
	// started): the report lists every spec with its labels.
	DryRun bool `json:"dry_run,omitempty"`
	// Timeout bounds the worker's whole suite.
	Timeout time.Duration `json:"timeout"`
	// Report is where the worker writes its Ginkgo JSON report, redacted.
	Report string `json:"report"`
	// ProgressFD is the file descriptor the orchestrator reads progress
	// lines from (0: none). Only the orchestrator knows which descriptors
	// it passed, so the job says it.
	ProgressFD int `json:"progress_fd,omitempty"`
}

// progressFD is the descriptor of the progress pipe in a worker: the first
// of exec.Cmd.ExtraFiles.
const progressFD = 3

// focusStrings are Ginkgo focus expressions that match exactly the named
// specs: Ginkgo matches a focus regexp against the suite title, a space and
// the spec's full text.
func focusStrings(title string, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = "^" + regexp.QuoteMeta(title+" "+n) + "$"
	}
	return out
}

// writeJob writes j to path, readable by its owner only: the target's
// configuration may hold secrets (an image's environment).
func writeJob(path string, j Job) error {
	b, err := json.Marshal(j)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

// ReadJob reads a job file written by the orchestrator.
func ReadJob(path string) (Job, error) {
	var j Job
	b, err := os.ReadFile(path)
	if err != nil {
		return j, fmt.Errorf("read job: %w", err)
	}
	if err := json.Unmarshal(b, &j); err != nil {
		return j, fmt.Errorf("read job %s: %w", path, err)
	}
	if j.Report == "" {
		return j, fmt.Errorf("job %s names no report file", path)
	}
	return j, nil
}
