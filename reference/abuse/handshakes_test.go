package abuse

import (
	"context"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// handshakes is how many anonymous Engine.IO handshakes the storm opens.
// Each one, unbounded, cost the server two goroutines and a session until
// its ping timeout (20,000 in 1.3 s: 96 -> 355 MB, 40,049 goroutines for
// 45-80 s). They go over handshakeConns keep-alive connections, so the
// storm needs no file descriptors of its own (this machine allows 20,000
// per process); the race-enabled test binary sends them in 12-21 s.
const (
	handshakes     = 20000
	handshakeConns = 64
)

// TestHandshakeStorm: anonymous polling handshakes as fast as the server
// answers them, none followed by a CONNECT. The pending-handshake limit
// refuses those past --max-pending-handshakes (500), and the handshake
// timeout closes the others.
func TestHandshakeStorm(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	w := newWorld(t, ctx, startServer(t))
	// At most 500 pending, a few goroutines each.
	underAttack(t, ctx, target{w: w}, handshakeStorm, budget{rss: 150 << 20, goroutines: 2000, settled: 60})
}

func handshakeStorm(t testing.TB, ctx context.Context, tg target) {
	srv := tg.w.srv
	refused := refusals(t, ctx, srv, "pending_handshakes")
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: handshakeConns}}
	defer hc.CloseIdleConnections()
	var next, opened, failed atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for range handshakeConns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= handshakes && ctx.Err() == nil {
				req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.url+"/socket.io/?EIO=4&transport=polling", nil)
				if err != nil {
					failed.Add(1)
					continue
				}
				resp, err := hc.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					opened.Add(1)
				} else {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("%d handshakes in %v: %d opened, %d refused or failed", handshakes, time.Since(start).Round(time.Millisecond), opened.Load(), failed.Load())
	waitRefusals(t, ctx, srv, refused+1, 5*time.Second, "pending_handshakes")
}
