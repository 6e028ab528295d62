package specs

import (
	"net/http"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/wcp-project/wcp/client"
	"github.com/wcp-project/wcp/specs/harness"
)

// PROTOCOL.md §1: the one MUST of the transport that carries no rule ID and
// that every robustness spec leans on.
var _ = Describe("The HTTP API (sections 1 and 3)", func() {
	It("API: GET /healthz answers 200 {\"status\":\"ok\"}", Label("API", "ROB-1"), func(ctx SpecContext) {
		Expect(client.Healthz(ctx, &http.Client{Timeout: harness.AnswerWithin}, harness.TargetURL())).To(Succeed())
	}, SpecTimeout(harness.SpecBound))
})
