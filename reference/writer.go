package reference

import (
	"context"
	"hash/fnv"
	"runtime"
	"sync"
	"time"

	sio "github.com/zishang520/socket.io/servers/socket/v3"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/internal/fault"
)

// pending is a valid message waiting for its commit.
type pending struct {
	ss       *session
	msg      wcp.Message
	ack      sio.Ack // nil when the client asked for none
	received time.Time
	stored   bool
	err      *wcp.Error // why it was not stored
	// committed is when its commit ended; set only with an ack delay
	// (ackdelay.go).
	committed time.Time
}

// writer is the group commit: one goroutine takes everything queued since
// its last commit, assigns seqs, stores the lot in one transaction (one
// fsync), and passes the batch on. Seqs come from this one goroutine, so
// they have no gaps and no races whatever the number of senders.
//
// Deliverers then acknowledge and publish committed messages, so the next
// commit overlaps the fan-out of the last one. Fan-out is most of the work
// (a socket write per session), so there are several deliverers, each owning
// the chats that hash to it: one chat's messages all go through one FIFO
// deliverer, in seq order, while different chats fan out in parallel.
//
// The writer holds at most Limits.WriterQueue messages from submit to the
// end of their delivery, shared fairly between chats and between the
// sessions of a chat once it is half full (fairShare); past that, submit
// refuses (server busy).
type writer struct {
	s *Server

	mu      sync.Mutex
	queue   []*pending
	closing bool
	wake    chan struct{}

	// held counts the messages accepted and not yet through a deliverer
	// (queued, committing or delivering), bounded by Limits.WriterQueue.
	// It counts up to the end of delivery, not just to the commit, so that
	// a fan-out slower than the database pushes back too instead of piling
	// batches up behind the deliverers.
	held *fairShare
	busy *quietLimit // refusals past held's bounds

	lastSeq map[string]int64  // writer goroutine only
	shards  []chan []*pending // committed messages, by chat
	done    chan struct{}     // every goroutine ended
}

func newWriter(s *Server) *writer {
	n := max(2, runtime.GOMAXPROCS(0))
	limit := s.limits.WriterQueue
	if limit <= 0 {
		limit = DefaultLimits().WriterQueue
	}
	w := &writer{
		s:       s,
		held:    newFairShare(limit),
		busy:    s.quietLimit(limitWriter, "writer queue: message refused, server busy"),
		wake:    make(chan struct{}, 1),
		lastSeq: make(map[string]int64),
		shards:  make([]chan []*pending, n),
		done:    make(chan struct{}),
	}
	var delivering sync.WaitGroup
	for i := range w.shards {
		w.shards[i] = make(chan []*pending, 64)
		delivering.Add(1)
		go func() {
			defer delivering.Done()
			w.deliverLoop(w.shards[i])
		}()
	}
	go func() {
		w.commitLoop()
		for _, sh := range w.shards {
			close(sh)
		}
		delivering.Wait()
		close(w.done)
	}()
	return w
}

// shard is the deliverer that owns chatID.
func (w *writer) shard(chatID string) int {
	h := fnv.New32a()
	h.Write([]byte(chatID))
	return int(h.Sum32() % uint32(len(w.shards)))
}

// hand passes a committed batch to the deliverers, split by chat, each part
// in commit order.
func (w *writer) hand(batch []*pending) {
	if len(w.shards) == 1 {
		w.shards[0] <- batch
		return
	}
	parts := make([][]*pending, len(w.shards))
	for _, p := range batch {
		i := w.shard(p.msg.ChatID)
		parts[i] = append(parts[i], p)
	}
	for i, part := range parts {
		if len(part) > 0 {
			w.shards[i] <- part
		}
	}
}

var (
	errShuttingDown = wcp.NewError(wcp.CodeInternal, "server shutting down")
	errBusy         = wcp.NewError(wcp.CodeInternal, "server busy")
)

