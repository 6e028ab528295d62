package abuse

import (
	"context"
	"sync"
	"testing"
	"time"
)

// budget is what one attack may make the server hold.
type budget struct {
	rss        int64 // VmRSS, bytes: during the attack and after it
	goroutines int   // go_goroutines during the attack
	settled    int   // go_goroutines once the attack is over (within settleWithin)
}

// settleWithin is how long a server may take to let go of an attack's
// goroutines once the attacker has gone.
const settleWithin = 15 * time.Second

// watcher samples a server's resident set and goroutines every 100 ms and
// keeps the peaks: the budget holds at every sample, not only at the end.
type watcher struct {
	srv    *server
	cancel context.CancelFunc
	done   chan struct{}

	mu         sync.Mutex
	startRSS   int64 // the first sample's
	startG     int
	peakRSS    int64
	peakG      int
	lastG      int
	scrapeErrs int // /metrics did not answer (the attack may hold every connection)
}

func watch(t testing.TB, srv *server) *watcher {
	ctx, cancel := context.WithCancel(context.Background())
	w := &watcher{srv: srv, cancel: cancel, done: make(chan struct{})}
	t.Cleanup(w.stop)
	go func() {
		defer close(w.done)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			w.sample(ctx)
			select {
			case <-tick.C:
			case <-ctx.Done():
				return
			}
		}
	}()
	return w
}

func (w *watcher) sample(ctx context.Context) {
	rss, rssErr := w.srv.rss()
	m, err := w.srv.metrics(ctx)
	w.mu.Lock()
	defer w.mu.Unlock()
	if rssErr == nil {
		if w.startRSS == 0 {
			w.startRSS = rss
		}
		w.peakRSS = max(w.peakRSS, rss)
	}
	if err != nil {
		if ctx.Err() == nil {
			w.scrapeErrs++
		}
		return
	}
	w.lastG = m.goroutines()
	if w.startG == 0 {
		w.startG = w.lastG
	}
	w.peakG = max(w.peakG, w.lastG)
}

// stop ends the sampling; it is idempotent.
func (w *watcher) stop() {
	w.cancel()
	<-w.done
}

// peaks are the highest resident set and goroutine count sampled so far.
func (w *watcher) peaks() (rss int64, goroutines int, scrapeErrs int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.peakRSS, w.peakG, w.scrapeErrs
}

// check ends an attack's watch: it waits for the goroutines to come down to
// b.settled (the watcher keeps sampling meanwhile), then holds the peaks
// against b.
func (w *watcher) check(t testing.TB, b budget) {
	t.Helper()
	start := time.Now()
	var settled bool
	for time.Since(start) < settleWithin {
		w.mu.Lock()
		g := w.lastG
		w.mu.Unlock()
		if g > 0 && g <= b.settled {
			settled = true
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	w.stop()
	rss, g, errs := w.peaks()
	t.Logf("server: RSS %s at the start, peak %s (budget %s); goroutines %d at the start, peak %d (budget %d), %d %v after the attack (budget %d); %d scrapes unanswered",
		mib(w.startRSS), mib(rss), mib(b.rss), w.startG, g, b.goroutines, w.lastG, time.Since(start).Round(100*time.Millisecond), b.settled, errs)
	if rss > b.rss {
		t.Errorf("server RSS peaked at %s, over the budget of %s", mib(rss), mib(b.rss))
	}
	if g > b.goroutines {
		t.Errorf("server goroutines peaked at %d, over the budget of %d", g, b.goroutines)
	}
	if !settled {
		t.Errorf("server goroutines still %d %v after the attack, budget %d", w.lastG, settleWithin, b.settled)
	}
}
