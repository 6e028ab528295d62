package specs

import (
	"fmt"
	"net/http"

	. "github.com/onsi/ginkgo/v2"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/specs/harness"
)

// matrixEntries generates one entry per endpoint and caller, labelled with
// the rule that decides the answer.
func matrixEntries() []TableEntry {
	var entries []TableEntry
	for _, e := range endpoints() {
		for _, role := range roles {
			var want int
			var code wcp.Code
			var rules []string
			switch role {
			case "owner":
				want, rules = e.owner, []string{"OWN-2"}
			case "member":
				want, rules = e.member, []string{"OWN-2"}
			case "outsider":
				want, rules = e.outsider, []string{"OWN-3"}
			default:
				want, code, rules = http.StatusUnauthorized, wcp.CodeUnauthenticated, []string{"ROB-2"}
			}
			if want == http.StatusForbidden {
				code = wcp.CodeForbidden
			}
			if e.name == "POST /chat" {
				rules = append([]string{"OWN-1"}, rules...)
			}
			verdict := fmt.Sprintf("%d", want)
			if code != "" {
				verdict += " " + string(code)
			}
			title := fmt.Sprintf("%s: %s → %s for %s", joinRules(rules), e.name, verdict, who(role))
			entries = append(entries, Entry(title, Label(rules...), SpecTimeout(harness.SpecBound), e, role, want, code))
		}
	}
	return entries
}

// who names a role in a spec title.
func who(role string) string {
	switch role {
	case "no token":
		return "a caller without a token"
	case "bad token":
		return "a caller with an unknown token"
	case "outsider":
		return "an outsider"
	}
	return "the " + role
}

// joinRules joins rule IDs for a spec title: OWN-1/OWN-2.
func joinRules(rules []string) string {
	s := rules[0]
	for _, r := range rules[1:] {
		s += "/" + r
	}
	return s
}

// PROTOCOL.md §3, OWN-2 and OWN-3 call by call: the owner and members get
// what the table allows them, anyone else 403 about an existing workspace
// or chat and 404 about a missing one, a caller without a valid token 401
// (ROB-2).
var _ = Describe("Ownership matrix: every call × owner, member, outsider, no token, bad token", func() {
	DescribeTable("answers each caller as section 3 says",
		func(ctx SpecContext, e endpoint, role string, want int, code wcp.Code) {
			w, o := newOwnWorld(ctx)
			resp := e.request(ctx, w, o, as(w, role))
			if code != "" {
				harness.ExpectHTTPError(resp, want, code)
			} else {
				harness.ExpectStatus(resp, want)
			}
		},
		matrixEntries(),
	)
})

// missingEntries: every call about a workspace or chat that does not exist
// answers 404, to a user with rights elsewhere and to one without any.
func missingEntries() []TableEntry {
	var entries []TableEntry
	for _, e := range endpoints() {
		if e.about == "" {
			continue
		}
		for _, role := range []string{"owner", "outsider"} {
			title := fmt.Sprintf("OWN-3: %s about a missing %s → 404 not_found for %s", e.name, e.about, who(role))
			entries = append(entries, Entry(title, Label("OWN-3"), SpecTimeout(harness.SpecBound), e, role))
		}
	}
	return entries
}

var _ = Describe("Missing resources", func() {
	DescribeTable("answer 404",
		func(ctx SpecContext, e endpoint, role string) {
			w, o := newOwnWorld(ctx)
			// IDs that are well-formed but were never issued.
			w.WS.ID = "nows" + harness.UniqueID()
			w.Chat.ID = "nochat" + harness.UniqueID()
			harness.ExpectHTTPError(e.request(ctx, w, o, as(w, role)), http.StatusNotFound, wcp.CodeNotFound)
		},
		missingEntries(),
	)
})
