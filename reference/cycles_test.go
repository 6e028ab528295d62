package reference

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/wcp-project/wcp/client"
)

// TestConnectDisconnectCycles: 4,000 CONNECT/DISCONNECT cycles on one
// websocket leave the server's heap and goroutines where they were. A
// listener added to the Engine.IO connection per session and never removed
// used to keep every ended session alive until the websocket closed (about
// 8 KiB a cycle), and made each write call all of them.
func TestConnectDisconnectCycles(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	const warmup, cycles = 500, 4000
	s := openLimited(t, Limits{})
	c := newChatFor(t, ctx, s)
	rc, err := client.DialRaw(ctx, s.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	auth := c.auth(t, ctx, nil)

	var heap0 uint64
	var goroutines0 int
	for i := range cycles {
		if i == warmup {
			heap0, goroutines0 = heapNow(), runtime.NumGoroutine()
		}
		connectRaw(t, ctx, rc, auth) // up to its `session` event
		if err := rc.WriteFrame("41"); err != nil {
			t.Fatalf("cycle %d: disconnect: %v", i, err)
		}
		// The next CONNECT may only come once the server has processed the
		// DISCONNECT, or it finds the namespace still taken and hangs up.
		for s.metrics.sessionsOpenValue() != 0 {
			if ctx.Err() != nil {
				t.Fatalf("cycle %d: the session did not end", i)
			}
			time.Sleep(50 * time.Microsecond)
		}
	}
	heap1, goroutines1 := heapNow(), runtime.NumGoroutine()
	grew := int64(heap1) - int64(heap0)
	t.Logf("%d cycles: heap %+d KiB, goroutines %d -> %d", cycles-warmup, grew>>10, goroutines0, goroutines1)
	if grew > 2<<20 {
		t.Errorf("the heap grew by %d KiB over %d cycles, want it flat", grew>>10, cycles-warmup)
	}
	if goroutines1 > goroutines0+5 {
		t.Errorf("goroutines grew from %d to %d", goroutines0, goroutines1)
	}
}
