package abuse

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/wcp-project/wcp"
)

// ltBody is a body of 16 KiB of '<', which JSON encoders escape to six
// bytes each (\u003c): the largest message a client can make the server
// write, about 96 KiB on the wire.
var ltBody = strings.Repeat("<", wcp.MaxBodyBytes)

// TestReplayNeverRead: four sessions ask for the whole history of a chat of
// 1,000 such messages (after: 0) and never read a byte of it. Unpaged, the
// server built every replay in memory at once (29 -> 754 MB in 2 s, held
// ~45 s). Paged with flow control it holds about a page and a session
// buffer per session, and ends them as slow receivers.
func TestReplayNeverRead(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	w, chat := history(t, ctx)
	// 4 x (a replay page of 50 x 96 KiB + 1 MiB of session buffer) is
	// ~24 MiB over the ~35 MiB an idle server holds.
	underAttack(t, ctx, target{w: w, history: chat}, replayNeverRead, budget{rss: 128 << 20, goroutines: 150, settled: 60})
}

func replayNeverRead(t testing.TB, ctx context.Context, tg target) {
	srv := tg.w.srv
	before := sessionsOpen(t, ctx, srv)
	ended := refusals(t, ctx, srv, slowReceiver...)
	zero := int64(0)
	for range 4 {
		rc := tg.w.silent(t, ctx, nil, tg.history.ID, &zero)
		defer rc.Close()
	}
	waitRefusals(t, ctx, srv, ended+4, 10*time.Second, slowReceiver...)
	waitSessions(t, ctx, srv, before, 5*time.Second)
}
