package load

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/client"
)

// Config is one run (or one shard of a run). The library never reads flags
// or files: the command fills this in.
type Config struct {
	// Target is the server's base URL, http://host:port.
	Target string
	// Embedded says the target runs inside this process (its CPU is then
	// not the generator's alone).
	Embedded bool
	// Senders and Chats of the whole run; sender s sits in chat s mod Chats.
	Senders, Chats int
	// Open loop: Rate msg/s in total (at the start of Stages when given),
	// ramping through Stages. Closed loop: Inflight messages per sender.
	// Exactly one of Rate/Stages and Inflight is used.
	Rate     float64
	Stages   []Stage
	Inflight int
	// Duration of sending (ignored with Stages: their sum is).
	Duration time.Duration
	// BodyBytes per message (at least 23: the body carries the send time).
	BodyBytes int
	// ConnectRate caps new sessions per second (0 = no cap);
	// ConnectConcurrency and SetupConcurrency cap calls in flight.
	ConnectRate        float64
	ConnectConcurrency int
	SetupConcurrency   int
	// TTL of connection strings in seconds (0 = the server's default).
	TTL int
	// Forged is the fraction of messages sent with a wrong message_string.
	Forged float64
	// AckTimeout, ConnectTimeout: how long to wait for each.
	AckTimeout     time.Duration
	ConnectTimeout time.Duration
	// Grace is how long to wait after sending for deliveries in flight.
	Grace time.Duration
	// Shard is this process's part of the run.
	Shard Shard
	// StartAt, when set, is the wall-clock time sending begins (after
	// setup and connect), so that shards on several machines send together.
	StartAt time.Time
	// RunID names the run in users, workspaces and results.
	RunID string
	// HTTPClient for setup calls (nil: one sized for SetupConcurrency).
	HTTPClient *http.Client
	// Progress is told about setup steps and every second of sending.
	Progress Progress
}

// Progress receives a run's progress; its methods are called from several
// goroutines and must not block.
type Progress interface {
	// Begin starts a setup step of total units and returns the function
	// that advances it by n.
	Begin(name string, total int) func(n int)
	// Second reports one second of sending: its counters and the totals so far.
	Second(elapsed time.Duration, sec Second, total Counts)
	// Phase announces a phase change ("sending", "draining", ...).
	Phase(name string)
}

type noProgress struct{}

func (noProgress) Begin(string, int) func(int)          { return func(int) {} }
func (noProgress) Second(time.Duration, Second, Counts) {}
func (noProgress) Phase(string)                         {}

func (c *Config) progress() Progress {
	if c.Progress == nil {
		return noProgress{}
	}
	return c.Progress
}

// Defaults for zero fields.
const (
	DefaultBodyBytes   = 64
	DefaultAckTimeout  = 10 * time.Second
	DefaultConnTimeout = 10 * time.Second
	DefaultGrace       = 5 * time.Second
)

