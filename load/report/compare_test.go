package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// synthetic builds a result of n seconds: about rate acks a second, and
// ack and delivery latencies around lat, with seeded noise.
func synthetic(seed uint64, n int, rate float64, lat time.Duration) *Result {
	rng := rand.New(rand.NewPCG(seed, 1))
	r := &Result{Version: ResultVersion, RunID: "synthetic", Valid: true, Failures: []string{}, Histograms: map[string]*Hist{}}
	ack, del, conn := NewHist(), NewHist(), NewHist()
	start := time.Unix(1_000_000, 0)
	for i := range n {
		s := Second{T: start.Unix() + int64(i), Ack: newSecondHist(), Delivery: newSecondHist()}
		s.Acked = int64(rate * (1 + 0.05*rng.NormFloat64()))
		s.Delivered = 3 * s.Acked
		for range 200 {
			d := time.Duration(float64(lat) * (1 + 0.1*rng.NormFloat64()))
			s.Ack.Record(d)
			s.Delivery.Record(d + time.Millisecond)
			ack.Record(d)
			del.Record(d + time.Millisecond)
		}
		r.Counts.Acked += s.Acked
		r.Counts.Delivered += s.Delivered
		s.freeze()
		r.Series = append(r.Series, s)
	}
	conn.Record(5 * time.Millisecond)
	r.Histograms[HistAck], r.Histograms[HistDelivery], r.Histograms[HistConnect] = ack, del, conn
	r.SendStart, r.SendEnd = start, start.Add(time.Duration(n)*time.Second)
	r.SelfChecks = []SelfCheck{{CPUPerMessageUS: 40, Valid: true}}
	return r
}

func verdicts(t *testing.T, c *Comparison) map[string]Change {
	t.Helper()
	out := map[string]Change{}
	for _, ch := range c.Changes {
		out[ch.Metric] = ch
	}
	return out
}

