package load

import (
	"encoding/json"
	"fmt"
	"sync"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram ranges: microseconds from 1 µs to 10 minutes, 3 significant
// digits for the run's histograms, 2 for the per-second ones (they are many
// and only drawn).
const (
	histMin     = 1
	histMax     = int64(10 * time.Minute / time.Microsecond)
	histDigits  = 3
	secondDigit = 2
)

// Hist is an HdrHistogram of durations in microseconds that encodes to JSON
// as HdrHistogram's compressed V2 snapshot (base64). A Hist is either live
// (counts in memory) or frozen (only its compressed snapshot, a few hundred
// bytes instead of tens of KiB): the per-second series of a long run stays
// small. Reading a frozen Hist decodes it on the fly; recording into or
// merging into one thaws it. Not safe for concurrent use.
type Hist struct {
	h   *hdr.Histogram
	enc []byte // the snapshot, when frozen
}

// NewHist returns an empty run-precision histogram.
func NewHist() *Hist { return &Hist{h: hdr.New(histMin, histMax, histDigits)} }

func newSecondHist() *Hist { return &Hist{h: hdr.New(histMin, histMax, secondDigit)} }

// get returns the counts, decoding a frozen Hist without keeping the result.
func (h *Hist) get() *hdr.Histogram {
	if h == nil {
		return nil
	}
	if h.h != nil || h.enc == nil {
		return h.h
	}
	d, err := hdr.Decode(h.enc)
	if err != nil {
		return nil // checked when the snapshot was read
	}
	return d
}

// thaw makes h live again.
func (h *Hist) thaw() {
	if h.h == nil {
		h.h = h.get()
		if h.h == nil {
			h.h = hdr.New(histMin, histMax, histDigits)
		}
		h.enc = nil
	}
}

// freeze keeps only the compressed snapshot.
func (h *Hist) freeze() {
	if h == nil || h.h == nil {
		return
	}
	b, err := h.h.Encode(hdr.V2CompressedEncodingCookieBase)
	if err != nil {
		return // stay live
	}
	h.enc, h.h = b, nil
}

// Record adds one duration (clamped to the histogram's range).
func (h *Hist) Record(d time.Duration) {
	h.thaw()
	us := int64(d / time.Microsecond)
	if us < histMin {
		us = histMin
	}
	if us > histMax {
		us = histMax
	}
	_ = h.h.RecordValue(us) // in range by construction
}

// Merge adds every value of o.
func (h *Hist) Merge(o *Hist) {
	if src := o.get(); src != nil {
		h.thaw()
		h.h.Merge(src)
	}
}

// Count is the number of recorded values.
func (h *Hist) Count() int64 {
	if g := h.get(); g != nil {
		return g.TotalCount()
	}
	return 0
}

// Quantile returns the value at the given percentile (0..100) as a
// duration; 0 when empty.
func (h *Hist) Quantile(pct float64) time.Duration {
	g := h.get()
	if g == nil || g.TotalCount() == 0 {
		return 0
	}
	return time.Duration(g.ValueAtPercentile(pct)) * time.Microsecond
}

// Max is the largest recorded value (at the histogram's precision).
func (h *Hist) Max() time.Duration {
	g := h.get()
	if g == nil || g.TotalCount() == 0 {
		return 0
	}
	return time.Duration(g.Max()) * time.Microsecond
}

// Min is the smallest recorded value.
func (h *Hist) Min() time.Duration {
	g := h.get()
	if g == nil || g.TotalCount() == 0 {
		return 0
	}
	return time.Duration(g.Min()) * time.Microsecond
}

// Mean is the average recorded value.
func (h *Hist) Mean() time.Duration {
	g := h.get()
	if g == nil || g.TotalCount() == 0 {
		return 0
	}
	return time.Duration(g.Mean() * float64(time.Microsecond))
}

// Equal reports whether both hold the same counts.
func (h *Hist) Equal(o *Hist) bool {
	a, b := h.get(), o.get()
	if a == nil || b == nil {
		return h.Count() == 0 && o.Count() == 0
	}
	return a.Equals(b)
}

// MarshalJSON encodes the compressed snapshot.
func (h *Hist) MarshalJSON() ([]byte, error) {
	if h.h == nil && h.enc != nil {
		return json.Marshal(string(h.enc))
	}
	g := h.h
	if g == nil {
		g = hdr.New(histMin, histMax, histDigits)
	}
	b, err := g.Encode(hdr.V2CompressedEncodingCookieBase)
	if err != nil {
		return nil, fmt.Errorf("encode histogram: %w", err)
	}
	return json.Marshal(string(b))
}

// UnmarshalJSON checks a compressed snapshot and keeps it frozen.
func (h *Hist) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("histogram: %w", err)
	}
	if _, err := hdr.Decode([]byte(s)); err != nil {
		return fmt.Errorf("histogram: %w", err)
	}
	h.h, h.enc = nil, []byte(s)
	return nil
}

