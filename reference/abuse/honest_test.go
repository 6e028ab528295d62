package abuse

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/client"
)

// ackP99 is the bound on the honest client's ack latency (99th percentile)
// while an attack runs. Measured under go test -race on the 2-core machine
// the suite was written on, while other test runs shared it: p99 5-120 ms
// in most attacks, up to ~280 ms during the handshake storm and the 200
// msg/s flood (the test process's own scheduling counts too); the bound
// leaves margin over that.
const ackP99 = 500 * time.Millisecond

// honestEvery is the honest client's pace: 50 messages a second.
const honestEvery = 20 * time.Millisecond

// honest is a well-behaved client in a chat of its own, sending at a steady
// pace and timing each ack, for as long as an attack runs.
type honest struct {
	sess   *client.Session
	cancel context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	lat     []time.Duration
	refused map[wcp.Code]int
	fails   []error // no ack at all
}

func startHonest(t testing.TB, ctx context.Context, w *world) *honest {
	t.Helper()
	chat := w.chat(t, ctx, "honest")
	sess := w.session(t, ctx, nil, chat.ID)
	ctx, cancel := context.WithCancel(ctx)
	h := &honest{sess: sess, cancel: cancel, done: make(chan struct{}), refused: map[wcp.Code]int{}}
	t.Cleanup(h.stop)
	go h.run(ctx)
	return h
}

func (h *honest) run(ctx context.Context) {
	defer close(h.done)
	tick := time.NewTicker(honestEvery)
	defer tick.Stop()
	for n := 0; ; n++ {
		select {
		case <-tick.C:
		case <-ctx.Done():
			return
		}
		start := time.Now()
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, err := h.sess.Send(sctx, fmt.Sprintf("honest %d", n))
		cancel()
		d := time.Since(start)
		if ctx.Err() != nil {
			return
		}
		h.mu.Lock()
		var werr *wcp.Error
		switch {
		case err == nil:
			h.lat = append(h.lat, d)
		case errors.As(err, &werr):
			h.lat = append(h.lat, d) // an answer all the same
			h.refused[werr.Code]++
		default:
			h.fails = append(h.fails, err)
		}
		h.mu.Unlock()
		if h.sess.Closed() {
			return
		}
	}
}

// stop ends the sending; it is idempotent.
func (h *honest) stop() {
	h.cancel()
	<-h.done
}

// check stops the client and holds what it saw to ackP99: every message
// answered, the 99th percentile within the bound, the session still open.
// It returns how many of its messages were refused, by code.
func (h *honest) check(t testing.TB) map[wcp.Code]int {
	t.Helper()
	h.stop()
	h.mu.Lock()
	defer h.mu.Unlock()
	lat := slices.Clone(h.lat)
	slices.Sort(lat)
	q := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(p*float64(len(lat))))]
	}
	t.Logf("honest client: %d acks (refused %v), p50 %v, p99 %v, max %v; %d unanswered",
		len(lat), h.refused, q(0.5).Round(time.Millisecond), q(0.99).Round(time.Millisecond), q(1).Round(time.Millisecond), len(h.fails))
	if len(lat) < 10 {
		t.Errorf("honest client got only %d acks", len(lat))
	}
	if p99 := q(0.99); p99 > ackP99 {
		t.Errorf("honest client's ack p99 %v, over the bound of %v", p99.Round(time.Millisecond), ackP99)
	}
	if len(h.fails) > 0 {
		t.Errorf("honest client: %d messages unanswered, first: %v", len(h.fails), h.fails[0])
	}
	if h.sess.Closed() {
		t.Errorf("honest client's session ended: %s", h.sess.DisconnectReason())
	}
	return maps.Clone(h.refused)
}
