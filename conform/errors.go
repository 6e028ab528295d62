package conform

import (
	"errors"

	"github.com/wcp-project/wcp/conform/report"
)

// Exit codes of wcp conform, for CI to act on.
const (
	ExitPassed       = 0 // every selected rule passed (failures the baseline lists aside)
	ExitFailed       = 1 // a rule failed, or a baseline entry is stale
	ExitHarness      = 2 // the harness could not run: bad flags, a target never healthy, an image missing
	ExitNothingToRun = 3 // the filters matched no spec
)

// HarnessError is a run that could not produce a verdict: the target did
// not start, a worker crashed, the run hit its timeout.
type HarnessError struct {
	Msg string
	Err error
}

func (e *HarnessError) Error() string {
	if e.Err == nil {
		return e.Msg
	}
	return e.Msg + ": " + e.Err.Error()
}

func (e *HarnessError) Unwrap() error { return e.Err }

// ErrNothingToRun: the rule filters selected no spec.
var ErrNothingToRun = errors.New("the filters match no spec")

// ExitCode is the exit code for a run's outcome: Run's result and error.
func ExitCode(run report.Run, err error) int {
	var he *HarnessError
	switch {
	case errors.Is(err, ErrNothingToRun):
		return ExitNothingToRun
	case errors.As(err, &he), err != nil:
		return ExitHarness
	}
	return run.ExitCode
}