// Histogram names in a Result.
const (
	HistConnString = "conn_string"  // POST connection-string round trip
	HistConnect    = "connect"      // websocket dial to `session` event
	HistAck        = "ack"          // intended send time to ack
	HistDelivery   = "delivery"     // intended send time to each receipt
	HistGenLag     = "gen_lag"      // intended send time to the actual write
	HistSchedLag   = "sched_lag"    // the self-check ticker's lateness
	HistDispatch   = "dispatch_lag" // the pacer's lateness against its schedule
)

var histNames = []string{HistConnString, HistConnect, HistAck, HistDelivery, HistGenLag, HistSchedLag, HistDispatch}

// Counts are the run's counters. Maps are keyed by protocol error code
// (or "transport" for a failure without one).
type Counts struct {
	Users            int64            `json:"users"`
	Chats            int64            `json:"chats"`
	ConnStrings      int64            `json:"conn_strings"`
	ConnStringErrors map[string]int64 `json:"conn_string_errors,omitempty"`
	Sessions         int64            `json:"sessions"`
	ConnectErrors    map[string]int64 `json:"connect_errors,omitempty"`
	Disconnects      int64            `json:"disconnects"`

	Sent           int64            `json:"sent"`
	ForgedSent     int64            `json:"forged_sent"`
	Unsent         int64            `json:"unsent"` // due while its session was down
	Acked          int64            `json:"acked"`  // valid messages accepted
	Refused        map[string]int64 `json:"refused,omitempty"`
	ValidRefused   int64            `json:"valid_refused"`
	ForgedRefused  int64            `json:"forged_refused"`
	ForgedAccepted int64            `json:"forged_accepted"`
	Timeouts       int64            `json:"timeouts"`
	LateAcks       int64            `json:"late_acks"`
	BadAcks        int64            `json:"bad_acks"` // acks that break the contract's shape

	Delivered       int64 `json:"delivered"`
	Expected        int64 `json:"expected"` // acked messages × live sessions of their chat
	Lost            int64 `json:"lost"`
	Duplicated      int64 `json:"duplicated"`
	OutOfOrder      int64 `json:"out_of_order"`
	ForgedDelivered int64 `json:"forged_delivered"`
	AfterDisconnect int64 `json:"missed_after_disconnect"`
	BadDeliveries   int64 `json:"bad_deliveries"`
	// SeqGaps are seqs below a chat's highest that no session received
	// and no ack carried: MSG-1 allows no gaps, but a message whose ack
	// timed out and that reached nobody also leaves one, so only gaps
	// beyond the timeouts count against the server.
	SeqGaps int64 `json:"seq_gaps"`
}

func addMap(dst *map[string]int64, src map[string]int64) {
	if len(src) == 0 {
		return
	}
	if *dst == nil {
		*dst = map[string]int64{}
	}
	for k, v := range src {
		(*dst)[k] += v
	}
}

