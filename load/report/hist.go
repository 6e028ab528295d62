package report

import (
	"encoding/json"
	"fmt"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram ranges: microseconds from 1 µs to 10 minutes, 3 significant
// digits for the run's histograms, 2 for the per-second ones (they are many
// and only drawn).
const (
	histMin     = 1
	histMax     = int64(10 * time.Minute / time.Microsecond)
	histDigits  = 3
	secondDigit = 2
)

// Hist is an HdrHistogram of durations in microseconds that encodes to JSON
// as HdrHistogram's compressed V2 snapshot (base64). A Hist is either live
// (counts in memory) or frozen (only its compressed snapshot, a few hundred
// bytes instead of tens of KiB): the per-second series of a long run stays
// small. Reading a frozen Hist decodes it on the fly; recording into or
// merging into one thaws it. Not safe for concurrent use.
type Hist struct {
	h   *hdr.Histogram
	enc []byte // the snapshot, when frozen
}

// NewHist returns an empty run-precision histogram.
func NewHist() *Hist { return &Hist{h: hdr.New(histMin, histMax, histDigits)} }

func newSecondHist() *Hist { return &Hist{h: hdr.New(histMin, histMax, secondDigit)} }

// get returns the counts, decoding a frozen Hist without keeping the result.
func (h *Hist) get() *hdr.Histogram {
	if h == nil {
		return nil
	}
	if h.h != nil || h.enc == nil {
		return h.h
	}
	d, err := hdr.Decode(h.enc)
	if err != nil {
		return nil // checked when the snapshot was read
	}
	return d
}

// thaw makes h live again.
func (h *Hist) thaw() {
	if h.h == nil {
		h.h = h.get()
		if h.h == nil {
			h.h = hdr.New(histMin, histMax, histDigits)
		}
		h.enc = nil
	}
}

// freeze keeps only the compressed snapshot.
func (h *Hist) freeze() {
	if h == nil || h.h == nil {
		return
	}
	b, err := h.h.Encode(hdr.V2CompressedEncodingCookieBase)
	if err != nil {
		return // stay live
	}
	h.enc, h.h = b, nil
}

// Record adds one duration (clamped to the histogram's range).
func (h *Hist) Record(d time.Duration) {
	h.thaw()
	us := int64(d / time.Microsecond)
	if us < histMin {
		us = histMin
	}
	if us > histMax {
		us = histMax
	}
	_ = h.h.RecordValue(us) // in range by construction
}

// Merge adds every value of o.
func (h *Hist) Merge(o *Hist) {
	if src := o.get(); src != nil {
		h.thaw()
		h.h.Merge(src)
	}
}

// Count is the number of recorded values.
func (h *Hist) Count() int64 {
	if g := h.get(); g != nil {
		return g.TotalCount()
	}
	return 0
}

// Quantile returns the value at the given percentile (0..100) as a
// duration; 0 when empty.
func (h *Hist) Quantile(pct float64) time.Duration {
	g := h.get()
	if g == nil || g.TotalCount() == 0 {
		return 0
	}
	return time.Duration(g.ValueAtPercentile(pct)) * time.Microsecond
}

// Max is the largest recorded value (at the histogram's precision).
func (h *Hist) Max() time.Duration {
	g := h.get()
	if g == nil || g.TotalCount() == 0 {
		return 0
	}
	return time.Duration(g.Max()) * time.Microsecond
}

// Min is the smallest recorded value.
func (h *Hist) Min() time.Duration {
	g := h.get()
	if g == nil || g.TotalCount() == 0 {
		return 0
	}
	return time.Duration(g.Min()) * time.Microsecond
}

// Mean is the average recorded value.
func (h *Hist) Mean() time.Duration {
	g := h.get()
	if g == nil || g.TotalCount() == 0 {
		return 0
	}
	return time.Duration(g.Mean() * float64(time.Microsecond))
}

// Equal reports whether both hold the same counts.
func (h *Hist) Equal(o *Hist) bool {
	a, b := h.get(), o.get()
	if a == nil || b == nil {
		return h.Count() == 0 && o.Count() == 0
	}
	return a.Equals(b)
}

// MarshalJSON encodes the compressed snapshot.
func (h *Hist) MarshalJSON() ([]byte, error) {
	if h.h == nil && h.enc != nil {
		return json.Marshal(string(h.enc))
	}
	g := h.h
	if g == nil {
		g = hdr.New(histMin, histMax, histDigits)
	}
	b, err := g.Encode(hdr.V2CompressedEncodingCookieBase)
	if err != nil {
		return nil, fmt.Errorf("encode histogram: %w", err)
	}
	return json.Marshal(string(b))
}

// UnmarshalJSON checks a compressed snapshot and keeps it frozen.
func (h *Hist) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("histogram: %w", err)
	}
	if _, err := hdr.Decode([]byte(s)); err != nil {
		return fmt.Errorf("histogram: %w", err)
	}
	h.h, h.enc = nil, []byte(s)
	return nil
}
