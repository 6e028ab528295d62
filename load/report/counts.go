package report

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

// Add adds o's counters and histograms to s.
func (s *Second) Add(o *Second) {
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

// freeze keeps only the snapshots of s's histograms: a closed second is
// drawn, never recorded into again.
func (s *Second) freeze() {
	s.Ack.freeze()
	s.Delivery.freeze()
}
