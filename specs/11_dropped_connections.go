package specs

import (
	"net/url"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/client"
	"github.com/wcp-project/wcp/internal/proxy"
	"github.com/wcp-project/wcp/specs/harness"
)

// CON-2 and MSG-1 (PROTOCOL.md §5, §6) across network failures: the
// network fails under a client that keeps sending, and the client does what
// the protocol tells it to: reconnect with after = the highest seq it saw. Nothing acknowledged may be lost or doubled, whatever the cut hit.
var _ = Describe("Reconnecting through dropped connections (CON-2, MSG-1)", func() {
	It("CON-2/MSG-1: after connections drop mid-send, a reconnect with `after` gets every acknowledged message exactly once", Label("CON-2", "MSG-1"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		u, err := url.Parse(w.URL)
		Expect(err).NotTo(HaveOccurred())
		p, err := proxy.New(u.Host)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(p.Close)
		obs := w.Connect(ctx, w.Owner, w.Chat.ID, -1) // direct: it sees the truth
		cs := w.ConnString(ctx, w.Member, w.Chat.ID, 0)
		viaProxy := func(after int64) *client.Session {
			GinkgoHelper()
			s, err := harness.DialURL(ctx, p.URL(), wcp.Auth{ChatID: w.Chat.ID, ConnectionString: cs.ConnectionString, After: &after}, nil)
			Expect(err).NotTo(HaveOccurred(), "reconnect through the proxy")
			return s
		}

		// Others keep talking while the member is cut off, so every
		// reconnect has stored messages to replay before the live ones.
		talker := harness.StartSender(ctx, w.Connect(ctx, w.Owner, w.Chat.ID, -1), 100000)
		direct := w.Connect(ctx, w.Owner, w.Chat.ID, -1)

		var (
			replayed int // messages the member's sessions got that were stored before they connected
			mu       sync.Mutex
			acked    = map[string]wcp.Ack{} // body -> its ack
			unacked  = map[string]bool{}
			seen     []wcp.Message // everything the member's sessions were delivered, in order
		)
		const rounds, perRound, dropAt, window = 3, 30, 12, 5
		for round := range rounds {
			s := viaProxy(harness.LastSeq(seen))
			storedAtConnect := harness.LastSeq(w.Stored(ctx, w.Chat.ID))
			inflight := make(chan struct{}, window)
			var wg sync.WaitGroup
			for i := range perRound {
				if s.Closed() {
					break
				}
				if i == dropAt {
					// Cut with up to `window` messages in flight: some are
					// stored and acked, some stored with the ack lost, some
					// never arrive.
					Expect(p.DropAll()).To(BeNumerically(">=", 1))
				}
				inflight <- struct{}{}
				wg.Add(1)
				body := harness.UniqueBody("round " + string(rune('0'+round)))
				s.SendAsync(s.Next(body), func(a wcp.Ack, err error) {
					defer wg.Done()
					defer func() { <-inflight }()
					mu.Lock()
					defer mu.Unlock()
					if err == nil && a.OK {
						acked[body] = a
					} else {
						unacked[body] = true
					}
				})
			}
			wg.Wait()
			Eventually(s.Done()).WithTimeout(harness.DeliverWithin).Should(BeClosed())
			seen = append(seen, s.Received()...)
			// and for certain, whatever the scheduler did with the talker
			w.Send(ctx, direct, harness.UniqueBody("while you were away"))
			w.Send(ctx, direct, harness.UniqueBody("while you were away"))
			for _, m := range s.Received() {
				if m.Seq <= storedAtConnect {
					replayed++
				}
			}
		}
		talker.Stop()

		final := viaProxy(harness.LastSeq(seen))
		var stored []wcp.Message
		Eventually(func() int64 {
			stored = w.Stored(ctx, w.Chat.ID)
			return harness.LastSeq(stored) - max(harness.LastSeq(seen), harness.LastSeq(final.Received()))
		}).WithTimeout(harness.DeliverWithin).Should(BeZero(), "the last session catches up with the store")
		seen = append(seen, final.Received()...)
		replayed += len(final.Received())

		Expect(harness.Seqs(stored)).To(Equal(harness.SeqRange(1, int64(len(stored)))), "stored seqs have no gaps")
		Expect(harness.Seqs(seen)).To(Equal(harness.Seqs(stored)), "replays and live deliveries join with no gap and no duplicate")
		Expect(harness.Canon(seen)).To(Equal(harness.Canon(stored)))
		Expect(len(acked)).To(BeNumerically(">=", rounds*dropAt/2), "enough messages were acknowledged to mean something")
		Expect(replayed).To(BeNumerically(">=", 2*rounds), "the reconnects replayed something")
		byBody := map[string][]wcp.Message{}
		for _, m := range stored {
			byBody[m.Body] = append(byBody[m.Body], m)
		}
		for body, a := range acked {
			Expect(byBody[body]).To(HaveLen(1), "acknowledged %q is stored exactly once", body)
			Expect(byBody[body][0].ID).To(Equal(a.ID))
			Expect(byBody[body][0].Seq).To(Equal(a.Seq))
		}
		for body := range unacked {
			Expect(len(byBody[body])).To(BeNumerically("<=", 1), "unacknowledged %q is stored at most once", body)
		}
		Eventually(harness.Received(obs)).WithTimeout(harness.DeliverWithin).Should(Equal(harness.Canon(stored)), "a session that never dropped saw the same")
	}, SpecTimeout(harness.SpecBound))
})
