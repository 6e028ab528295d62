package report

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBucketQuantile(t *testing.T) {
	inf := math.Inf(1)
	bs := []Bucket{{0.001, 0}, {0.002, 100}, {0.004, 196}, {inf, 200}}
	cases := []struct {
		name string
		bs   []Bucket
		q    float64
		want float64
	}{
		{"inside a bucket", bs, 25, 0.0015},
		{"at a bound", bs, 50, 0.002},
		{"interpolated", bs, 90, 0.002 + 0.002*80/96},
		{"in +Inf: highest finite bound", bs, 99, 0.004},
		{"first bucket counts from 0", []Bucket{{0.01, 10}, {inf, 10}}, 50, 0.005},
		{"only +Inf", []Bucket{{inf, 3}}, 50, math.NaN()},
		{"empty", []Bucket{{0.1, 0}, {inf, 0}}, 50, math.NaN()},
		{"none", nil, 50, math.NaN()},
	}
	for _, c := range cases {
		got := BucketQuantile(c.bs, c.q)
		if math.IsNaN(c.want) != math.IsNaN(got) || (!math.IsNaN(got) && math.Abs(got-c.want) > 1e-12) {
			t.Errorf("%s: p%g = %g, want %g", c.name, c.q, got, c.want)
		}
	}
}

func f(v float64) *float64 { return &v }

// fakeServer is a server view of a run of fakeResult's shape.
func fakeServer(runID string, shard int, url string) ServerView {
	inf := math.Inf(1)
	v := ServerView{URL: url, RunID: runID, Shard: shard, Scrapes: 7, Metrics: DefaultServerMetricNames(),
		Total: ServerTotal{Seconds: 5.5, AckCount: f(960), AckBuckets: []Bucket{{0.001, 300}, {0.002, 800}, {0.004, 950}, {inf, 960}},
			Refused: map[string]float64{"invalid_message_string": 20}, CPUSeconds: f(2.75),
			SessionsOpenPeak: f(50), RSSPeakBytes: f(64 << 20), GoroutinesPeak: f(180)}}
	for i := range int64(5) {
		v.Seconds = append(v.Seconds, ServerSecond{T: 1700000000 + i, Span: 1, Acks: f(192), AckP50: f(0.0012), AckP99: f(0.0035),
			SessionsOpen: f(50), Refused: map[string]float64{"invalid_message_string": 4}, CPUCores: f(0.4 + 0.1*float64(i)),
			RSSBytes: f(float64(60+i) * (1 << 20)), Goroutines: f(170 + float64(i))})
	}
	return v
}

func TestServerViewRoundTrip(t *testing.T) {
	r := fakeResult(7, ShardInfo{Index: 0, Count: 1}, 1700000000)
	r.Servers = []ServerView{fakeServer("r1", 0, "http://s/metrics"), {URL: "http://t/metrics", Unavailable: "status 404 Not Found"}}
	back := roundTrip(t, r)
	if len(back.Servers) != 2 || *back.Servers[0].Total.AckCount != 960 || back.Servers[1].Unavailable == "" ||
		len(back.Servers[0].Seconds) != 5 || *back.Servers[0].Seconds[4].Goroutines != 174 {
		t.Errorf("servers after a round trip: %+v", back.Servers)
	}
	if !math.IsInf(back.Servers[0].Total.AckBuckets[3].LE, 1) {
		t.Errorf("+Inf bound lost: %v", back.Servers[0].Total.AckBuckets)
	}
	// A result without server metrics encodes no "servers", and one from
	// before they existed still decodes.
	var buf bytes.Buffer
	if err := Encode(&buf, fakeResult(7, ShardInfo{Count: 1}, 1700000000)); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), `"servers"`) {
		t.Error(`a result with no server view encodes "servers"`)
	}
	old, err := os.Open(filepath.Join("..", "..", "testdata", "load", "result-v1.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if r, err := Decode(old); err != nil || r.Servers != nil {
		t.Errorf("old result: %v, servers %v", err, r)
	}
}

