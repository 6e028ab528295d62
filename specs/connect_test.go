package specs

import (
	"encoding/base64"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/wcp-project/wcp"
)

// tampered changes the string's middle character.
func tampered(s string) string {
	b := []byte(s)
	b[len(b)/2] = tweak(b[len(b)/2])
	return string(b)
}

// expectRefused connects with auth (any JSON value) and requires a
// CONNECT_ERROR with code.
func (w *world) expectRefused(auth any, code wcp.Code, why string) {
	GinkgoHelper()
	out, err := rawConnectAuth(w.ctx, w.url, auth)
	Expect(err).NotTo(HaveOccurred(), why)
	Expect(out.Accepted).To(BeFalse(), "%s: accepted", why)
	Expect(out.Code).To(Equal(code), "%s: %+v", why, out)
}

var _ = Describe("Connecting: the checks and their order (CON-5)", func() {
	It("CON-5: an auth of the wrong shape is bad_request, before the string is looked at", Label("CON-5"), func() {
		w := newWorld()
		good := w.connString(w.member, w.chat.ID, 0).ConnectionString
		with := func(k string, v any) map[string]any {
			m := authMap(w.chat.ID, good)
			m[k] = v
			return m
		}
		without := func(k string) map[string]any {
			m := authMap(w.chat.ID, good)
			delete(m, k)
			return m
		}
		for why, auth := range map[string]any{
			"empty object":              map[string]any{},
			"no chat_id":                without("chat_id"),
			"no connection_string":      without("connection_string"),
			"chat_id a number":          with("chat_id", 7),
			"connection_string number":  with("connection_string", 7),
			"connection_string null":    with("connection_string", nil),
			"chat_id an object":         with("chat_id", map[string]any{"id": w.chat.ID}),
			"after -1":                  with("after", -1),
			"after 1.5":                 with("after", 1.5),
			`after "3"`:                 with("after", "3"),
			"after true":                with("after", true),
			"after -1, string tampered": map[string]any{"chat_id": w.chat.ID, "connection_string": tampered(good), "after": -1},
		} {
			w.expectRefused(auth, wcp.CodeBadRequest, why)
		}
		// and the same string, well formed, connects
		w.expectAccepted(authMap(w.chat.ID, good))
		w.expectAccepted(map[string]any{"chat_id": w.chat.ID, "connection_string": good, "after": 0})
	})

	It("CON-5: authenticity is checked before the chat binding", Label("CON-5", "EXP-1"), func() {
		w := newWorld()
		other := w.newChat("other")
		good := w.connString(w.member, w.chat.ID, 0).ConnectionString
		w.expectRefused(authMap(other.ID, tampered(good)), wcp.CodeInvalidConnectionString, "tampered, for another chat")
		w.expectRefused(authMap("nochat"+uniqueID(), tampered(good)), wcp.CodeInvalidConnectionString, "tampered, for a missing chat")
	})

	It("CON-5: a string for one chat does not open another (chat_mismatch)", Label("CON-5"), func() {
		w := newWorld()
		other := w.newChat("other")
		good := w.connString(w.member, w.chat.ID, 0).ConnectionString
		w.expectRefused(authMap(other.ID, good), wcp.CodeChatMismatch, "string for chat A, chat_id B")
		w.expectRefused(authMap("nochat"+uniqueID(), good), wcp.CodeChatMismatch, "string for chat A, missing chat")
		Expect(w.owner.API.DeleteChat(w.ctx, w.chat.ID)).To(Succeed())
		w.expectRefused(authMap(other.ID, good), wcp.CodeChatMismatch, "string for deleted chat A, chat_id B")
	})

	It("CON-5: a deleted chat or workspace is chat_not_found, before membership", Label("CON-5"), func() {
		w := newWorld()
		second := w.newChat("second")
		forChat := w.connString(w.member, w.chat.ID, 0).ConnectionString
		forSecond := w.connString(w.member, second.ID, 0).ConnectionString
		// membership ends too, so chat_not_found must win over forbidden
		Expect(w.owner.API.RemoveMember(w.ctx, w.ws.ID, w.member.User.ID)).To(Succeed())
		Expect(w.owner.API.DeleteChat(w.ctx, w.chat.ID)).To(Succeed())
		w.expectRefused(authMap(w.chat.ID, forChat), wcp.CodeChatNotFound, "deleted chat")
		Expect(w.owner.API.DeleteWorkspace(w.ctx, w.ws.ID)).To(Succeed())
		w.expectRefused(authMap(second.ID, forSecond), wcp.CodeChatNotFound, "chat of a deleted workspace")
	})

	It("CON-5: a user who is no longer a member is forbidden", Label("CON-5"), func() {
		w := newWorld()
		good := w.connString(w.member, w.chat.ID, 0).ConnectionString
		w.expectAccepted(authMap(w.chat.ID, good))
		Expect(w.owner.API.RemoveMember(w.ctx, w.ws.ID, w.member.User.ID)).To(Succeed())
		w.expectRefused(authMap(w.chat.ID, good), wcp.CodeForbidden, "removed member")
		// and back again: the same string works
		Expect(w.owner.API.AddMember(w.ctx, w.ws.ID, w.member.User.ID)).To(Succeed())
		w.expectAccepted(authMap(w.chat.ID, good))
	})

	It("CON-5: expiry is checked after authenticity and binding, before existence and membership", Label("CON-5", "EXP-2"), func() {
		w := newWorld()
		doomed := w.newChat("doomed")
		other := w.newChat("other")
		// All 1 s strings, issued together, so one wait expires them all.
		forChat := w.connString(w.member, w.chat.ID, 1).ConnectionString
		forDoomed := w.connString(w.member, doomed.ID, 1).ConnectionString
		forChatOwner := w.connString(w.owner, w.chat.ID, 1).ConnectionString

		Eventually(func() wcp.Code {
			out, err := rawConnectAuth(w.ctx, w.url, authMap(w.chat.ID, forChatOwner))
			Expect(err).NotTo(HaveOccurred())
			return out.Code
		}).WithTimeout(6 * time.Second).WithPolling(100 * time.Millisecond).Should(Equal(wcp.CodeConnectionStringExpired))

		w.expectRefused(authMap(w.chat.ID, tampered(forChat)), wcp.CodeInvalidConnectionString, "expired and tampered")
		w.expectRefused(authMap(other.ID, forChat), wcp.CodeChatMismatch, "expired, for another chat")
		Expect(w.owner.API.DeleteChat(w.ctx, doomed.ID)).To(Succeed())
		w.expectRefused(authMap(doomed.ID, forDoomed), wcp.CodeConnectionStringExpired, "expired, chat deleted")
		Expect(w.owner.API.RemoveMember(w.ctx, w.ws.ID, w.member.User.ID)).To(Succeed())
		w.expectRefused(authMap(w.chat.ID, forChat), wcp.CodeConnectionStringExpired, "expired, member removed")
	})
})

