package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/load")

// golden compares got with testdata/load/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("..", "..", "testdata", "load", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; run go test ./load/report -run Golden -update and review the diff", name)
	}
}

// The result format is read by other tools and by merge across versions:
// a change to it must be deliberate.
func TestGoldenResult(t *testing.T) {
	r := fakeResult(42, ShardInfo{Index: 0, Count: 1}, 1700000000)
	r.Config = Settings{Target: "http://127.0.0.1:8080", Senders: 50, Chats: 5, Inflight: 1, Duration: "5s", BodyBytes: 64, AckTimeout: "10s", Grace: "5s"}
	var buf bytes.Buffer
	if err := Encode(&buf, r); err != nil {
		t.Fatal(err)
	}
	golden(t, "result-v1.json", buf.Bytes())
	// The golden file decodes into the same counters.
	back, err := Decode(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	if err := WriteText(&text, back); err != nil {
		t.Fatal(err)
	}
	golden(t, "summary.txt", text.Bytes())
}
