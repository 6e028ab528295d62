package load

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/load/report"
)

// Churn and storms: sessions the generator drops on purpose and
// reconnects with `after` (CON-2), as clients do after a network blip or
// a deploy. The session keeps its seat: its received seqs carry over, so
// the audit checks every seam with the same interval sets as the live
// stream. What the timings mean is documented on report.Reconnects.

// source is one source of reconnects (the churn, or one storm) and what
// it measured. Safe for concurrent use.
type source struct {
	mu  sync.Mutex
	res report.Reconnects
}

func newSource(kind, name, at string) *source {
	return &source{res: report.Reconnects{Kind: kind, Name: name, At: at, Resume: report.NewHist(), Reopen: report.NewHist()}}
}

func (x *source) update(f func(r *report.Reconnects)) {
	x.mu.Lock()
	defer x.mu.Unlock()
	f(&x.res)
}

// seam is one reconnect as its new link's reader sees it.
type seam struct {
	src           *source
	start, opened time.Time // reconnect begun; `session` event received
	after, mark   int64     // `after` sent; the chat's top acked seq at `session`
	replayed      int64
	lastReplay    time.Time
	dups          int64
	done          bool
}

// seamRecord is a finished seam, audited once the run is over: seqs in
// (after, hi] must all have arrived.
type seamRecord struct {
	src       *source
	after, hi int64
	dups      int64
}

// atSeam classifies a receipt on link l while its seam is open: a replayed
// message (seq in (after, mark]), or the first live one, which closes it.
func (s *session) atSeam(l *link, seq int64, dup bool) {
	sm := l.seam
	if sm == nil || sm.done {
		return
	}
	now := time.Now()
	switch {
	case dup:
		sm.dups++
	case seq > sm.mark:
		sm.done = true
		s.seams = append(s.seams, seamRecord{src: sm.src, after: sm.after, hi: seq, dups: sm.dups})
		sm.src.update(func(r *report.Reconnects) {
			r.Resumed++
			r.Resume.Record(now.Sub(sm.start))
			sm.addReplay(r)
		})
	case seq > sm.after:
		sm.replayed++
		sm.lastReplay = now
	}
}

// closeSeam ends a seam whose link closed before a live message came:
// what was replayed still counts, and its seqs up to the highest received
// are audited.
func (s *session) closeSeam(sm *seam) {
	if sm.done {
		return
	}
	sm.done = true
	s.seams = append(s.seams, seamRecord{src: sm.src, after: sm.after, hi: min(sm.mark, s.in.highest), dups: sm.dups})
	sm.src.update(sm.addReplay)
}

func (sm *seam) addReplay(r *report.Reconnects) {
	if sm.replayed > 0 {
		r.Replayed += sm.replayed
		r.ReplaySeconds += sm.lastReplay.Sub(sm.opened).Seconds()
	}
}

// renewMargin: a connection string expiring sooner than this is renewed
// before a reconnect, as a client that reads expires_at does.
const renewMargin = 2 * time.Second

// bounce drops s, waits down, and reconnects it with `after` set to the
// highest seq it received. A session that is down already, or being
// bounced, is left alone.
func (r *runner) bounce(ctx context.Context, s *session, src *source, down time.Duration) {
	if !s.alive.Load() || !s.bouncing.CompareAndSwap(false, true) {
		return
	}
	defer s.bouncing.Store(false)
	old := s.link.Load()
	old.dropped.Store(true)
	old.close()
	<-old.dead
	r.rejoin(ctx, s, src, down)
}

// rejoin counts s, whose link has ended and whose reader has exited, as
// dropped by src, waits down, and reconnects it; the caller holds
// s.bouncing.
func (r *runner) rejoin(ctx context.Context, s *session, src *source, down time.Duration) {
	src.update(func(r *report.Reconnects) { r.Dropped++ })
	realClock{}.Sleep(ctx, down)
	if ctx.Err() != nil {
		return
	}
	start := time.Now()
	after := s.in.highest // its reader has exited
	l, err := r.redial(ctx, s, src, after)
	if err != nil {
		code := codeOf(err)
		src.update(func(r *report.Reconnects) { r.Failed = incrCode(r.Failed, code) })
		r.note(fmt.Sprintf("%s: reconnect: %v", src.res.Name, err))
		return
	}
	opened := time.Now()
	l.seam = &seam{src: src, start: start, opened: opened, after: after, mark: s.book.top()}
	s.link.Store(l)
	s.alive.Store(true)
	go s.read(l)
	src.update(func(r *report.Reconnects) {
		r.Reconnected++
		r.Reopen.Record(opened.Sub(start))
	})
}

// reviveDelay is how long a session the server dropped waits before it
// reconnects, as a client backs off.
const reviveDelay = 500 * time.Millisecond

// reviver reconnects, in a scenario run, the sessions the server ends
// while the run sends (a slow reader it gave up on, a deploy of its
// own), as a client would. It admits work only between open and close,
// so that no reconnect is still under way when the drain starts.
type reviver struct {
	mu  sync.Mutex
	ctx context.Context // nil: closed
	src *source
	wg  sync.WaitGroup
}

// revive reconnects s, whose link l the server ended; it is the crew's
// onDrop, called on l's reader as it exits.
func (r *runner) revive(s *session, l *link) {
	v := &r.rev
	v.mu.Lock()
	ctx := v.ctx
	if ctx != nil {
		v.wg.Add(1)
	}
	v.mu.Unlock()
	if ctx == nil {
		return
	}
	go func() {
		defer v.wg.Done()
		<-l.dead
		if !s.bouncing.CompareAndSwap(false, true) {
			return
		}
		defer s.bouncing.Store(false)
		r.rejoin(ctx, s, v.src, reviveDelay)
	}()
}

