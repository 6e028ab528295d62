package transcript

import (
	"fmt"
	"sort"
	"time"
)

// assemble turns a spec's drafts into its Frames: those that began before
// the spec (the previous spec's cleanup) are left out, the rest put in
// the order they crossed, cut to the last limits.Frames, their
// connections numbered from 1 in order of appearance, and each text
// redacted by value, then made printable and clipped: a secret is hidden
// before anything could cut it in two.
func assemble(red *Redactor, limits Limits, start time.Time, drafts []draft) []Frame {
	kept := drafts[:0:0]
	for _, d := range drafts {
		if !d.at.Before(start) {
			kept = append(kept, d)
		}
	}
	// Stable: a connection's frames that share a time keep their order.
	sort.SliceStable(kept, func(i, j int) bool { return kept[i].at.Before(kept[j].at) })
	if start.IsZero() && len(kept) > 0 { // no Begin: time from the first frame
		start = kept[0].at
	}
	var out []Frame
	if over := len(kept) - limits.Frames; over > 0 {
		kept = kept[over:]
		out = append(out, Frame{
			At:   kept[0].at.Sub(start),
			Kind: KindNote,
			Text: fmt.Sprintf("[%d earlier frames not kept: a transcript keeps the last %d]", over, limits.Frames),
		})
	}
	numbers := map[int]int{}
	for _, d := range kept {
		n, ok := numbers[d.conn]
		if !ok {
			n = len(numbers) + 1
			numbers[d.conn] = n
		}
		out = append(out, Frame{
			Conn: n,
			At:   d.at.Sub(start),
			Dir:  d.dir,
			Kind: d.kind,
			Text: display(red.Redact(d.text), limits.Text),
		})
	}
	return out
}
