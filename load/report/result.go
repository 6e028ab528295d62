// Package report is what a load run measured and everything that reads it:
// Result and its JSON encoding (Encode, Decode, Merge), the Metrics a run
// records into, thresholds, and the text and HTML reports. It knows
// nothing of how a run is made: it imports neither the load engine nor a
// websocket, Socket.IO or WCP client, so merging and reporting results
// needs none of them.
package report

import (
	"fmt"
	"time"
)

// ResultVersion is the version of the JSON result format.
const ResultVersion = 1

// ShardInfo says which part of a run a result covers.
type ShardInfo struct {
	Index   int     `json:"index"`
	Count   int     `json:"count"`
	Senders int     `json:"senders"`
	Chats   int     `json:"chats"`
	Rate    float64 `json:"rate,omitempty"` // this shard's share of --rate (start of schedule)
}

// Settings echoes the run's configuration into its result.
type Settings struct {
	Target      string  `json:"target"`
	Embedded    bool    `json:"embedded"`
	Senders     int     `json:"senders"`
	Chats       int     `json:"chats"`
	Rate        float64 `json:"rate,omitempty"`
	Stages      string  `json:"stages,omitempty"`
	Inflight    int     `json:"inflight,omitempty"`
	Duration    string  `json:"duration"`
	BodyBytes   int     `json:"body_bytes"`
	ConnectRate float64 `json:"connect_rate,omitempty"`
	TTL         int     `json:"ttl_seconds"`
	Forged      float64 `json:"forged_ratio"`
	AckTimeout  string  `json:"ack_timeout"`
	Grace       string  `json:"grace"`
}

// Result is everything a run (or a merge of runs) measured. It is what the
// JSON result file holds; reporters read it and nothing else.
type Result struct {
	Version int         `json:"version"`
	RunID   string      `json:"run_id"`
	Shards  []ShardInfo `json:"shards"`
	Config  Settings    `json:"config"`
	// Start and End bound the whole run; SendStart and SendEnd the sending
	// phase that rates are computed over.
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	SendStart time.Time `json:"send_start"`
	SendEnd   time.Time `json:"send_end"`
	// LastAck is when the last ack arrived; after SendEnd when the server
	// was behind. Rates count from SendStart to the later of the two.
	LastAck time.Time `json:"last_ack,omitzero"`

	Counts     Counts           `json:"counts"`
	Histograms map[string]*Hist `json:"histograms"`
	Series     []Second         `json:"series"`
	SelfChecks []SelfCheck      `json:"self_checks"`
	// Costs are what each generator process spent (cost.go); absent
	// from results written before they were measured.
	Costs []Cost `json:"costs,omitempty"`
	// Servers is the server's own view of the run, from its Prometheus
	// metrics (server.go); absent when not scraped.
	Servers []ServerView `json:"servers,omitempty"`

	// Scenario names the scenario of a run made of populations (empty for
	// a run described by flags alone); Populations and Reconnects are
	// what each population and each source of reconnects (churn, storms)
	// measured. All three are absent from results that predate them.
	Scenario    string       `json:"scenario,omitempty"`
	Populations []Population `json:"populations,omitempty"`
	Reconnects  []Reconnects `json:"reconnects,omitempty"`

	// Valid is false when any generator was its own bottleneck: its
	// numbers describe the generator, not the server.
	Valid bool `json:"valid"`
	// Failures lists the broken correctness rules (forged accepted,
	// acknowledged messages lost, ...); empty means the server passed.
	Failures []string `json:"failures"`
	// Errors are setup problems worth reading (not failures of the server).
	Notes []string `json:"notes,omitempty"`
}

// Hist returns the named histogram, an empty one if absent.
func (r *Result) Hist(name string) *Hist {
	if h, ok := r.Histograms[name]; ok && h != nil && (h.h != nil || h.enc != nil) {
		return h
	}
	return NewHist()
}

// SendSeconds is the window rates are computed over: from the start of
// sending to its end or to the last ack, whichever is later (an
// overloaded server acknowledges after the schedule has ended).
func (r *Result) SendSeconds() float64 {
	end := r.SendEnd
	if r.LastAck.After(end) {
		end = r.LastAck
	}
	d := end.Sub(r.SendStart).Seconds()
	if d <= 0 {
		return 0
	}
	return d
}

