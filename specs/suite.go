package specs

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/wcp-project/wcp/specs/harness"
)

// config is the target this process was asked to test, set by Configure or
// ConfigureWith before the suite starts; cfgErr is why it was refused;
// hooks are what the program running the suite asked to hear. Nothing else
// assigns them.
var (
	config harness.Config
	cfgErr error
	hooks  Hooks
)

// Hooks let a program that runs the suite (wcp conform's workers) follow it
// and keep its report. Both run on the process that runs the specs, and
// must not fail it.
type Hooks struct {
	// SpecDone hears about each spec as it ends.
	SpecDone func(SpecReport)
	// SuiteDone gets the whole report once the suite has ended (after
	// the rule table is printed).
	SuiteDone func(Report)
}

// Title is the suite's title, the description RunSpecs reports.
const Title = "WCP/1 conformance"

// Configure prepares this process for RunSpecs(t, Title): it picks the
// target from the WCP_* variables, else from target (a base URL, e.g. a
// --target flag), else the embedded reference (see the package
// documentation), and sets Gomega's default bounds. Call it once, after
// RegisterFailHandler and before RunSpecs; Ginkgo's own configuration
// (labels, reports, parallel processes) comes from its flags, as for any
// suite.
func Configure(target string) {
	cfg, err := harness.ReadConfig(target)
	configure(cfg, err, Hooks{})
}

// ConfigureWith is Configure for a program that has its target already
// (no WCP_* variable is read) and wants to follow the run through hooks.
func ConfigureWith(cfg harness.Config, h Hooks) {
	configure(cfg, cfg.Validate(), h)
}

func configure(cfg harness.Config, err error, h Hooks) {
	config, cfgErr, hooks = cfg, err, h
	// Eventually/Consistently get explicit timeouts at every call site; these
	// defaults only bound a forgotten one.
	SetDefaultEventuallyTimeout(5 * time.Second)
	SetDefaultEventuallyPollingInterval(20 * time.Millisecond)
	SetDefaultConsistentlyDuration(200 * time.Millisecond)
}

// Process 1 validates the configuration once and checks that a shared URL
// target is up; then every process starts (or names) its own target.
var _ = SynchronizedBeforeSuite(func(ctx SpecContext) []byte {
	return harness.CheckConfig(ctx, config, cfgErr)
}, harness.StartProcessTarget, NodeTimeout(harness.SetupBound))

var _ = BeforeEach(harness.AttachTargetLog)

var _ = ReportAfterEach(func(r SpecReport) {
	if hooks.SpecDone != nil {
		hooks.SpecDone(r)
	}
})

var _ = ReportAfterSuite("WCP/1 rule table", func(r Report) {
	harness.ReportRules(r, config, cfgErr)
	if hooks.SuiteDone != nil {
		hooks.SuiteDone(r)
	}
})