// expectAccepted connects raw with auth and requires a session.
func (w *world) expectAccepted(auth any) {
	GinkgoHelper()
	out, err := rawConnectAuth(w.ctx, w.url, auth)
	Expect(err).NotTo(HaveOccurred())
	Expect(out.Accepted).To(BeTrue(), "refused: %+v", out)
}

var _ = Describe("Sessions (CON-1)", func() {
	It("CON-1: the session event comes first and describes the session", Label("CON-1"), func() {
		w := newWorld()
		for _, a := range []actor{w.owner, w.member} {
			s := w.connect(a, w.chat.ID, -1)
			Expect(s.FirstEvent()).To(Equal(wcp.EventSession))
			info := s.Info()
			Expect(wcp.ValidID(info.SessionID)).To(BeTrue(), "session_id %q is an ID", info.SessionID)
			Expect(info.ChatID).To(Equal(w.chat.ID))
			Expect(info.UserID).To(Equal(a.User.ID))
			expectMessageKey(info.MessageKey)
		}
	})

	It("CON-1: every connect gets a new session ID and a new message key", Label("CON-1", "MSG-4"), func() {
		w := newWorld()
		cs := w.connString(w.member, w.chat.ID, 0)
		ids, keys := map[string]bool{}, map[string]bool{}
		for range 4 {
			s, err := w.dial(wcp.Auth{ChatID: w.chat.ID, ConnectionString: cs.ConnectionString}, nil)
			Expect(err).NotTo(HaveOccurred())
			ids[s.Info().SessionID] = true
			keys[s.Info().MessageKey] = true
			s.Close()
		}
		Expect(ids).To(HaveLen(4), "session IDs")
		Expect(keys).To(HaveLen(4), "message keys")
	})

	It("CON-1: session comes before replayed and live messages", Label("CON-1", "CON-2"), func() {
		w := newWorld()
		sender := w.connect(w.owner, w.chat.ID, -1)
		for i := range 5 {
			w.send(sender, uniqueBody("before "+string(rune('a'+i))))
		}
		traffic := startSender(w, sender, 1000)
		zero := int64(0)
		for range 3 {
			s := w.connect(w.member, w.chat.ID, zero)
			Expect(s.FirstEvent()).To(Equal(wcp.EventSession))
			Eventually(func() int { return len(s.Received()) }).WithTimeout(deliverWithin).Should(BeNumerically(">=", 5))
			Expect(s.Received()[0].Seq).To(Equal(int64(1)), "replay starts after `after`")
		}
		traffic.Stop()
	})
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
