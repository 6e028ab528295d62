package reference

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/client"
)

// The HTTP side of Limits: MaxConns, ReadTimeout, WriteTimeout, and the
// streamed message page, each against a server of its own.

// lockedBuffer is a log sink for a server's goroutines and the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// limited is a server with limits and a user with one chat. The user's
// client has a transport of its own, so that the test can close its idle
// connections (hc.CloseIdleConnections).
type limited struct {
	*Server
	owner  *client.Client
	hc     *http.Client
	chatID string
	logs   *lockedBuffer
}

func limitedServer(t *testing.T, limits Limits) *limited {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l := &limited{logs: &lockedBuffer{}, hc: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{}}}
	s, err := Open(ctx, Config{Logger: slog.New(slog.NewTextHandler(l.logs, nil)), Limits: limits})
	if err != nil {
		t.Fatal(err)
	}
	l.Server = s
	t.Cleanup(func() { s.Close() })
	t.Cleanup(l.hc.CloseIdleConnections)
	anon := client.New(s.URL(), l.hc)
	u, err := anon.CreateUser(ctx, "u")
	if err != nil {
		t.Fatal(err)
	}
	l.owner = anon.WithToken(u.Token)
	ws, err := l.owner.CreateWorkspace(ctx, "w")
	if err != nil {
		t.Fatal(err)
	}
	chat, err := l.owner.CreateChat(ctx, ws.ID, "c")
	if err != nil {
		t.Fatal(err)
	}
	l.chatID = chat.ID
	return l
}

// refusals is wcp_limit_refusals_total{limit}.
func refusals(s *Server, limit string) float64 {
	var d dto.Metric
	if err := s.metrics.limitRefusals.WithLabelValues(limit).Write(&d); err != nil {
		return -1
	}
	return d.GetCounter().GetValue()
}