// Shards of one run scraping one server keep one view; other servers and
// other runs keep theirs.
func TestMergeKeepsOneViewPerServer(t *testing.T) {
	a := fakeResult(1, ShardInfo{Index: 0, Count: 3}, 1700000000)
	b := fakeResult(2, ShardInfo{Index: 1, Count: 3}, 1700000000)
	c := fakeResult(3, ShardInfo{Index: 2, Count: 3}, 1700000000)
	a.Servers = []ServerView{{URL: "http://s/metrics", RunID: "r1", Shard: 0, Unavailable: "timeout"}}
	b.Servers = []ServerView{fakeServer("r1", 1, "http://s/metrics")}
	c.Servers = []ServerView{fakeServer("r1", 2, "http://s/metrics"), fakeServer("r1", 2, "http://other/metrics")}
	m, err := Merge(c, a, b)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Servers) != 2 {
		t.Fatalf("merged servers: %+v", m.Servers)
	}
	if s := m.Servers[1]; s.URL != "http://s/metrics" || s.Shard != 1 || s.Unavailable != "" {
		t.Errorf("kept %s from shard %d (%q), want shard 1's: the lowest that scraped", s.URL, s.Shard, s.Unavailable)
	}
	if m.Servers[0].URL != "http://other/metrics" {
		t.Errorf("the other server's view: %+v", m.Servers[0])
	}
	if *m.Servers[1].Total.AckCount != 960 {
		t.Errorf("ack count %g: added up across shards", *m.Servers[1].Total.AckCount)
	}
	// Two runs against one server: both views stay.
	d := fakeResult(4, ShardInfo{Index: 0, Count: 1}, 1700000100)
	d.RunID = "r2"
	d.Servers = []ServerView{fakeServer("r2", 0, "http://s/metrics")}
	m, err = Merge(b, d)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Servers) != 2 {
		t.Errorf("two runs, one server: %d views, want 2", len(m.Servers))
	}
}

func TestServerText(t *testing.T) {
	r := fakeResult(42, ShardInfo{Index: 0, Count: 1}, 1700000000)
	r.Config = Settings{Target: "http://127.0.0.1:8080", Senders: 50, Chats: 5, Inflight: 1, Duration: "5s", BodyBytes: 64, AckTimeout: "10s", Grace: "5s"}
	r.Servers = []ServerView{fakeServer("r1", 0, "http://127.0.0.1:8080/metrics"),
		{URL: "http://127.0.0.1:9090/metrics", Unavailable: "scrape http://127.0.0.1:9090/metrics: not Prometheus metrics: status 404 Not Found"}}
	var buf bytes.Buffer
	if err := WriteText(&buf, r); err != nil {
		t.Fatal(err)
	}
	golden(t, "summary-server.txt", buf.Bytes())
	for _, want := range []string{"server  http://127.0.0.1:8080/metrics", "server (receipt to ack, from buckets)", "client (from intended send time)",
		"sessions open peak 50", "refusals 20 (invalid_message_string=20)", "CPU 0.50 cores", "peak 0.80", "RSS peak 64 MiB",
		"no server metrics: scrape http://127.0.0.1:9090/metrics"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, buf.String())
		}
	}
}

func TestServerHTML(t *testing.T) {
	r := fakeResult(7, ShardInfo{Index: 0, Count: 1}, 1700000000)
	r.Config.Target = "http://127.0.0.1:1234"
	r.Servers = []ServerView{fakeServer("r1", 0, "http://127.0.0.1:1234/metrics"), {URL: "http://127.0.0.1:1234/nope", Unavailable: "<status 404>"}}
	r.Servers[0].Seconds[2].AckP99 = nil // a second without acks leaves a gap
	var buf bytes.Buffer
	if err := WriteHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"Server — http://127.0.0.1:1234/metrics", "server p99", "client p99", "server acks",
		">invalid_message_string<", "Server CPU (cores)", "Server resident memory", "sessions open", "No server metrics: &lt;status 404&gt;"} {
		if !strings.Contains(out, want) {
			t.Errorf("HTML report lacks %q", want)
		}
	}
	if strings.Contains(out, "NaN") {
		t.Error("HTML report draws NaN")
	}
}
