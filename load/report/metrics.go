package report

import (
	"sync"
	"time"
)

// Metrics accumulates a run's observations. Every Record method is safe for
// concurrent use and cheap: the key (a session index) picks one of several
// independently locked stripes, so receivers on different cores rarely
// contend. Close folds the stripes together.
type Metrics struct {
	stripes []stripe
	mu      sync.Mutex
	series  []Second
}

type stripe struct {
	mu     sync.Mutex
	hists  [7]*Hist
	counts Counts
	sec    Second
	_      [64]byte // keep stripes on separate cache lines
}

// NewMetrics returns Metrics with n stripes (at least 1).
func NewMetrics(n int) *Metrics {
	if n < 1 {
		n = 1
	}
	m := &Metrics{stripes: make([]stripe, n)}
	for i := range m.stripes {
		for j := range m.stripes[i].hists {
			m.stripes[i].hists[j] = NewHist()
		}
	}
	return m
}

const (
	hConnString = iota
	hConnect
	hAck
	hDelivery
	hGenLag
	hSchedLag
	hDispatch
)

func (m *Metrics) stripe(key int) *stripe {
	if key < 0 {
		key = -key
	}
	return &m.stripes[key%len(m.stripes)]
}

// with runs f with the stripe for key locked, for batching several updates.
func (m *Metrics) with(key int, f func(s *stripe)) {
	s := m.stripe(key)
	s.mu.Lock()
	f(s)
	s.mu.Unlock()
}

// RecordConnString records a connection-string fetch; code is "" on success.
func (m *Metrics) RecordConnString(key int, d time.Duration, code string) {
	m.recordStep(key, hConnString, d, code, func(c *Counts) (*int64, *map[string]int64) {
		return &c.ConnStrings, &c.ConnStringErrors
	})
}

// RecordConnect records a connect attempt; code is "" on success.
func (m *Metrics) RecordConnect(key int, d time.Duration, code string) {
	m.recordStep(key, hConnect, d, code, func(c *Counts) (*int64, *map[string]int64) {
		return &c.Sessions, &c.ConnectErrors
	})
}

// recordStep records a timed setup step: a success into its counter and
// histogram, a failure into its counts by code.
func (m *Metrics) recordStep(key, hist int, d time.Duration, code string, counters func(*Counts) (*int64, *map[string]int64)) {
	m.with(key, func(s *stripe) {
		ok, failed := counters(&s.counts)
		if code != "" {
			*failed = incr(*failed, code)
			return
		}
		*ok++
		s.hists[hist].Record(d)
	})
}

// RecordSent records an emit and how late it left against its intended time.
func (m *Metrics) RecordSent(key int, lag time.Duration, forged bool) {
	m.with(key, func(s *stripe) {
		s.counts.Sent++
		s.sec.Sent++
		if forged {
			s.counts.ForgedSent++
		}
		s.hists[hGenLag].Record(lag)
	})
}

// Outcome is how a sent message's wait for its ack ended.
type Outcome int

// Ack outcomes.
const (
	AckOK      Outcome = iota // accepted
	AckRefused                // refused with an error code
	AckTimeout                // no ack within the ack timeout
	AckLate                   // an ack after its timeout was counted
	AckBad                    // an ack that breaks the contract's shape
	AckClosed                 // the session ended first (counted as a timeout)
)

// RecordAck records an ack (or its absence) of a message sent with the
// given intended time; latency counts from that time, and code is the
// refusal's error code.
func (m *Metrics) RecordAck(key int, out Outcome, forged bool, code string, latency time.Duration) {
	m.with(key, func(s *stripe) {
		switch out {
		case AckOK:
			if forged {
				s.counts.ForgedAccepted++
			} else {
				s.counts.Acked++
				s.sec.Acked++
				s.hists[hAck].Record(latency)
				if s.sec.Ack == nil {
					s.sec.Ack = newSecondHist()
				}
				s.sec.Ack.Record(latency)
			}
		case AckRefused:
			s.counts.Refused = incr(s.counts.Refused, code)
			s.sec.Refused++
			if forged {
				s.counts.ForgedRefused++
			} else {
				s.counts.ValidRefused++
			}
		case AckTimeout, AckClosed:
			s.counts.Timeouts++
			s.sec.Timeouts++
		case AckLate:
			s.counts.LateAcks++
		case AckBad:
			s.counts.BadAcks++
		}
	})
}

// RecordDelivery records one receipt of a message, latency from the
// sender's intended time.
func (m *Metrics) RecordDelivery(key int, latency time.Duration, forged bool) {
	m.with(key, func(s *stripe) {
		s.counts.Delivered++
		s.sec.Delivered++
		if forged {
			s.counts.ForgedDelivered++
		}
		s.hists[hDelivery].Record(latency)
		if s.sec.Delivery == nil {
			s.sec.Delivery = newSecondHist()
		}
		s.sec.Delivery.Record(latency)
	})
}

// RecordBadDelivery counts a delivery that breaks the contract's shape.
func (m *Metrics) RecordBadDelivery(key int) {
	m.with(key, func(s *stripe) { s.counts.BadDeliveries++ })
}

// RecordSchedLag records one lateness sample of the self-check ticker.
func (m *Metrics) RecordSchedLag(d time.Duration) {
	m.with(0, func(s *stripe) { s.hists[hSchedLag].Record(d) })
}

// RecordDispatch records how late the pacer dispatched a message.
func (m *Metrics) RecordDispatch(key int, d time.Duration) {
	m.with(key, func(s *stripe) { s.hists[hDispatch].Record(d) })
}

// AddCounts adds counters computed elsewhere (setup, accounting).
func (m *Metrics) AddCounts(c *Counts) {
	m.with(0, func(s *stripe) { s.counts.Add(c) })
}

func incr(m map[string]int64, k string) map[string]int64 {
	if m == nil {
		m = map[string]int64{}
	}
	m[k]++
	return m
}

// Tick closes the second that ends now (unix second t) and appends it to
// the series; it returns the closed second for live displays.
func (m *Metrics) Tick(t int64) Second {
	out := Second{T: t}
	for i := range m.stripes {
		s := &m.stripes[i]
		s.mu.Lock()
		sec := s.sec
		s.sec = Second{}
		s.mu.Unlock()
		out.Add(&sec)
	}
	out.freeze()
	m.mu.Lock()
	m.series = append(m.series, out)
	m.mu.Unlock()
	return out
}

// Snapshot returns the counters and the run histograms so far (copies).
func (m *Metrics) Snapshot() (Counts, map[string]*Hist) {
	var c Counts
	hs := map[string]*Hist{}
	for _, n := range histNames {
		hs[n] = NewHist()
	}
	for i := range m.stripes {
		s := &m.stripes[i]
		s.mu.Lock()
		c.Add(&s.counts)
		for j, n := range histNames {
			hs[n].Merge(s.hists[j])
		}
		s.mu.Unlock()
	}
	return c, hs
}

// Counts returns the counters so far, cheaply (no histograms).
func (m *Metrics) Counts() Counts {
	var c Counts
	for i := range m.stripes {
		s := &m.stripes[i]
		s.mu.Lock()
		c.Add(&s.counts)
		s.mu.Unlock()
	}
	return c
}

// Series returns the closed seconds so far.
func (m *Metrics) Series() []Second {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Second(nil), m.series...)
}
