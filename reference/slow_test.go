package reference

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/zishang520/socket.io/v3/pkg/types"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/client"
	"github.com/wcp-project/wcp/wire"
)

// The slow-receiver rule (sendqueue.go) on each path that writes to a
// socket, and the websocket write timeout (batchconn.go). Each test runs
// an honest session in another chat meanwhile, which must keep getting its
// acks (ROB-1).

// flood sends 16 KiB messages of '<' from a reading session until cond
// holds, and fails the test if it does not within d, or the sender stalls
// or is ended itself. Then it waits for the sessions open to drop to want
// (the sender's, the honest one's and any left), with the sender open.
func flood(t *testing.T, ctx context.Context, c chatFor, d time.Duration, cond func() bool, want float64) {
	t.Helper()
	sender, err := client.Connect(ctx, c.s.URL(), c.auth(t, ctx, nil), &client.Options{OnMessage: func(wcp.Message, time.Time) {}})
	if err != nil {
		t.Fatal(err)
	}
	defer sender.Close()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v", d)
		}
		if ack, err := sender.Send(ctx, ltBody); err != nil || !ack.OK {
			t.Fatalf("the chat stalled for the reader: %+v %v", ack, err)
		}
	}
	m := c.s.metrics
	if !waitFor(5*time.Second, func() bool { return m.sessionsOpenValue() == want }) || sender.Closed() {
		t.Errorf("%v sessions open, the sender's closed: %v; want %v open, the sender's among them", m.sessionsOpenValue(), sender.Closed(), want)
	}
}

// TestSlowReceiverOverBurst: live delivery to a session that never reads
// ends it as soon as its queue is over SessionBurst, long before the burst
// grace, the slow-receiver time or the write timeout could.
func TestSlowReceiverOverBurst(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := openLimited(t, Limits{SessionBuffer: 256 << 10, SessionBurst: 512 << 10, BurstGrace: time.Minute,
		SlowAfter: time.Minute, WriteTimeout: time.Minute})
	c := newChatFor(t, ctx, s)
	h := startHonest(t, ctx, s)
	c.rawSession(t, ctx, nil)
	flood(t, ctx, c, 20*time.Second, func() bool { return s.hits(limitSession) >= 1 }, 2)
	h.check(t, 2*time.Second)
}

// TestSlowReceiverOverGrace: a session that never reads, its queue over
// SessionBuffer and far under SessionBurst, is ended once it has been over
// for BurstGrace (the default, 2 s): not before, and long before SlowAfter.
// The messages are published straight to the chat's hub, as a deliverer
// would, so that no sender has to keep up.
func TestSlowReceiverOverGrace(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s := openLimited(t, Limits{SessionBuffer: 64 << 10, SessionBurst: 256 << 20, SlowAfter: time.Minute, WriteTimeout: time.Minute})
	grace := s.limits.BurstGrace
	c := newChatFor(t, ctx, s)
	h := startHonest(t, ctx, s)
	c.rawSession(t, ctx, nil)
	silent := connOf(t, s, c.chat.ID)

	// 16 KiB messages whenever the queue is under the buffer, until it is
	// ended: the kernel's and batchConn's buffers fill first, and until
	// they are full the queue drains back under. Its clock can only have
	// started after the last time it was seen under.
	body := strings.Repeat("x", wcp.MaxBodyBytes)
	start := time.Now()
	under := start
	seq := int64(0)
	queued := 0
	deadline := start.Add(40 * time.Second)
	for s.hits(limitSession) < 1 {
		if time.Now().After(deadline) {
			t.Fatalf("not ended within 40 s; %d messages published, %d bytes queued", seq, silent.out.queuedNow())
		}
		now := time.Now()
		if queued = silent.out.queuedNow(); queued > s.limits.SessionBuffer {
			time.Sleep(10 * time.Millisecond) // over: wait for its end, or for it to drain
			continue
		}
		under = now
		seq++
		s.hubs.publish(wcp.Message{ID: newID("m_"), ChatID: c.chat.ID, Seq: seq, UserID: "u_flood", Body: body, SentAt: wcp.FormatTime(time.Now())}, nil)
	}
	ended := time.Now()
	t.Logf("%d messages published; the queue went over the buffer %v after the first, at %d bytes; ended %v later",
		seq, under.Sub(start).Round(time.Millisecond), queued, ended.Sub(under).Round(time.Millisecond))
	if ended.Sub(under) < grace {
		t.Errorf("ended %v after the queue was last seen under its buffer, within the grace of %v", ended.Sub(under), grace)
	}
	if ended.Sub(under) > grace+10*time.Second {
		t.Errorf("ended %v after going over its buffer: want about the grace of %v, well before SlowAfter", ended.Sub(under), grace)
	}
	if !waitFor(5*time.Second, func() bool { return s.metrics.sessionsOpenValue() == 1 }) {
		t.Errorf("%v sessions open, want the silent one ended and the honest one open", s.metrics.sessionsOpenValue())
	}
	h.check(t, 2*time.Second)
}

