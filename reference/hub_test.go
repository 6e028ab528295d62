package reference

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/wcp-project/wcp"
)

// TestSharedTextClones: every receiver's clone of an encoded message reads
// the whole packet, however the others are read, and none copies it.
func TestSharedTextClones(t *testing.T) {
	t.Parallel()
	s, err := Open(context.Background(), Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	m := wcp.Message{ID: "m_1", ChatID: "c_1", Seq: 7, UserID: "u_1", Body: "héllo", SentAt: "2026-01-01T00:00:00.000Z"}
	j, _ := json.Marshal(m)
	want := `2["message",` + string(j) + `]`
	pkts, _ := s.hubs.encode(m)
	if len(pkts) != 1 || pkts[0].String() != want {
		t.Fatalf("encoded %v, want %s", pkts, want)
	}
	var wg sync.WaitGroup
	for range 8 {
		c := pkts[0].Clone()
		if &c.Bytes()[0] != &pkts[0].Bytes()[0] {
			t.Error("the clone copied the packet")
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, err := io.ReadAll(c)
			if err != nil || string(b) != want {
				t.Errorf("clone read %q, %v", b, err)
			}
		}()
	}
	wg.Wait()
	if pkts[0].String() != want {
		t.Fatalf("reading the clones changed the packet: %s", pkts[0].String())
	}
}

// BenchmarkFanOutClone is what the engine does with one encoded message per
// receiving session (10 here): clone it and read it away. A sharedText's
// clones share its bytes; a plain packet is copied for each.
func BenchmarkFanOutClone(b *testing.B) {
	s, err := Open(context.Background(), Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	m := wcp.Message{ID: "m_0123456789abcdef", ChatID: "c_0123456789abcdef", Seq: 12345, UserID: "u_0123456789abcdef",
		Body: "benchmark body of a typical length, some forty bytes", SentAt: "2026-01-01T00:00:00.000Z"}
	for _, shared := range []bool{false, true} {
		b.Run(fmt.Sprintf("shared=%v", shared), func(b *testing.B) {
			pkts, _ := s.hubs.encode(m)
			pkt := pkts[0]
			if !shared {
				pkt = pkt.(sharedText).StringBuffer
			}
			var sink bytes.Buffer
			b.ReportAllocs()
			for b.Loop() {
				for range 10 {
					sink.Reset()
					pkt.Clone().WriteTo(&sink)
				}
			}
		})
	}
}