// Add adds o's counters to c.
func (c *Counts) Add(o *Counts) {
	c.Users += o.Users
	c.Chats += o.Chats
	c.ConnStrings += o.ConnStrings
	addMap(&c.ConnStringErrors, o.ConnStringErrors)
	c.Sessions += o.Sessions
	addMap(&c.ConnectErrors, o.ConnectErrors)
	c.Disconnects += o.Disconnects
	c.Sent += o.Sent
	c.ForgedSent += o.ForgedSent
	c.Unsent += o.Unsent
	c.Acked += o.Acked
	addMap(&c.Refused, o.Refused)
	c.ValidRefused += o.ValidRefused
	c.ForgedRefused += o.ForgedRefused
	c.ForgedAccepted += o.ForgedAccepted
	c.Timeouts += o.Timeouts
	c.LateAcks += o.LateAcks
	c.BadAcks += o.BadAcks
	c.Delivered += o.Delivered
	c.Expected += o.Expected
	c.Lost += o.Lost
	c.Duplicated += o.Duplicated
	c.OutOfOrder += o.OutOfOrder
	c.ForgedDelivered += o.ForgedDelivered
	c.AfterDisconnect += o.AfterDisconnect
	c.BadDeliveries += o.BadDeliveries
	c.SeqGaps += o.SeqGaps
}

// Second is one wall-clock second of the run (T is Unix seconds, so the
// series of shards on different machines line up when merged).
type Second struct {
	T         int64 `json:"t"`
	Sent      int64 `json:"sent"`
	Acked     int64 `json:"acked"`
	Refused   int64 `json:"refused"`
	Timeouts  int64 `json:"timeouts"`
	Delivered int64 `json:"delivered"`
	Ack       *Hist `json:"ack,omitempty"`
	Delivery  *Hist `json:"delivery,omitempty"`
}

func (s *Second) add(o *Second) {
	s.Sent += o.Sent
	s.Acked += o.Acked
	s.Refused += o.Refused
	s.Timeouts += o.Timeouts
	s.Delivered += o.Delivered
	if o.Ack != nil {
		if s.Ack == nil {
			s.Ack = newSecondHist()
		}
		s.Ack.Merge(o.Ack)
	}
	if o.Delivery != nil {
		if s.Delivery == nil {
			s.Delivery = newSecondHist()
		}
		s.Delivery.Merge(o.Delivery)
	}
}

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
	m.with(key, func(s *stripe) {
		if code != "" {
			s.counts.ConnStringErrors = incr(s.counts.ConnStringErrors, code)
			return
		}
		s.counts.ConnStrings++
		s.hists[hConnString].Record(d)
	})
}

// RecordConnect records a connect attempt; code is "" on success.
func (m *Metrics) RecordConnect(key int, d time.Duration, code string) {
	m.with(key, func(s *stripe) {
		if code != "" {
			s.counts.ConnectErrors = incr(s.counts.ConnectErrors, code)
			return
		}
		s.counts.Sessions++
		s.hists[hConnect].Record(d)
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

// Ack outcomes.
type ackOutcome int

const (
	ackOK ackOutcome = iota
	ackRefused
	ackTimeout
	ackLate
	ackBad
	ackClosed
)

// recordAck records an ack (or its absence) of a message sent with the
// given intended time; latency counts from that time.
func (m *Metrics) recordAck(key int, out ackOutcome, forged bool, code string, latency time.Duration) {
	m.with(key, func(s *stripe) {
		switch out {
		case ackOK:
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
		case ackRefused:
			s.counts.Refused = incr(s.counts.Refused, code)
			s.sec.Refused++
			if forged {
				s.counts.ForgedRefused++
			} else {
				s.counts.ValidRefused++
			}
		case ackTimeout, ackClosed:
			s.counts.Timeouts++
			s.sec.Timeouts++
		case ackLate:
			s.counts.LateAcks++
		case ackBad:
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
		out.add(&sec)
	}
	out.Ack.freeze()
	out.Delivery.freeze()
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

// countsOnly returns the counters so far, cheaply (no histograms).
func (m *Metrics) countsOnly() (Counts, bool) {
	var c Counts
	for i := range m.stripes {
		s := &m.stripes[i]
		s.mu.Lock()
		c.Add(&s.counts)
		s.mu.Unlock()
	}
	return c, true
}

// Series returns the closed seconds so far.
func (m *Metrics) Series() []Second {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Second(nil), m.series...)
}
