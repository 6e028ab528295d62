package load

import (
	"bytes"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wcp-project/wcp"
)

// session is one connected sender, which also receives its chat's
// messages. Emits are serialized: the pacer only appends intended times to
// queue; at most one worker at a time drains it, so nonces leave in order
// while the pacer never waits on the socket.
type session struct {
	r      *runner
	key    int // local index: metrics stripe and dispatch slot
	chatID string
	book   *chatBook
	w      *wire
	info   wcp.Session
	signer *wcp.Signer

	qmu       sync.Mutex
	queue     []int64 // intended offsets (ns since the send start)
	scheduled bool

	// Worker-only state (one worker at a time, ordered by qmu).
	nonce int64
	ackID uint64
	frame []byte

	pmu     sync.Mutex
	pending []pending

	// Reader-only until the reader has exited.
	in      inbox
	highest atomic.Int64 // in.highest, readable by the drain loop
	alive   atomic.Bool
	dead    chan struct{} // closed when the reader exits
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
		s.r.schedule(s)
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
	r := s.r
	if !s.alive.Load() {
		r.unsent.Add(1)
		return
	}
	forged := r.forge()
	s.nonce++
	s.ackID++
	body := r.body(at, forged)
	sig := s.signer.Sign(s.chatID, s.info.SessionID, s.nonce, body)
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
	f := s.frame[:0]
	f = append(f, "42"...)
	f = strconv.AppendUint(f, s.ackID, 10)
	f = append(f, `["message",{"chat_id":"`...)
	f = append(f, s.chatID...)
	f = append(f, `","nonce":`...)
	f = strconv.AppendInt(f, s.nonce, 10)
	f = append(f, `,"body":"`...)
	f = append(f, body...)
	f = append(f, `","message_string":"`...)
	f = append(f, sig...)
	f = append(f, `"}]`...)
	s.frame = f

	now := r.now()
	s.pmu.Lock()
	s.pending = append(s.pending, pending{id: s.ackID, intended: at, sent: now, forged: forged})
	s.pmu.Unlock()
	r.m.RecordSent(s.key, time.Duration(now-at), forged)

	if err := s.w.send(f, r.cfg.AckTimeout); err != nil {
		// The reader notices the broken socket and settles pending acks.
		s.w.close()
	}
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// read is the session's reader goroutine: acks, deliveries, pings.
func (s *session) read() {
	r := s.r
	defer close(s.dead)
	s.w.serve(s.handle)
	wasAlive := s.alive.Swap(false)
	if wasAlive && !r.closing.Load() {
		r.disconnects.Add(1)
	}
	s.settle(ackClosed)
}

func readInto(b []byte, rd io.Reader) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := rd.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

var (
	prefixMessage = []byte(`["message",`)
	prefixRevoked = []byte(`["revoked",`)
)

func (s *session) handle(f []byte) {
	if len(f) == 0 {
		return
	}
	switch f[0] {
	case '2': // Engine.IO ping
		if len(f) == 1 {
			_ = s.w.write([]byte{'3'})
		}
		return
	case '1': // Engine.IO close
		s.w.close()
		return
	case '4':
	default:
		return
	}
	if len(f) < 2 {
		return
	}
	switch f[1] {
	case '2':
		if bytes.HasPrefix(f[2:], prefixMessage) {
			s.delivered(f, 2+len(prefixMessage))
		} else if bytes.HasPrefix(f[2:], prefixRevoked) {
			s.r.revoked.Add(1)
		}
	case '3':
		i := 2
		for i < len(f) && f[i] >= '0' && f[i] <= '9' {
			i++
		}
		id, err := strconv.ParseUint(string(f[2:i]), 10, 64)
		if err != nil || i >= len(f) || f[i] != '[' {
			s.r.m.recordAck(s.key, ackBad, false, "", 0)
			return
		}
		a, ok := parseAck(f, i+1)
		s.acked(id, a, ok)
	case '1': // namespace disconnect from the server
		s.w.close()
	}
}

// acked settles the pending message with ack id.
func (s *session) acked(id uint64, a ackInfo, ok bool) {
	r := s.r
	now := r.now()
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
		r.m.recordAck(s.key, ackLate, false, "", 0)
		return
	}
	r.sawAck(now)
	lat := time.Duration(now - p.intended)
	switch {
	case !ok:
		r.m.recordAck(s.key, ackBad, p.forged, "", lat)
	case a.ok:
		s.book.ack(a.seq)
		r.m.recordAck(s.key, ackOK, p.forged, "", lat)
	default:
		r.m.recordAck(s.key, ackRefused, p.forged, a.code, lat)
	}
	r.refill(s)
}

// settle gives up on pending acks: all of them (the session ended) or
// those older than the ack timeout.
func (s *session) settle(why ackOutcome) {
	r := s.r
	var cut int64
	if why == ackTimeout {
		cut = r.now() - int64(r.cfg.AckTimeout)
	}
	s.pmu.Lock()
	n := 0
	for n < len(s.pending) && (why != ackTimeout || s.pending[n].sent <= cut) {
		n++
	}
	gone := append([]pending(nil), s.pending[:n]...)
	s.pending = append(s.pending[:0], s.pending[n:]...)
	s.pmu.Unlock()
	for range gone {
		r.m.recordAck(s.key, why, false, "", 0)
		if why == ackTimeout && r.cfg.Inflight > 0 && r.sending.Load() {
			// On the sweeper: hand the refill to a worker, so one stuck
			// socket cannot hold up the timeouts of all the others.
			s.enqueue(r.now())
		}
	}
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

// delivered records a `message` event whose object starts at f[i].
func (s *session) delivered(f []byte, i int) {
	r := s.r
	now := r.now()
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
		r.m.RecordDelivery(s.key, time.Duration(now-at), true)
		if d.seq > 0 {
			s.in.receive(d.seq)
			s.highest.Store(s.in.highest)
		}
		return
	case !ok || d.seq == 0:
		r.m.with(s.key, func(st *stripe) { st.counts.BadDeliveries++ })
		return
	}
	s.in.receive(d.seq)
	s.highest.Store(s.in.highest)
	r.m.RecordDelivery(s.key, time.Duration(now-at), false)
}

// Body tag: "L<intended ns>F<0|1>;" then padding. It carries the intended
// send time to every receiver, so delivery latency needs no lookup table.
func appendTag(b []byte, at int64, forged bool) []byte {
	b = append(b, 'L')
	b = strconv.AppendInt(b, at, 10)
	if forged {
		return append(b, "F1;"...)
	}
	return append(b, "F0;"...)
}

// minBody is the longest tag: the smallest body that can carry it.
const minBody = 1 + 19 + 3

func parseTag(b []byte) (at int64, forged bool, ok bool) {
	if len(b) < 5 || b[0] != 'L' {
		return 0, false, false
	}
	i := 1
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		at = at*10 + int64(b[i]-'0')
		i++
	}
	if i == 1 || i+2 >= len(b) || b[i] != 'F' || b[i+2] != ';' {
		return 0, false, false
	}
	return at, b[i+1] == '1', true
}
