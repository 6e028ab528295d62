package report

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCostEncodeMergeText: a result written before costs were measured
// still decodes (with none); costs survive a round trip, merge keeps one
// per shard, and the text report shows them.
func TestCostEncodeMergeText(t *testing.T) {
	old, err := os.Open(filepath.Join("..", "..", "testdata", "load", "result-v1.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	r0, err := Decode(old)
	if err != nil {
		t.Fatalf("a result without costs: %v", err)
	}
	if r0.Costs != nil {
		t.Errorf("costs %+v in a result that has none", r0.Costs)
	}
	var b bytes.Buffer
	if err := Encode(&b, r0); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), `"costs"`) {
		t.Errorf("a result without costs writes them")
	}

	a := fakeResult(1, ShardInfo{Index: 0, Count: 2}, 1700000000)
	a.Costs = []Cost{{Shard: 0, Sessions: 9000, OpenFiles: 9070, FileLimit: 20000, RSSMiB: 120, HeapMiB: 80,
		SessionRSSKiB: 11.5, SessionHeapKiB: 8.25, CPUSeconds: 3, Messages: 100000, CPUPerMessageUS: 30}}
	c := fakeResult(2, ShardInfo{Index: 1, Count: 2}, 1700000000)
	c.Costs = []Cost{{Shard: 1, Sessions: 9001}}
	b.Reset()
	if err := Encode(&b, a); err != nil {
		t.Fatal(err)
	}
	back, err := Decode(&b)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Costs) != 1 || back.Costs[0] != a.Costs[0] {
		t.Errorf("round trip: %+v, want %+v", back.Costs, a.Costs)
	}
	m, err := Merge(back, c)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Costs) != 2 || m.Costs[1].Sessions != 9001 {
		t.Errorf("merged costs %+v", m.Costs)
	}
	var text strings.Builder
	if err := WriteText(&text, m); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"cost shard 0 (generator): 9000 sessions held (9070 open files of 20000 allowed)", "11.5 KiB RSS, 8.2 KiB heap+stack per session", "30.0 µs per message", "cost shard 1"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
}
