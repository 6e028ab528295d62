package specs

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/wcp-project/wcp/specs/harness"
)

// config is the target this process was asked to test, read by Configure
// before the suite starts; cfgErr is why it was refused. Nothing else assigns
// them.
var (
	config harness.Config
	cfgErr error
)

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
	config, cfgErr = harness.ReadConfig(target)
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

var _ = ReportAfterSuite("WCP/1 rule table", func(r Report) {
	harness.ReportRules(r, config, cfgErr)
})