// NewRunID returns a random run ID.
func NewRunID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Validate fills defaults and checks the configuration; its errors name
// the setting at fault.
func (c *Config) Validate() error {
	var errs []string
	bad := func(f string, a ...any) { errs = append(errs, fmt.Sprintf(f, a...)) }
	if c.Target == "" {
		bad("target: empty")
	} else if _, err := client.SocketURL(c.Target); err != nil {
		bad("%v", err)
	}
	if c.Senders < 1 {
		bad("senders must be at least 1, got %d", c.Senders)
	}
	if c.Chats < 1 {
		bad("chats must be at least 1, got %d", c.Chats)
	} else if c.Senders >= 1 && c.Chats > c.Senders {
		bad("chats (%d) may not exceed senders (%d): every chat needs a sender", c.Chats, c.Senders)
	}
	if c.Rate < 0 {
		bad("rate must not be negative, got %v", c.Rate)
	}
	if c.Inflight < 0 {
		bad("inflight must not be negative, got %d", c.Inflight)
	}
	open := c.Rate > 0 || len(c.Stages) > 0
	switch {
	case open && c.Inflight > 0:
		bad("rate/stages (open loop) and inflight (closed loop) exclude each other")
	case !open && c.Inflight == 0:
		bad("give a rate (--rate or --stages, open loop) or --inflight (closed loop)")
	}
	if len(c.Stages) > 0 {
		if c.Duration > 0 {
			bad("duration and stages exclude each other: the stages' sum is the duration")
		}
	} else if c.Duration <= 0 {
		bad("duration must be positive, got %v", c.Duration)
	}
	if c.BodyBytes == 0 {
		c.BodyBytes = DefaultBodyBytes
	}
	if c.BodyBytes < minBody || c.BodyBytes > wcp.MaxBodyBytes {
		bad("body-bytes must be in %d..%d (the body carries a %d-byte send-time tag), got %d", minBody, wcp.MaxBodyBytes, minBody, c.BodyBytes)
	}
	if c.ConnectRate < 0 {
		bad("connect-rate must not be negative, got %v", c.ConnectRate)
	}
	if c.TTL != 0 && (c.TTL < wcp.MinTTLSeconds || c.TTL > wcp.MaxTTLSeconds) {
		bad("ttl must be in %d..%d seconds, got %d", wcp.MinTTLSeconds, wcp.MaxTTLSeconds, c.TTL)
	}
	if c.Forged < 0 || c.Forged > 1 {
		bad("forged-ratio must be in 0..1, got %v", c.Forged)
	}
	if c.Shard.Count == 0 {
		c.Shard = Shard{0, 1}
	}
	if c.Shard.Index < 0 || c.Shard.Index >= c.Shard.Count {
		bad("shard %d/%d: index must be in 0..%d", c.Shard.Index, c.Shard.Count, c.Shard.Count-1)
	} else if c.Chats >= 1 && c.Chats < c.Shard.Count {
		bad("%d shards need at least %d chats (each chat lives in one shard)", c.Shard.Count, c.Shard.Count)
	}
	if c.AckTimeout == 0 {
		c.AckTimeout = DefaultAckTimeout
	}
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = DefaultConnTimeout
	}
	if c.Grace == 0 {
		c.Grace = DefaultGrace
	}
	if c.AckTimeout < 0 || c.ConnectTimeout < 0 || c.Grace < 0 {
		bad("timeouts and grace must not be negative")
	}
	if c.SetupConcurrency <= 0 {
		c.SetupConcurrency = 32
	}
	if c.ConnectConcurrency <= 0 {
		c.ConnectConcurrency = 64
	}
	if c.RunID == "" {
		c.RunID = NewRunID()
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

func (c *Config) settings() Settings {
	s := Settings{
		Target: c.Target, Embedded: c.Embedded, Senders: c.Senders, Chats: c.Chats,
		Rate: c.Rate, Inflight: c.Inflight, Duration: c.sendDuration().String(),
		BodyBytes: c.BodyBytes, ConnectRate: c.ConnectRate, TTL: c.TTL, Forged: c.Forged,
		AckTimeout: c.AckTimeout.String(), Grace: c.Grace.String(),
	}
	var parts []string
	for _, st := range c.Stages {
		parts = append(parts, st.Duration.String()+":"+strconv.FormatFloat(st.Target, 'f', -1, 64))
	}
	s.Stages = strings.Join(parts, ",")
	return s
}

func (c *Config) sendDuration() time.Duration {
	if len(c.Stages) > 0 {
		var d time.Duration
		for _, s := range c.Stages {
			d += s.Duration
		}
		return d
	}
	return c.Duration
}

// runner is one run's shared state.
type runner struct {
	cfg      *Config
	m        *Metrics
	start    time.Time // send start; intended times are offsets from it
	books    []*chatBook
	sessions []*session
	byChat   map[*chatBook][]*session
	pad      string

	sending atomic.Bool // closed loop: keep refilling
	closing atomic.Bool // we are closing sessions; their ends are not disconnects

	work    chan *session
	workers atomic.Int32
	idle    atomic.Int32
	wctx    context.Context
	wg      sync.WaitGroup

	emitted     atomic.Int64 // for spreading forgeries
	lastAck     atomic.Int64 // ns offset of the latest ack
	unsent      atomic.Int64
	disconnects atomic.Int64
	revoked     atomic.Int64

	nmu   sync.Mutex
	notes []string
}

const maxNotes = 20

func (r *runner) note(s string) {
	r.nmu.Lock()
	defer r.nmu.Unlock()
	if len(r.notes) < maxNotes {
		r.notes = append(r.notes, s)
	} else if len(r.notes) == maxNotes {
		r.notes = append(r.notes, "(further notes dropped)")
	}
}

// now is nanoseconds since the send start (monotonic).
func (r *runner) now() int64 { return int64(time.Since(r.start)) }

func (r *runner) body(at int64, forged bool) string {
	var tmp [32]byte
	t := appendTag(tmp[:0], at, forged)
	return string(t) + r.pad[:r.cfg.BodyBytes-len(t)]
}

// sawAck moves lastAck forward to t.
func (r *runner) sawAck(t int64) {
	for {
		old := r.lastAck.Load()
		if t <= old || r.lastAck.CompareAndSwap(old, t) {
			return
		}
	}
}

// forge decides whether the next emitted message is forged: the k-th
// message of the run is when floor(k·f) steps up, so exactly floor(N·f) of
// N messages are, spread evenly over time and senders.
func (r *runner) forge() bool {
	f := r.cfg.Forged
	if f <= 0 {
		return false
	}
	k := float64(r.emitted.Add(1))
	return math.Floor(k*f) > math.Floor((k-1)*f)
}

// schedule hands a session with queued messages to a worker. The channel
// holds every session at most once, so this never blocks; when every
// worker is busy (e.g. blocked on a slow socket) another one starts rather
// than let the schedule wait.
func (r *runner) schedule(s *session) {
	r.work <- s
	if r.idle.Load() == 0 && r.workers.Load() < maxWorkers {
		r.startWorker()
	}
}

const maxWorkers = 512

func (r *runner) startWorker() {
	r.workers.Add(1)
	r.wg.Go(func() {
		for {
			r.idle.Add(1)
			select {
			case s := <-r.work:
				r.idle.Add(-1)
				s.drain()
			case <-r.wctx.Done():
				r.idle.Add(-1)
				return
			}
		}
	})
}

// refill keeps a closed-loop sender's window full. It runs on the
// session's reader and emits the next message right there, saving a
// hand-off to a worker per message; a closed loop has at most Inflight
// messages outstanding, so the write cannot fill the socket and stall the
// reader.
func (r *runner) refill(s *session) {
	if r.cfg.Inflight > 0 && r.sending.Load() {
		s.sendNow(r.now())
	}
}

// Run sets up the world, connects every sender of cfg's shard, sends for
// the configured time, drains, audits deliveries and returns the result.
// Setup mistakes (a refused user creation, an unreachable target) end the
// run with an error; everything that goes wrong while sending is data in
// the result.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	plan, err := Split(cfg.Senders, cfg.Chats, cfg.Shard)
	if err != nil {
		return nil, err
	}
	hc := cfg.HTTPClient
	if hc == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = max(cfg.SetupConcurrency, cfg.ConnectConcurrency)
		hc = &http.Client{Timeout: 30 * time.Second, Transport: tr}
		defer tr.CloseIdleConnections()
	}
	api := client.New(cfg.Target, hc)
	r := &runner{
		cfg:    &cfg,
		m:      NewMetrics(4 * runtime.GOMAXPROCS(0)),
		byChat: map[*chatBook][]*session{},
		pad:    strings.Repeat(".", cfg.BodyBytes),
	}
	res := &Result{
		Version: ResultVersion,
		RunID:   cfg.RunID,
		Config:  cfg.settings(),
		Start:   time.Now().UTC(),
		Shards:  []ShardInfo{{Index: cfg.Shard.Index, Count: cfg.Shard.Count, Senders: plan.NumSenders, Chats: len(plan.Chats), Rate: cfg.Rate * plan.Share}},
	}
	prog := cfg.progress()
	prog.Phase("setup")
	w, err := setup(ctx, &cfg, plan, api)
	if err != nil {
		return nil, err
	}
	for range plan.Chats {
		r.books = append(r.books, &chatBook{})
	}
	prog.Phase("connect")
	runtime.GC()
	rss0, heap0 := memNow()
	cerr := r.connectAll(ctx, w, plan)
	runtime.GC()
	rss1, heap1 := memNow()
	defer r.closeAll()
	if cerr != nil {
		return nil, fmt.Errorf("connect: %w", cerr)
	}
	if len(r.sessions) == 0 {
		return nil, fmt.Errorf("connect: no sender could connect (%s)", strings.Join(r.notes, "; "))
	}

	if !cfg.StartAt.IsZero() {
		if d := time.Until(cfg.StartAt); d > 0 {
			prog.Phase(fmt.Sprintf("waiting %v for --start-at", d.Round(time.Millisecond)))
			realClock{}.Sleep(ctx, d)
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
		} else {
			r.note(fmt.Sprintf("start-at %s had passed when the shard was ready (%v late)", cfg.StartAt.Format(time.RFC3339), -d))
		}
	}

	// Sending.
	wctx, stopWorkers := context.WithCancel(context.Background())
	defer stopWorkers()
	r.wctx = wctx
	r.work = make(chan *session, len(r.sessions)+1)
	for range 2 * runtime.GOMAXPROCS(0) {
		r.startWorker()
	}
	prog.Phase("sending")
	bg, stopBG := context.WithCancel(ctx)
	var bgwg sync.WaitGroup
	bgwg.Go(func() { watchSched(bg, r.m) })
	bgwg.Go(func() { r.sweep(bg) })
	bgwg.Go(func() { r.seconds(bg, prog) })

	cpu0 := cpuTime()
	r.start = time.Now()
	res.SendStart = r.start.UTC()
	sendCtx, stopSend := context.WithTimeout(ctx, cfg.sendDuration())
	r.sending.Store(true)
	if cfg.Inflight > 0 {
		for _, s := range r.sessions {
			for range cfg.Inflight {
				s.enqueue(0)
			}
		}
		<-sendCtx.Done()
	} else {
		// The schedule ends by itself; only the caller's cancellation cuts
		// it short. A pacer running late still sends every scheduled
		// message (late, and measured as such) rather than drop the tail.
		r.pace(ctx, plan)
	}
	r.sending.Store(false)
	stopSend()
	sendEnd := time.Now()
	cpu1 := cpuTime()
	res.SendEnd = sendEnd.UTC()

	// Draining: acks first, then deliveries of what was acked.
	prog.Phase("draining")
	r.drain(ctx)
	cpu2 := cpuTime() // the last acks and deliveries are part of the cost
	stopBG()
	bgwg.Wait()
	r.m.Tick(time.Now().Unix())
	r.closeAll()
	stopWorkers()
	r.wg.Wait()

	// Audit and assemble.
	var c Counts
	c.Users = int64(plan.NumSenders) + 1
	c.Chats = int64(len(plan.Chats))
	for _, b := range r.books {
		sets := []*seqSet{&b.acked}
		for _, s := range r.byChat[b] {
			sets = append(sets, &s.in.got)
		}
		c.SeqGaps += seqHoles(sets)
		for _, s := range r.byChat[b] {
			a := s.in.audit(&b.acked, !s.diedEarly)
			c.Expected += a.Expected
			c.Lost += a.Lost
			c.AfterDisconnect += a.AfterDisconnect
			c.Duplicated += a.Duplicated
			c.OutOfOrder += a.OutOfOrder
		}
	}
	c.Unsent = r.unsent.Load()
	c.Disconnects = r.disconnects.Load()
	r.m.AddCounts(&c)
	res.Counts, res.Histograms = r.m.Snapshot()
	if la := r.lastAck.Load(); la > 0 {
		res.LastAck = r.start.Add(time.Duration(la)).UTC()
	}
	res.Series = r.m.Series()
	res.End = time.Now().UTC()
	sc := SelfCheck{Shard: cfg.Shard.Index, SharedWithServer: cfg.Embedded}
	if n := float64(len(r.sessions)); n > 0 {
		sc.SessionRSSKiB = (float64(rss1) - float64(rss0)) / n / 1024
		sc.SessionHeapKiB = (float64(heap1) - float64(heap0)) / n / 1024
	}
	judgeSelf(&sc, cpu1-cpu0, cpu2-cpu0, sendEnd.Sub(r.start), res.Counts.Sent, res.Hist(HistSchedLag), res.Hist(HistDispatch))
	res.SelfChecks = []SelfCheck{sc}
	res.Notes = r.notes
	if n := r.revoked.Load(); n > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("%d sessions were revoked by the server", n))
	}
	res.judge()
	return res, nil
}

