package specs

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// targetFlag is the suite flag --target, the same as WCP_TARGET (which wins
// when both are set, so CI can override a wrapper script).
var targetFlag = flag.String("target", "", "base URL of the WCP/1 server under test (same as WCP_TARGET)")

// suiteTarget is the server this Ginkgo process tests. It is set once by
// SynchronizedBeforeSuite and read by every spec; nothing else assigns it.
var suiteTarget target

func TestSpecs(t *testing.T) {
	RegisterFailHandler(Fail)
	// Eventually/Consistently get explicit timeouts at every call site; these
	// defaults only bound a forgotten one.
	SetDefaultEventuallyTimeout(5 * time.Second)
	SetDefaultEventuallyPollingInterval(20 * time.Millisecond)
	SetDefaultConsistentlyDuration(200 * time.Millisecond)
	RunSpecs(t, "WCP/1 conformance")
}

// suiteConfig is what the environment and flags ask for; process 1 reads it
// once and hands it to every process, so all agree on the target kind.
type suiteConfig struct {
	Target    string `json:"target,omitempty"`     // WCP_TARGET / --target
	TargetCmd string `json:"target_cmd,omitempty"` // WCP_TARGET_CMD
	Fault     string `json:"fault,omitempty"`      // WCP_REFERENCE_FAULT (self-test only)
}

func readConfig() (suiteConfig, error) {
	c := suiteConfig{
		Target:    os.Getenv("WCP_TARGET"),
		TargetCmd: os.Getenv("WCP_TARGET_CMD"),
		Fault:     os.Getenv("WCP_REFERENCE_FAULT"),
	}
	if c.Target == "" {
		c.Target = *targetFlag
	}
	if c.Fault != "" && (c.Target != "" || c.TargetCmd != "") {
		return c, fmt.Errorf("WCP_REFERENCE_FAULT=%s only applies to the embedded reference, not to WCP_TARGET or WCP_TARGET_CMD", c.Fault)
	}
	return c, nil
}

var _ = SynchronizedBeforeSuite(func(ctx SpecContext) []byte {
	// Process 1 validates the configuration once, and checks a shared URL
	// target is up before any process starts on it.
	cfg, err := readConfig()
	Expect(err).NotTo(HaveOccurred())
	if cfg.Target != "" {
		Expect(waitHealthy(ctx, cfg.Target, 10*time.Second, nil)).To(Succeed(), "WCP_TARGET %s is not healthy", cfg.Target)
	}
	data, err := json.Marshal(cfg)
	Expect(err).NotTo(HaveOccurred())
	return data
}, func(ctx SpecContext, data []byte) {
	var cfg suiteConfig
	Expect(json.Unmarshal(data, &cfg)).To(Succeed())
	// Each process gets its own server unless a URL is shared: a restart
	// (MSG-3) then only ever disturbs the specs of the process doing it.
	t, err := startTarget(ctx, cfg)
	Expect(err).NotTo(HaveOccurred(), "start the target")
	suiteTarget = t
	DeferCleanup(func() {
		Expect(t.Stop()).To(Succeed(), "stop the target")
	})
}, NodeTimeout(3*time.Minute))

// The target's log since the spec began, attached to every failed spec: the
// server's side of the story is usually the quickest way to the bug.
var _ = BeforeEach(func() {
	if suiteTarget == nil || suiteTarget.Log() == nil {
		return
	}
	mark := suiteTarget.Log().Mark()
	DeferCleanup(func() {
		if out := suiteTarget.Log().Since(mark); out != "" && CurrentSpecReport().Failed() {
			AddReportEntry("target output", out)
		}
	})
})

// specContext bounds everything a spec does on the wire: no spec may hang
// the suite, whatever the server does.
func specContext() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	DeferCleanup(cancel)
	return ctx
}
