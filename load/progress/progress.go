// Package progress draws a load run's progress: Lines for logs and pipes,
// Bars for terminals. Both satisfy load.Progress without importing the
// engine; they only read the report types a run hands them.
package progress

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/wcp-project/wcp/load/report"
)

// Lines is a load.Progress for logs and pipes: a line when a setup step starts
// and ends, and one per second of sending.
type Lines struct {
	mu sync.Mutex
	w  io.Writer
}

// NewLines writes plain progress lines to w.
func NewLines(w io.Writer) *Lines { return &Lines{w: w} }

func (l *Lines) printf(f string, a ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, f, a...)
}

// Begin implements load.Progress.
func (l *Lines) Begin(name string, total int) func(int) {
	start := time.Now()
	l.printf("%s: 0/%d\n", name, total)
	var done, last atomic.Int64
	last.Store(start.UnixNano())
	return func(n int) {
		d := done.Add(int64(n))
		if d == int64(total) {
			l.printf("%s: %d/%d in %v\n", name, d, total, time.Since(start).Round(time.Millisecond))
			return
		}
		// A line every 2 s on long steps.
		now := time.Now().UnixNano()
		if prev := last.Load(); now-prev > int64(2*time.Second) && last.CompareAndSwap(prev, now) {
			l.printf("%s: %d/%d\n", name, d, total)
		}
	}
}

// Second implements load.Progress.
func (l *Lines) Second(elapsed time.Duration, sec report.Second, c report.Counts) {
	l.printf("%s\n", report.SecondLine(elapsed, sec, c))
}

// Phase implements load.Progress.
func (l *Lines) Phase(name string) { l.printf("phase: %s\n", name) }

// Finish does nothing: every line is already written.
func (l *Lines) Finish() {}

// Bars is a load.Progress for terminals: an mpb bar per setup step and a live
// status bar while sending.
type Bars struct {
	p        *mpb.Progress
	mu       sync.Mutex
	bars     []*mpb.Bar
	total    time.Duration
	send     *mpb.Bar
	status   atomic.Value // string
	finished bool
}

// NewBars draws bars on w (a terminal); sendFor is the sending time.
func NewBars(w io.Writer, sendFor time.Duration) *Bars {
	b := &Bars{p: mpb.New(mpb.WithOutput(w), mpb.WithAutoRefresh(), mpb.WithWidth(40), mpb.WithRefreshRate(200*time.Millisecond)), total: sendFor}
	b.status.Store("")
	return b
}

// Begin implements load.Progress.
func (b *Bars) Begin(name string, total int) func(int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.finished {
		return func(int) {}
	}
	bar := b.p.AddBar(int64(total),
		mpb.PrependDecorators(decor.Name(name, decor.WC{C: decor.DindentRight | decor.DextraSpace, W: 9}), decor.CountersNoUnit("%d / %d", decor.WCSyncWidth)),
		mpb.AppendDecorators(decor.Percentage(decor.WCSyncSpace), decor.Elapsed(decor.ET_STYLE_GO, decor.WCSyncSpace)))
	b.bars = append(b.bars, bar)
	return func(n int) { bar.IncrBy(n) }
}

// Phase implements load.Progress.
func (b *Bars) Phase(name string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if name != "sending" || b.finished || b.send != nil {
		return
	}
	secs := int64(b.total / time.Second)
	if secs < 1 {
		secs = 1
	}
	b.send = b.p.AddBar(secs,
		mpb.PrependDecorators(decor.Name("sending", decor.WC{C: decor.DindentRight | decor.DextraSpace, W: 9}), decor.Elapsed(decor.ET_STYLE_GO)),
		mpb.AppendDecorators(decor.Any(func(decor.Statistics) string { return b.status.Load().(string) })))
	b.bars = append(b.bars, b.send)
}

// Second implements load.Progress.
func (b *Bars) Second(elapsed time.Duration, sec report.Second, c report.Counts) {
	b.status.Store(report.SecondLine(elapsed, sec, c))
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.send != nil && !b.finished {
		b.send.SetCurrent(min(int64(elapsed/time.Second), int64(b.total/time.Second)))
	}
}

// Finish completes or aborts every bar and waits for the last render.
func (b *Bars) Finish() {
	b.mu.Lock()
	if b.finished {
		b.mu.Unlock()
		return
	}
	b.finished = true
	for _, bar := range b.bars {
		if !bar.Completed() {
			if bar == b.send {
				bar.SetTotal(-1, true)
			} else {
				bar.Abort(false)
			}
		}
	}
	b.mu.Unlock()
	b.p.Wait()
}
