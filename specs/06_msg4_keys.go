package specs

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/specs/harness"
)

// PROTOCOL.md §6, MSG-4: a message key is good in its own session only.
var _ = Describe("Message keys (MSG-4)", func() {
	It("MSG-4: after a reconnect the old key and its nonces mean nothing", Label("MSG-4"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		s1 := w.Connect(ctx, w.Member, w.Chat.ID, -1)
		old := s1.Info()
		for range 3 {
			w.Send(ctx, s1, harness.UniqueBody("old session"))
		}
		s1.Close()
		s2 := w.Connect(ctx, w.Member, w.Chat.ID, -1)
		now := s2.Info()
		Expect(now.MessageKey).NotTo(Equal(old.MessageKey))

		harness.ExpectMsgRefused(ctx, s2, harness.SignedWith(old.MessageKey, w.Chat.ID, old.SessionID, 10, "old key, old session"),
			wcp.CodeInvalidMessageString, "old key and old session id")
		harness.ExpectMsgRefused(ctx, s2, harness.SignedWith(old.MessageKey, w.Chat.ID, now.SessionID, 10, "old key, new session"),
			wcp.CodeInvalidMessageString, "old key and new session id")
		// The old session's nonces do not carry over: 1 is fresh here.
		a := harness.ExpectMsgAccepted(ctx, s2, harness.Payload(harness.Signed(s2, 1, "new key")), "nonce 1 in the new session")
		Expect(a.Seq).To(Equal(int64(4)))
	}, SpecTimeout(harness.SpecBound))

	It("MSG-4: a key works only in its own session, even while both are open", Label("MSG-4"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		s1 := w.Connect(ctx, w.Member, w.Chat.ID, -1)
		s2 := w.Connect(ctx, w.Member, w.Chat.ID, -1)
		harness.ExpectMsgRefused(ctx, s2, harness.Payload(harness.Signed(s1, 1, "s1's signature")), wcp.CodeInvalidMessageString, "s1's key and id on s2")
		harness.ExpectMsgRefused(ctx, s2, harness.SignedWith(s1.Info().MessageKey, w.Chat.ID, s2.Info().SessionID, 1, "s1's key"),
			wcp.CodeInvalidMessageString, "s1's key with s2's id")
		harness.ExpectMsgAccepted(ctx, s1, harness.Payload(harness.Signed(s1, 1, "s1 on s1")), "s1's own")
		harness.ExpectMsgAccepted(ctx, s2, harness.Payload(harness.Signed(s2, 1, "s2 on s2")), "s2's own")
	}, SpecTimeout(harness.SpecBound))
})
