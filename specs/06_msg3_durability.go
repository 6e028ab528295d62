package specs

import (
	"errors"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/specs/harness"
)

// PROTOCOL.md §6, MSG-3: an acknowledged message survives a restart, even
// kill -9.
var _ = Describe("Durability (MSG-3)", func() {
	It("MSG-3: acknowledged messages survive a restart of the server, in GET and in replays", Label("MSG-3"), func(ctx SpecContext) {
		if !harness.CanRestart() {
			Skip(harness.ErrNotRestartable.Error())
		}
		w := harness.NewWorld(ctx)
		s := w.Connect(ctx, w.Member, w.Chat.ID, -1)
		var acked []wcp.Ack
		for range 5 {
			acked = append(acked, w.Send(ctx, s, harness.UniqueBody("durable")))
		}
		before := w.Stored(ctx, w.Chat.ID)
		Expect(before).To(HaveLen(5))

		// Straight after the last ack: for WCP_TARGET_CMD this is a kill -9,
		// so an acknowledgement sent before the write was durable shows.
		err := harness.RestartTarget(ctx)
		if errors.Is(err, harness.ErrNotRestartable) {
			Skip(err.Error())
		}
		Expect(err).NotTo(HaveOccurred(), "restart the target")
		Eventually(s.Done()).WithTimeout(harness.DeliverWithin).Should(BeClosed(), "the restart ended the old session")

		Expect(harness.Canon(w.Stored(ctx, w.Chat.ID))).To(Equal(harness.Canon(before)), "every acknowledged message is still stored")
		for i, m := range before {
			Expect(m.ID).To(Equal(acked[i].ID))
		}
		r := w.Connect(ctx, w.Owner, w.Chat.ID, 0)
		Eventually(harness.Received(r)).WithTimeout(harness.DeliverWithin).Should(Equal(harness.Canon(before)), "and replayed from after=0")
		// seq goes on from where it was
		s2 := w.Connect(ctx, w.Member, w.Chat.ID, -1)
		Expect(w.Send(ctx, s2, "after the restart").Seq).To(Equal(int64(6)))
	}, SpecTimeout(harness.SpecBound))
})
