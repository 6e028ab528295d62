package report

import (
	"strings"
	"testing"
	"time"
)

// steady is a run of n seconds whose every second is alike but for a
// trace of jitter: about acks acks, latencies from lat up by 1 µs steps.
// Series this tight make the U test call any consistent difference
// significant.
func steady(n int, acks int64, lat time.Duration) *Result {
	r := &Result{Version: ResultVersion, Valid: true, Failures: []string{}, Histograms: map[string]*Hist{HistAck: NewHist()}}
	start := time.Unix(1_000_000, 0)
	for i := range n {
		s := Second{T: start.Unix() + int64(i), Acked: acks + int64(i%3), Ack: newSecondHist()}
		for j := range 100 {
			d := lat + time.Duration(j+i%3)*time.Microsecond
			s.Ack.Record(d)
			r.Histograms[HistAck].Record(d)
		}
		r.Counts.Acked += s.Acked
		s.freeze()
		r.Series = append(r.Series, s)
	}
	r.SendStart, r.SendEnd = start, start.Add(time.Duration(n)*time.Second)
	return r
}

// TestCompareMinEffect: a consistent 2% difference is significant by the U
// test, but under the default minimum effect of 5% it is no change, with a
// note saying why; turned off, it is slower; a 10% difference is slower
// either way.
func TestCompareMinEffect(t *testing.T) {
	base := steady(10, 1000, 10*time.Millisecond)
	bit := steady(10, 980, 10200*time.Microsecond)
	lot := steady(10, 900, 11*time.Millisecond)
	cases := []struct {
		name string
		next *Result
		opt  CompareOptions
		want Verdict
	}{
		{"2% under the default", bit, CompareOptions{}, NoChange},
		{"2% with no minimum", bit, CompareOptions{MinEffectPct: -1}, Slower},
		{"2% under 1%", bit, CompareOptions{MinEffectPct: 1}, Slower},
		{"10% under the default", lot, CompareOptions{}, Slower},
		{"10% under 15%", lot, CompareOptions{MinEffectPct: 15}, NoChange},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cmp, err := Compare(base, c.next, c.opt)
			if err != nil {
				t.Fatal(err)
			}
			got := verdicts(t, cmp)
			for _, m := range []string{"acks_per_s", "ack_p50"} {
				ch := got[m]
				if ch.P == nil || *ch.P >= DefaultAlpha {
					t.Fatalf("%s: p %v, want significant (the case needs it)", m, ch.P)
				}
				if ch.Verdict != c.want {
					t.Errorf("%s: %q (%+.1f%%, %s), want %q", m, ch.Verdict, *ch.DeltaPct, ch.Note, c.want)
				}
				if c.want == NoChange && !strings.Contains(ch.Note, "minimum effect") {
					t.Errorf("%s: note %q does not say why", m, ch.Note)
				}
			}
		})
	}
}
