package reference

import (
	"context"
	"time"

	"github.com/zishang520/socket.io/v3/pkg/types"

	"github.com/wcp-project/wcp/internal/fault"
)

// The seam between stored and live messages (CON-2), with flow control.
//
// Every session joins its hub before its `session` event, marked replaying:
// every message published from then on is buffered for it, so none can
// overtake `session` (CON-1) and none is missed by a client that already
// has its session (CON-3). Then catchUp, on a goroutine of its own:
//
//  1. With `after`, it reads the database a page (Limits.ReplayPage) at a
//     time, seq > the last one sent, until a page comes back short. It
//     writes each message only when the socket has room for it (half of
//     SessionBuffer, sendQueue.waitRoom), so it reads the next page only
//     once the client has read most of the last: however long the history,
//     the server holds one page and one socket buffer of it.
//  2. Under the hub's lock it takes what was buffered meanwhile, beyond the
//     last seq sent, and writes it outside the lock with the same flow
//     control; then again, until under the lock nothing is left, and there
//     it turns the session live.
//
// Why nothing is lost: a message is committed before it is published. So
// one published before the join was committed before any read of step 1,
// and a short page means every message committed at that read is at or
// below the last seq sent; one published after the join is in the buffer.
// Why nothing repeats: step 2 skips buffered seqs already sent, and a
// message committed (so replayed) but published only after the session
// turned live is skipped by its high-water mark, replayed.
//
// The buffer is bounded too (SessionBuffer bytes of encoded messages, which
// the publishing hub shares among its sessions). Past that it is dropped
// and the session marked overflowed; every dropped message was committed
// before it was published, so step 2 then goes back to step 1 from the
// seq before the first of them, or from the last one sent if higher. A
// session without `after` starts at step 2, and only reads the database
// after an overflow.

// buffered is a live message waiting for a session that is catching up.
type buffered struct {
	seq  int64
	pkt  []types.BufferInterface // shared with the other receivers
	size int
}

// buffer keeps m for ss until it has caught up, or drops the whole buffer
// when it would go over SessionBuffer; called with the hub's lock held.
func (hs *hubs) buffer(ss *session, seq int64, pkt []types.BufferInterface, size int) {
	if !ss.hasFloor && seq > 0 {
		ss.floor, ss.hasFloor = seq-1, true
	}
	if ss.overflow {
		return
	}
	if ss.bufBytes+size > hs.s.limits.SessionBuffer && len(ss.buf) > 0 {
		ss.buf, ss.bufBytes, ss.overflow = nil, 0, true
		return
	}
	ss.buf = append(ss.buf, buffered{seq: seq, pkt: pkt, size: size})
	ss.bufBytes += size
}

// drop forgets ss's buffer when it leaves its hub; the hub's lock is held.
func (ss *session) drop() {
	ss.gone.Store(true)
	ss.buf, ss.bufBytes = nil, 0
}

// What takeBuffered found.
type catchUpState int

const (
	caughtUp   catchUpState = iota // nothing left: the session is live now
	more                           // buffered messages to send
	overflowed                     // the buffer was dropped: read the database again
	left                           // the session is gone
)

// takeBuffered takes ss's buffered messages beyond last, or, if there are
// none, turns it live with last as its high-water mark. After an overflow
// it returns the seq to read the database from.
func (hs *hubs) takeBuffered(ss *session, last int64) ([]buffered, int64, catchUpState) {
	h := hs.get(ss.chatID)
	if h == nil {
		return nil, 0, left
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if ss.gone.Load() {
		return nil, 0, left
	}
	floor := last
	if ss.hasFloor {
		floor = max(last, ss.floor)
	}
	ss.hasFloor = false
	if ss.overflow {
		ss.overflow = false
		return nil, floor, overflowed
	}
	var out []buffered
	for _, b := range ss.buf {
		if b.seq > last || b.seq == 0 {
			out = append(out, b)
		}
	}
	ss.buf, ss.bufBytes = nil, 0
	if len(out) == 0 {
		ss.replayed = last
		ss.replaying = false
		return nil, 0, caughtUp
	}
	return out, 0, more
}

// catchUp brings ss from `after` (nil: from its join) to live delivery.
// It returns once the session is live or gone, or the database failed.
func (hs *hubs) catchUp(ss *session, after *int64) error {
	var last int64
	fromDB := after != nil
	if fromDB {
		last = *after
	}
	skipFirst := fromDB && hs.s.fault == fault.ReplayGap
	for {
		if fromDB {
			var ok bool
			var err error
			if last, ok, err = hs.replayStored(ss, last, &skipFirst); err != nil || !ok {
				return err
			}
			fromDB = false
		}
		out, from, state := hs.takeBuffered(ss, last)
		switch state {
		case caughtUp, left:
			return nil
		case overflowed:
			last, fromDB = from, true
			continue
		}
		for _, b := range out {
			if !hs.send(ss, b.pkt, b.size) {
				return nil
			}
			last = max(last, b.seq)
		}
	}
}

// replayReadTimeout bounds one page read.
const replayReadTimeout = 30 * time.Second

// replayStored sends ss the stored messages after last, a page at a time,
// until a short page, and returns the last seq sent; ok is false once the
// session is gone.
func (hs *hubs) replayStored(ss *session, last int64, skipFirst *bool) (int64, bool, error) {
	page := hs.s.limits.ReplayPage
	for {
		ctx, cancel := context.WithTimeout(context.Background(), replayReadTimeout)
		msgs, err := hs.s.store.Messages(ctx, ss.chatID, last, page)
		cancel()
		if err != nil {
			return last, false, err
		}
		for _, m := range msgs {
			if *skipFirst {
				*skipFirst = false // the replay-gap fault: one message goes missing
				last = m.Seq
				continue
			}
			pkt, size := hs.encode(m)
			if !hs.send(ss, pkt, size) {
				return last, false, nil
			}
			last = m.Seq
		}
		if len(msgs) < page {
			return last, true, nil
		}
	}
}

// send writes one encoded message to ss once its socket has room for it,
// and reports whether the session is still there.
func (hs *hubs) send(ss *session, pkt []types.BufferInterface, size int) bool {
	if ss.gone.Load() || !ss.conn.out.waitRoom(size) || ss.gone.Load() { // again: it may have left while waiting
		return false
	}
	ss.sock.Client().WriteToEngine(pkt, preEncoded)
	return true
}