func TestCompareSameRun(t *testing.T) {
	r := synthetic(1, 20, 1000, 10*time.Millisecond)
	c, err := Compare(r, r, CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range c.Changes {
		want := NoChange
		if ch.Metric == "connect_p99" || ch.Metric == "cpu_per_msg_us" {
			want = NoVerdict // measured once per run
		}
		if ch.Verdict != want {
			t.Errorf("%s: verdict %q (%s), want %q", ch.Metric, ch.Verdict, ch.Note, want)
		}
		if ch.P != nil && *ch.P != 1 {
			t.Errorf("%s: p = %g for identical series, want 1", ch.Metric, *ch.P)
		}
		if ch.DeltaPct == nil || *ch.DeltaPct != 0 {
			t.Errorf("%s: change %v, want 0", ch.Metric, ch.DeltaPct)
		}
	}
}

func TestCompareSameDistribution(t *testing.T) {
	// Two runs of the same synthetic server differ only by noise.
	c, err := Compare(synthetic(1, 30, 1000, 10*time.Millisecond), synthetic(2, 30, 1000, 10*time.Millisecond), CompareOptions{Alpha: 0.001})
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range c.Changes {
		if ch.Verdict == Faster || ch.Verdict == Slower {
			t.Errorf("%s: %q with p=%g between samples of one distribution", ch.Metric, ch.Verdict, *ch.P)
		}
	}
}

func TestCompareShifted(t *testing.T) {
	base := synthetic(1, 20, 1000, 10*time.Millisecond)
	worse := synthetic(2, 20, 800, 13*time.Millisecond)
	c, err := Compare(base, worse, CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := verdicts(t, c)
	for _, m := range []string{"acks_per_s", "deliveries_per_s", "ack_p50", "ack_p99", "delivery_p50", "delivery_p99"} {
		if got[m].Verdict != Slower {
			t.Errorf("%s: %q, want slower", m, got[m].Verdict)
		}
	}
	if d := *got["ack_p50"].DeltaPct; math.Abs(d-30) > 3 {
		t.Errorf("ack_p50 change %.1f%%, want about +30%%", d)
	}
	c, err = Compare(worse, base, CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for m, ch := range verdicts(t, c) {
		if ch.P != nil && ch.Verdict != Faster {
			t.Errorf("reverse %s: %q, want faster", m, ch.Verdict)
		}
	}
}

func TestCompareShortSeries(t *testing.T) {
	c, err := Compare(synthetic(1, 4, 1000, 10*time.Millisecond), synthetic(2, 4, 500, 50*time.Millisecond), CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range c.Changes {
		if ch.Verdict != NoVerdict || ch.P != nil || ch.Note == "" {
			t.Errorf("%s: verdict %q, p %v, note %q; want no verdict and a note", ch.Metric, ch.Verdict, ch.P, ch.Note)
		}
	}
	var b bytes.Buffer
	if err := WriteComparisonText(&b, c); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "too few seconds") {
		t.Errorf("text lacks the reason:\n%s", b.String())
	}
}

func TestCompareVersions(t *testing.T) {
	a, b := synthetic(1, 5, 1, time.Millisecond), synthetic(1, 5, 1, time.Millisecond)
	b.Version = 2
	if _, err := Compare(a, b, CompareOptions{}); !errors.Is(err, ErrVersionMismatch) {
		t.Errorf("err %v, want ErrVersionMismatch", err)
	}
}

func TestComparisonJSON(t *testing.T) {
	c, err := Compare(synthetic(1, 10, 1000, time.Millisecond), synthetic(2, 3, 1000, time.Millisecond), CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := EncodeComparison(&b, c); err != nil {
		t.Fatal(err)
	}
	var back Comparison
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Version != 1 || back.Method != "mann-whitney-u" || len(back.Changes) != len(c.Changes) {
		t.Errorf("round trip: %+v", back)
	}
}

func TestUTest(t *testing.T) {
	cases := []struct {
		a, b      []float64
		pMin, pMa float64
		shift     int
	}{
		{[]float64{1, 2, 3, 4, 5}, []float64{1, 2, 3, 4, 5}, 1, 1, 0},
		{[]float64{7, 7, 7, 7, 7}, []float64{7, 7, 7, 7, 7}, 1, 1, 0},
		// Complete separation of 5 and 5: p = 2/C(10,5) = 2/252.
		{[]float64{1, 2, 3, 4, 5}, []float64{6, 7, 8, 9, 10}, 2.0/252 - 1e-9, 2.0/252 + 1e-9, 1},
		{[]float64{6, 7, 8, 9, 10}, []float64{1, 2, 3, 4, 5}, 2.0/252 - 1e-9, 2.0/252 + 1e-9, -1},
		// With ties (normal approximation), still clearly separated.
		{[]float64{1, 1, 2, 2, 3, 3}, []float64{5, 5, 6, 6, 7, 7}, 0, 0.01, 1},
		{[]float64{1, 2, 3, 4, 5, 6}, []float64{1.5, 2.5, 3.5, 4.5, 5.5, 6.5}, 0.3, 1, 1},
	}
	for _, c := range cases {
		p, s := uTest(c.a, c.b)
		if p < c.pMin || p > c.pMa || s != c.shift {
			t.Errorf("uTest(%v, %v) = %g, %d; want p in [%g, %g], shift %d", c.a, c.b, p, s, c.pMin, c.pMa, c.shift)
		}
	}
}

func TestParseChangeThresholds(t *testing.T) {
	ths, err := ParseChangeThresholds("ack_p99:+10%, acks_per_s:-5%,delivery_p50:20%")
	if err != nil {
		t.Fatal(err)
	}
	want := []ChangeThreshold{{"ack_p99", 10, "ack_p99:+10%"}, {"acks_per_s", 5, "acks_per_s:-5%"}, {"delivery_p50", 20, "delivery_p50:20%"}}
	for i := range want {
		if i >= len(ths) || ths[i] != want[i] {
			t.Fatalf("got %+v, want %+v", ths, want)
		}
	}
	bad := []struct {
		in   string
		want error
	}{
		{"", ErrBadChangeThreshold},
		{"ack_p99", ErrBadChangeThreshold},
		{"ack_p99:10", ErrBadChangeThreshold},
		{"ack_p99:abc%", ErrBadChangeThreshold},
		{"ack_p99:-10%", ErrBadChangeThreshold},
		{"acks_per_s:+5%", ErrBadChangeThreshold},
		{":5%", ErrBadChangeThreshold},
		{"bogus:+5%", ErrUnknownMetric},
		{"ack_p99<50ms", ErrBadChangeThreshold},
	}
	for _, c := range bad {
		if _, err := ParseChangeThresholds(c.in); !errors.Is(err, c.want) {
			t.Errorf("ParseChangeThresholds(%q) = %v, want %v", c.in, err, c.want)
		}
	}
}

func TestCheckThresholds(t *testing.T) {
	base := synthetic(1, 20, 1000, 10*time.Millisecond)
	worse := synthetic(2, 20, 980, 13*time.Millisecond) // p99 +30%, rate about -2%
	c, err := Compare(base, worse, CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ths, err := ParseChangeThresholds("ack_p99:+10%,acks_per_s:-50%,delivery_p50:+50%")
	if err != nil {
		t.Fatal(err)
	}
	got := c.CheckThresholds(ths)
	if len(got) != 1 || !strings.HasPrefix(got[0], "ack_p99:+10%") {
		t.Errorf("broken %q, want only ack_p99", got)
	}
	// Nothing breaks between identical runs, however tight the bound.
	c, _ = Compare(base, base, CompareOptions{})
	ths, _ = ParseChangeThresholds("ack_p99:+0%,acks_per_s:-0%")
	if got := c.CheckThresholds(ths); len(got) != 0 {
		t.Errorf("identical runs broke %q", got)
	}
}

func FuzzParseChangeThresholds(f *testing.F) {
	for _, s := range []string{"ack_p99:+10%", "acks_per_s:-5%,ack_p50:1e3%", ":%", "x:%%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ths, err := ParseChangeThresholds(s)
		if err == nil {
			for _, th := range ths {
				if th.Pct < 0 || math.IsNaN(th.Pct) {
					t.Errorf("%q: pct %g", s, th.Pct)
				}
			}
		}
	})
}

func TestRateSeriesKeepsStalls(t *testing.T) {
	r := &Result{}
	for i, n := range []int64{0, 50, 100, 0, 100, 100, 40, 0} {
		r.Series = append(r.Series, Second{T: int64(i), Acked: n})
	}
	got := rateSeries(r, func(s *Second) int64 { return s.Acked })
	want := []float64{100, 0, 100, 100} // edges 50 and 40 left out, the stall kept
	if !slices.Equal(got, want) {
		t.Errorf("rateSeries = %v, want %v", got, want)
	}
}
