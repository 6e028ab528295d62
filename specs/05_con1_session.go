package specs

import (
	"encoding/base64"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/specs/harness"
)

// PROTOCOL.md §5, CON-1: the first event on success is `session`, with a
// message key of 32 fresh random bytes, new for every session.
var _ = Describe("Sessions (CON-1)", func() {
	It("CON-1: the session event comes first and describes the session", Label("CON-1"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		for _, a := range []harness.Actor{w.Owner, w.Member} {
			s := w.Connect(ctx, a, w.Chat.ID, -1)
			Expect(s.FirstEvent()).To(Equal(wcp.EventSession))
			info := s.Info()
			Expect(wcp.ValidID(info.SessionID)).To(BeTrue(), "session_id %q is an ID", info.SessionID)
			Expect(info.ChatID).To(Equal(w.Chat.ID))
			Expect(info.UserID).To(Equal(a.User.ID))
			expectMessageKey(info.MessageKey)
		}
	}, SpecTimeout(harness.SpecBound))

	It("CON-1: every connect gets a new session ID and a new message key", Label("CON-1", "MSG-4"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		cs := w.ConnString(ctx, w.Member, w.Chat.ID, 0)
		ids, keys := map[string]bool{}, map[string]bool{}
		for range 4 {
			s, err := w.Dial(ctx, wcp.Auth{ChatID: w.Chat.ID, ConnectionString: cs.ConnectionString}, nil)
			Expect(err).NotTo(HaveOccurred())
			ids[s.Info().SessionID] = true
			keys[s.Info().MessageKey] = true
			s.Close()
		}
		Expect(ids).To(HaveLen(4), "session IDs")
		Expect(keys).To(HaveLen(4), "message keys")
	}, SpecTimeout(harness.SpecBound))

	It("CON-1: session comes before replayed and live messages", Label("CON-1", "CON-2"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		sender := w.Connect(ctx, w.Owner, w.Chat.ID, -1)
		for i := range 5 {
			w.Send(ctx, sender, harness.UniqueBody("before "+string(rune('a'+i))))
		}
		traffic := harness.StartSender(ctx, sender, 1000)
		zero := int64(0)
		for range 3 {
			s := w.Connect(ctx, w.Member, w.Chat.ID, zero)
			Expect(s.FirstEvent()).To(Equal(wcp.EventSession))
			Eventually(func() int { return len(s.Received()) }).WithTimeout(harness.DeliverWithin).Should(BeNumerically(">=", 5))
			Expect(s.Received()[0].Seq).To(Equal(int64(1)), "replay starts after `after`")
		}
		traffic.Stop()
	}, SpecTimeout(harness.SpecBound))
})

// expectMessageKey checks CON-1's key: 32 bytes, base64url, no padding.
func expectMessageKey(k string) {
	GinkgoHelper()
	Expect(k).To(MatchRegexp(`^[A-Za-z0-9_-]{43}$`), "message_key %q is 43 base64url characters, no padding", k)
	raw, err := base64.RawURLEncoding.Strict().DecodeString(k)
	Expect(err).NotTo(HaveOccurred(), "message_key %q decodes", k)
	Expect(raw).To(HaveLen(wcp.KeySize))
	Expect(strings.Count(k, "A")).To(BeNumerically("<", 43), "not all zero")
}
