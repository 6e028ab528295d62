package report

import (
	"strings"
	"testing"
	"time"
)

func TestParseThresholds(t *testing.T) {
	ts, err := ParseThresholds("ack_p99<50ms, lost==0,ack_rate>=20000,delivery_max<=2s,forged_accepted!=1,sessions>3")
	if err != nil {
		t.Fatal(err)
	}
	want := []Threshold{
		{Metric: "ack_p99", Op: "<", Value: 50000},
		{Metric: "lost", Op: "==", Value: 0},
		{Metric: "ack_rate", Op: ">=", Value: 20000},
		{Metric: "delivery_max", Op: "<=", Value: 2e6},
		{Metric: "forged_accepted", Op: "!=", Value: 1},
		{Metric: "sessions", Op: ">", Value: 3},
	}
	if len(ts) != len(want) {
		t.Fatalf("got %d thresholds, want %d", len(ts), len(want))
	}
	for i := range ts {
		if ts[i].Metric != want[i].Metric || ts[i].Op != want[i].Op || ts[i].Value != want[i].Value {
			t.Errorf("threshold %d = %+v, want %+v", i, ts[i], want[i])
		}
	}
	bad := map[string]string{
		"":              "empty",
		"ack_p99":       "no comparison",
		"ack_p99<50":    "needs a duration",
		"bogus<3":       "unknown metric",
		"lost==zero":    "not a number",
		"<5":            "want METRIC",
		"ack_p42<1ms":   "unknown metric",
		"lost==":        "want METRIC",
		"ack_p99<fast":  "needs a duration",
		"delivery_p50<": "want METRIC",
	}
	for in, frag := range bad {
		_, err := ParseThresholds(in)
		if err == nil || !strings.Contains(err.Error(), frag) {
			t.Errorf("ParseThresholds(%q) error = %v, want one mentioning %q", in, err, frag)
		}
	}
}

func TestThresholdsHold(t *testing.T) {
	m := NewMetrics(2)
	for i := 1; i <= 100; i++ {
		m.RecordAck(i, AckOK, false, "", time.Duration(i)*time.Millisecond)
	}
	r := &Result{Histograms: map[string]*Hist{}}
	r.Counts, r.Histograms = m.Snapshot()
	r.Counts.Lost = 2
	r.SendStart = time.Unix(0, 0)
	r.SendEnd = time.Unix(10, 0)
	cases := []struct {
		th   string
		hold bool
	}{
		{"ack_p50<=51ms", true},
		{"ack_p99<50ms", false},
		{"ack_max<101ms", true},
		{"lost==0", false},
		{"lost==2", true},
		{"acked==100", true},
		{"ack_rate==10", true},
		{"ack_rate>10", false},
		{"delivery_p99<1ms", true}, // empty: 0
	}
	for _, c := range cases {
		ts, err := ParseThresholds(c.th)
		if err != nil {
			t.Fatal(err)
		}
		if ok, got := ts[0].Holds(r); ok != c.hold {
			t.Errorf("%s holds = %v (measured %s), want %v", c.th, ok, got, c.hold)
		}
	}
	ts, _ := ParseThresholds("lost==0,ack_p50<1s")
	if b := Broken(r, ts); len(b) != 1 || !strings.Contains(b[0], "lost==0 (got 2)") {
		t.Errorf("Broken = %q, want the lost threshold with its value", b)
	}
}
