package abuse

import (
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// slowBodyConns is how many slow-loris requests the attack holds open.
const slowBodyConns = 1000

// TestSlowBodies: 1,000 unauthenticated POST /users announcing a 64 KiB
// body and sending it a byte every 5 s. Without a read timeout each held a
// goroutine and a file descriptor for as long as the client liked; with
// one, the server closes them after --read-timeout.
func TestSlowBodies(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	w := newWorld(t, ctx, startServer(t))
	// A goroutine a request, and then some.
	underAttack(t, ctx, target{w: w}, slowBodies, budget{rss: 100 << 20, goroutines: slowBodyConns + 500, settled: 60})
}

func slowBodies(t testing.TB, ctx context.Context, tg target) {
	srv := tg.w.srv
	timedOut := refusals(t, ctx, srv, "read_timeout")
	start := time.Now()
	conns := slowLoris(t, ctx, srv, slowBodyConns)
	// Every connection must be ended by the server, not by us.
	deadline := time.Now().Add(15 * time.Second)
	for i, c := range conns {
		c.SetReadDeadline(deadline)
		if _, err := io.Copy(io.Discard, c); err != nil {
			t.Fatalf("connection %d not closed by the server within %v of the attack's start: %v", i, time.Since(start).Round(time.Second), err)
		}
		c.Close()
	}
	t.Logf("the server closed all %d slow requests within %v", len(conns), time.Since(start).Round(100*time.Millisecond))
	waitRefusals(t, ctx, srv, timedOut+slowBodyConns, 5*time.Second, "read_timeout")
}

// slowLoris opens n connections to srv, each sending the head of a POST
// /users with a 64 KiB body and then a byte of it every 5 s, until the
// connection fails or the test ends.
func slowLoris(t testing.TB, ctx context.Context, srv *server, n int) []net.Conn {
	t.Helper()
	head := fmt.Sprintf("POST /users HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 65536\r\n\r\n{", host(t, srv.url))
	var d net.Dialer
	conns := make([]net.Conn, 0, n)
	for range n {
		c, err := d.DialContext(ctx, "tcp", host(t, srv.url))
		if err != nil {
			t.Fatalf("dial %d: %v", len(conns), err)
		}
		t.Cleanup(func() { c.Close() })
		conns = append(conns, c)
		if _, err := c.Write([]byte(head)); err != nil {
			t.Fatalf("write %d: %v", len(conns), err)
		}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(5 * time.Second)
		defer tick.Stop()
		open := conns
		for len(open) > 0 {
			select {
			case <-tick.C:
			case <-stop:
				return
			}
			var still []net.Conn
			for _, c := range open {
				c.SetWriteDeadline(time.Now().Add(time.Second))
				if _, err := c.Write([]byte(" ")); err == nil {
					still = append(still, c)
				}
			}
			open = still
		}
	}()
	t.Cleanup(func() {
		close(stop)
		wg.Wait()
	})
	return conns
}
