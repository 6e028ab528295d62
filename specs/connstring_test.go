package specs

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/wcp-project/wcp"
)

// serverTime reads the server's clock: the created_at of a chat created
// now. Comparing expires_at with the server's own time keeps EXP-4 and
// EXP-2 honest against a server whose clock is not ours.
func (w *world) serverTime() time.Time {
	GinkgoHelper()
	c := w.newChat("clock")
	return parseWireTime(c.CreatedAt)
}

// parseWireTime parses a time in the protocol's form (section 1).
func parseWireTime(s string) time.Time {
	GinkgoHelper()
	Expect(s).To(MatchRegexp(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|\+00:00)$`), "RFC 3339, UTC, milliseconds")
	t, err := time.Parse(time.RFC3339Nano, s)
	Expect(err).NotTo(HaveOccurred())
	return t
}

// tweak returns a different printable character of the same class, so
// the changed string keeps the original's format and only its content
// differs (the hardest change for a server to notice).
func tweak(c byte) byte {
	switch {
	case c >= 'a' && c <= 'z':
		return 'a' + (c-'a'+1)%26
	case c >= 'A' && c <= 'Z':
		return 'A' + (c-'A'+1)%26
	case c >= '0' && c <= '9':
		return '0' + (c-'0'+1)%10
	case c == '-':
		return '_'
	}
	return '-'
}

// connectOutcomes tries every auth with a raw CONNECT, four at a time,
// and returns the outcomes in the same order.
func connectOutcomes(ctx context.Context, url string, auths []any) []connectOutcome {
	GinkgoHelper()
	out := make([]connectOutcome, len(auths))
	errs := make([]error, len(auths))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i, a := range auths {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer GinkgoRecover()
			defer wg.Done()
			defer func() { <-sem }()
			out[i], errs[i] = rawConnectAuth(ctx, url, a)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		Expect(err).NotTo(HaveOccurred(), "raw connect %d", i)
	}
	return out
}

var _ = Describe("Connection strings", func() {
	It("EXP-1: a connection string is printable ASCII of at most 512 bytes, for the chat asked", Label("EXP-1"), func() {
		w := newWorld()
		for _, a := range []actor{w.owner, w.member} {
			cs := w.connString(a, w.chat.ID, 0)
			Expect(cs.ChatID).To(Equal(w.chat.ID))
			Expect(len(cs.ConnectionString)).To(BeNumerically(">", 0))
			Expect(len(cs.ConnectionString)).To(BeNumerically("<=", wcp.MaxConnStringLen))
			Expect(cs.ConnectionString).To(MatchRegexp(`^[\x20-\x7e]+$`), "printable ASCII")
			// issued for this user: the session says whose it is
			s, err := w.dial(wcp.Auth{ChatID: w.chat.ID, ConnectionString: cs.ConnectionString}, nil)
			Expect(err).NotTo(HaveOccurred())
			Expect(s.Info().UserID).To(Equal(a.User.ID))
		}
	})

	It("EXP-1: changing any single character of a connection string makes it invalid", Label("EXP-1"), func() {
		w := newWorld()
		good := w.connString(w.member, w.chat.ID, 0).ConnectionString
		auths := []any{authMap(w.chat.ID, good)}
		for i := range len(good) {
			t := []byte(good)
			t[i] = tweak(t[i])
			auths = append(auths, authMap(w.chat.ID, string(t)))
		}
		// shorter and longer are changes too
		auths = append(auths, authMap(w.chat.ID, good[:len(good)-1]), authMap(w.chat.ID, good+"A"))

		out := connectOutcomes(w.ctx, w.url, auths)
		Expect(out[0].Accepted).To(BeTrue(), "the untouched string connects")
		var wrong []string
		for i, o := range out[1:] {
			if o.Code != wcp.CodeInvalidConnectionString {
				wrong = append(wrong, fmt.Sprintf("%q: %+v", auths[i+1].(map[string]any)["connection_string"], o))
			}
		}
		Expect(wrong).To(BeEmpty(), "changed strings not refused with invalid_connection_string (original %q)", good)
	})

	It("EXP-2: one string opens any number of sessions until it expires", Label("EXP-2"), func() {
		w := newWorld()
		cs := w.connString(w.member, w.chat.ID, 0)
		ids := map[string]bool{}
		for range 3 {
			s, err := w.dial(wcp.Auth{ChatID: w.chat.ID, ConnectionString: cs.ConnectionString}, nil)
			Expect(err).NotTo(HaveOccurred())
			ids[s.Info().SessionID] = true
		}
		Expect(ids).To(HaveLen(3), "three live sessions from one string")
	})

	It("EXP-2: at expires_at (plus at most 1 s of tolerance) a string is refused as expired, and open sessions stay open", Label("EXP-2"), func() {
		w := newWorld()
		skew := time.Until(w.serverTime()) // server clock minus ours, roughly
		cs := w.connString(w.member, w.chat.ID, 2)
		auth := wcp.Auth{ChatID: w.chat.ID, ConnectionString: cs.ConnectionString}
		open, err := w.dial(auth, nil)
		Expect(err).NotTo(HaveOccurred(), "a fresh 2 s string connects")

		// Our clock's view of expires_at. A correct server accepts until
		// then and refuses from then on (or 1 s later, at most). The skew
		// estimate errs late by the HTTP latency, and a connect reaches the
		// server a little after it starts: earlySlack and the margin cover
		// both.
		const earlySlack, margin = 750 * time.Millisecond, 500 * time.Millisecond
		expires := parseWireTime(cs.ExpiresAt).Add(-skew)
		deadline := expires.Add(wcp.ClockTolerance + margin)
		Eventually(func() wcp.Code {
			start := time.Now()
			s, err := w.dial(auth, nil)
			if err == nil {
				s.Close()
				return ""
			}
			code := refusalCode(err)
			if code == wcp.CodeConnectionStringExpired && start.Before(expires.Add(-earlySlack)) {
				StopTrying(fmt.Sprintf("refused as expired %v before expires_at", expires.Sub(start))).Now()
			}
			return code
		}).WithTimeout(time.Until(deadline)).WithPolling(100*time.Millisecond).
			Should(Equal(wcp.CodeConnectionStringExpired), "accepted until expires_at, refused as expired by expires_at + 1 s")

		// Expiry is checked at connect time only.
		Expect(open.Closed()).To(BeFalse(), "the session opened before expiry is still open")
		w.send(open, "after expiry")
	})

	DescribeTable("EXP-3: ttl_seconds outside 1..3600 or not an integer is 400 bad_request",
		func(ttl string) {
			w := newWorld()
			expectHTTPError(w.call(w.member.API, http.MethodPost, "/chat/"+esc(w.chat.ID)+"/connection-string",
				[]byte(`{"ttl_seconds":`+ttl+`}`)), http.StatusBadRequest, wcp.CodeBadRequest)
		},
		Entry("EXP-3: ttl_seconds 0", Label("EXP-3"), "0"),
		Entry("EXP-3: ttl_seconds 3601", Label("EXP-3"), "3601"),
		Entry("EXP-3: ttl_seconds -1", Label("EXP-3"), "-1"),
		Entry("EXP-3: ttl_seconds 1.5", Label("EXP-3"), "1.5"),
		Entry(`EXP-3: ttl_seconds "10"`, Label("EXP-3"), `"10"`),
		Entry("EXP-3: ttl_seconds true", Label("EXP-3"), "true"),
		Entry("EXP-3: ttl_seconds []", Label("EXP-3"), "[]"),
		Entry("EXP-3: ttl_seconds 1e9", Label("EXP-3"), "1000000000"),
	)

	It("EXP-3: ttl_seconds 1 and 3600 and none at all are accepted", Label("EXP-3"), func() {
		w := newWorld()
		for _, body := range []string{`{"ttl_seconds":1}`, `{"ttl_seconds":3600}`, `{}`} {
			expectStatus(w.call(w.member.API, http.MethodPost, "/chat/"+esc(w.chat.ID)+"/connection-string", []byte(body)), http.StatusCreated)
		}
	})

	It("EXP-4: expires_at is the issue time plus ttl_seconds, within 1 s", Label("EXP-4"), func() {
		w := newWorld()
		for _, ttl := range []int{60, 3600, 0} {
			want := time.Duration(ttl) * time.Second
			if ttl == 0 {
				want = wcp.DefaultTTL * time.Second
			}
			before := w.serverTime()
			cs := w.connString(w.member, w.chat.ID, ttl)
			after := w.serverTime()
			exp := parseWireTime(cs.ExpiresAt)
			Expect(exp).To(BeTemporally(">=", before.Add(want-wcp.ClockTolerance)), "ttl %d", ttl)
			Expect(exp).To(BeTemporally("<=", after.Add(want+wcp.ClockTolerance)), "ttl %d", ttl)
		}
	})
})
