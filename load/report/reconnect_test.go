package report

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"
)

func scenarioResult(shard int, lost int64) *Result {
	h := func(ds ...time.Duration) *Hist {
		x := NewHist()
		for _, d := range ds {
			x.Record(d)
		}
		return x
	}
	r := &Result{
		Version: ResultVersion, RunID: "r", Scenario: "four",
		Shards: []ShardInfo{{Index: shard, Count: 2}},
		Populations: []Population{
			{Name: "listeners", Share: 0.6, Users: 3, Sessions: 6, Counts: Counts{Delivered: 10}, Ack: NewHist(), Delivery: h(time.Millisecond)},
			{Name: "heavy", Share: 0.4, Users: 2, Sessions: 2, Counts: Counts{Sent: 5, Acked: 5, Delivered: 4}, Ack: h(2 * time.Millisecond), Delivery: h(3 * time.Millisecond)},
		},
		Reconnects: []Reconnects{
			{Kind: "churn", Name: "churn", Dropped: 2, Reconnected: 2, Resumed: 2, Resume: h(100*time.Millisecond, 200*time.Millisecond), Replayed: 10, ReplaySeconds: 0.5},
			{Kind: "storm", Name: "storm 1", At: "3s", Dropped: 5, Reconnected: 4, Failed: map[string]int64{"timeout": 1}, Renewed: 4, Resumed: 4,
				Resume: h(time.Second), Replayed: 40, ReplaySeconds: 1, SeamLost: lost},
		},
	}
	r.Judge()
	return r
}

// Merge adds populations and reconnect sources by name, and a seam loss
// in one shard fails the whole.
func TestMergeScenarioFields(t *testing.T) {
	t.Parallel()
	m, err := Merge(scenarioResult(0, 0), scenarioResult(1, 3))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Populations) != 2 || m.Populations[1].Counts.Sent != 10 || m.Populations[0].Sessions != 12 || m.Populations[1].Ack.Count() != 2 {
		t.Errorf("populations: %+v", m.Populations)
	}
	st := m.Reconnects[1]
	if len(m.Reconnects) != 2 || st.Dropped != 10 || st.Failed["timeout"] != 2 || st.Resume.Count() != 2 || st.SeamLost != 3 || st.ReplayRate() != 40 {
		t.Errorf("reconnects: %+v", m.Reconnects)
	}
	if m.Reconnects[0].Resume.Max() < 199*time.Millisecond {
		t.Errorf("churn resume max %v", m.Reconnects[0].Resume.Max())
	}
	if !m.Failed() || !strings.Contains(strings.Join(m.Failures, ";"), "storm 1: 3 acknowledged messages lost") {
		t.Errorf("failures %v", m.Failures)
	}
	ths, err := ParseThresholds("seam_lost==0,reconnect_failures<=2")
	if err != nil {
		t.Fatal(err)
	}
	if broken := Broken(m, ths); len(broken) != 1 || !strings.Contains(broken[0], "seam_lost") {
		t.Errorf("broken thresholds %v, want seam_lost alone", broken)
	}
	// Round trip, and both reports show the tables.
	var buf bytes.Buffer
	if err := Encode(&buf, m); err != nil {
		t.Fatal(err)
	}
	back, err := Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if back.Scenario != "four" || back.Reconnects[1].Resume.Count() != 2 || back.Populations[0].Delivery.Count() != 2 {
		t.Errorf("decoded: %+v", back)
	}
	var text, page strings.Builder
	if err := WriteText(&text, back); err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(&page, back); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"populations (scenario four)", "listeners", "storm 1", "resume p99"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
	for _, want := range []string{"<h2>Populations", "Churn and reconnect storms", "storm 1"} {
		if !strings.Contains(page.String(), want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	// An unclosed table swallows what follows it: the storm table once
	// rendered as nothing at all in a browser.
	for _, tag := range []string{"table", "tr"} {
		if open, closed := strings.Count(page.String(), "<"+tag+">")+strings.Count(page.String(), "<"+tag+" "), strings.Count(page.String(), "</"+tag+">"); open != closed {
			t.Errorf("HTML has %d <%s> and %d </%s>", open, tag, closed, tag)
		}
	}
}

// A result written before populations and reconnects existed still
// decodes, and merges with one that has them.
func TestOldResultDecodesAndMerges(t *testing.T) {
	t.Parallel()
	f, err := os.Open("../../testdata/load/result-v1.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	old, err := Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if old.Scenario != "" || old.Populations != nil || old.Reconnects != nil {
		t.Errorf("old result grew scenario fields: %q %v %v", old.Scenario, old.Populations, old.Reconnects)
	}
	old.RunID = "old"
	m, err := Merge(old, scenarioResult(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Populations) != 2 || m.Reconnects[1].Dropped != 5 || m.Counts.Sent != old.Counts.Sent {
		t.Errorf("merged: %d populations, reconnects %+v, sent %d", len(m.Populations), m.Reconnects, m.Counts.Sent)
	}
}
