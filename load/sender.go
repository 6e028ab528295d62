package load

import (
	"bytes"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/client"
	"github.com/wcp-project/wcp/load/report"
	"github.com/wcp-project/wcp/wire"
)

// session is one connected sender, which also receives its chat's
// messages. Emits are serialized: the pacer only appends intended times to
// queue; at most one worker at a time drains it, so nonces leave in order
// while the pacer never waits on the socket.
type session struct {
	crew   *crew
	key    int // local index: metrics stripe and dispatch slot
	chatID string
	book   *chatBook
	link   atomic.Pointer[link] // the current connection
	// pop is the session's population in a scenario run (nil: a run of
	// flags, one uniform crowd); rng, worker-only, draws its body sizes.
	pop *population
	rng *rand.Rand
	// Renewing the connection string, as a reconnecting client does.
	api       *client.Client
	cs        wcp.ConnectionString
	csExpires time.Time
	// bouncing: a churn or storm is reconnecting this session.
	bouncing atomic.Bool
	// reads paces a slow reader (reader-only; made on its first read).
	reads *rate.Limiter

	qmu       sync.Mutex
	queue     []int64 // intended offsets (ns since the send start)
	scheduled bool

	// Worker-only state (one worker at a time, ordered by qmu). Nonces
	// and ack ids run on across reconnects: gaps are allowed, and an old
	// link's late ack can never settle a new link's message.
	nonce int64
	ackID uint64
	frame []byte

	pmu     sync.Mutex
	pending []pending

	// Reader-only until the reader has exited (one link's reader at a
	// time: a reconnect starts the next one after the last has exited).
	in      inbox
	seams   []seamRecord
	highest atomic.Int64 // in.highest, readable by the drain loop
	alive   atomic.Bool
	// diedEarly: the session had ended before the run closed it.
	diedEarly bool
}

type pending struct {
	id       uint64
	intended int64 // ns since the send start
	sent     int64
	forged   bool
}

// enqueue asks for one message intended at offset at; it never blocks.
func (s *session) enqueue(at int64) bool {
	if !s.alive.Load() {
		return false
	}
	s.qmu.Lock()
	s.queue = append(s.queue, at)
	sched := !s.scheduled
	s.scheduled = true
	s.qmu.Unlock()
	if sched {
		s.crew.workers.schedule(s)
	}
	return true
}

// sendNow emits a message intended at offset at on the calling goroutine,
// unless a worker is draining this session, which then takes it in order.
func (s *session) sendNow(at int64) {
	if !s.alive.Load() {
		return
	}
	s.qmu.Lock()
	s.queue = append(s.queue, at)
	if s.scheduled {
		s.qmu.Unlock()
		return
	}
	s.scheduled = true
	s.qmu.Unlock()
	s.drain()
}

// drain emits everything queued; run by one goroutine at a time (the one
// that set scheduled).
func (s *session) drain() {
	var batch []int64
	for {
		s.qmu.Lock()
		if len(s.queue) == 0 {
			s.scheduled = false
			// Give a large backlog's memory back.
			if cap(s.queue) > 64 {
				s.queue = nil
			}
			s.qmu.Unlock()
			return
		}
		batch = append(batch[:0], s.queue...)
		s.queue = s.queue[:0]
		s.qmu.Unlock()
		for _, at := range batch {
			s.emit(at)
		}
	}
}

