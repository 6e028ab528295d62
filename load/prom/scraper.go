package prom

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/wcp-project/wcp/load/report"
)

// ErrNotMetrics: the endpoint answered, but not with Prometheus metrics
// (an error status, an HTML page, an unparsable or empty body).
var ErrNotMetrics = errors.New("not Prometheus metrics")

// maxBody bounds what one scrape reads.
const maxBody = 32 << 20

// accept asks for the text format, the one this package parses.
const accept = "text/plain;version=0.0.4;q=1,*/*;q=0.1"

// Scraper fetches and picks one endpoint's metrics. Its methods are safe
// for concurrent use.
type Scraper struct {
	URL     string
	Names   report.ServerMetricNames
	Timeout time.Duration // per scrape; 0: none beyond ctx's
	Client  *http.Client  // nil: http.DefaultClient
}

// Scrape fetches the metrics once and picks the sample, timed at the
// start of the request. Its error wraps ErrNotMetrics when the endpoint
// answered with something else, and is the transport's error otherwise
// (a refused connection, a timeout).
func (s *Scraper) Scrape(ctx context.Context) (Sample, error) {
	at := time.Now()
	if s.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.Timeout)
		defer cancel()
	}
	fams, err := s.fetch(ctx)
	if err != nil {
		return Sample{}, fmt.Errorf("scrape %s: %w", s.URL, err)
	}
	return Pick(fams, s.Names, at), nil
}

func (s *Scraper) fetch(ctx context.Context) (map[string]*dto.MetricFamily, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", accept)
	hc := s.Client
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil, fmt.Errorf("%w: status %s", ErrNotMetrics, resp.Status)
	}
	if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err == nil && mt != "text/plain" {
		return nil, fmt.Errorf("%w: content type %s", ErrNotMetrics, mt)
	}
	fams, err := Parse(io.LimitReader(resp.Body, maxBody))
	if err != nil && ctx.Err() != nil {
		return nil, ctx.Err() // the body was cut short, not malformed
	}
	return fams, err
}
