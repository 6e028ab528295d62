package specs

import (
	"context"
	"net/http"

	. "github.com/onsi/ginkgo/v2"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/specs/harness"
)

// Histories, after the sections because each checks several rules at
// once (the files 10_histories_*.go). The other specs mostly check fresh objects. Real servers keep
// state and caches (memberships, sessions, per-chat counters, signing
// keys), and users hold several sessions at once and lose and regain
// access after they have used it. Each spec here first uses what it then
// takes away, so a server that answers from a stale cache, or keeps state
// per user where the contract keeps it per session or per chat, shows.
// Every spec asserts only what the contract fixes.

// memberCalls is every call of PROTOCOL.md §3 about the world's workspace and
// chat, with what a member and an outsider get; the same list as the
// ownership matrix.
func memberCalls() []endpoint {
	var out []endpoint
	for _, e := range endpoints() {
		if e.about != "" {
			out = append(out, e)
		}
	}
	return out
}

// expectAnswersAsMember makes every call a member may make about the
// world's workspace and chat, as a, and requires success (OWN-2).
func expectAnswersAsMember(ctx context.Context, w *harness.World, o *ownWorld, a harness.Actor, when string) {
	GinkgoHelper()
	for _, e := range memberCalls() {
		if e.member == http.StatusForbidden {
			continue // refused to members too: nothing to tell apart
		}
		harness.ExpectStatus(e.request(ctx, w, o, a.API), e.member, "%s: %s as a member", when, e.name)
	}
}

// expectAnswersAsOutsider makes every call about the world's workspace and
// chat as a, and requires 403 forbidden for each (OWN-3).
func expectAnswersAsOutsider(ctx context.Context, w *harness.World, o *ownWorld, a harness.Actor, when string) {
	GinkgoHelper()
	for _, e := range memberCalls() {
		harness.ExpectHTTPError(e.request(ctx, w, o, a.API), http.StatusForbidden, wcp.CodeForbidden, "%s: %s as an outsider", when, e.name)
	}
}
