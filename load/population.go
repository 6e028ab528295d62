package load

import (
	"math"
	"sync/atomic"
	"time"

	"github.com/wcp-project/wcp/load/report"
	"github.com/wcp-project/wcp/load/scenario"
)

// population is one scenario population as the run sees it: its
// behaviour, and metrics of its own beside the run's.
type population struct {
	spec      *scenario.Population
	think     *scenario.Dist // per session: a user's think time × its chats
	readEvery time.Duration
	m         *report.Metrics
	unsent    atomic.Int64
	drops     atomic.Int64 // sessions the server ended
	users     int64
	sessions  int64
}

func newPopulation(spec *scenario.Population, stripes int) *population {
	return &population{spec: spec, readEvery: spec.ReadEvery, m: report.NewMetrics(stripes)}
}

// result is the population's part of the run, given the delivery audit
// of its sessions.
func (p *population) result(a Audit) report.Population {
	c, hs := p.m.Snapshot()
	c.Unsent = p.unsent.Load()
	c.Disconnects = p.drops.Load()
	c.Expected, c.Lost, c.Duplicated, c.OutOfOrder, c.AfterDisconnect = a.Expected, a.Lost, a.Duplicated, a.OutOfOrder, a.AfterDisconnect
	return report.Population{
		Name: p.spec.Name, Share: p.spec.Share, Users: p.users, Sessions: p.sessions,
		Counts: c, Ack: hs[report.HistAck], Delivery: hs[report.HistDelivery],
	}
}

// The session's records go to the run's metrics and, in a scenario, to
// its population's too.

func (s *session) recordSent(lag time.Duration, forged bool) {
	s.crew.m.RecordSent(s.key, lag, forged)
	if s.pop != nil {
		s.pop.m.RecordSent(s.key, lag, forged)
	}
}

func (s *session) recordAck(out report.Outcome, forged bool, code string, lat time.Duration) {
	s.crew.m.RecordAck(s.key, out, forged, code, lat)
	if s.pop != nil {
		s.pop.m.RecordAck(s.key, out, forged, code, lat)
	}
}

func (s *session) recordDelivery(lat time.Duration, forged bool) {
	s.crew.m.RecordDelivery(s.key, lat, forged)
	if s.pop != nil {
		s.pop.m.RecordDelivery(s.key, lat, forged)
	}
}

// unsent counts a message that fell due while the session was down.
func (s *session) unsent() {
	s.crew.unsent.Add(1)
	if s.pop != nil {
		s.pop.unsent.Add(1)
	}
}

// bodySize is the size of the next body: the population's distribution,
// or the run's fixed size.
func (s *session) bodySize() int {
	if s.pop == nil || s.pop.spec.Body == nil {
		return s.crew.bodyBytes
	}
	n := int(math.Round(s.pop.spec.Body.Sample(s.rng)))
	return min(max(n, minBody), len(s.crew.pad))
}
