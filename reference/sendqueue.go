package reference

import (
	"sync"
	"time"

	"github.com/zishang520/socket.io/parsers/engine/v3/packet"
	"github.com/zishang520/socket.io/servers/engine/v3/transports"
)

// sendQueue measures what one Engine.IO connection has queued and not yet
// written, and enforces the slow-receiver rules on it. The connection is
// ended (engineConn.end), counted under the limit session_buffer each time:
//
//   - over Limits.SessionBurst bytes: at once;
//   - over Limits.SessionBuffer for Limits.BurstGrace: it went over and no
//     write brought it back to SessionBuffer or less within the grace;
//   - no write finished for Limits.SlowAfter while something is queued.
//
// Two thresholds, because the count spikes on bursts even for a client
// that reads at once: a deliverer publishes a whole commit batch in a
// tight loop, so all of it enters the engine's write buffer before the
// transport's first "drain" (ten of the largest messages are about 1 MiB).
// SessionBuffer is what a socket may hold for as long as it likes;
// SessionBurst, what it may hold for BurstGrace. It
// sits below Socket.IO, so every path that writes to a socket is measured
// alike: live delivery, replay, acks, `revoked`, CONNECT answers, pings.
// (A websocket whose peer takes nothing, with no more than SessionBuffer
// queued, may meet batchConn's write timeout first, counted as
// write_timeout: at the defaults, 10 s before 15 s.)
//
// How the bytes are measured. Every packet the engine is given passes its
// "packetCreate" event, with its encoded data (the length is read there,
// before anything consumes it): that adds to queued. The engine keeps
// packets in its write buffer until its transport is writable, then hands
// them all over as one batch ("flush") and the transport writes the batch
// (websocket: one frame each, into batchConn; polling: one response). The
// transport takes one batch at a time and says "drain" when it is written:
// that batch's bytes leave queued. So queued is the engine's write buffer
// plus the batch its transport is writing. What the transport has written
// may still wait in batchConn's buffer (at most maxPending, 256 KiB, beyond
// which the transport's write blocks and nothing drains) and in the
// kernel's socket buffer; neither is counted, both are bounded.
type sendQueue struct {
	limit     int           // Limits.SessionBuffer
	burst     int           // Limits.SessionBurst
	grace     time.Duration // Limits.BurstGrace
	slowAfter time.Duration // Limits.SlowAfter
	// end ends the connection because of limit; called at most once, never
	// with q.mu held, and from a goroutine of its own when the trigger
	// runs inside the engine (whose locks, and the hub's, may be held).
	end func(limit, what string, attrs ...any)

	mu        sync.Mutex
	queued    int                  // bytes given to the engine and not yet written by its transport
	inflight  int                  // of queued: the batch the transport is writing
	progress  time.Time            // last write finished, or when the queue last filled from empty
	transport transports.Transport // the transport whose "drain" counts
	slowTimer *time.Timer          // armed while something is queued
	armed     bool
	// overSince is when queued went over limit, zero while it is not;
	// graceTimer is armed while it is not zero.
	overSince  time.Time
	graceTimer *time.Timer
	room       chan struct{} // closed when queued shrinks, for waitRoom; nil when nobody waits
	done       chan struct{} // closed once the connection ended or closed
	stopped    bool          // done is closed
}

func newSendQueue(l Limits, end func(limit, what string, attrs ...any)) *sendQueue {
	return &sendQueue{limit: l.SessionBuffer, burst: l.SessionBurst, grace: l.BurstGrace, slowAfter: l.SlowAfter,
		end: end, done: make(chan struct{})}
}

// packetLen is the length of a packet's data: the engine's buffers and ours
// have a Len; the rare packet without data (ping, noop) counts as 0.
func packetLen(p *packet.Packet) int {
	if p == nil || p.Data == nil {
		return 0
	}
	if l, ok := p.Data.(interface{ Len() int }); ok {
		return l.Len()
	}
	return 0
}

// created is the engine's "packetCreate": a packet joins the write buffer.
// A socket is ended as soon as its queue goes over the burst cap, and its
// grace clock starts when it goes over the buffer; but a packet that finds
// the queue empty is always taken, however large, and starts no clock, so
// that no single message (up to about 96 KiB encoded) can end a session on
// its own.
func (q *sendQueue) created(args ...any) {
	p, _ := args[0].(*packet.Packet)
	n := packetLen(p)
	q.mu.Lock()
	if q.stopped {
		q.mu.Unlock()
		return
	}
	before := q.queued
	q.queued += n
	if before == 0 {
		q.progress = time.Now() // the stuck clock starts now
	}
	over := before > 0 && q.queued > q.burst
	if over {
		q.stop()
	} else {
		if q.queued > 0 && !q.armed {
			q.arm(q.slowAfter)
		}
		if before > 0 && q.queued > q.limit && q.overSince.IsZero() {
			q.overSince = time.Now() // the grace clock starts now
			q.armGrace(q.grace)
		}
	}
	queued := q.queued
	q.mu.Unlock()
	if over {
		go q.end(limitSession, "socket ended: over its burst cap, at once (slow receiver)",
			"queued_bytes", queued, "burst_bytes", q.burst)
	}
}

// flushed is the engine's "flush": its whole write buffer goes to the
// transport as one batch, so everything counted is now in flight. (A
// packet counted an instant before it joins the buffer is taken for
// written a batch early: the count errs low, never high, so it cannot
// drift up and end a healthy socket.)
func (q *sendQueue) flushed(...any) {
	q.mu.Lock()
	q.inflight = q.queued
	q.mu.Unlock()
}

