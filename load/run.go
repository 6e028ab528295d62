package load

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/wcp-project/wcp/client"
	"github.com/wcp-project/wcp/load/report"
	"github.com/wcp-project/wcp/load/scenario"
	"github.com/wcp-project/wcp/wire"
)

// runner is one run's state: its plan, the world setup built, the sessions
// that connected and the chats' books. What the sessions share lives in
// crew; a session sees nothing else of the run.
type runner struct {
	cfg      Config
	plan     Plan
	prog     Progress
	crew     *crew
	books    []*chatBook // parallel to plan.Chats
	sessions []*session
	wsURL    string

	// A scenario run's layout, populations and sources of reconnects.
	layout  *scenario.Layout
	pops    []*population
	sources []*source
	rev     reviver
	server  *serverWatch // nil: the server's metrics are not scraped

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

// Run sets up the world, connects every sender of cfg's shard, sends for
// the configured time, drains, audits deliveries and returns the result.
// It fills cfg's defaults (WithDefaults) and validates it first. Setup
// mistakes (a refused user creation, an unreachable target) end the run
// with an error; everything that goes wrong while sending is data in the
// result.
func Run(ctx context.Context, cfg Config) (*report.Result, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	r, err := newRunner(cfg)
	if err != nil {
		return nil, err
	}
	if err := checkFiles(&r.cfg, r.plan.Sessions(), fileLimit()); err != nil {
		return nil, err
	}
	res := r.header()
	defer r.server.close()
	r.server.probe(ctx)
	api, release := apiClient(&r.cfg)
	defer release()
	w, err := r.setup(ctx, api)
	if err != nil {
		return nil, err
	}
	mem, err := r.connect(ctx, w)
	defer r.closeAll()
	if err != nil {
		return nil, err
	}
	if err := r.awaitStart(ctx); err != nil {
		return nil, err
	}
	sent := r.send(ctx)
	r.account(res, sent)
	r.selfCheck(res, sent, mem)
	res.Costs = []report.Cost{r.cost(res, sent, mem)}
	res.Judge()
	return res, nil
}

// newRunner plans cfg's shard; cfg must be valid.
func newRunner(cfg Config) (*runner, error) {
	wsURL, err := wire.EndpointURL(cfg.Target, wire.WebSocket)
	if err != nil {
		return nil, err
	}
	stripes := 4 * runtime.GOMAXPROCS(0)
	r := &runner{cfg: cfg, prog: cfg.Progress, wsURL: wsURL, crew: newCrew(&cfg, report.NewMetrics(stripes))}
	if sc := cfg.Scenario; sc != nil {
		l := sc.Layout()
		r.layout = &l
		r.plan = splitLayout(&l, cfg.Shard)
		r.pops = newPopulations(sc, &l, r.plan, stripes)
		r.rev.src = newSource("server", "server drops", "")
		r.sources = append(r.sources, r.rev.src)
		r.crew.onDrop = r.revive
	} else if r.plan, err = Split(cfg.Senders, cfg.Chats, cfg.Shard); err != nil {
		return nil, err
	}
	plan := r.plan
	r.server = newServerWatch(&r.cfg)
	for range plan.Chats {
		r.books = append(r.books, &chatBook{})
	}
	return r, nil
}

// header is the result's description of the run, before anything is
// measured.
func (r *runner) header() *report.Result {
	p := r.plan
	return &report.Result{
		Version: report.ResultVersion,
		RunID:   r.cfg.RunID,
		Config:  r.cfg.settings(),
		Start:   time.Now().UTC(),
		Shards: []report.ShardInfo{{Index: p.Shard.Index, Count: p.Shard.Count, Senders: p.NumSenders,
			Chats: len(p.Chats), Rate: r.cfg.Rate * p.Share}},
	}
}

// apiClient is the HTTP client of setup and connection strings, and the
// function that releases its connections.
func apiClient(cfg *Config) (*client.Client, func()) {
	if cfg.HTTPClient != nil {
		return client.New(cfg.Target, cfg.HTTPClient), func() {}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = max(cfg.SetupConcurrency, cfg.ConnectConcurrency)
	hc := &http.Client{Timeout: 30 * time.Second, Transport: tr}
	return client.New(cfg.Target, hc), tr.CloseIdleConnections
}

// setup creates the shard's world over HTTP.
func (r *runner) setup(ctx context.Context, api *client.Client) (*world, error) {
	r.prog.Phase("setup")
	return setup(ctx, &r.cfg, r.plan, api)
}

// memGrowth is what connecting grew the process by, and what it held
// after: resident set and heap (bytes), open files.
type memGrowth struct {
	rss, heap           float64
	rssAfter, heapAfter uint64
	files               int
}

// connect opens every sender's session and measures the memory they took.
func (r *runner) connect(ctx context.Context, w *world) (memGrowth, error) {
	r.prog.Phase("connect")
	runtime.GC()
	rss0, heap0 := memNow()
	err := r.connectAll(ctx, w)
	runtime.GC()
	rss1, heap1 := memNow()
	if err != nil {
		return memGrowth{}, fmt.Errorf("connect: %w", err)
	}
	if len(r.sessions) == 0 {
		return memGrowth{}, fmt.Errorf("connect: no sender could connect (%s)", strings.Join(r.notes, "; "))
	}
	return memGrowth{rss: float64(rss1) - float64(rss0), heap: float64(heap1) - float64(heap0),
		rssAfter: rss1, heapAfter: heap1, files: openFiles()}, nil
}

// awaitStart waits for cfg.StartAt, if set and still ahead.
func (r *runner) awaitStart(ctx context.Context) error {
	if r.cfg.StartAt.IsZero() {
		return nil
	}
	d := time.Until(r.cfg.StartAt)
	if d <= 0 {
		r.note(fmt.Sprintf("start-at %s had passed when the shard was ready (%v late)", r.cfg.StartAt.Format(time.RFC3339), -d))
		return nil
	}
	r.prog.Phase(fmt.Sprintf("waiting %v for --start-at", d.Round(time.Millisecond)))
	realClock{}.Sleep(ctx, d)
	return ctx.Err()
}

// sending is what the send phase measured of its own cost.
type sending struct {
	start, end time.Time
	cpu        time.Duration // CPU time over sending
	cpuAll     time.Duration // CPU time up to the end of the drain
}

// send runs the sending phase and the drain after it, with the background
// watchers (scheduler lag, ack timeouts, the per-second series) running
// throughout, and ends with every session closed.
func (r *runner) send(ctx context.Context) sending {
	c := r.crew
	c.workers.begin(len(r.sessions), 2*runtime.GOMAXPROCS(0))
	defer c.workers.end()
	r.prog.Phase("sending")
	var s sending
	r.server.scrape(ctx) // before sending
	cpu0 := cpuTime()
	c.start = time.Now()
	s.start = c.start
	// The watchers start after c.start is set: they read it.
	bg, stopBG := context.WithCancel(ctx)
	var bgwg sync.WaitGroup
	bgwg.Go(func() { watchSched(bg, c.m) })
	bgwg.Go(func() { r.sweep(bg) })
	bgwg.Go(func() { r.seconds(bg) })
	bgwg.Go(func() { r.server.seconds(bg) })
	sendCtx, stopSend := context.WithTimeout(ctx, r.cfg.SendDuration())
	c.sending.Store(true)
	bounced := r.disrupt(sendCtx, ctx)
	switch {
	case r.cfg.Scenario != nil:
		// As below: a late schedule still sends every message it holds.
		r.paceScenario(ctx)
		<-sendCtx.Done()
	case r.cfg.Inflight > 0:
		for _, ss := range r.sessions {
			for range r.cfg.Inflight {
				ss.enqueue(0)
			}
		}
		<-sendCtx.Done()
	default:
		// The schedule ends by itself; only the caller's cancellation cuts
		// it short. A pacer running late still sends every scheduled
		// message (late, and measured as such) rather than drop the tail.
		r.pace(ctx)
	}
	c.sending.Store(false)
	stopSend()
	s.end = time.Now()
	s.cpu = cpuTime() - cpu0
	bounced() // reconnects still under way finish before the drain

	// Draining: acks first, then deliveries of what was acked.
	r.prog.Phase("draining")
	r.drain(ctx)
	s.cpuAll = cpuTime() - cpu0 // the last acks and deliveries are part of the cost
	stopBG()
	bgwg.Wait()
	c.m.Tick(time.Now().Unix())
	r.server.scrape(ctx) // after the drain
	r.closeAll()
	return s
}

// account audits deliveries chat by chat and puts the counters,
// histograms and series into res.
func (r *runner) account(res *report.Result, s sending) {
	c := report.Counts{Users: int64(r.plan.NumSenders) + 1, Chats: int64(len(r.plan.Chats))}
	byBook := map[*chatBook][]*session{}
	for _, ss := range r.sessions {
		byBook[ss.book] = append(byBook[ss.book], ss)
	}
	audits := map[*session]Audit{}
	for _, b := range r.books {
		sets := []*seqSet{&b.acked}
		for _, ss := range byBook[b] {
			sets = append(sets, &ss.in.got)
		}
		c.SeqGaps += seqHoles(sets)
		for _, ss := range byBook[b] {
			a := ss.audit()
			audits[ss] = a
			c.Expected += a.Expected
			c.Lost += a.Lost
			c.AfterDisconnect += a.AfterDisconnect
			c.Duplicated += a.Duplicated
			c.OutOfOrder += a.OutOfOrder
		}
	}
	crew := r.crew
	c.Unsent = crew.unsent.Load()
	c.Disconnects = crew.disconnects.Load()
	crew.m.AddCounts(&c)
	res.Counts, res.Histograms = crew.m.Snapshot()
	res.SendStart, res.SendEnd = s.start.UTC(), s.end.UTC()
	if la := crew.lastAck.Load(); la > 0 {
		res.LastAck = crew.start.Add(time.Duration(la)).UTC()
	}
	res.Series = crew.m.Series()
	res.Servers = r.server.views()
	res.End = time.Now().UTC()
	res.Notes = r.notes
	if sc := r.cfg.Scenario; sc != nil {
		res.Scenario = sc.Name
		if res.Scenario == "" {
			res.Scenario = "unnamed"
		}
		res.Populations = r.populations(audits)
		res.Reconnects = r.reconnects()
	}
	if n := crew.revoked.Load(); n > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("%d sessions were revoked by the server", n))
	}
}

