package prom

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wcp-project/wcp/load/report"
)

// Whatever a server answers, reading it never panics.
func FuzzParsePick(f *testing.F) {
	for _, name := range []string{"before.prom", "after.prom", "labelled.prom"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	names := report.DefaultServerMetricNames()
	other := report.ServerMetricNames{AckLatency: "my_ack_seconds", SessionsOpen: "my_conns", Refused: "my_ack_seconds", RefusedLabel: "event"}
	f.Fuzz(func(t *testing.T, b []byte) {
		fams, err := Parse(bytes.NewReader(b))
		if err != nil {
			return
		}
		for _, n := range []report.ServerMetricNames{names, other} {
			a := Pick(fams, n, time.Unix(0, 0))
			c := Pick(fams, n, time.Unix(1, 0))
			Delta(a, c)
			var s Series
			s.Add(a)
			s.Add(c)
			s.View("u", n)
		}
	})
}