// pace runs the open loop, spreading messages round-robin over the
// shard's sessions.
func (r *runner) pace(ctx context.Context, plan Plan) {
	var p *StagedPacer
	if len(r.cfg.Stages) > 0 {
		p = NewStagedPacer(r.cfg.Rate, r.cfg.Stages)
	} else {
		p = ConstantPacer(r.cfg.Rate, r.cfg.Duration)
	}
	p = p.Scaled(plan.Share)
	n := len(r.sessions)
	Pace(ctx, realClock{}, r.start, p, func(i uint64, at time.Duration) {
		s := r.sessions[int(i%uint64(n))]
		if !s.enqueue(int64(at)) {
			r.unsent.Add(1)
		}
	}, func(lag time.Duration) { r.m.RecordDispatch(0, lag) })
}

// sweep times out acks that have waited longer than the ack timeout.
func (r *runner) sweep(ctx context.Context) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			for _, s := range r.sessions {
				s.settle(ackTimeout)
			}
		}
	}
}

// seconds closes one series second at every wall-clock second boundary.
func (r *runner) seconds(ctx context.Context, prog Progress) {
	for {
		now := time.Now()
		next := now.Truncate(time.Second).Add(time.Second)
		t := time.NewTimer(next.Sub(now))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		sec := r.m.Tick(next.Unix() - 1)
		c, _ := r.m.countsOnly()
		prog.Second(time.Since(r.start), sec, c)
	}
}

// drain waits until no ack is pending, then until every live session has
// received the highest acked seq of its chat, or the grace period ends.
func (r *runner) drain(ctx context.Context) {
	deadline := time.Now().Add(r.cfg.AckTimeout + 100*time.Millisecond)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	wait := func(done func() bool, until time.Time) {
		for !done() && time.Now().Before(until) {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}
	wait(func() bool {
		for _, s := range r.sessions {
			if s.alive.Load() && s.inFlight() > 0 {
				return false
			}
		}
		return true
	}, deadline)
	wait(func() bool {
		for _, b := range r.books {
			b.mu.Lock()
			top := b.acked.max()
			b.mu.Unlock()
			for _, s := range r.byChat[b] {
				if s.alive.Load() && s.highest.Load() < top {
					return false
				}
			}
		}
		return true
	}, time.Now().Add(r.cfg.Grace))
}

// closeAll ends every session and waits for the readers. Idempotent.
func (r *runner) closeAll() {
	if r.closing.Swap(true) {
		return
	}
	for _, s := range r.sessions {
		s.diedEarly = !s.alive.Load()
		s.w.close()
	}
	for _, s := range r.sessions {
		<-s.dead
	}
}
