package specs_test

import (
	"flag"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/wcp-project/wcp/specs"
)

// target is the suite flag --target, the same as WCP_TARGET (which wins
// when both are set, so CI can override a wrapper script).
var target = flag.String("target", "", "base URL of the WCP/1 server under test (same as WCP_TARGET)")

// TestSpecs is the `go test` and `ginkgo` entry to the suite: the specs
// themselves are package specs, which any other program can run the same
// way.
func TestSpecs(t *testing.T) {
	RegisterFailHandler(Fail)
	specs.Configure(*target)
	RunSpecs(t, specs.Title)
}
