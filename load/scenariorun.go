package load

import (
	"container/heap"
	"context"
	"math/rand/v2"
	"time"

	"github.com/wcp-project/wcp/load/report"
	"github.com/wcp-project/wcp/load/scenario"
)

// A scenario run (Config.Scenario) shares everything with a run of flags
// but three things: the world comes from the scenario's Layout (users may
// sit in several chats, so Plan.Senders lists user indexes that can
// repeat), every sending session keeps its own open-loop schedule of
// think times instead of a share of one global rate, and churn and storms
// (reconnect.go) bounce sessions while it sends.

// splitLayout is shard sh's part of layout l: the chats c with
// c mod n == i, with every session in them. A user with sessions in
// chats of several shards becomes one user in each.
func splitLayout(l *scenario.Layout, sh Shard) Plan {
	p := Plan{Shard: sh}
	users := map[int]bool{}
	sessions := 0
	for c := sh.Index; c < len(l.Chats); c += sh.Count {
		p.Chats = append(p.Chats, c)
		p.Senders = append(p.Senders, l.Chats[c])
		for _, u := range l.Chats[c] {
			users[u] = true
		}
		sessions += len(l.Chats[c])
	}
	p.NumSenders = len(users)
	if all := l.Sessions(); all > 0 {
		p.Share = float64(sessions) / float64(all)
	}
	return p
}

// newPopulations makes the run's populations and counts their users in
// the shard.
func newPopulations(sc *scenario.Scenario, l *scenario.Layout, p Plan, stripes int) []*population {
	pops := make([]*population, len(sc.Populations))
	for i := range sc.Populations {
		spec := &sc.Populations[i]
		pops[i] = newPopulation(spec, stripes)
		if spec.Think != nil {
			// A user's messages spread over its chats: each session sends
			// as often as the user divided by its chats.
			pops[i].think = spec.Think.Scaled(float64(max(spec.Chats, 1)))
		}
	}
	seen := map[int]bool{}
	for _, us := range p.Senders {
		for _, u := range us {
			if !seen[u] {
				seen[u] = true
				pops[l.UserPop[u]].users++
			}
		}
	}
	return pops
}

// populations is each population's part of the run, with the delivery
// audits of its sessions.
func (r *runner) populations(audits map[*session]Audit) []report.Population {
	if len(r.pops) == 0 {
		return nil
	}
	sum := make(map[*population]*Audit, len(r.pops))
	for _, p := range r.pops {
		sum[p] = &Audit{}
	}
	for _, s := range r.sessions {
		a, t := audits[s], sum[s.pop]
		s.pop.sessions++
		t.Expected += a.Expected
		t.Lost += a.Lost
		t.Duplicated += a.Duplicated
		t.OutOfOrder += a.OutOfOrder
		t.AfterDisconnect += a.AfterDisconnect
	}
	out := make([]report.Population, len(r.pops))
	for i, p := range r.pops {
		out[i] = p.result(*sum[p])
	}
	return out
}

// due is one session's next message.
type due struct {
	at time.Duration
	s  *session
}

type dueHeap []due

func (h dueHeap) Len() int           { return len(h) }
func (h dueHeap) Less(i, j int) bool { return h[i].at < h[j].at }
func (h dueHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)        { *h = append(*h, x.(due)) }
func (h *dueHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// paceScenario is the open loop of a scenario: every sending session has
// its own schedule, each gap drawn from its population's think time, and
// one goroutine dispatches the earliest due message of all at its time,
// never waiting on the server. A session's first message comes after a
// random part of one think time (a whole exponential one: it has no
// memory), so that senders do not start in step.
func (r *runner) paceScenario(ctx context.Context) {
	sc := r.cfg.Scenario
	rng := rand.New(rand.NewPCG(uint64(sc.Seed), uint64(r.plan.Shard.Index)+1))
	secs := func(v float64) time.Duration { return time.Duration(v * float64(time.Second)) }
	h := &dueHeap{}
	for _, s := range r.sessions {
		if s.pop == nil || s.pop.think == nil {
			continue
		}
		first := s.pop.think.Sample(rng)
		if s.pop.think.Kind != scenario.Exponential {
			first *= rng.Float64()
		}
		if at := secs(first); at < sc.Duration {
			*h = append(*h, due{at, s})
		}
	}
	heap.Init(h)
	c := r.crew
	clock := realClock{}
	for h.Len() > 0 && ctx.Err() == nil {
		d := heap.Pop(h).(due)
		now := time.Since(c.start)
		if wait := d.at - now; wait > minSleep {
			clock.Sleep(ctx, wait)
			if ctx.Err() != nil {
				return
			}
			now = time.Since(c.start)
		}
		c.m.RecordDispatch(0, max(now-d.at, 0))
		if !d.s.enqueue(int64(min(d.at, now))) {
			d.s.unsent()
		}
		if next := d.at + secs(d.s.pop.think.Sample(rng)); next < sc.Duration {
			heap.Push(h, due{next, d.s})
		}
	}
}
