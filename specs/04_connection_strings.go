package specs

import (
	"context"
	"fmt"
	"net/http"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/specs/harness"
)

// serverTime reads the server's clock: the created_at of a chat created
// now. Comparing expires_at with the server's own time keeps EXP-4 and
// EXP-2 honest against a server whose clock is not ours.
func serverTime(ctx context.Context, w *harness.World) time.Time {
	GinkgoHelper()
	c := w.NewChat(ctx, "clock")
	return harness.ParseWireTime(c.CreatedAt)
}

// PROTOCOL.md §4. EXP-1: opaque printable ASCII, at most 512 bytes, for one
// (user, chat), unforgeable; EXP-2: reusable until expires_at, then refused
// as expired; EXP-3: ttl_seconds is an integer in 1..3600; EXP-4: expires_at
// is issue time + ttl_seconds, within 1 s.
var _ = Describe("Connection strings", func() {
	It("EXP-1: a connection string is printable ASCII of at most 512 bytes, for the chat asked", Label("EXP-1"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		for _, a := range []harness.Actor{w.Owner, w.Member} {
			cs := w.ConnString(ctx, a, w.Chat.ID, 0)
			Expect(cs.ChatID).To(Equal(w.Chat.ID))
			Expect(len(cs.ConnectionString)).To(BeNumerically(">", 0))
			Expect(len(cs.ConnectionString)).To(BeNumerically("<=", wcp.MaxConnStringLen))
			Expect(cs.ConnectionString).To(MatchRegexp(`^[\x20-\x7e]+$`), "printable ASCII")
			// issued for this user: the session says whose it is
			s, err := w.Dial(ctx, wcp.Auth{ChatID: w.Chat.ID, ConnectionString: cs.ConnectionString}, nil)
			Expect(err).NotTo(HaveOccurred())
			Expect(s.Info().UserID).To(Equal(a.User.ID))
		}
	}, SpecTimeout(harness.SpecBound))

	It("EXP-1: changing any single character of a connection string makes it invalid", Label("EXP-1"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		good := w.ConnString(ctx, w.Member, w.Chat.ID, 0).ConnectionString
		auths := []any{harness.AuthMap(w.Chat.ID, good)}
		for i := range len(good) {
			t := []byte(good)
			t[i] = harness.Tweak(t[i])
			auths = append(auths, harness.AuthMap(w.Chat.ID, string(t)))
		}
		// shorter and longer are changes too
		auths = append(auths, harness.AuthMap(w.Chat.ID, good[:len(good)-1]), harness.AuthMap(w.Chat.ID, good+"A"))

		out := harness.RawConnectAll(ctx, w.URL, auths)
		Expect(out[0].Accepted).To(BeTrue(), "the untouched string connects")
		var wrong []string
		for i, o := range out[1:] {
			if o.Code != wcp.CodeInvalidConnectionString {
				wrong = append(wrong, fmt.Sprintf("%q: %+v", auths[i+1].(map[string]any)["connection_string"], o))
			}
		}
		Expect(wrong).To(BeEmpty(), "changed strings not refused with invalid_connection_string (original %q)", good)
	}, SpecTimeout(harness.SpecBound))

	It("EXP-2: one string opens any number of sessions until it expires", Label("EXP-2"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		cs := w.ConnString(ctx, w.Member, w.Chat.ID, 0)
		ids := map[string]bool{}
		for range 3 {
			s, err := w.Dial(ctx, wcp.Auth{ChatID: w.Chat.ID, ConnectionString: cs.ConnectionString}, nil)
			Expect(err).NotTo(HaveOccurred())
			ids[s.Info().SessionID] = true
		}
		Expect(ids).To(HaveLen(3), "three live sessions from one string")
	}, SpecTimeout(harness.SpecBound))

	It("EXP-2: at expires_at (plus at most 1 s of tolerance) a string is refused as expired, and open sessions stay open", Label("EXP-2"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		skew := time.Until(serverTime(ctx, w)) // server clock minus ours, roughly
		cs := w.ConnString(ctx, w.Member, w.Chat.ID, 2)
		auth := wcp.Auth{ChatID: w.Chat.ID, ConnectionString: cs.ConnectionString}
		open, err := w.Dial(ctx, auth, nil)
		Expect(err).NotTo(HaveOccurred(), "a fresh 2 s string connects")

		// Our clock's view of expires_at. A correct server accepts until
		// then and refuses from then on (or 1 s later, at most). The skew
		// estimate errs late by the HTTP latency, and a connect reaches the
		// server a little after it starts: earlySlack and the margin cover
		// both.
		const earlySlack, margin = 750 * time.Millisecond, 500 * time.Millisecond
		expires := harness.ParseWireTime(cs.ExpiresAt).Add(-skew)
		deadline := expires.Add(wcp.ClockTolerance + margin)
		Eventually(func() wcp.Code {
			start := time.Now()
			s, err := w.Dial(ctx, auth, nil)
			if err == nil {
				s.Close()
				return ""
			}
			code := harness.RefusalCode(err)
			if code == wcp.CodeConnectionStringExpired && start.Before(expires.Add(-earlySlack)) {
				StopTrying(fmt.Sprintf("refused as expired %v before expires_at", expires.Sub(start))).Now()
			}
			return code
		}).WithTimeout(time.Until(deadline)).WithPolling(100*time.Millisecond).
			Should(Equal(wcp.CodeConnectionStringExpired), "accepted until expires_at, refused as expired by expires_at + 1 s")

		// Expiry is checked at connect time only.
		Expect(open.Closed()).To(BeFalse(), "the session opened before expiry is still open")
		w.Send(ctx, open, "after expiry")
	}, SpecTimeout(harness.SpecBound))

	DescribeTable("EXP-3: ttl_seconds outside 1..3600 or not an integer is 400 bad_request",
		func(ctx SpecContext, ttl string) {
			w := harness.NewWorld(ctx)
			harness.ExpectHTTPError(w.Call(ctx, w.Member.API, http.MethodPost, wcp.ConnectionStringPath(w.Chat.ID),
				[]byte(`{"ttl_seconds":`+ttl+`}`)), http.StatusBadRequest, wcp.CodeBadRequest)
		},
		Entry("EXP-3: ttl_seconds 0", Label("EXP-3"), SpecTimeout(harness.SpecBound), "0"),
		Entry("EXP-3: ttl_seconds 3601", Label("EXP-3"), SpecTimeout(harness.SpecBound), "3601"),
		Entry("EXP-3: ttl_seconds -1", Label("EXP-3"), SpecTimeout(harness.SpecBound), "-1"),
		Entry("EXP-3: ttl_seconds 1.5", Label("EXP-3"), SpecTimeout(harness.SpecBound), "1.5"),
		Entry(`EXP-3: ttl_seconds "10"`, Label("EXP-3"), SpecTimeout(harness.SpecBound), `"10"`),
		Entry("EXP-3: ttl_seconds true", Label("EXP-3"), SpecTimeout(harness.SpecBound), "true"),
		Entry("EXP-3: ttl_seconds []", Label("EXP-3"), SpecTimeout(harness.SpecBound), "[]"),
		Entry("EXP-3: ttl_seconds 1e9", Label("EXP-3"), SpecTimeout(harness.SpecBound), "1000000000"),
	)

	It("EXP-3: ttl_seconds 1 and 3600 and none at all are accepted", Label("EXP-3"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		for _, body := range []string{`{"ttl_seconds":1}`, `{"ttl_seconds":3600}`, `{}`} {
			harness.ExpectStatus(w.Call(ctx, w.Member.API, http.MethodPost, wcp.ConnectionStringPath(w.Chat.ID), []byte(body)), http.StatusCreated)
		}
	}, SpecTimeout(harness.SpecBound))

	It("EXP-4: expires_at is the issue time plus ttl_seconds, within 1 s", Label("EXP-4"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		for _, ttl := range []int{60, 3600, 0} {
			want := time.Duration(ttl) * time.Second
			if ttl == 0 {
				want = wcp.DefaultTTL * time.Second
			}
			before := serverTime(ctx, w)
			cs := w.ConnString(ctx, w.Member, w.Chat.ID, ttl)
			after := serverTime(ctx, w)
			exp := harness.ParseWireTime(cs.ExpiresAt)
			Expect(exp).To(BeTemporally(">=", before.Add(want-wcp.ClockTolerance)), "ttl %d", ttl)
			Expect(exp).To(BeTemporally("<=", after.Add(want+wcp.ClockTolerance)), "ttl %d", ttl)
		}
	}, SpecTimeout(harness.SpecBound))
})
