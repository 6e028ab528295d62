package specs

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/wcp-project/wcp/client"
	"github.com/wcp-project/wcp/specs/harness"
)

// PROTOCOL.md §5, CON-2: with `after`, every stored message with seq > after
// is replayed in order, then live messages follow, with no gap and no
// duplicate at the seam, even while others send.
var _ = Describe("Replay and live delivery (CON-2)", func() {
	It("CON-2: a replay from `after` joins live delivery with no gap and no duplicate while others send", Label("CON-2", "MSG-1"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		a := w.Connect(ctx, w.Owner, w.Chat.ID, -1)
		b := w.Connect(ctx, w.Member, w.Chat.ID, -1)
		const history, perSender = 10, 60
		for i := range history {
			w.Send(ctx, a, harness.UniqueBody("history "+string(rune('a'+i))))
		}
		sa, sb := harness.StartSender(ctx, a, perSender), harness.StartSender(ctx, b, perSender)

		// Observers join mid-stream, each replaying from a little behind
		// the live edge, so their seams fall while both senders are busy.
		type observer struct {
			s     *client.Session
			after int64
		}
		observers := []observer{{w.Connect(ctx, w.Member, w.Chat.ID, 0), 0}}
		for i := range 4 {
			Eventually(func() int64 { return harness.LastSeq(a.Received()) }).WithTimeout(harness.DeliverWithin).
				Should(BeNumerically(">=", int64(history+(i+1)*20)), "senders make progress")
			k := max(harness.LastSeq(a.Received())-3, 0)
			observers = append(observers, observer{w.Connect(ctx, w.OutsiderJoined(ctx), w.Chat.ID, k), k})
			if i == 2 {
				// a long replay racing the live traffic
				observers = append(observers, observer{w.Connect(ctx, w.Owner, w.Chat.ID, 0), 0})
			}
		}
		total := int64(history + len(sa.Wait()) + len(sb.Wait()))
		Expect(harness.LastSeq(w.Stored(ctx, w.Chat.ID))).To(Equal(total))

		for _, o := range observers {
			Eventually(func() int64 { return harness.LastSeq(o.s.Received()) }).WithTimeout(harness.DeliverWithin).Should(Equal(total), "observer after=%d catches up", o.after)
			Expect(harness.Seqs(o.s.Received())).To(Equal(harness.SeqRange(o.after+1, total)), "observer after=%d: exactly seq %d..%d, in order", o.after, o.after+1, total)
		}
	}, SpecTimeout(harness.SpecBound))

	It("CON-2: a replay delivers the stored messages themselves", Label("CON-2"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		a := w.Connect(ctx, w.Owner, w.Chat.ID, -1)
		for _, body := range []string{"one", "two", "three", "four"} {
			w.Send(ctx, a, body)
		}
		s := w.Connect(ctx, w.Member, w.Chat.ID, 1)
		Eventually(harness.ReceivedSeqs(s)).WithTimeout(harness.DeliverWithin).Should(Equal([]int64{2, 3, 4}))
		Expect(harness.Canon(s.Received())).To(Equal(harness.Canon(w.Stored(ctx, w.Chat.ID)[1:])), "replayed messages equal the stored ones")

		// after = the last seq: nothing to replay, then live messages
		s2 := w.Connect(ctx, w.Member, w.Chat.ID, 4)
		ack := w.Send(ctx, a, "five")
		Eventually(harness.ReceivedSeqs(s2)).WithTimeout(harness.DeliverWithin).Should(Equal([]int64{ack.Seq}))
		Expect(ack.Seq).To(Equal(int64(5)))
	}, SpecTimeout(harness.SpecBound))
})
