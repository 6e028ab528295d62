package load

import (
	"context"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wcp-project/wcp/load/report"
	"github.com/wcp-project/wcp/load/scenario"
)

// crew is what the sessions of a run share, and all that a session sees of
// the run: the send clock, the metrics, the run's few settings a sender
// needs, the counters that belong to no single session, and the workers
// that drain send queues.
type crew struct {
	start      time.Time // send start; intended times are offsets from it
	m          *report.Metrics
	ackTimeout time.Duration
	closedLoop bool    // Inflight > 0: every ack makes room for the next message
	forged     float64 // share of messages to forge
	bodyBytes  int
	pad        string

	sending atomic.Bool // closed loop: keep refilling
	closing atomic.Bool // the run is closing sessions; their ends are not disconnects

	emitted     atomic.Int64 // for spreading forgeries
	lastAck     atomic.Int64 // ns offset of the latest ack
	unsent      atomic.Int64
	disconnects atomic.Int64
	revoked     atomic.Int64

	workers workers

	// onDrop, if set before any session connects, is told of every link
	// the server ended (not the run): a scenario reconnects it.
	onDrop func(s *session, l *link)
}

func newCrew(cfg *Config, m *report.Metrics) *crew {
	return &crew{
		m:          m,
		ackTimeout: cfg.AckTimeout,
		closedLoop: cfg.Inflight > 0,
		forged:     cfg.Forged,
		bodyBytes:  cfg.BodyBytes,
		pad:        strings.Repeat(".", padBytes(cfg)),
	}
}

// now is nanoseconds since the send start (monotonic).
func (c *crew) now() int64 { return int64(time.Since(c.start)) }

// body is a message body of n bytes intended at offset at: its tag, then
// padding.
func (c *crew) body(at int64, forged bool, n int) string {
	var tmp [32]byte
	t := appendTag(tmp[:0], at, forged)
	return string(t) + c.pad[:n-len(t)]
}

// sawAck moves lastAck forward to t.
func (c *crew) sawAck(t int64) {
	for {
		old := c.lastAck.Load()
		if t <= old || c.lastAck.CompareAndSwap(old, t) {
			return
		}
	}
}

// forge decides whether the next emitted message is forged: the k-th
// message of the run is when floor(k·f) steps up, so exactly floor(N·f) of
// N messages are, spread evenly over time and senders.
func (c *crew) forge() bool {
	f := c.forged
	if f <= 0 {
		return false
	}
	k := float64(c.emitted.Add(1))
	return math.Floor(k*f) > math.Floor((k-1)*f)
}

// refilling reports whether a closed-loop sender should replace a settled
// message with a new one.
func (c *crew) refilling() bool { return c.closedLoop && c.sending.Load() }

// workers drain the send queues of sessions handed to them. A session is
// in the channel at most once, so handing one over never blocks; when every
// worker is busy (e.g. blocked on a slow socket) another one starts rather
// than let the schedule wait.
type workers struct {
	work  chan *session
	n     atomic.Int32
	idle  atomic.Int32
	ctx   context.Context
	stop  context.CancelFunc
	group sync.WaitGroup
}

const maxWorkers = 512

// begin starts n workers for up to sessions queued sessions.
func (w *workers) begin(sessions, n int) {
	w.ctx, w.stop = context.WithCancel(context.Background())
	w.work = make(chan *session, sessions+1)
	for range n {
		w.add()
	}
}

// schedule hands s, which has queued messages, to a worker.
func (w *workers) schedule(s *session) {
	w.work <- s
	if w.idle.Load() == 0 && w.n.Load() < maxWorkers {
		w.add()
	}
}

func (w *workers) add() {
	w.n.Add(1)
	w.group.Go(func() {
		for {
			w.idle.Add(1)
			select {
			case s := <-w.work:
				w.idle.Add(-1)
				s.drain()
			case <-w.ctx.Done():
				w.idle.Add(-1)
				return
			}
		}
	})
}

// end stops the workers and waits for them; safe when begin never ran.
func (w *workers) end() {
	if w.stop != nil {
		w.stop()
	}
	w.group.Wait()
}

// padBytes is the longest body the run sends.
func padBytes(cfg *Config) int {
	if cfg.Scenario != nil {
		return max(cfg.BodyBytes, scenario.MaxBodyBytes)
	}
	return cfg.BodyBytes
}