// connsOpen is the gauge wcp_conns_open.
func connsOpen(t *testing.T, s *Server) float64 {
	t.Helper()
	mfs, err := s.metrics.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "wcp_conns_open" {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatal("no wcp_conns_open in /metrics")
	return 0
}

// eventually polls cond every 10 ms until it holds, failing after d.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// rawConn is a TCP connection to s, closed when the test ends.
func rawConn(t *testing.T, s *Server) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", s.Addr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// healthz sends GET /healthz on c and reads the answer.
func healthz(c net.Conn, br *bufio.Reader) error {
	c.SetDeadline(time.Now().Add(5 * time.Second))
	defer c.SetDeadline(time.Time{})
	if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: wcp\r\n\r\n"); err != nil {
		return err
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != 200 {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

// closedUnanswered waits, up to d, for the server to close c, and fails
// if it sent anything first.
func closedUnanswered(t *testing.T, c net.Conn, d time.Duration) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(d))
	b, err := io.ReadAll(c)
	if isTimeout(err) {
		t.Fatalf("connection still open after %v", d)
	}
	if len(b) > 0 {
		t.Fatalf("answered %q before closing", b)
	}
}

// TestConnLimit: past MaxConns a connection is closed at once and
// counted, the admitted ones are served on, a freed slot admits the next,
// and a flood of refusals logs a line a second, not a line each.
func TestConnLimit(t *testing.T) {
	t.Parallel()
	const maxConns = 3
	l := limitedServer(t, Limits{MaxConns: maxConns})
	s := l.Server
	l.hc.CloseIdleConnections()
	eventually(t, 5*time.Second, "the setup's connections closed", func() bool { return connsOpen(t, s) == 0 })

	var conns []net.Conn
	var readers []*bufio.Reader
	for len(conns) < maxConns {
		c := rawConn(t, s)
		br := bufio.NewReader(c)
		if err := healthz(c, br); err != nil {
			t.Fatalf("connection %d within the limit: %v", len(conns)+1, err)
		}
		conns, readers = append(conns, c), append(readers, br)
	}
	if got := connsOpen(t, s); got != maxConns {
		t.Fatalf("wcp_conns_open %v, want %d", got, maxConns)
	}

	over := rawConn(t, s)
	closedUnanswered(t, over, 5*time.Second)
	eventually(t, 5*time.Second, "the refusal counted", func() bool { return refusals(s, limitConns) == 1 })
	for i, c := range conns {
		if err := healthz(c, readers[i]); err != nil {
			t.Fatalf("admitted connection %d after a refusal: %v", i+1, err)
		}
	}

	conns[0].Close()
	eventually(t, 5*time.Second, "the closed connection's slot freed", func() bool { return connsOpen(t, s) == maxConns-1 })
	next := rawConn(t, s)
	if err := healthz(next, bufio.NewReader(next)); err != nil {
		t.Fatalf("a connection into a freed slot: %v", err)
	}

	const flood = 50
	for range flood {
		closedUnanswered(t, rawConn(t, s), 5*time.Second)
	}
	eventually(t, 5*time.Second, "every refusal counted", func() bool { return refusals(s, limitConns) == 1+flood })
	if n := strings.Count(l.logs.String(), "too many open connections"); n < 1 || n > 3 {
		t.Fatalf("%d log lines for %d refusals within seconds, want one a second", n, 1+flood)
	}
}

// TestSlowLoris: a request whose headers or body trickle in is closed,
// unanswered, once ReadTimeout has passed since its first byte, and
// counted; the server serves others meanwhile.
func TestSlowLoris(t *testing.T) {
	t.Parallel()
	const timeout = 300 * time.Millisecond
	l := limitedServer(t, Limits{ReadTimeout: timeout})
	s, owner := l.Server, l.owner

	stop := make(chan struct{})
	var trickling sync.WaitGroup
	trickle := func(c net.Conn, head, drip string) {
		if _, err := io.WriteString(c, head); err != nil {
			t.Error(err)
			return
		}
		trickling.Add(1)
		go func() {
			defer trickling.Done()
			tick := time.NewTicker(50 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
					if _, err := io.WriteString(c, drip); err != nil {
						return // closed by the server
					}
				}
			}
		}()
	}
	defer trickling.Wait()
	defer close(stop)

	start := time.Now()
	body := rawConn(t, s)
	trickle(body, "POST /users HTTP/1.1\r\nHost: wcp\r\nContent-Type: application/json\r\nContent-Length: 65536\r\n\r\n{", " ")
	// Whole header lines: one cut mid-line is a malformed request to
	// net/http, which answers it with its own plain-text 400.
	header := rawConn(t, s)
	trickle(header, "POST /users HTTP/1.1\r\nHost: wcp\r\n", "X-Slow: 1\r\n")

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := owner.CreateWorkspace(ctx, "meanwhile"); err != nil {
		t.Fatalf("an honest request while two trickle: %v", err)
	}

	closedUnanswered(t, body, 5*time.Second)
	closedUnanswered(t, header, 5*time.Second)
	if took := time.Since(start); took < timeout {
		t.Fatalf("closed after %v, before the read timeout", took)
	}
	eventually(t, 5*time.Second, "both counted", func() bool { return refusals(s, limitRead) == 2 })
	if n := refusals(s, limitWrite); n != 0 {
		t.Fatalf("%v write timeouts counted", n)
	}
}

// TestSessionsOutliveTimeouts: a websocket session and a long-polling one,
// idle for longer than ReadTimeout and WriteTimeout both, stay up and
// receive: neither deadline is for them. Nothing is counted.
func TestSessionsOutliveTimeouts(t *testing.T) {
	t.Parallel()
	const timeout = 300 * time.Millisecond
	l := limitedServer(t, Limits{ReadTimeout: timeout, WriteTimeout: timeout})
	s, owner, chatID := l.Server, l.owner, l.chatID
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	type got struct {
		who  string
		body string
	}
	received := make(chan got, 16)
	connect := func(who string, polling bool) *client.Session {
		cs, err := owner.ConnectionString(ctx, chatID, 600)
		if err != nil {
			t.Fatal(err)
		}
		ss, err := client.Connect(ctx, s.URL(), wcp.Auth{ChatID: chatID, ConnectionString: cs.ConnectionString}, &client.Options{
			Polling:   polling,
			OnMessage: func(m wcp.Message, _ time.Time) { received <- got{who, m.Body} },
		})
		if err != nil {
			t.Fatalf("%s: %v", who, err)
		}
		t.Cleanup(ss.Close)
		return ss
	}
	ws := connect("websocket", false)
	poll := connect("polling", true)

	// Idle, past both timeouts; only time passing can show this.
	time.Sleep(4 * timeout)

	for who, from := range map[string]*client.Session{"websocket": ws, "polling": poll} {
		body := "after idling, from the " + who + " session"
		if ack, err := from.Send(ctx, body); err != nil || !ack.OK {
			t.Fatalf("send after idling: %+v %v", ack, err)
		}
		want := map[string]bool{"websocket": true, "polling": true}
		for len(want) > 0 {
			select {
			case g := <-received:
				if g.body == body {
					delete(want, g.who)
				}
			case <-ctx.Done():
				t.Fatalf("not delivered after idling to %v", want)
			}
		}
	}
	if ws.Closed() || poll.Closed() {
		t.Fatal("a session ended")
	}
	if r, w := refusals(s, limitRead), refusals(s, limitWrite); r != 0 || w != 0 {
		t.Fatalf("counted %v read and %v write timeouts\n%s", r, w, l.logs)
	}
}