// AckRate is accepted messages per second over the sending phase.
func (r *Result) AckRate() float64 { return perSecond(r.Counts.Acked, r.SendSeconds()) }

// DeliveryRate is receipts per second over the sending phase.
func (r *Result) DeliveryRate() float64 { return perSecond(r.Counts.Delivered, r.SendSeconds()) }

// SendRate is emitted messages per second over the sending phase.
func (r *Result) SendRate() float64 { return perSecond(r.Counts.Sent, r.SendSeconds()) }

func perSecond(n int64, s float64) float64 {
	if s <= 0 {
		return 0
	}
	return float64(n) / s
}

// Judge fills Failures from the counters (the rules a correct server may
// never break under load) and Valid from the self-checks.
func (r *Result) Judge() {
	r.Failures = nil
	c := &r.Counts
	if c.ForgedAccepted > 0 {
		r.Failures = append(r.Failures, fmt.Sprintf("%d forged messages were accepted", c.ForgedAccepted))
	}
	if c.ForgedDelivered > 0 {
		r.Failures = append(r.Failures, fmt.Sprintf("%d deliveries of forged messages", c.ForgedDelivered))
	}
	if c.Lost > 0 {
		r.Failures = append(r.Failures, fmt.Sprintf("%d deliveries of acknowledged messages were lost", c.Lost))
	}
	if c.Duplicated > 0 {
		r.Failures = append(r.Failures, fmt.Sprintf("%d deliveries were duplicated", c.Duplicated))
	}
	if c.OutOfOrder > 0 {
		r.Failures = append(r.Failures, fmt.Sprintf("%d deliveries arrived out of seq order", c.OutOfOrder))
	}
	if c.SeqGaps > c.Timeouts+c.LateAcks {
		r.Failures = append(r.Failures, fmt.Sprintf("%d seqs were skipped (no session received them, no ack carried them; %d timeouts could explain at most that many)", c.SeqGaps, c.Timeouts))
	}
	if c.BadAcks > 0 || c.BadDeliveries > 0 {
		r.Failures = append(r.Failures, fmt.Sprintf("%d acks and %d deliveries broke the contract's shape", c.BadAcks, c.BadDeliveries))
	}
	r.judgeReconnects()
	if r.Failures == nil {
		r.Failures = []string{}
	}
	r.Valid = true
	for _, s := range r.SelfChecks {
		if !s.Valid {
			r.Valid = false
		}
	}
}

// Failed reports whether the server broke a correctness rule.
func (r *Result) Failed() bool { return len(r.Failures) > 0 }

// SelfCheck is one generator process's verdict on itself.
type SelfCheck struct {
	Shard       int     `json:"shard"`
	GOMAXPROCS  int     `json:"gomaxprocs"`
	CPUSeconds  float64 `json:"cpu_seconds"`
	WallSeconds float64 `json:"wall_seconds"`
	// CPUUtil is CPU time / (wall time × GOMAXPROCS) over the sending phase.
	CPUUtil float64 `json:"cpu_util"`
	// CPUPerMessageUS is the process's CPU time per emitted message, from
	// the start of sending to the end of the drain, so every ack and
	// delivery is included. With an embedded server it includes the
	// server's work too.
	CPUPerMessageUS float64 `json:"cpu_per_message_us"`
	// SharedWithServer: the target ran in this process, so CPU figures
	// cover both and the CPU limit is not applied.
	SharedWithServer bool    `json:"shared_with_server"`
	SchedLagP99MS    float64 `json:"sched_lag_p99_ms"`
	SchedLagMaxMS    float64 `json:"sched_lag_max_ms"`
	DispatchLagP99MS float64 `json:"dispatch_lag_p99_ms"`
	HeapMiB          float64 `json:"heap_mib"`
	MaxRSSMiB        float64 `json:"max_rss_mib"`
	// Memory per connected session, measured across the connect phase:
	// resident set and Go heap + stacks grown per session (with an
	// embedded server they include its side of each session too).
	SessionRSSKiB  float64  `json:"session_rss_kib"`
	SessionHeapKiB float64  `json:"session_heap_kib"`
	Valid          bool     `json:"valid"`
	Reasons        []string `json:"reasons,omitempty"`
}
