package reference

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/client"
)

// Helpers of the Socket.IO limit tests (replaylimits_test.go,
// slowreceiver_test.go, handshakes_test.go, cycles_test.go).

// ltBody is the largest body a client can make the server write: 16 KiB
// of '<', which encoding/json escapes to six bytes each (about 96 KiB).
var ltBody = strings.Repeat("<", wcp.MaxBodyBytes)

// openLimited starts a server with a file database and limits l, closed
// when the test ends.
func openLimited(t testing.TB, l Limits) *Server {
	t.Helper()
	s, err := Open(context.Background(), Config{
		DBPath: filepath.Join(t.TempDir(), "wcp.db"),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Limits: l,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// chatFor is a chat of its own on s, with a user who may connect to it.
type chatFor struct {
	s    *Server
	user *client.Client
	chat wcp.Chat
}

func newChatFor(t testing.TB, ctx context.Context, s *Server) chatFor {
	t.Helper()
	anon := client.New(s.URL(), nil)
	u, err := anon.CreateUser(ctx, "u")
	if err != nil {
		t.Fatal(err)
	}
	c := anon.WithToken(u.Token)
	ws, err := c.CreateWorkspace(ctx, "w")
	if err != nil {
		t.Fatal(err)
	}
	chat, err := c.CreateChat(ctx, ws.ID, "c")
	if err != nil {
		t.Fatal(err)
	}
	return chatFor{s: s, user: c, chat: chat}
}

// auth is a fresh handshake auth for the chat, with after if not nil.
func (c chatFor) auth(t testing.TB, ctx context.Context, after *int64) wcp.Auth {
	t.Helper()
	cs, err := c.user.ConnectionString(ctx, c.chat.ID, 600)
	if err != nil {
		t.Fatal(err)
	}
	return wcp.Auth{ChatID: c.chat.ID, ConnectionString: cs.ConnectionString, After: after}
}

// rawSession opens a raw websocket with a session on the chat and reads
// nothing after the CONNECT answer; closed when the test ends.
func (c chatFor) rawSession(t testing.TB, ctx context.Context, after *int64) *client.RawConn {
	t.Helper()
	rc, err := client.DialRaw(ctx, c.s.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rc.Close() })
	a, _ := json.Marshal(c.auth(t, ctx, after))
	if p, err := rc.Connect(ctx, string(a)); err != nil || p.Type != client.PacketConnect {
		t.Fatalf("raw connect: %+v %v", p, err)
	}
	return rc
}

// fill stores n messages of body in the chat, seq 1..n, straight into the
// database: the history a replay reads.
func (c chatFor) fill(t testing.TB, ctx context.Context, n int, body string) {
	t.Helper()
	msgs := make([]wcp.Message, n)
	for i := range msgs {
		msgs[i] = wcp.Message{ID: newID("m_"), ChatID: c.chat.ID, Seq: int64(i + 1), UserID: "u_filler",
			Body: body, SentAt: wcp.FormatTime(time.Now())}
	}
	for len(msgs) > 0 {
		k := min(len(msgs), 100)
		if _, err := c.s.store.AppendMessages(ctx, msgs[:k]); err != nil {
			t.Fatal(err)
		}
		msgs = msgs[k:]
	}
}

// hits reads wcp_limit_refusals_total{limit}.
func (s *Server) hits(limit string) float64 {
	var d dto.Metric
	if err := s.metrics.limitRefusals.WithLabelValues(limit).Write(&d); err != nil {
		return 0
	}
	return d.GetCounter().GetValue()
}

// waitFor polls cond every 10 ms until it holds or d has passed.
func waitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// honest is a session in a chat of its own that sends a small message and
// waits for its ack, over and over, while an attack runs elsewhere.
type honest struct {
	stop chan struct{}
	done chan struct{}

	mu       sync.Mutex
	acks     int
	failures []error
	slowest  time.Duration
}

func startHonest(t testing.TB, ctx context.Context, s *Server) *honest {
	t.Helper()
	c := newChatFor(t, ctx, s)
	ss, err := client.Connect(ctx, s.URL(), c.auth(t, ctx, nil), &client.Options{OnMessage: func(wcp.Message, time.Time) {}})
	if err != nil {
		t.Fatal(err)
	}
	h := &honest{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(h.done)
		defer ss.Close()
		for {
			select {
			case <-h.stop:
				return
			default:
			}
			start := time.Now()
			ack, err := ss.Send(ctx, "hello")
			h.mu.Lock()
			h.slowest = max(h.slowest, time.Since(start))
			if err == nil && ack.OK {
				h.acks++
			} else if len(h.failures) < 5 {
				h.failures = append(h.failures, err)
			}
			h.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return h
}

// check stops the honest session and fails the test unless every message
// was acknowledged, each within within.
func (h *honest) check(t testing.TB, within time.Duration) {
	t.Helper()
	close(h.stop)
	<-h.done
	h.mu.Lock()
	defer h.mu.Unlock()
	t.Logf("honest session: %d acks, slowest %v", h.acks, h.slowest.Round(time.Millisecond))
	if len(h.failures) > 0 || h.acks == 0 || h.slowest > within {
		t.Errorf("honest session suffered: %d acks, slowest %v (want under %v), failures %v", h.acks, h.slowest, within, h.failures)
	}
}

// heapPeak samples the live heap (after a collection) every 20 ms until
// stopped, and returns its peak over what it was at the start.
func heapPeak() (stop func() uint64) {
	base := heapNow()
	var peak uint64
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapAlloc)
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-finished
		if peak < base {
			return 0
		}
		return peak - base
	}
}

// heapNow is the live heap after a collection.
func heapNow() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