// selfCheck adds this process's verdict on itself to res.
func (r *runner) selfCheck(res *report.Result, s sending, mem memGrowth) {
	sc := report.SelfCheck{Shard: r.cfg.Shard.Index, SharedWithServer: r.cfg.Embedded}
	if n := float64(len(r.sessions)); n > 0 {
		sc.SessionRSSKiB = mem.rss / n / 1024
		sc.SessionHeapKiB = mem.heap / n / 1024
	}
	judgeSelf(&sc, s.cpu, s.cpuAll, s.end.Sub(s.start), res.Counts.Sent, res.Hist(report.HistSchedLag), res.Hist(report.HistDispatch))
	res.SelfChecks = []report.SelfCheck{sc}
}

// pace runs the open loop, spreading messages round-robin over the
// shard's sessions.
func (r *runner) pace(ctx context.Context) {
	var p *StagedPacer
	if len(r.cfg.Stages) > 0 {
		p = NewStagedPacer(r.cfg.Rate, r.cfg.Stages)
	} else {
		p = ConstantPacer(r.cfg.Rate, r.cfg.Duration)
	}
	p = p.Scaled(r.plan.Share)
	n := len(r.sessions)
	c := r.crew
	Pace(ctx, realClock{}, c.start, p, func(i uint64, at time.Duration) {
		s := r.sessions[int(i%uint64(n))]
		if !s.enqueue(int64(at)) {
			c.unsent.Add(1)
		}
	}, func(lag time.Duration) { c.m.RecordDispatch(0, lag) })
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
				s.settle(report.AckTimeout)
			}
		}
	}
}