// drained is the transport's "drain": the batch it was writing is written.
func (q *sendQueue) drained(t transports.Transport) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if t != q.transport {
		return // a transport replaced by an upgrade
	}
	q.queued -= q.inflight
	q.inflight = 0
	q.progress = time.Now()
	q.underAgain()
	if q.room != nil {
		close(q.room)
		q.room = nil
	}
}

// follow makes t the transport whose "drain" counts: each the connection
// upgrades to. A batch the old transport was writing is either written or
// lost with it; it no longer counts either way (nor does one flushed to t
// already: the count errs low, as in flushed).
func (q *sendQueue) follow(t transports.Transport) { q.switchTo(t, true) }

// followFirst is follow for the transport the connection had when it was
// first seen, unless an upgrade got there first.
func (q *sendQueue) followFirst(t transports.Transport) { q.switchTo(t, false) }

func (q *sendQueue) switchTo(t transports.Transport, replace bool) {
	if t == nil {
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	old := q.transport
	if old == t || (old != nil && !replace) {
		return
	}
	q.transport = t
	q.queued -= q.inflight
	q.inflight = 0
	q.underAgain()
	// Neither call emits, so holding q.mu is safe.
	if old != nil {
		old.RemoveListener("drain", q.drainOf(old))
	}
	_ = t.On("drain", q.drainOf(t))
}

// drainOf is t's drain listener. The emitter removes listeners by their
// code pointer, so every closure made here is the same listener to it:
// there is one per transport, and drained ignores a stale one.
func (q *sendQueue) drainOf(t transports.Transport) func(...any) {
	return func(...any) { q.drained(t) }
}

// arm (re)starts the slow timer; q.mu is held.
func (q *sendQueue) arm(d time.Duration) {
	q.armed = true
	rearm(&q.slowTimer, d, q.checkSlow)
}

// rearm starts *t to call f after d, made on first use, reset after.
func rearm(t **time.Timer, d time.Duration, f func()) {
	if *t == nil {
		*t = time.AfterFunc(d, f)
		return
	}
	(*t).Reset(d)
}

// underAgain stops the grace clock if the queue is back within the
// buffer; q.mu is held.
func (q *sendQueue) underAgain() {
	if q.overSince.IsZero() || q.queued > q.limit {
		return
	}
	q.overSince = time.Time{}
	q.graceTimer.Stop()
}

// armGrace (re)starts the grace timer; q.mu is held.
func (q *sendQueue) armGrace(d time.Duration) { rearm(&q.graceTimer, d, q.checkGrace) }

// checkGrace runs BurstGrace after the queue went over the buffer, unless
// a write brought it back first: a queue still over it has not taken a
// burst in time, or is no burst but a client reading slower than it is
// sent to, and is ended. (A timer stopped too late to keep it from
// firing finds the clock stopped, or restarted later, and does nothing
// or waits again.)
func (q *sendQueue) checkGrace() {
	q.mu.Lock()
	if q.stopped || q.overSince.IsZero() {
		q.mu.Unlock()
		return
	}
	over := time.Since(q.overSince)
	if over < q.grace {
		q.armGrace(q.grace - over)
		q.mu.Unlock()
		return
	}
	queued := q.queued
	q.stop()
	q.mu.Unlock()
	q.end(limitSession, "socket ended: over its send buffer for longer than the burst grace (slow receiver)",
		"over_for", over.Round(time.Millisecond), "queued_bytes", queued, "limit_bytes", q.limit)
}

// checkSlow runs while something is queued, at most once per SlowAfter: a
// queue that has not had a single write finish for SlowAfter belongs to a
// client that stopped reading. It is ended even under the byte limit, so
// that it does not hold its buffer, its descriptor and its session until
// the ping timeout (a client can answer pings without reading).
func (q *sendQueue) checkSlow() {
	q.mu.Lock()
	if q.stopped {
		q.mu.Unlock()
		return
	}
	if q.queued <= 0 {
		q.armed = false
		q.mu.Unlock()
		return
	}
	idle := time.Since(q.progress)
	if idle < q.slowAfter {
		q.arm(q.slowAfter - idle)
		q.mu.Unlock()
		return
	}
	queued := q.queued
	q.stop()
	q.mu.Unlock()
	q.end(limitSession, "socket ended: no write finished for the slow-receiver time (slow receiver)",
		"stalled_for", idle.Round(time.Millisecond), "queued_bytes", queued)
}

// stop ends the measuring: done is closed and waiters return; q.mu is held.
func (q *sendQueue) stop() {
	if q.stopped {
		return
	}
	q.stopped = true
	close(q.done)
	if q.slowTimer != nil {
		q.slowTimer.Stop()
	}
	if q.graceTimer != nil {
		q.graceTimer.Stop()
	}
}

// closed is called when the connection is gone.
func (q *sendQueue) closed() {
	q.mu.Lock()
	q.stop()
	q.mu.Unlock()
}

// waitRoom blocks until n more bytes fit in half of the buffer, or the
// queue is empty, and reports whether the connection is still there. The
// replay writes through it, so that it reads the database only as fast as
// the client reads the socket and never crosses the limit itself; the
// other half is room for what else the socket gets meanwhile (acks, pings).
func (q *sendQueue) waitRoom(n int) bool {
	for {
		q.mu.Lock()
		if q.stopped {
			q.mu.Unlock()
			return false
		}
		if q.queued <= 0 || q.queued+n <= q.limit/2 {
			q.mu.Unlock()
			return true
		}
		if q.room == nil {
			q.room = make(chan struct{})
		}
		room := q.room
		q.mu.Unlock()
		select {
		case <-room:
		case <-q.done:
			return false
		}
	}
}
