package specs

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/specs/harness"
)

// PROTOCOL.md §5, CON-5: the server checks shape, authenticity, binding,
// expiry, existence and membership, in this order, and refuses with the
// first that fails.
var _ = Describe("Connecting: the checks and their order (CON-5)", func() {
	It("CON-5: an auth of the wrong shape is bad_request, before the string is looked at", Label("CON-5"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		good := w.ConnString(ctx, w.Member, w.Chat.ID, 0).ConnectionString
		auth := harness.AuthMap(w.Chat.ID, good)
		for why, bad := range map[string]any{
			"empty object":              map[string]any{},
			"no chat_id":                harness.Without(auth, "chat_id"),
			"no connection_string":      harness.Without(auth, "connection_string"),
			"chat_id a number":          harness.With(auth, "chat_id", 7),
			"connection_string number":  harness.With(auth, "connection_string", 7),
			"connection_string null":    harness.With(auth, "connection_string", nil),
			"chat_id an object":         harness.With(auth, "chat_id", map[string]any{"id": w.Chat.ID}),
			"after -1":                  harness.With(auth, "after", -1),
			"after 1.5":                 harness.With(auth, "after", 1.5),
			`after "3"`:                 harness.With(auth, "after", "3"),
			"after true":                harness.With(auth, "after", true),
			"after -1, string tampered": harness.With(harness.AuthMap(w.Chat.ID, harness.Tampered(good)), "after", -1),
		} {
			w.ExpectRefused(ctx, bad, wcp.CodeBadRequest, why)
		}
		// and the same string, well formed, connects
		w.ExpectAccepted(ctx, auth)
		w.ExpectAccepted(ctx, harness.With(auth, "after", 0))
	}, SpecTimeout(harness.SpecBound))

	It("CON-5: authenticity is checked before the chat binding", Label("CON-5", "EXP-1"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		other := w.NewChat(ctx, "other")
		good := w.ConnString(ctx, w.Member, w.Chat.ID, 0).ConnectionString
		w.ExpectRefused(ctx, harness.AuthMap(other.ID, harness.Tampered(good)), wcp.CodeInvalidConnectionString, "tampered, for another chat")
		w.ExpectRefused(ctx, harness.AuthMap("nochat"+harness.UniqueID(), harness.Tampered(good)), wcp.CodeInvalidConnectionString, "tampered, for a missing chat")
	}, SpecTimeout(harness.SpecBound))

	It("CON-5: a string for one chat does not open another (chat_mismatch)", Label("CON-5"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		other := w.NewChat(ctx, "other")
		good := w.ConnString(ctx, w.Member, w.Chat.ID, 0).ConnectionString
		w.ExpectRefused(ctx, harness.AuthMap(other.ID, good), wcp.CodeChatMismatch, "string for chat A, chat_id B")
		w.ExpectRefused(ctx, harness.AuthMap("nochat"+harness.UniqueID(), good), wcp.CodeChatMismatch, "string for chat A, missing chat")
		Expect(w.Owner.API.DeleteChat(ctx, w.Chat.ID)).To(Succeed())
		w.ExpectRefused(ctx, harness.AuthMap(other.ID, good), wcp.CodeChatMismatch, "string for deleted chat A, chat_id B")
	}, SpecTimeout(harness.SpecBound))

	It("CON-5: a deleted chat or workspace is chat_not_found, before membership", Label("CON-5"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		second := w.NewChat(ctx, "second")
		forChat := w.ConnString(ctx, w.Member, w.Chat.ID, 0).ConnectionString
		forSecond := w.ConnString(ctx, w.Member, second.ID, 0).ConnectionString
		// membership ends too, so chat_not_found must win over forbidden
		Expect(w.Owner.API.RemoveMember(ctx, w.WS.ID, w.Member.User.ID)).To(Succeed())
		Expect(w.Owner.API.DeleteChat(ctx, w.Chat.ID)).To(Succeed())
		w.ExpectRefused(ctx, harness.AuthMap(w.Chat.ID, forChat), wcp.CodeChatNotFound, "deleted chat")
		Expect(w.Owner.API.DeleteWorkspace(ctx, w.WS.ID)).To(Succeed())
		w.ExpectRefused(ctx, harness.AuthMap(second.ID, forSecond), wcp.CodeChatNotFound, "chat of a deleted workspace")
	}, SpecTimeout(harness.SpecBound))

	It("CON-5: a user who is no longer a member is forbidden", Label("CON-5"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		good := w.ConnString(ctx, w.Member, w.Chat.ID, 0).ConnectionString
		w.ExpectAccepted(ctx, harness.AuthMap(w.Chat.ID, good))
		Expect(w.Owner.API.RemoveMember(ctx, w.WS.ID, w.Member.User.ID)).To(Succeed())
		w.ExpectRefused(ctx, harness.AuthMap(w.Chat.ID, good), wcp.CodeForbidden, "removed member")
		// and back again: the same string works
		Expect(w.Owner.API.AddMember(ctx, w.WS.ID, w.Member.User.ID)).To(Succeed())
		w.ExpectAccepted(ctx, harness.AuthMap(w.Chat.ID, good))
	}, SpecTimeout(harness.SpecBound))

	It("CON-5: expiry is checked after authenticity and binding, before existence and membership", Label("CON-5", "EXP-2"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		doomed := w.NewChat(ctx, "doomed")
		other := w.NewChat(ctx, "other")
		// All 1 s strings, issued together, so one wait expires them all.
		forChat := w.ConnString(ctx, w.Member, w.Chat.ID, 1).ConnectionString
		forDoomed := w.ConnString(ctx, w.Member, doomed.ID, 1).ConnectionString
		forChatOwner := w.ConnString(ctx, w.Owner, w.Chat.ID, 1).ConnectionString

		Eventually(func() wcp.Code {
			out, err := harness.RawConnectAuth(ctx, w.URL, harness.AuthMap(w.Chat.ID, forChatOwner))
			Expect(err).NotTo(HaveOccurred())
			return out.Code
		}).WithTimeout(6 * time.Second).WithPolling(100 * time.Millisecond).Should(Equal(wcp.CodeConnectionStringExpired))

		w.ExpectRefused(ctx, harness.AuthMap(w.Chat.ID, harness.Tampered(forChat)), wcp.CodeInvalidConnectionString, "expired and tampered")
		w.ExpectRefused(ctx, harness.AuthMap(other.ID, forChat), wcp.CodeChatMismatch, "expired, for another chat")
		Expect(w.Owner.API.DeleteChat(ctx, doomed.ID)).To(Succeed())
		w.ExpectRefused(ctx, harness.AuthMap(doomed.ID, forDoomed), wcp.CodeConnectionStringExpired, "expired, chat deleted")
		Expect(w.Owner.API.RemoveMember(ctx, w.WS.ID, w.Member.User.ID)).To(Succeed())
		w.ExpectRefused(ctx, harness.AuthMap(w.Chat.ID, forChat), wcp.CodeConnectionStringExpired, "expired, member removed")
	}, SpecTimeout(harness.SpecBound))
})
