package specs

import (
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/client"
	"github.com/wcp-project/wcp/specs/harness"
)

// PROTOCOL.md §6, MSG-2: a refused message is acknowledged with its code
// and never stored, delivered or counted; the session goes on.
var _ = Describe("Refused messages (MSG-2)", func() {
	It("MSG-2: a refused message is never delivered, stored or counted, and the session goes on", Label("MSG-2"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		other := w.NewChat(ctx, "other")
		s := w.Connect(ctx, w.Member, w.Chat.ID, -1)
		obs := w.Connect(ctx, w.Owner, w.Chat.ID, -1)
		obsOther := w.Connect(ctx, w.Owner, other.ID, -1)

		harness.ExpectMsgAccepted(ctx, s, harness.Payload(harness.Signed(s, 5, "valid one")), "first")
		bad := map[wcp.Code]any{
			wcp.CodeBadRequest:           harness.With(harness.Payload(harness.Signed(s, 6, "x")), "nonce", 0),
			wcp.CodePayloadTooLarge:      harness.Payload(harness.Signed(s, 6, strings.Repeat("x", wcp.MaxBodyBytes+1))),
			wcp.CodeWrongChat:            harness.Payload(wcp.OutgoingMessage{ChatID: other.ID, Nonce: 6, Body: "x", MessageString: s.Sign(other.ID, 6, "x")}),
			wcp.CodeInvalidMessageString: harness.With(harness.Payload(harness.Signed(s, 6, "x")), "body", "y"),
			wcp.CodeReplayedMessage:      harness.Payload(harness.Signed(s, 5, "again")),
		}
		for code, p := range bad {
			harness.ExpectMsgRefused(ctx, s, p, code, string(code))
		}
		// Without an ack asked for, the refusal is silent but as final.
		Expect(s.EmitNoAck(wcp.EventMessage, harness.With(harness.Payload(harness.Signed(s, 6, "x")), "body", "unsigned"))).To(Succeed())

		a := harness.ExpectMsgAccepted(ctx, s, harness.Payload(harness.Signed(s, 6, "valid two")), "after the refusals")
		Expect(a.Seq).To(Equal(int64(2)), "refusals are not counted in seq")
		Expect(s.Closed()).To(BeFalse())

		stored := w.Stored(ctx, w.Chat.ID)
		Expect(stored).To(HaveLen(2))
		Expect([]string{stored[0].Body, stored[1].Body}).To(Equal([]string{"valid one", "valid two"}))
		Expect(w.Stored(ctx, other.ID)).To(BeEmpty(), "the wrong_chat message did not land in the other chat")
		for _, x := range []*client.Session{s, obs} {
			Eventually(harness.Received(x)).WithTimeout(harness.DeliverWithin).Should(Equal(harness.Canon(stored)), "only the accepted messages are delivered")
		}
		Consistently(func() int { return len(obs.Received()) + len(obsOther.Received()) }).
			WithTimeout(harness.QuietFor).Should(Equal(2), "nothing else arrives")
	}, SpecTimeout(harness.SpecBound))
})