// TestUnreadHistory: three GET /chat/{id}/messages?limit=1000 of 1,000
// messages of 16 KiB of '<' (96 KiB each in JSON, a 96 MB page) whose
// answers are never read. Built in memory, each held ~110 MB for as long
// as its connection stayed open. Streamed, the server's live heap grows by
// little more than a buffer each, and WriteTimeout cuts them off.
// Not parallel: it measures the process's heap.
func TestUnreadHistory(t *testing.T) {
	const timeout = 2 * time.Second
	l := limitedServer(t, Limits{WriteTimeout: timeout})
	s, owner, chatID := l.Server, l.owner, l.chatID
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	body := strings.Repeat("<", wcp.MaxBodyBytes)
	now := wcp.FormatTime(time.Now())
	for start := 1; start <= 1000; start += 100 {
		msgs := make([]wcp.Message, 100)
		for i := range msgs {
			msgs[i] = wcp.Message{ID: newID("m_"), ChatID: chatID, Seq: int64(start + i), UserID: "u_seed", Body: body, SentAt: now}
		}
		if _, err := s.store.AppendMessages(ctx, msgs); err != nil {
			t.Fatal(err)
		}
	}

	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	before := heap()
	req := fmt.Sprintf("GET %s?limit=1000 HTTP/1.1\r\nHost: wcp\r\nAuthorization: Bearer %s\r\n\r\n", wcp.MessagesPath(chatID), owner.Token())
	var conns []net.Conn
	for range 3 {
		d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
			return rc.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		}}
		c, err := d.DialContext(ctx, "tcp", s.Addr())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		if _, err := io.WriteString(c, req); err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c) // and never read, until the server has given up
	}
	sent := time.Now()

	var peak uint64
	for refusals(s, limitWrite) < 3 {
		if time.Since(sent) > timeout+5*time.Second {
			t.Fatalf("%v of 3 unread pages cut off %v after the requests", refusals(s, limitWrite), time.Since(sent))
		}
		peak = max(peak, heap())
		time.Sleep(100 * time.Millisecond) // between two GCs
	}
	if took := time.Since(sent); took < timeout {
		t.Fatalf("cut off after %v, before the write timeout", took)
	}
	const bound = 16 << 20
	if peak > before+bound {
		t.Fatalf("live heap grew by %d MiB with three unread pages, want under %d MiB", (peak-before)>>20, bound>>20)
	}
	t.Logf("live heap %d MiB before, %d MiB at most while three pages went unread", before>>20, peak>>20)

	for i, c := range conns {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := io.Copy(io.Discard, c)
		if isTimeout(err) || n >= 96<<20 {
			t.Fatalf("page %d: read %d bytes, %v; want a page cut short, the connection closed", i, n, err)
		}
	}
	eventually(t, 5*time.Second, "the cut connections closed", func() bool { return connsOpen(t, s) <= 1 })

	// Read, a page is what json.Marshal makes of it (a small one: the race
	// detector slows encoding down, and the page must go out within the
	// write timeout).
	resp, err := owner.Do(ctx, "GET", wcp.MessagesPath(chatID)+"?after=7&limit=8", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	msgs, _ := s.store.Messages(ctx, chatID, 7, 8)
	want, _ := json.Marshal(wcp.MessagePage{Messages: msgs, NextAfter: 15})
	if resp.Status != 200 || !bytes.Equal(resp.Body, append(want, '\n')) {
		t.Fatalf("status %d, %d bytes; want 200 and json.Marshal's %d", resp.Status, len(resp.Body), len(want)+1)
	}
}