// submit queues p for the next commit. It never blocks: when the writer
// already holds its limit of messages (queued, committing or being
// delivered), or p's chat or session its share of them, p is refused at
// once (errBusy) rather than queued. Senders faster than the database or
// the fan-out would otherwise grow the queue, and the server's memory,
// without bound; the refusal is their backpressure, and the session stays
// open.
func (w *writer) submit(p *pending) {
	w.mu.Lock()
	if w.closing {
		w.mu.Unlock()
		if p.ack != nil {
			p.ack([]any{wcp.Ack{Error: errShuttingDown}}, nil)
		}
		return
	}
	if bound := w.held.admit(p.msg.ChatID, p.ss); bound != "" {
		w.mu.Unlock()
		w.refuseBusy(p, bound)
		return
	}
	w.queue = append(w.queue, p)
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// refuseBusy acknowledges p with errBusy: never stored, never delivered
// (MSG-2). Every refusal counts in wcp_limit_refusals_total; a flood of them
// logs a line a second (quietLimit), naming the bound that refused it.
func (w *writer) refuseBusy(p *pending, bound string) {
	w.s.metrics.refused.WithLabelValues(string(errBusy.Code)).Inc()
	w.busy.hit("bound", bound, "queue", w.held.limit, "chat", p.msg.ChatID)
	if p.ack != nil {
		p.ack([]any{wcp.Ack{Error: errBusy}}, nil)
	}
}

// close refuses further messages (submit acks them with errShuttingDown)
// and has the writer commit what is queued, hand it to the deliverers and
// stop; done is closed once the deliverers have acknowledged and published
// all of it. close itself does not wait.
func (w *writer) close() {
	w.mu.Lock()
	w.closing = true
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Lingering: a commit costs far more than a row (a transaction, WAL frames,
// a write call per page), so under concurrent load the writer waits a moment
// for a short queue to grow before committing: fewer, larger commits leave
// more CPU for fan-out. "Concurrent load" means the last commit ended
// moments ago and either it or the queue holds more than one message. A
// lone sender, however fast, never has company in the queue, so it never
// waits: lingering could not batch it with anyone. An idle writer commits
// at once.
const (
	lingerBelow = 64                      // a queue this long is committed at once
	lingerFor   = 1000 * time.Microsecond // added ack latency under load, at most
	busyWithin  = 2 * time.Millisecond    // last commit this recent: under load
)

func (w *writer) commitLoop() {
	var lastCommit time.Time
	last := 0 // messages in the last commit
	for {
		w.mu.Lock()
		n, closing := len(w.queue), w.closing
		w.mu.Unlock()
		if n == 0 {
			if closing {
				return
			}
			<-w.wake
			continue
		}
		if n < lingerBelow && (n > 1 || last > 1) && !closing && time.Since(lastCommit) < busyWithin {
			time.Sleep(lingerFor)
		}
		w.mu.Lock()
		batch := w.queue
		w.queue = nil
		w.mu.Unlock()
		w.commit(batch)
		last = len(batch)
		w.stampCommitted(batch)
		w.hand(batch) // the deliverers own batch from here
		lastCommit = time.Now()
	}
}

// commit stores one batch; p.stored says which messages made it, p.err
// why the others did not.
//
// A chat whose last seq cannot be read has its messages in this batch
// refused (errCommit) and left out of the transaction: numbering them from
// a guess would restart the chat at seq 1 (or collide with its stored
// messages and fail every chat's messages with them). Its next message
// reads the last seq again.
func (w *writer) commit(batch []*pending) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	msgs := make([]wcp.Message, 0, len(batch))
	sent := make([]*pending, 0, len(batch)) // batch's messages in msgs, same order
	next := make(map[string]int64, 4)
	unknown := make(map[string]bool) // chats whose last seq could not be read
	for _, p := range batch {
		chat := p.msg.ChatID
		if unknown[chat] {
			p.err = errCommit
			continue
		}
		last, ok := next[chat]
		if !ok {
			if last, ok = w.lastSeq[chat]; !ok {
				var err error
				if last, err = w.s.store.LastSeq(ctx, chat); err != nil {
					w.s.log.Error("last seq; the chat's messages in this commit are refused", "chat", chat, "err", err)
					unknown[chat] = true
					p.err = errCommit
					continue
				}
			}
		}
		step := int64(1)
		if w.s.fault == fault.SeqGap && last > 0 {
			step = 2
		}
		p.msg.Seq = last + step
		next[chat] = p.msg.Seq
		msgs = append(msgs, p.msg)
		sent = append(sent, p)
	}
	if len(msgs) == 0 {
		return
	}
	stored, err := w.s.store.AppendMessages(ctx, msgs)
	if err != nil {
		w.s.log.Error("group commit failed", "messages", len(msgs), "err", err)
		for chat := range next {
			delete(w.lastSeq, chat)
		}
		for _, p := range sent {
			p.err = errCommit
		}
		return
	}
	w.s.metrics.batchSize.Observe(float64(len(msgs)))
	if len(w.lastSeq) > maxSeqCache {
		// Deleted and idle chats would otherwise stay forever; the cache
		// refills from the database one LastSeq at a time.
		clear(w.lastSeq)
	}
	for i, p := range sent {
		p.stored = stored[i]
		if p.stored {
			w.lastSeq[p.msg.ChatID] = p.msg.Seq
		} else {
			p.err = errChatGone
			delete(w.lastSeq, p.msg.ChatID) // the chat is gone
		}
	}
}

// maxSeqCache bounds the writer's map of each chat's last seq.
const maxSeqCache = 100_000

var (
	errChatGone = wcp.NewError(wcp.CodeChatNotFound, "the chat was deleted")
	errCommit   = wcp.NewError(wcp.CodeInternal, "the message could not be stored")
)

// deliverLoop acknowledges each committed message, then delivers it (MSG-1:
// stored, then acknowledged, then delivered).
func (w *writer) deliverLoop(in <-chan []*pending) {
	m := w.s.metrics
	for batch := range in {
		for _, p := range batch {
			w.holdAck(p)
			if !p.stored {
				m.refused.WithLabelValues(string(p.err.Code)).Inc()
				if p.ack != nil {
					p.ack([]any{wcp.Ack{Error: p.err}}, nil)
				}
				continue
			}
			if p.ack != nil {
				p.ack([]any{wcp.Ack{OK: true, ID: p.msg.ID, Seq: p.msg.Seq}}, nil)
			}
			m.accepted.Inc()
			m.ackLatency.Observe(time.Since(p.received).Seconds())
		}
		for _, p := range batch {
			if p.stored {
				w.s.hubs.publish(p.msg, p.ss)
			}
		}
		w.mu.Lock()
		for _, p := range batch {
			w.held.release(p.msg.ChatID, p.ss)
		}
		w.mu.Unlock()
	}
}