// TestBurstFastReader: a burst of about 1 MiB written at once, the way a
// deliverer publishes a commit batch, puts a reading session's queue far
// over SessionBuffer (64 KiB) for a moment, under SessionBurst (4 MiB).
// The session is not ended and gets every message, in order.
func TestBurstFastReader(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const n = 11 // of about 96 KiB encoded: 1 MiB
	// A grace of 10 s: the race-enabled client on a shared machine decodes
	// 96 KiB of escapes slowly, and it is the rule, not its clock, under test.
	s := openLimited(t, Limits{SessionBuffer: 64 << 10, SessionBurst: 4 << 20, BurstGrace: 10 * time.Second,
		SlowAfter: time.Minute, WriteTimeout: time.Minute})
	c := newChatFor(t, ctx, s)
	h := startHonest(t, ctx, s)
	var mu sync.Mutex
	var seqs []int64
	all := make(chan struct{})
	reader, err := client.Connect(ctx, s.URL(), c.auth(t, ctx, nil), &client.Options{OnMessage: func(m wcp.Message, _ time.Time) {
		mu.Lock()
		defer mu.Unlock()
		seqs = append(seqs, m.Seq)
		if len(seqs) == n {
			close(all)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	rc := connOf(t, s, c.chat.ID)
	rc.mu.Lock()
	ss := rc.session
	rc.mu.Unlock()

	// Encoded first, then handed to the engine in a tight loop: what
	// publish does for each message, less the encoding.
	pkts := make([][]types.BufferInterface, n)
	size := 0
	for i := range pkts {
		var sz int
		pkts[i], sz = s.hubs.encode(wcp.Message{ID: newID("m_"), ChatID: c.chat.ID, Seq: int64(i + 1), UserID: "u_burst", Body: ltBody, SentAt: wcp.FormatTime(time.Now())})
		size += sz
	}
	start := time.Now()
	for _, p := range pkts {
		ss.sock.Client().WriteToEngine(p, preEncoded)
	}
	queued := rc.out.queuedNow()
	select {
	case <-all:
	case <-ctx.Done():
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("the reader got %d of %d messages; closed: %v", len(seqs), n, reader.Closed())
	}
	t.Logf("%d messages, %d bytes encoded, written at once; %d bytes queued right after; all read in %v",
		n, size, queued, time.Since(start).Round(time.Millisecond))
	mu.Lock()
	for i, seq := range seqs {
		if seq != int64(i+1) {
			t.Errorf("message %d has seq %d, want %d", i, seq, i+1)
		}
	}
	mu.Unlock()
	if queued <= s.limits.SessionBuffer {
		t.Errorf("%d bytes queued right after the burst: want it over the buffer of %d, or the test proves nothing", queued, s.limits.SessionBuffer)
	}
	if reader.Closed() || s.hits(limitSession) != 0 {
		t.Errorf("the reader was ended (closed %v, session_buffer refusals %v)", reader.Closed(), s.hits(limitSession))
	}
	h.check(t, 2*time.Second)
}

// TestSlowReceiverAcks: a session that sends and never reads its acks (nor
// its own copies) is ended over its buffer too, once over it for the
// grace.
func TestSlowReceiverAcks(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := openLimited(t, Limits{SessionBuffer: 256 << 10, BurstGrace: time.Second, SlowAfter: time.Minute, WriteTimeout: time.Minute})
	c := newChatFor(t, ctx, s)
	h := startHonest(t, ctx, s)
	rc, err := client.DialRaw(ctx, s.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	ss := connectRaw(t, ctx, rc, c.auth(t, ctx, nil))
	for nonce := int64(1); s.hits(limitSession) < 1; nonce++ {
		if nonce > 10000 {
			t.Fatal("10,000 messages and never ended")
		}
		m := ss.sign(nonce, ltBody)
		id := uint64(nonce)
		if err := rc.Emit(m, &id); err != nil {
			break // ended meanwhile
		}
	}
	if !waitFor(5*time.Second, func() bool { return s.hits(limitSession) >= 1 && s.metrics.sessionsOpenValue() == 1 }) {
		t.Errorf("refusals %v, %v sessions open: want the session that never reads its acks ended", s.hits(limitSession), s.metrics.sessionsOpenValue())
	}
	h.check(t, 2*time.Second)
}

// TestSlowReceiverStalled: a session under its buffer that has not had a
// write finish for SlowAfter is ended too, by the timer, with nothing
// more sent to it.
func TestSlowReceiverStalled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := openLimited(t, Limits{SessionBuffer: 256 << 20, SessionBurst: 256 << 20, SlowAfter: time.Second, WriteTimeout: time.Minute})
	c := newChatFor(t, ctx, s)
	h := startHonest(t, ctx, s)
	c.rawSession(t, ctx, nil)
	flood(t, ctx, c, 20*time.Second, func() bool { return s.hits(limitSession) >= 1 }, 2)
	h.check(t, 2*time.Second)
}

// TestWriteTimeoutEndsWebsocket: with a buffer and a slow-receiver time too
// large to bite, a websocket that takes nothing is closed once a write has
// been blocked for WriteTimeout, and counted.
func TestWriteTimeoutEndsWebsocket(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := openLimited(t, Limits{SessionBuffer: 256 << 20, SessionBurst: 256 << 20, SlowAfter: time.Minute, WriteTimeout: 2 * time.Second})
	c := newChatFor(t, ctx, s)
	h := startHonest(t, ctx, s)
	c.rawSession(t, ctx, nil)
	flood(t, ctx, c, 20*time.Second, func() bool { return s.hits(limitWrite) >= 1 }, 2)
	h.check(t, 2*time.Second)
}

// rawSigner signs messages for a raw connection's session.
type rawSigner struct {
	info   wcp.Session
	signer *wcp.Signer
}

// connectRaw opens a session on rc and reads up to its `session` event.
func connectRaw(t testing.TB, ctx context.Context, rc *client.RawConn, auth wcp.Auth) rawSigner {
	t.Helper()
	a := fmt.Sprintf(`{"chat_id":%q,"connection_string":%q}`, auth.ChatID, auth.ConnectionString)
	if p, err := rc.Connect(ctx, a); err != nil || p.Type != client.PacketConnect {
		t.Fatalf("raw connect: %+v %v", p, err)
	}
	for {
		p, err := rc.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if p.Type != client.PacketEvent {
			continue
		}
		name, args, err := wire.DecodeEvent(p.Data)
		if err != nil || name != wcp.EventSession || len(args) == 0 {
			continue
		}
		var info wcp.Session
		if err := json.Unmarshal(args[0], &info); err != nil {
			t.Fatal(err)
		}
		signer, err := wcp.NewSignerFromKey(info.MessageKey)
		if err != nil {
			t.Fatal(err)
		}
		return rawSigner{info: info, signer: signer}
	}
}

// sign is the raw event array of a signed message.
func (r rawSigner) sign(nonce int64, body string) string {
	m := wcp.OutgoingMessage{ChatID: r.info.ChatID, Nonce: nonce, Body: body,
		MessageString: r.signer.Sign(r.info.ChatID, r.info.SessionID, nonce, body)}
	ev, _ := wire.EncodeEvent(wcp.EventMessage, m)
	return ev
}

// connOf waits for the one Engine.IO connection with a session in chatID
// and returns it.
func connOf(t testing.TB, s *Server, chatID string) *engineConn {
	t.Helper()
	var found []*engineConn
	ok := waitFor(10*time.Second, func() bool {
		found = found[:0]
		s.conns.mu.Lock()
		defer s.conns.mu.Unlock()
		for _, c := range s.conns.all {
			c.mu.Lock()
			if c.session != nil && c.session.chatID == chatID {
				found = append(found, c)
			}
			c.mu.Unlock()
		}
		return len(found) == 1
	})
	if !ok {
		t.Fatalf("%d connections with a session in the chat, want 1", len(found))
	}
	return found[0]
}

// queuedNow is what q has queued now.
func (q *sendQueue) queuedNow() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.queued
}

// sessionsOpenValue reads the gauge.
func (m *metrics) sessionsOpenValue() float64 {
	var d dto.Metric
	if err := m.sessionsOpen.Write(&d); err != nil {
		return 0
	}
	return d.GetGauge().GetValue()
}
