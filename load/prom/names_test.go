package prom

import (
	"errors"
	"testing"

	"github.com/wcp-project/wcp/load/report"
)

func TestParseNames(t *testing.T) {
	def := report.DefaultServerMetricNames()
	got, err := ParseNames("ack=my_ack_seconds, refused=my_refusals_total:reason,cpu=", def)
	if err != nil {
		t.Fatal(err)
	}
	want := def
	want.AckLatency, want.Refused, want.RefusedLabel, want.CPU = "my_ack_seconds", "my_refusals_total", "reason", ""
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if got, err := ParseNames("", def); err != nil || got != def {
		t.Errorf("empty spec: %+v, %v", got, err)
	}
	if got, _ := ParseNames("refused=x", def); got.RefusedLabel != "code" {
		t.Errorf("refused without a label reads %q", got.RefusedLabel)
	}
	for _, bad := range []string{"ack", "latency=x", "ack=x,,"} {
		if _, err := ParseNames(bad, def); !errors.Is(err, ErrNames) {
			t.Errorf("%q: %v, want ErrNames", bad, err)
		}
	}
}
