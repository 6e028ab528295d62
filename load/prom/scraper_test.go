package prom

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wcp-project/wcp/load/report"
)

func TestScrape(t *testing.T) {
	body, err := os.ReadFile(filepath.Join("testdata", "after.prom"))
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		w.Write(body)
	})
	mux.HandleFunc("/page", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<html><body>hello</body></html>"))
	})
	mux.HandleFunc("/garbage", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("this is { not metrics\n"))
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()

	ctx := context.Background()
	s := &Scraper{URL: srv.URL + "/metrics", Names: report.DefaultServerMetricNames(), Timeout: 5 * time.Second}
	got, err := s.Scrape(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantOpt(t, "goroutines", got.Goroutines, 42)
	if got.At.IsZero() {
		t.Error("sample has no time")
	}

	for _, c := range []struct {
		path       string
		notMetrics bool
	}{
		{"/nothing", true}, {"/page", true}, {"/garbage", true}, {"/slow", false},
	} {
		s := &Scraper{URL: srv.URL + c.path, Timeout: 100 * time.Millisecond}
		_, err := s.Scrape(ctx)
		if err == nil || errors.Is(err, ErrNotMetrics) != c.notMetrics {
			t.Errorf("%s: error %v, want one that is ErrNotMetrics: %v", c.path, err, c.notMetrics)
		}
	}
	if _, err := (&Scraper{URL: gone.URL + "/metrics"}).Scrape(ctx); err == nil || errors.Is(err, ErrNotMetrics) {
		t.Errorf("closed server: %v, want a connection error", err)
	}
}