// emit signs and writes one message intended at offset at.
func (s *session) emit(at int64) {
	c := s.crew
	if !s.alive.Load() {
		s.unsent()
		return
	}
	l := s.link.Load()
	forged := c.forge()
	s.nonce++
	s.ackID++
	body := c.body(at, forged, s.bodySize())
	sig := l.signer.Sign(s.chatID, l.info.SessionID, s.nonce, body)
	if forged {
		// Flip one hex digit: the right length and alphabet, the wrong MAC.
		b := []byte(sig)
		if b[0] == '0' {
			b[0] = '1'
		} else {
			b[0] = '0'
		}
		sig = string(b)
	}
	f := wire.AppendEventHead(s.frame[:0], s.ackID)
	f = append(f, `["`+wcp.EventMessage+`",{"chat_id":"`...)
	f = append(f, s.chatID...)
	f = append(f, `","nonce":`...)
	f = strconv.AppendInt(f, s.nonce, 10)
	f = append(f, `,"body":"`...)
	f = append(f, body...)
	f = append(f, `","message_string":"`...)
	f = append(f, sig...)
	f = append(f, `"}]`...)
	s.frame = f

	now := c.now()
	s.pmu.Lock()
	s.pending = append(s.pending, pending{id: s.ackID, intended: at, sent: now, forged: forged})
	s.pmu.Unlock()
	s.recordSent(time.Duration(now-at), forged)

	if err := l.w.send(f, c.ackTimeout); err != nil {
		// The reader notices the broken socket and settles pending acks.
		l.w.closeSoon()
	}
}

// read is the reader goroutine of link l: acks, deliveries, pings.
func (s *session) read(l *link) {
	defer close(l.dead)
	l.w.serve(func(f []byte) { s.handle(l, f) })
	wasAlive := s.alive.Swap(false)
	serverDrop := wasAlive && !s.crew.closing.Load() && !l.dropped.Load()
	if serverDrop {
		s.crew.disconnects.Add(1)
		if s.pop != nil {
			s.pop.drops.Add(1)
		}
	}
	if l.seam != nil {
		s.closeSeam(l.seam)
	}
	s.settle(report.AckClosed)
	if serverDrop && s.crew.onDrop != nil {
		s.crew.onDrop(s, l)
	}
}

// The events a session reads, as their JSON arrays begin.
var (
	prefixMessage = []byte(`["` + wcp.EventMessage + `",`)
	prefixRevoked = []byte(`["` + wcp.EventRevoked + `",`)
)

var pongFrame = []byte(wire.PongFrame)

// handle reads one frame: pings, closes, acks and deliveries. It is the
// hot path of every run, so it classifies frames in place.
func (s *session) handle(l *link, f []byte) {
	if len(f) == 0 {
		return
	}
	switch f[0] {
	case wire.EnginePing:
		if string(f) == wire.PingFrame {
			_ = l.w.write(pongFrame)
		}
		return
	case wire.EngineClose:
		l.w.closeSoon()
		return
	}
	typ, rest, ok := wire.SocketPacket(f)
	if !ok {
		return
	}
	switch typ {
	case wire.Event:
		if bytes.HasPrefix(rest, prefixMessage) {
			s.delivered(l, rest, len(prefixMessage))
		} else if bytes.HasPrefix(rest, prefixRevoked) {
			s.crew.revoked.Add(1)
		}
	case wire.Ack:
		id, data, ok := wire.CutID(rest)
		if !ok || len(data) == 0 || data[0] != '[' {
			s.crew.m.RecordAck(s.key, report.AckBad, false, "", 0)
			return
		}
		a, ok := parseAck(data, 1)
		s.acked(id, a, ok)
	case wire.Disconnect: // from the server
		l.w.closeSoon()
	}
}

// acked settles the pending message with ack id.
func (s *session) acked(id uint64, a ackInfo, ok bool) {
	c := s.crew
	now := c.now()
	s.pmu.Lock()
	var p pending
	found := false
	for i := range s.pending {
		if s.pending[i].id == id {
			p = s.pending[i]
			s.pending = append(s.pending[:i], s.pending[i+1:]...)
			found = true
			break
		}
	}
	s.pmu.Unlock()
	if !found {
		// Its timeout was already counted; a late acceptance still puts
		// its seq among those every session must receive.
		if ok && a.ok {
			s.book.ack(a.seq)
		}
		s.recordAck(report.AckLate, false, "", 0)
		return
	}
	c.sawAck(now)
	lat := time.Duration(now - p.intended)
	switch {
	case !ok:
		s.recordAck(report.AckBad, p.forged, "", lat)
	case a.ok:
		s.book.ack(a.seq)
		s.recordAck(report.AckOK, p.forged, "", lat)
	default:
		s.recordAck(report.AckRefused, p.forged, a.code, lat)
	}
	// Closed loop: emit the next message right here on the reader, saving
	// a hand-off to a worker per message; with at most Inflight messages
	// outstanding the write cannot fill the socket and stall the reader.
	if c.refilling() {
		s.sendNow(c.now())
	}
}

