package harness

import (
	"context"
	"net/http"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/client"
)

// revokeSlack is what the specs add to CON-4's 1 s for their own side: the
// DISCONNECT has to cross loopback and the client's goroutines to be seen.
const revokeSlack = 250 * time.Millisecond

// ExpectRevoked requires s to get `revoked` with code and to be
// disconnected by the server within 1 s of since, which callers take when
// the HTTP call that ended the access has answered: the server may act at
// any moment while it handles the call, at the latest just before it
// answers.
func ExpectRevoked(s *client.Session, code wcp.Code, since time.Time) {
	GinkgoHelper()
	Eventually(s.Done()).WithTimeout(time.Until(since.Add(wcp.RevokeWithin+revokeSlack))).WithPolling(10*time.Millisecond).
		Should(BeClosed(), "disconnected by the server within 1 s")
	Expect(s.RevokedEvents()).To(Equal([]wcp.Revoked{{Code: code}}), "one revoked event, before the disconnect")
}

// ExpectNotRevoked requires s to get no `revoked` and to stay open for
// QuietFor.
func ExpectNotRevoked(s *client.Session, why string) {
	GinkgoHelper()
	Consistently(func() bool { return len(s.RevokedEvents()) == 0 && !s.Closed() }).
		WithTimeout(QuietFor).Should(BeTrue(), "%s: no revocation, still open", why)
}

// ExpectAlive requires s to be open and to still get the chat's messages:
// from sends a message and s must see it.
func (w *World) ExpectAlive(ctx context.Context, s, from *client.Session) {
	GinkgoHelper()
	Expect(s.Closed()).To(BeFalse(), "session still open")
	ack := w.Send(ctx, from, UniqueBody("still there?"))
	Eventually(ReceivedSeqs(s)).WithTimeout(DeliverWithin).Should(ContainElement(ack.Seq), "session still receives")
}

// ExpectServesEndToEnd is ROB-1's "keeps serving everyone else": a brand
// new user goes through every step, HTTP and socket, within a few seconds.
func ExpectServesEndToEnd(ctx context.Context) {
	GinkgoHelper()
	By("a fresh user is still served end to end")
	w := NewWorld(ctx)
	Expect(client.Healthz(ctx, &http.Client{Timeout: AnswerWithin}, w.URL)).To(Succeed())
	s := w.Connect(ctx, w.Member, w.Chat.ID, -1)
	obs := w.Connect(ctx, w.Owner, w.Chat.ID, -1)
	ack := w.Send(ctx, s, "still serving")
	Eventually(ReceivedSeqs(obs)).WithTimeout(DeliverWithin).Should(Equal([]int64{ack.Seq}))
	Expect(w.Stored(ctx, w.Chat.ID)).To(HaveLen(1))
}
