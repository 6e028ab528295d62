package reference

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

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

// TestSlowReceiverOverBuffer: live delivery to a session that never reads
// ends it as soon as its queue is over SessionBuffer, long before the
// slow-receiver time or the write timeout could.
func TestSlowReceiverOverBuffer(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := openLimited(t, Limits{SessionBuffer: 512 << 10, SlowAfter: time.Minute, WriteTimeout: time.Minute})
	c := newChatFor(t, ctx, s)
	h := startHonest(t, ctx, s)
	c.rawSession(t, ctx, nil)
	flood(t, ctx, c, 20*time.Second, func() bool { return s.hits(limitSession) >= 1 }, 2)
	h.check(t, 2*time.Second)
}

// TestSlowReceiverAcks: a session that sends and never reads its acks (nor
// its own copies) is ended over its buffer too.
func TestSlowReceiverAcks(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := openLimited(t, Limits{SessionBuffer: 256 << 10, SlowAfter: time.Minute, WriteTimeout: time.Minute})
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
	s := openLimited(t, Limits{SessionBuffer: 256 << 20, SlowAfter: time.Second, WriteTimeout: time.Minute})
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
	s := openLimited(t, Limits{SessionBuffer: 256 << 20, SlowAfter: time.Minute, WriteTimeout: 2 * time.Second})
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

// sessionsOpenValue reads the gauge.
func (m *metrics) sessionsOpenValue() float64 {
	var d dto.Metric
	if err := m.sessionsOpen.Write(&d); err != nil {
		return 0
	}
	return d.GetGauge().GetValue()
}
