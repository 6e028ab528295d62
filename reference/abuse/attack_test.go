package abuse

import (
	"context"
	"testing"

	"github.com/wcp-project/wcp"
)

// underAttack runs attack against tg's server while an honest client in
// another chat sends, then checks that the server stayed within b and that
// the honest client kept its acks. It returns the honest client's
// refusals, by code.
func underAttack(t *testing.T, ctx context.Context, tg target, attack func(testing.TB, context.Context, target), b budget) map[wcp.Code]int {
	t.Helper()
	h := startHonest(t, ctx, tg.w)
	wt := watch(t, tg.w.srv)
	attack(t, ctx, tg)
	wt.check(t, b)
	return h.check(t)
}