// seconds closes one series second at every wall-clock second boundary.
func (r *runner) seconds(ctx context.Context) {
	m := r.crew.m
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
		sec := m.Tick(next.Unix() - 1)
		r.prog.Second(time.Since(r.crew.start), sec, m.Counts())
	}
}

// drain waits until no ack is pending, then until every live session has
// received the highest acked seq of its chat. That second wait goes on
// while deliveries keep arriving: it ends once Grace passes with none
// arriving at all (a server that stopped delivering, or lost them), or
// at the latest the send duration (at least Grace) after it began. A
// server that is merely behind is waited for, so that a delivery that is
// late is not counted as lost; the result notes how long that took.
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
			if s.busy() {
				return false
			}
		}
		return true
	}, deadline)
	start := time.Now()
	quiet := newStall(r.cfg.Grace, start, r.crew.m.Counts().Delivered)
	caughtUp := false
	wait(func() bool {
		caughtUp = true
		for _, s := range r.sessions {
			if s.behind(s.book.top()) {
				caughtUp = false
				break
			}
		}
		return caughtUp || quiet.stalled(time.Now(), r.crew.m.Counts().Delivered)
	}, start.Add(max(r.cfg.Grace, r.cfg.SendDuration())))
	if took := time.Since(start); took > r.cfg.Grace {
		state := "all arrived"
		if !caughtUp {
			state = "some never did"
		}
		r.note(fmt.Sprintf("deliveries were still arriving after the grace of %v: the drain waited %v for them (%s)",
			r.cfg.Grace, took.Round(100*time.Millisecond), state))
	}
}

// stall tells when a count stopped moving: it has not changed for grace.
type stall struct {
	grace time.Duration
	count int64
	since time.Time // when count last changed
}

func newStall(grace time.Duration, now time.Time, count int64) *stall {
	return &stall{grace: grace, count: count, since: now}
}

// stalled takes the count at now and reports whether it has stood still
// for grace.
func (s *stall) stalled(now time.Time, count int64) bool {
	if count != s.count {
		s.count, s.since = count, now
		return false
	}
	return now.Sub(s.since) >= s.grace
}

// closeAll ends every session and waits for the readers. Idempotent.
func (r *runner) closeAll() {
	if r.crew.closing.Swap(true) {
		return
	}
	for _, s := range r.sessions {
		s.stop()
	}
	for _, s := range r.sessions {
		s.wait()
	}
}
