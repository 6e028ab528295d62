package load

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/wcp-project/wcp/load/prom"
	"github.com/wcp-project/wcp/load/report"
)

// ServerMetrics says whether, where and what a run scrapes of the
// server's own Prometheus metrics. Its zero value scrapes
// <Target>/metrics for the reference's series; every zero field means
// that default (they are resolved when the run starts, not by
// WithDefaults, since the default URL follows Target).
type ServerMetrics struct {
	// Off disables scraping: the result then has no server view.
	Off bool
	// URL of the metrics ("": Target + "/metrics").
	URL string
	// Names of the series to read (zero: report.DefaultServerMetricNames).
	Names report.ServerMetricNames
	// Timeout bounds each scrape (0: DefaultScrapeTimeout).
	Timeout time.Duration
}

// DefaultScrapeTimeout bounds a scrape well inside the second it serves.
const DefaultScrapeTimeout = 800 * time.Millisecond

// metricsURL is where sm scrapes for target.
func (sm *ServerMetrics) metricsURL(target string) string {
	if sm.URL != "" {
		return sm.URL
	}
	return strings.TrimSuffix(target, "/") + "/metrics"
}

// validate adds sm's problems to bad.
func (sm *ServerMetrics) validate(bad func(setting, f string, a ...any)) {
	if sm.Off {
		return
	}
	if sm.URL != "" {
		u, err := url.Parse(sm.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("server-metrics", "server-metrics %q: want an http(s) URL, \"off\" or nothing (the target's /metrics)", sm.URL)
		}
	}
	if sm.Timeout < 0 {
		bad("server-metrics", "the server metrics' scrape timeout must not be negative, got %v", sm.Timeout)
	}
}

// serverWatch scrapes the server's metrics for one run: a probe at the
// start, then before sending, every second while sending and draining,
// and after. A server without metrics is noted, never an error.
type serverWatch struct {
	scraper     *prom.Scraper
	release     func()
	runID       string
	shard       int
	unavailable string

	mu     sync.Mutex
	series prom.Series
}

// newServerWatch is cfg's watch, nil when scraping is off.
func newServerWatch(cfg *Config) *serverWatch {
	sm := cfg.ServerMetrics
	if sm.Off {
		return nil
	}
	if sm.Names == (report.ServerMetricNames{}) {
		sm.Names = report.DefaultServerMetricNames()
	}
	if sm.Timeout == 0 {
		sm.Timeout = DefaultScrapeTimeout
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 1
	return &serverWatch{
		scraper: &prom.Scraper{URL: sm.metricsURL(cfg.Target), Names: sm.Names, Timeout: sm.Timeout, Client: &http.Client{Transport: tr}},
		release: tr.CloseIdleConnections,
		runID:   cfg.RunID, shard: cfg.Shard.Index,
	}
}

// probe scrapes once; a failure marks the server as having no metrics and
// stops all further scraping.
func (w *serverWatch) probe(ctx context.Context) {
	if w == nil {
		return
	}
	if _, err := w.scraper.Scrape(ctx); err != nil {
		w.unavailable = err.Error()
		if !errors.Is(err, prom.ErrNotMetrics) {
			w.unavailable = fmt.Sprintf("%v (no answer)", err)
		}
	}
}

// scrape adds one sample to the series, or counts a failed scrape. A
// scrape cut short by ctx is neither: the run is ending.
func (w *serverWatch) scrape(ctx context.Context) {
	if w == nil || w.unavailable != "" {
		return
	}
	s, err := w.scraper.Scrape(ctx)
	if err != nil && ctx.Err() != nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if err != nil {
		w.series.Fail()
		return
	}
	w.series.Add(s)
}

// seconds scrapes at every wall-clock second boundary, as the client's
// series closes its seconds, until ctx ends.
func (w *serverWatch) seconds(ctx context.Context) {
	if w == nil || w.unavailable != "" {
		return
	}
	for {
		now := time.Now()
		t := time.NewTimer(now.Truncate(time.Second).Add(time.Second).Sub(now))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		w.scrape(ctx)
	}
}

// views is the watch as the result's server views (none when off).
func (w *serverWatch) views() []report.ServerView {
	if w == nil {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	v := w.series.View(w.scraper.URL, w.scraper.Names)
	v.RunID, v.Shard, v.Unavailable = w.runID, w.shard, w.unavailable
	if w.unavailable != "" {
		v.Metrics = report.ServerMetricNames{}
	}
	return []report.ServerView{v}
}

// close releases the scraper's connections.
func (w *serverWatch) close() {
	if w != nil {
		w.release()
	}
}
