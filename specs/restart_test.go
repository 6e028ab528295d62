package specs

import (
	"errors"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/wcp-project/wcp"
)

var _ = Describe("Durability (MSG-3)", func() {
	It("MSG-3: acknowledged messages survive a restart of the server, in GET and in replays", Label("MSG-3"), func() {
		if _, ok := suiteTarget.(urlTarget); ok {
			Skip(errNotRestartable.Error())
		}
		w := newWorld()
		s := w.connect(w.member, w.chat.ID, -1)
		var acked []wcp.Ack
		for range 5 {
			acked = append(acked, w.send(s, uniqueBody("durable")))
		}
		before := w.stored(w.chat.ID)
		Expect(before).To(HaveLen(5))

		// Straight after the last ack: for WCP_TARGET_CMD this is a kill -9,
		// so an acknowledgement sent before the write was durable shows.
		err := suiteTarget.Restart(w.ctx)
		if errors.Is(err, errNotRestartable) {
			Skip(err.Error())
		}
		Expect(err).NotTo(HaveOccurred(), "restart the target")
		Eventually(s.Done()).WithTimeout(deliverWithin).Should(BeClosed(), "the restart ended the old session")

		Expect(canon(w.stored(w.chat.ID))).To(Equal(canon(before)), "every acknowledged message is still stored")
		for i, m := range before {
			Expect(m.ID).To(Equal(acked[i].ID))
		}
		r := w.connect(w.owner, w.chat.ID, 0)
		Eventually(received(r)).WithTimeout(deliverWithin).Should(Equal(canon(before)), "and replayed from after=0")
		// seq goes on from where it was
		s2 := w.connect(w.member, w.chat.ID, -1)
		Expect(w.send(s2, "after the restart").Seq).To(Equal(int64(6)))
	})
})
