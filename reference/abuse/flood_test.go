package abuse

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wcp-project/wcp"
)

// TestFloodNeverRead: a member floods its chat with 200 messages a second
// of 16 KiB while its other session in the chat never reads. The server
// buffered every delivery for the silent session without bound (18 -> 659
// MB); with the per-session buffer it ends that session as a slow receiver
// and the flood goes on for the rest.
func TestFloodNeverRead(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	w := newWorld(t, ctx, startServer(t))
	underAttack(t, ctx, target{w: w}, floodNeverRead, budget{rss: 100 << 20, goroutines: 150, settled: 60})
}

func floodNeverRead(t testing.TB, ctx context.Context, tg target) {
	w, srv := tg.w, tg.w.srv
	chat := w.chat(t, ctx, "flooded")
	member := w.member(t, ctx, "flooder")
	before := sessionsOpen(t, ctx, srv)
	ended := refusals(t, ctx, srv, slowReceiver...)

	silent := w.silent(t, ctx, member, chat.ID, nil)
	defer silent.Close()
	flooder := w.sender(t, ctx, member, chat.ID)
	defer flooder.sock.Close()
	// Plain bytes: deliveries of '<' (96 KiB each, escaped) at this pace
	// are more than the race-enabled flooder can read, and it would be
	// ended as a slow receiver itself.
	body := strings.Repeat("x", wcp.MaxBodyBytes)
	events := make([]string, 1200) // 6 s at 200 a second, signed ahead
	for i := range events {
		events[i] = flooder.next(body)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	busy, failed := 0, map[string]int{}
	tick := time.NewTicker(5 * time.Millisecond) // 200 a second
	defer tick.Stop()
	start := time.Now()
	for _, ev := range events { // 6 s: --slow-after and then some
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		}
		wg.Add(1)
		flooder.send(ev, func(_ int64, err error) {
			defer wg.Done()
			mu.Lock()
			defer mu.Unlock()
			var werr *wcp.Error
			switch {
			case err == nil:
			case errors.As(err, &werr) && werr.Code == wcp.CodeInternal && werr.Message == "server busy":
				busy++ // a server under other load too may push back
			default:
				failed[err.Error()]++
			}
		})
	}
	wg.Wait()
	t.Logf("flooder: %d sent in %v, %d refused busy, failed: %v", len(events), time.Since(start).Round(time.Millisecond), busy, failed)
	if len(failed) > 0 {
		t.Errorf("the flooder's messages failed: %v", failed)
	}
	waitRefusals(t, ctx, srv, ended+1, 5*time.Second, slowReceiver...)
	waitSessions(t, ctx, srv, before+1, 5*time.Second) // the flooder's stays
	if flooder.sock.Closed() {
		t.Errorf("the flooder's session ended: %s", flooder.sock.DisconnectReason())
	}
	// Gone before the next attack counts sessions.
	flooder.sock.Close()
	waitSessions(t, ctx, srv, before, 5*time.Second)
}
