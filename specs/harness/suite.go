package harness

import (
	"context"
	"encoding/json"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/wcp-project/wcp/client"
)

// current is the server this Ginkgo process tests. StartProcessTarget sets
// it once, before any spec runs; nothing else assigns it.
var current Target

// CheckConfig is the first half of the suite's SynchronizedBeforeSuite, on
// process 1: it validates cfgErr, checks that a shared URL target is up
// before any process starts on it, and returns cfg for every process.
func CheckConfig(ctx SpecContext, cfg Config, cfgErr error) []byte {
	Expect(cfgErr).NotTo(HaveOccurred())
	if cfg.Target != "" {
		Expect(client.WaitHealthy(ctx, cfg.Target, 10*time.Second, nil)).To(Succeed(), "WCP_TARGET %s is not healthy", cfg.Target)
	}
	data, err := json.Marshal(cfg)
	Expect(err).NotTo(HaveOccurred())
	return data
}

// StartProcessTarget is the second half, on every process: it starts this
// process's target from CheckConfig's data and stops it when the suite
// ends. Each process gets its own server unless a URL is shared: a restart
// (MSG-3) then only ever disturbs the specs of the process doing it.
func StartProcessTarget(ctx SpecContext, data []byte) {
	var cfg Config
	Expect(json.Unmarshal(data, &cfg)).To(Succeed())
	t, err := StartTarget(ctx, cfg)
	if err == nil && cfg.Transcripts {
		t, err = recordTarget(t) // stops t if it cannot
	}
	// Fail with the error's own words: Gomega's rendering of a wrapped
	// error is its whole structure, which buries the one line that says
	// what went wrong.
	if err != nil {
		Fail("start the target: " + err.Error())
	}
	current = t
	DeferCleanup(func() {
		if err := t.Stop(); err != nil {
			Fail("stop the target: " + err.Error())
		}
	})
}

// AttachTargetLog, run before each spec, attaches the target's output
// since the spec began to the spec's report if it fails: the server's side
// of the story is usually the quickest way to the bug. With transcripts on,
// it attaches what the spec sent and received too (see recordTranscript).
func AttachTargetLog() {
	recordTranscript()
	if current == nil || current.Log() == nil {
		return
	}
	mark := current.Log().Mark()
	DeferCleanup(func() {
		if out := current.Log().Since(mark); out != "" && CurrentSpecReport().Failed() {
			AddReportEntry("target output", out)
		}
	})
}

// TargetURL is the base URL of this process's target.
func TargetURL() string { return current.URL() }

// CanRestart says whether RestartTarget can work: not for a URL target.
func CanRestart() bool {
	_, isURL := unwrapTarget(current).(urlTarget)
	return !isURL
}

// RestartTarget stops this process's target abruptly (kill -9 for a
// command) and starts it again on the same address with the same data; it
// returns ErrNotRestartable for a URL target.
func RestartTarget(ctx context.Context) error { return current.Restart(ctx) }
