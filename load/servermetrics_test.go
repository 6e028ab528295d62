package load

import (
	"context"
	"maps"
	"math"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/wcp-project/wcp/load/report"
)

// Against the reference, the server's view is present and agrees with the
// client's counts: every accepted message is one observation of the
// server's ack histogram, every refusal one increment of its counter, and
// every sender an open session. Timing is not compared (a loaded 2-core
// machine makes either side slow).
func TestRunScrapesServerMetrics(t *testing.T) {
	if testing.Short() {
		t.Skip("integration")
	}
	target := startReference(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const senders = 10
	res, err := Run(ctx, Config{Target: target, Embedded: true, Senders: senders, Chats: 2, Rate: 100, Duration: 2 * time.Second,
		Forged: 0.1, Grace: 3 * time.Second, AckTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Servers) != 1 {
		t.Fatalf("server views: %+v, want one", res.Servers)
	}
	v := res.Servers[0]
	c := res.Counts
	t.Logf("scrapes %d, failed %d, seconds %d, total %+v", v.Scrapes, v.ScrapeErrors, len(v.Seconds), v.Total)
	if v.Unavailable != "" || v.URL != target+"/metrics" || v.RunID != res.RunID {
		t.Errorf("view of %s (run %q): unavailable %q", v.URL, v.RunID, v.Unavailable)
	}
	// Before, at least two second boundaries in 2 s of sending, after.
	if good := v.Scrapes - v.ScrapeErrors; good < 3 {
		t.Errorf("%d good scrapes, want at least 3", good)
	}
	tot := v.Total
	if tot.AckCount == nil || int64(*tot.AckCount) != c.Acked+c.LateAcks+c.ForgedAccepted {
		t.Errorf("server acks %v, client acked %d (+%d late)", tot.AckCount, c.Acked, c.LateAcks)
	}
	if c.Acked == 0 || c.ForgedRefused == 0 {
		t.Fatalf("nothing to compare: %+v", c)
	}
	if tot.SessionsOpenPeak == nil || *tot.SessionsOpenPeak != senders {
		t.Errorf("server sessions open peak %v, want %d", tot.SessionsOpenPeak, senders)
	}
	refused := map[string]int64{}
	for k, n := range tot.Refused {
		refused[k] = int64(n)
	}
	if !maps.Equal(refused, c.Refused) {
		t.Errorf("server refusals %v, client's %v", refused, c.Refused)
	}
	if tot.CPUSeconds == nil || tot.RSSPeakBytes == nil || *tot.RSSPeakBytes <= 0 || tot.GoroutinesPeak == nil {
		t.Errorf("process figures missing: cpu %v rss %v goroutines %v", tot.CPUSeconds, tot.RSSPeakBytes, tot.GoroutinesPeak)
	}
	if p := tot.AckQuantile(99); math.IsNaN(p) || p <= 0 {
		t.Errorf("server ack p99 %g", p)
	}
	// The seconds add up to the total and lie in the run.
	var acks float64
	for _, s := range v.Seconds {
		if s.T < res.SendStart.Unix() || s.T > res.End.Unix() || s.Span <= 0 || s.Acks == nil || s.SessionsOpen == nil {
			t.Errorf("second %+v outside the run %v..%v or incomplete", s, res.SendStart, res.End)
		}
		if s.Acks != nil {
			acks += *s.Acks
		}
	}
	if acks != *tot.AckCount {
		t.Errorf("per-second acks add up to %g, total %g", acks, *tot.AckCount)
	}
	var text strings.Builder
	if err := report.WriteText(&text, res); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "server (receipt to ack, from buckets)") {
		t.Errorf("text report has no server section:\n%s", text.String())
	}
}

// A target without /metrics (here the reference behind a proxy that
// answers 404 there) runs as before and says it has no server metrics;
// --server-metrics=off scrapes nothing at all.
func TestRunWithoutServerMetrics(t *testing.T) {
	if testing.Short() {
		t.Skip("integration")
	}
	u, err := url.Parse(startReference(t))
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/metrics" {
			http.NotFound(w, r)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	for _, off := range []bool{false, true} {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		res, err := Run(ctx, Config{Target: front.URL, Senders: 4, Chats: 1, Rate: 40, Duration: 500 * time.Millisecond,
			Grace: 2 * time.Second, ServerMetrics: ServerMetrics{Off: off}})
		cancel()
		if err != nil {
			t.Fatalf("off %v: %v", off, err)
		}
		if res.Counts.Acked == 0 || res.Failed() {
			t.Errorf("off %v: acked %d, failures %v", off, res.Counts.Acked, res.Failures)
		}
		var text strings.Builder
		if err := report.WriteText(&text, res); err != nil {
			t.Fatal(err)
		}
		if off {
			if res.Servers != nil || strings.Contains(text.String(), "server ") {
				t.Errorf("scraping off, yet servers %+v", res.Servers)
			}
			continue
		}
		if len(res.Servers) != 1 || !strings.Contains(res.Servers[0].Unavailable, "404") || res.Servers[0].Seconds != nil || res.Servers[0].Scrapes != 0 {
			t.Errorf("servers %+v, want one, unavailable (404), never scraped after the probe", res.Servers)
		}
		if !strings.Contains(text.String(), "no server metrics") {
			t.Errorf("text report does not say so:\n%s", text.String())
		}
	}
}
