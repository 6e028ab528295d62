package transcript

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"
)

func TestFromReportEntry(t *testing.T) {
	frames := Transcript{
		{Conn: 1, At: 1500 * time.Microsecond, Dir: Sent, Kind: KindHTTPRequest, Text: "POST /users HTTP/1.1\n\n{\"name\":\"é\"}"},
		{Conn: 1, At: 2 * time.Millisecond, Dir: Received, Kind: KindClose, Text: "reset (RST)"},
	}
	attached := types.ReportEntry{Name: EntryName, Value: types.WrapEntryValue(frames)}
	if got, ok := FromReportEntry(attached); !ok || !slices.Equal(got, frames) {
		t.Errorf("in process: %v %v", got, ok)
	}
	// What another process or a JSON report holds.
	data, err := json.Marshal(attached)
	if err != nil {
		t.Fatal(err)
	}
	var decoded types.ReportEntry
	if err := json.Unmarshal(data, &decoded); err != nil {
		t.Fatal(err)
	}
	if got, ok := FromReportEntry(decoded); !ok || !slices.Equal(got, frames) {
		t.Errorf("from JSON: %v %v", got, ok)
	}
	// The raw value only, decoded as any (AsJSON left empty).
	var generic any
	_ = json.Unmarshal([]byte(decoded.Value.AsJSON), &generic)
	if got, ok := FromReportEntry(types.ReportEntry{Name: EntryName, Value: types.WrapEntryValue(generic)}); !ok || !slices.Equal(got, frames) {
		t.Errorf("from a generic value: %v %v", got, ok)
	}
	for name, e := range map[string]types.ReportEntry{
		"another entry": {Name: "target output", Value: types.WrapEntryValue("log")},
		"not frames":    {Name: EntryName, Value: types.ReportEntryValue{AsJSON: `"text"`}},
		"no value":      {Name: EntryName},
	} {
		if _, ok := FromReportEntry(e); ok {
			t.Errorf("%s: read as a transcript", name)
		}
	}
}

func TestTranscriptString(t *testing.T) {
	var tr Transcript
	tr = append(tr, Frame{Conn: 1, At: 1500 * time.Microsecond, Dir: Sent, Kind: KindHTTPRequest, Text: "POST /users HTTP/1.1\nHost: x\n\n{}"})
	for range 150 {
		tr = append(tr, Frame{Conn: 2, At: time.Second, Dir: Received, Kind: KindWebSocket, Text: strings.Repeat("y", 500)})
	}
	tr = append(tr, Frame{Kind: KindNote, Text: "a note"})
	lines := strings.Split(strings.TrimSuffix(tr.String(), "\n"), "\n")
	if len(lines) != 101 || lines[0] != "(52 earlier frames: see the JSON report)" {
		t.Fatalf("%d lines, first %q", len(lines), lines[0])
	}
	if !strings.Contains(lines[1], "#2 <- websocket") || len(lines[1]) > 250 {
		t.Errorf("line %q", lines[1])
	}
	if want := "#0    note          a note"; !strings.HasSuffix(lines[100], want) {
		t.Errorf("last line %q, want it to end %q", lines[100], want)
	}
	if got := (Transcript{{Conn: 1, At: 1500 * time.Microsecond, Dir: Sent, Kind: KindHTTPRequest, Text: "GET / HTTP/1.1\nHost: x"}}).String(); got != "    1.5ms #1 -> http-request  GET / HTTP/1.1 Host: x\n" {
		t.Errorf("String() = %q", got)
	}
}
