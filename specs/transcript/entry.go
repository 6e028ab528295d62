package transcript

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2/types"
)

// EntryName is the name of the Ginkgo report entry that carries a failed
// spec's transcript.
const EntryName = "wcp transcript"

// Transcript is the value of that entry: the spec's frames. It encodes as
// a JSON array of Frame, and prints (in Ginkgo's console report) as one
// short line per frame.
type Transcript []Frame

// consoleFrames and consoleLine bound the console form: the JSON report has
// every frame, whole.
const (
	consoleFrames = 100
	consoleLine   = 160
)

// String is the transcript as the console shows it: the last frames, one
// line each, their text cut to a line.
func (t Transcript) String() string {
	var b strings.Builder
	frames := []Frame(t)
	if over := len(frames) - consoleFrames; over > 0 {
		fmt.Fprintf(&b, "(%d earlier frames: see the JSON report)\n", over)
		frames = frames[over:]
	}
	for _, f := range frames {
		text := clip(strings.Join(strings.Fields(f.Text), " "), consoleLine)
		arrow := "  "
		switch f.Dir {
		case Sent:
			arrow = "->"
		case Received:
			arrow = "<-"
		}
		fmt.Fprintf(&b, "%9s #%d %s %-13s %s\n", f.At.Round(time.Microsecond), f.Conn, arrow, f.Kind, text)
	}
	return b.String()
}

// FromReportEntry reads a transcript back from a spec report's entry: in
// the process that ran the spec (the value as attached), or from a JSON
// report or another Ginkgo process (the value's AsJSON). ok is false for
// an entry of another name or one that does not decode.
func FromReportEntry(e types.ReportEntry) ([]Frame, bool) {
	if e.Name != EntryName {
		return nil, false
	}
	switch v := e.Value.GetRawValue().(type) {
	case Transcript:
		return []Frame(v), true
	case []Frame:
		return v, true
	}
	data := []byte(e.Value.AsJSON)
	if len(data) == 0 {
		raw := e.Value.GetRawValue()
		if raw == nil {
			return nil, false
		}
		var err error
		if data, err = json.Marshal(raw); err != nil {
			return nil, false
		}
	}
	var frames []Frame
	if err := json.Unmarshal(data, &frames); err != nil {
		return nil, false
	}
	return frames, true
}
