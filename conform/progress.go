package conform

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// progress tells a person how the run goes: each failure as it happens
// (each spec with verbose), and how far the run is every so often.
type progress struct {
	w       io.Writer
	total   int
	verbose bool

	mu     sync.Mutex
	done   int
	failed int
}

func newProgress(w io.Writer, total int, verbose bool) *progress {
	if w == nil {
		w = io.Discard
	}
	fmt.Fprintf(w, "conform: running %d specs\n", total)
	return &progress{w: w, total: total, verbose: verbose}
}

func (p *progress) spec(l progressLine) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	failed := l.State != "passed" && l.State != "skipped" && l.State != "pending"
	if failed {
		p.failed++
	}
	if failed || p.verbose {
		fmt.Fprintf(p.w, "  %-8s %s  [%s]\n", l.State, l.Spec, strings.Join(l.Rules, " "))
	}
}

// tick prints the count every d until the returned stop is called.
func (p *progress) tick(d time.Duration) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				p.mu.Lock()
				fmt.Fprintf(p.w, "conform: %d/%d specs done, %d failed\n", p.done, p.total, p.failed)
				p.mu.Unlock()
			}
		}
	}()
	return func() { close(done); <-finished }
}
