package abuse

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wcp-project/wcp"
)

// Writer flood: how many sessions flood, how often each sends a burst of
// twice the server's --writer-queue (eight times it together), for how
// long; and the --writer-queue of TestWriterQueueFlood.
const (
	flooders      = 4
	floodEvery    = 100 * time.Millisecond
	floodFor      = 3 * time.Second
	floodQueueCap = 50
)

// TestWriterQueueFlood: members send messages faster than the writer can
// store and deliver them, each all of its messages at once. Past
// --writer-queue the server refuses at once (internal, "server busy")
// instead of queueing without bound; nothing refused is stored, what was
// accepted is stored with seqs 1..n, and the sessions stay open. The
// honest client in another chat is never refused: the queue is shared
// fairly between chats.
func TestWriterQueueFlood(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	w := newWorld(t, ctx, startServer(t, fmt.Sprintf("--writer-queue=%d", floodQueueCap)))
	refused := underAttack(t, ctx, target{w: w}, writerFlood, budget{rss: 100 << 20, goroutines: 150, settled: 60})
	// The queue is shared fairly between chats: however hard the chat
	// next door floods, the honest client's one message in flight is
	// under its chat's share, so it is never refused busy.
	if n := refused[wcp.CodeInternal]; n > 0 {
		t.Errorf("the honest client in another chat had %d of its messages refused (internal): the flood took its share of the writer queue", n)
	}
}

func writerFlood(t testing.TB, ctx context.Context, tg target) {
	w, srv := tg.w, tg.w.srv
	chat := w.chat(t, ctx, "flooded")
	m, err := srv.metrics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	busyBefore := m.refusals("writer_queue")
	burst := 2 * int(m[`wcp_limit{limit="writer_queue"}`]) // per flooder
	before := sessionsOpen(t, ctx, srv)
	var mu sync.Mutex
	accepted := map[string]int64{} // body -> seq
	busy := map[string]bool{}
	other := map[string]int{}
	senders := make([]*sender, flooders)
	for f := range senders {
		senders[f] = w.sender(t, ctx, w.member(t, ctx, fmt.Sprintf("flooder%d", f)), chat.ID)
		defer senders[f].sock.Close()
	}
	// Bursts for floodFor, every floodEvery: every flooder sends burst
	// messages at once. (Back to back, the bursts kept the race-enabled
	// test process so busy that the honest client's own goroutine waited.)
	tick := time.NewTicker(floodEvery)
	defer tick.Stop()
	start := time.Now()
	sent := 0
	for time.Since(start) < floodFor {
		events := make([][]string, flooders) // signed and encoded ahead: the burst leaves at once
		bodies := make([][]string, flooders)
		for f, s := range senders {
			for i := range burst {
				// Small: what is delivered back to the flooders stays within
				// --session-buffer even should they fall behind reading it.
				body := fmt.Sprintf("flood %d/%d/%d %s", sent, f, i, strings.Repeat("x", 100))
				bodies[f] = append(bodies[f], body)
				events[f] = append(events[f], s.next(body))
			}
		}
		var wg sync.WaitGroup
		for f, s := range senders {
			for i, ev := range events[f] {
				body := bodies[f][i]
				wg.Add(1)
				s.send(ev, func(seq int64, err error) {
					defer wg.Done()
					mu.Lock()
					defer mu.Unlock()
					var werr *wcp.Error
					switch {
					case err == nil:
						accepted[body] = seq
					case errors.As(err, &werr) && werr.Code == wcp.CodeInternal && werr.Message == "server busy":
						busy[body] = true
					default:
						other[err.Error()]++
					}
				})
			}
		}
		wg.Wait()
		sent++
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		}
	}
	sent *= flooders * burst
	t.Logf("%d messages in %v: %d accepted, %d refused busy, other %v",
		sent, time.Since(start).Round(time.Millisecond), len(accepted), len(busy), other)
	if len(busy) == 0 {
		t.Errorf("no message refused busy: the flood did not reach --writer-queue")
	}
	if len(other) > 0 {
		t.Errorf("flood messages refused or lost otherwise: %v", other)
	}
	if got := refusals(t, ctx, srv, "writer_queue") - busyBefore; got < float64(len(busy)) {
		t.Errorf("wcp_limit_refusals_total{limit=\"writer_queue\"} rose by %v, want >= %d (the flood's busy refusals)", got, len(busy))
	}
	for _, s := range senders {
		if s.sock.Closed() {
			t.Errorf("a flooder's session ended: %s", s.sock.DisconnectReason())
		}
		s.sock.Close()
	}
	waitSessions(t, ctx, srv, before, 5*time.Second) // gone before the next attack counts sessions

	// Stored: exactly the accepted ones, seqs 1..n without a gap (MSG-1,
	// MSG-2).
	stored, err := w.owner.AllMessages(ctx, chat.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != len(accepted) {
		t.Errorf("%d messages stored, %d accepted", len(stored), len(accepted))
	}
	for i, msg := range stored {
		if msg.Seq != int64(i+1) {
			t.Fatalf("stored message %d has seq %d: a gap", i, msg.Seq)
		}
		if busy[msg.Body] {
			t.Fatalf("a message refused busy was stored (seq %d)", msg.Seq)
		}
		if seq, ok := accepted[msg.Body]; !ok || seq != msg.Seq {
			t.Fatalf("stored seq %d was acknowledged with seq %d (acknowledged: %v)", msg.Seq, seq, ok)
		}
	}
}