// settle gives up on pending acks: all of them (the session ended) or
// those older than the ack timeout.
func (s *session) settle(why report.Outcome) {
	c := s.crew
	var cut int64
	if why == report.AckTimeout {
		cut = c.now() - int64(c.ackTimeout)
	}
	s.pmu.Lock()
	n := 0
	for n < len(s.pending) && (why != report.AckTimeout || s.pending[n].sent <= cut) {
		n++
	}
	gone := append([]pending(nil), s.pending[:n]...)
	s.pending = append(s.pending[:0], s.pending[n:]...)
	s.pmu.Unlock()
	for range gone {
		s.recordAck(why, false, "", 0)
		if why == report.AckTimeout && c.refilling() {
			// On the sweeper: hand the refill to a worker, so one stuck
			// socket cannot hold up the timeouts of all the others.
			s.enqueue(c.now())
		}
	}
}

// busy reports whether s is alive with messages queued or awaiting their ack.
func (s *session) busy() bool {
	return s.alive.Load() && s.inFlight() > 0
}

// behind reports whether s is alive and has not yet received seq top.
func (s *session) behind(top int64) bool {
	return s.alive.Load() && s.highest.Load() < top
}

// stop closes s, noting whether it had already ended on its own.
func (s *session) stop() {
	s.diedEarly = !s.alive.Load()
	s.link.Load().close()
}

// wait returns once the reader of s's current link has exited.
func (s *session) wait() { <-s.link.Load().dead }

// audit compares what s received against its chat's acked seqs; call it
// once s's reader has exited.
func (s *session) audit() Audit {
	return s.in.audit(&s.book.acked, !s.diedEarly)
}

// inFlight counts messages queued or awaiting their ack.
func (s *session) inFlight() int {
	s.qmu.Lock()
	n := len(s.queue)
	if s.scheduled {
		n++
	}
	s.qmu.Unlock()
	s.pmu.Lock()
	defer s.pmu.Unlock()
	return n + len(s.pending)
}

// delivered records a `message` event whose object starts at f[i],
// received on link l.
func (s *session) delivered(l *link, f []byte, i int) {
	c := s.crew
	now := c.now()
	d, ok := parseDelivery(f, i)
	var at int64
	var forged bool
	if ok {
		at, forged, ok = parseTag(d.body[1 : len(d.body)-1])
	}
	switch {
	case ok && forged:
		// Whatever else is wrong with it, a forged message reached a
		// receiver: count it as such.
		s.recordDelivery(time.Duration(now-at), true)
		if d.seq > 0 {
			dup, _ := s.in.receive(d.seq)
			s.highest.Store(s.in.highest)
			s.atSeam(l, d.seq, dup)
		}
		return
	case !ok || d.seq == 0:
		c.m.RecordBadDelivery(s.key)
		return
	}
	dup, _ := s.in.receive(d.seq)
	s.highest.Store(s.in.highest)
	s.recordDelivery(time.Duration(now-at), false)
	s.atSeam(l, d.seq, dup)
	if s.pop != nil && s.pop.readEvery > 0 {
		s.readSlowly(l)
	}
}

// readSlowly holds a slow reader's next read back to its rate: it reads
// nothing meanwhile, so the server's buffer for it fills as a real slow
// client's would.
func (s *session) readSlowly(l *link) {
	if s.reads == nil {
		s.reads = rate.NewLimiter(rate.Every(s.pop.readEvery), 1)
	}
	l.pause(s.reads.Reserve().Delay())
}
