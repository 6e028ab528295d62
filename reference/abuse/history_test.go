package abuse

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"syscall"
	"testing"
	"time"
)

// TestHistoryNeverRead: three GET /chat/{id}/messages?limit=1000 of a chat
// of 1,000 messages of 16 KiB of '<' whose responses are never read. Built
// in memory, each page took ~100 MB, held while the connection stayed open
// (+535 MB). Streamed, a request holds a small buffer, and the write
// timeout ends the connections.
func TestHistoryNeverRead(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	w, chat := history(t, ctx)
	underAttack(t, ctx, target{w: w, history: chat}, historyNeverRead, budget{rss: 100 << 20, goroutines: 150, settled: 60})
}

func historyNeverRead(t testing.TB, ctx context.Context, tg target) {
	srv := tg.w.srv
	timedOut := refusals(t, ctx, srv, "write_timeout")
	req := fmt.Sprintf("GET /chat/%s/messages?limit=1000 HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n\r\n",
		tg.history.ID, host(t, srv.url), tg.w.owner.Token())
	for range 3 {
		c := dialTight(t, ctx, srv.url)
		defer c.Close()
		if _, err := c.Write([]byte(req)); err != nil {
			t.Fatal(err)
		}
		// From here on it never reads.
	}
	waitRefusals(t, ctx, srv, timedOut+3, 10*time.Second, "write_timeout")
}

// host is the host:port of a base URL.
func host(t testing.TB, base string) string {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

// dialTight opens a TCP connection to the server at base with a receive
// buffer of 4 KiB, as an attacker who wants the server to hold what it
// cannot send would; it is closed at the end of the test.
func dialTight(t testing.TB, ctx context.Context, base string) net.Conn {
	t.Helper()
	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
		})
		if err != nil {
			return err
		}
		return serr
	}}
	c, err := d.DialContext(ctx, "tcp", host(t, base))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
