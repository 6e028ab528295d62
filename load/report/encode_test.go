package report

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
)

// fakeResult fills a result from a seeded stream of observations, as a run
// would.
func fakeResult(seed uint64, shard ShardInfo, t0 int64) *Result {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	m := NewMetrics(3)
	for sec := int64(0); sec < 5; sec++ {
		for i := 0; i < 200; i++ {
			key := rng.IntN(50)
			lat := time.Duration(rng.ExpFloat64() * float64(5*time.Millisecond))
			m.RecordSent(key, time.Duration(rng.IntN(100))*time.Microsecond, i%50 == 0)
			switch {
			case i%50 == 0:
				m.RecordAck(key, AckRefused, true, "invalid_message_string", lat)
			case i%97 == 0:
				m.RecordAck(key, AckTimeout, false, "", 0)
			default:
				m.RecordAck(key, AckOK, false, "", lat)
				for range 4 {
					m.RecordDelivery(key, lat+time.Duration(rng.IntN(1000))*time.Microsecond, false)
				}
			}
		}
		m.Tick(t0 + sec)
	}
	m.RecordConnect(1, 3*time.Millisecond, "")
	m.RecordConnect(2, 0, "chat_not_found")
	r := &Result{
		Version: ResultVersion, RunID: "r1",
		Shards:     []ShardInfo{{Index: shard.Index, Count: shard.Count, Senders: 50, Chats: 5}},
		Start:      time.Unix(t0-1, 0).UTC(),
		SendStart:  time.Unix(t0, 0).UTC(),
		SendEnd:    time.Unix(t0+5, 0).UTC(),
		End:        time.Unix(t0+6, 0).UTC(),
		SelfChecks: []SelfCheck{{Shard: shard.Index, Valid: true}},
	}
	r.Counts, r.Histograms = m.Snapshot()
	r.Series = m.Series()
	r.Judge()
	return r
}

func roundTrip(t *testing.T, r *Result) *Result {
	t.Helper()
	var buf bytes.Buffer
	if err := Encode(&buf, r); err != nil {
		t.Fatal(err)
	}
	got, err := Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	r := fakeResult(1, ShardInfo{Index: 0, Count: 1}, 1000)
	got := roundTrip(t, r)
	if !reflect.DeepEqual(got.Counts, r.Counts) {
		t.Errorf("counts changed in the round trip:\n got %+v\nwant %+v", got.Counts, r.Counts)
	}
	for name, h := range r.Histograms {
		if !got.Hist(name).Equal(h) {
			t.Errorf("histogram %s changed in the round trip", name)
		}
	}
	if len(got.Series) != len(r.Series) || !got.Series[2].Ack.Equal(r.Series[2].Ack) {
		t.Errorf("series changed in the round trip")
	}
	if !got.SendStart.Equal(r.SendStart) || got.RunID != r.RunID {
		t.Errorf("metadata changed in the round trip")
	}
}

// Merging decoded shard results gives exactly the counters, histograms and
// series of all their observations taken together.
func TestMergeEqualsSum(t *testing.T) {
	a := fakeResult(1, ShardInfo{Index: 0, Count: 3}, 1000)
	b := fakeResult(2, ShardInfo{Index: 1, Count: 3}, 1002) // overlaps a by 3 seconds
	c := fakeResult(3, ShardInfo{Index: 2, Count: 3}, 1000)
	m, err := Merge(roundTrip(t, a), roundTrip(t, b), roundTrip(t, c))
	if err != nil {
		t.Fatal(err)
	}
	var want Counts
	for _, r := range []*Result{a, b, c} {
		want.Add(&r.Counts)
	}
	if !reflect.DeepEqual(m.Counts, want) {
		t.Errorf("merged counts:\n got %+v\nwant %+v", m.Counts, want)
	}
	for _, name := range histNames {
		h := NewHist()
		for _, r := range []*Result{a, b, c} {
			h.Merge(r.Hist(name))
		}
		if !m.Hist(name).Equal(h) {
			t.Errorf("merged %s histogram differs from the sum", name)
		}
	}
	if len(m.Series) != 7 {
		t.Fatalf("merged series has %d seconds, want 7 (1000..1006)", len(m.Series))
	}
	s1002 := m.Series[2]
	if s1002.T != 1002 || s1002.Sent != a.Series[2].Sent+b.Series[0].Sent+c.Series[2].Sent {
		t.Errorf("second 1002: %+v", s1002)
	}
	if got, want := m.SendSeconds(), 7.0; got != want {
		t.Errorf("merged send window %vs, want %vs", got, want)
	}
	if len(m.Shards) != 3 || len(m.SelfChecks) != 3 || !m.Valid {
		t.Errorf("shards %v self-checks %d valid %v", m.Shards, len(m.SelfChecks), m.Valid)
	}
	// Merge of a merge is associative.
	ab, _ := Merge(a, b)
	abc, err := Merge(ab, c)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(abc.Counts, m.Counts) || !abc.Hist(HistAck).Equal(m.Hist(HistAck)) {
		t.Errorf("Merge(Merge(a,b),c) != Merge(a,b,c)")
	}
}

func TestMergeRefusesRepeatedShard(t *testing.T) {
	a := fakeResult(1, ShardInfo{Index: 0, Count: 2}, 1000)
	if _, err := Merge(a, roundTrip(t, a)); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("merging a shard with itself: %v, want an error", err)
	}
	if _, err := Merge(); err == nil {
		t.Errorf("merging nothing succeeded")
	}
}

func TestMergeInvalidAndFailedPropagate(t *testing.T) {
	a := fakeResult(1, ShardInfo{Index: 0, Count: 2}, 1000)
	b := fakeResult(2, ShardInfo{Index: 1, Count: 2}, 1000)
	b.SelfChecks[0].Valid = false
	b.Counts.ForgedAccepted = 1
	m, err := Merge(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if m.Valid || !m.Failed() {
		t.Errorf("valid %v failed %v, want an invalid, failed merge", m.Valid, m.Failed())
	}
}

func TestDecodeRejects(t *testing.T) {
	for _, in := range []string{`{"version":99}`, `not json`, `{"version":1,"histograms":{"ack":"!!"}}`} {
		if _, err := Decode(strings.NewReader(in)); err == nil {
			t.Errorf("Decode(%q) succeeded", in)
		}
	}
	var r Result
	if err := json.Unmarshal([]byte(`{"version":1,"histograms":{"ack":12}}`), &r); err == nil {
		t.Errorf("a number as histogram decoded")
	}
}