// redial connects s again, renewing its connection string first when it
// has expired or is about to, and once more if the server says it has.
func (r *runner) redial(ctx context.Context, s *session, src *source, after int64) (*link, error) {
	for attempt := 0; ; attempt++ {
		if attempt > 0 || time.Until(s.csExpires) < renewMargin {
			cs, err := s.api.ConnectionString(ctx, s.chatID, r.cfg.TTL)
			if err != nil {
				return nil, fmt.Errorf("renew connection string: %w", err)
			}
			s.setConnString(cs)
			src.update(func(r *report.Reconnects) { r.Renewed++ })
		}
		w, info, err := dial(ctx, r.wsURL, wcp.Auth{ChatID: s.chatID, ConnectionString: s.cs.ConnectionString, After: &after}, r.cfg.ConnectTimeout)
		if err != nil {
			if attempt == 0 && wcp.ErrorCode(err) == wcp.CodeConnectionStringExpired {
				continue
			}
			return nil, err
		}
		signer, err := wcp.NewSignerFromKey(info.MessageKey)
		if err != nil {
			w.close()
			return nil, err
		}
		return newLink(w, info, signer), nil
	}
}

// setConnString keeps cs and when it expires (the zero time, so that it
// is renewed, when expires_at does not parse).
func (s *session) setConnString(cs wcp.ConnectionString) {
	s.cs = cs
	s.csExpires, _ = time.Parse(time.RFC3339, cs.ExpiresAt)
}

func incrCode(m map[string]int64, k string) map[string]int64 {
	if m == nil {
		m = map[string]int64{}
	}
	m[k]++
	return m
}

// disrupt runs the scenario's churn and storms over the sending phase
// (sendCtx); the reconnects themselves run on ctx, so that one begun at
// the end of sending still completes. wait returns once every reconnect
// begun has ended.
func (r *runner) disrupt(sendCtx, ctx context.Context) (wait func()) {
	sc := r.cfg.Scenario
	var wg sync.WaitGroup
	if sc == nil || len(r.sessions) == 0 {
		return wg.Wait
	}
	r.rev.mu.Lock()
	r.rev.ctx = ctx
	r.rev.mu.Unlock()
	seed := uint64(sc.Seed)
	if sc.Churn.Rate > 0 && r.plan.Share > 0 {
		src := newSource("churn", "churn", "")
		r.sources = append(r.sources, src)
		rate := sc.Churn.Rate * r.plan.Share
		rng := rand.New(rand.NewPCG(seed, 1000+uint64(r.plan.Shard.Index)))
		wg.Go(func() {
			Pace(sendCtx, realClock{}, r.crew.start, ConstantPacer(rate, sc.Duration), func(uint64, time.Duration) {
				if s := r.pickAlive(rng); s != nil {
					wg.Go(func() { r.bounce(ctx, s, src, sc.Churn.Down) })
				}
			}, nil)
		})
	}
	for i, st := range sc.Storms {
		src := newSource("storm", fmt.Sprintf("storm %d", i+1), st.At.String())
		r.sources = append(r.sources, src)
		n := min(int(math.Round(float64(st.Sessions)*r.plan.Share)), len(r.sessions))
		if n < int(math.Round(float64(st.Sessions)*r.plan.Share)) {
			r.note(fmt.Sprintf("storm %d: %d sessions asked for, this shard has %d", i+1, st.Sessions, n))
		}
		rng := rand.New(rand.NewPCG(seed, 2000+uint64(i)*100+uint64(r.plan.Shard.Index)))
		wg.Go(func() {
			realClock{}.Sleep(sendCtx, time.Until(r.crew.start.Add(st.At)))
			if sendCtx.Err() != nil {
				return
			}
			for j, k := range rng.Perm(len(r.sessions))[:n] {
				s := r.sessions[k]
				down := time.Duration(float64(st.Window) * float64(j) / float64(n))
				wg.Go(func() { r.bounce(ctx, s, src, down) })
			}
		})
	}
	return func() {
		wg.Wait()
		r.rev.mu.Lock()
		r.rev.ctx = nil
		r.rev.mu.Unlock()
		r.rev.wg.Wait()
	}
}

// pickAlive picks a random session that is up and not being bounced.
func (r *runner) pickAlive(rng *rand.Rand) *session {
	for range 16 {
		s := r.sessions[rng.IntN(len(r.sessions))]
		if s.alive.Load() && !s.bouncing.Load() {
			return s
		}
	}
	return nil
}

// reconnects audits every seam and returns what each source measured.
func (r *runner) reconnects() []report.Reconnects {
	for _, s := range r.sessions {
		for _, sr := range s.seams {
			lost := s.in.got.countMissingIn(&s.book.acked, sr.after+1, sr.hi)
			sr.src.update(func(x *report.Reconnects) {
				x.SeamLost += lost
				x.SeamDuplicated += sr.dups
			})
		}
	}
	var out []report.Reconnects
	for _, src := range r.sources {
		src.mu.Lock()
		// No row for server drops when the server dropped no one.
		if src != r.rev.src || src.res.Dropped > 0 {
			out = append(out, src.res)
		}
		src.mu.Unlock()
	}
	return out
}
