package load

import (
	"context"
	"io"
	"log/slog"
	"runtime"
	"testing"
	"time"

	"github.com/wcp-project/wcp/internal/fault"
	"github.com/wcp-project/wcp/load/report"
	"github.com/wcp-project/wcp/reference"
)

// startReference runs the reference server on 127.0.0.1:0 with an
// in-memory database for the test's lifetime.
func startReference(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	srv, err := reference.Open(ctx, reference.Config{Addr: "127.0.0.1:0", DBPath: ":memory:", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatalf("reference: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv.URL()
}

func TestRunAgainstReference(t *testing.T) {
	if testing.Short() {
		t.Skip("integration")
	}
	url := startReference(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := Run(ctx, Config{
		Target: url, Embedded: true, Senders: 20, Chats: 4,
		Rate: 400, Duration: time.Second, Forged: 0.1,
		Grace: 3 * time.Second, AckTimeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	c := res.Counts
	t.Logf("counts: %+v", c)
	t.Logf("failures: %v notes: %v", res.Failures, res.Notes)
	if c.Sessions != 20 {
		t.Errorf("sessions = %d, want 20", c.Sessions)
	}
	if c.Sent != 400 {
		t.Errorf("sent = %d, want the schedule's 400", c.Sent)
	}
	if c.Lost != 0 || c.ForgedAccepted != 0 || c.Duplicated != 0 || c.OutOfOrder != 0 {
		t.Errorf("lost %d forged_accepted %d dup %d ooo %d, want 0", c.Lost, c.ForgedAccepted, c.Duplicated, c.OutOfOrder)
	}
	if c.ForgedSent == 0 || c.ForgedRefused != c.ForgedSent {
		t.Errorf("forged refused %d of %d sent, want all", c.ForgedRefused, c.ForgedSent)
	}
	if want := c.Acked * 5; c.Delivered != want {
		t.Errorf("delivered %d, want %d (acked %d × 5 sessions per chat)", c.Delivered, want, c.Acked)
	}
	if res.Failed() {
		t.Errorf("run failed: %v", res.Failures)
	}
	if len(res.Costs) != 1 {
		t.Fatalf("costs %+v, want one", res.Costs)
	}
	cost := res.Costs[0]
	t.Logf("cost: %+v", cost)
	if cost.Sessions != 20 || !cost.SharedWithServer || cost.Messages != c.Sent || cost.CPUPerMessageUS <= 0 || cost.RSSMiB <= 0 || cost.HeapMiB <= 0 {
		t.Errorf("cost %+v: want 20 sessions shared with the server, %d messages, CPU and memory measured", cost, c.Sent)
	}
	if lim := fileLimit(); lim > 0 && (cost.FileLimit != lim || cost.OpenFiles < 2*20) {
		t.Errorf("cost: %d open files of %d, want at least both ends of 20 sessions, of %d", cost.OpenFiles, cost.FileLimit, lim)
	}
}

// Three shards of one run against one server, run concurrently as three
// processes would: their merge is the sum of their parts and covers the
// whole world exactly once.
func TestShardsMergeToTheWhole(t *testing.T) {
	if testing.Short() {
		t.Skip("integration")
	}
	url := startReference(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const senders, chats, n = 30, 6, 3
	results, m := runShards(t, ctx, Config{
		Target: url, Senders: senders, Chats: chats, Rate: 300, Duration: time.Second,
		Forged: 0.05, RunID: "shardtest", Grace: 3 * time.Second,
	}, n)
	var sum report.Counts
	var sessions, shardSenders int
	for _, r := range results {
		sum.Add(&r.Counts)
		shardSenders += r.Shards[0].Senders
		sessions += int(r.Counts.Sessions)
		if r.Counts.Sent == 0 {
			t.Errorf("shard %v sent nothing", r.Shards)
		}
	}
	if m.Counts.Acked != sum.Acked || m.Counts.Delivered != sum.Delivered || m.Hist(report.HistAck).Count() != sum.Acked {
		t.Errorf("merge is not the sum: acked %d vs %d, delivered %d vs %d, ack histogram %d", m.Counts.Acked, sum.Acked, m.Counts.Delivered, sum.Delivered, m.Hist(report.HistAck).Count())
	}
	if shardSenders != senders || sessions != senders || m.Counts.Chats != chats {
		t.Errorf("shards cover %d senders, %d sessions, %d chats; want %d, %d, %d", shardSenders, sessions, m.Counts.Chats, senders, senders, chats)
	}
	// 300 msg/s for 1 s over all shards.
	if m.Counts.Sent != 300 {
		t.Errorf("shards sent %d in total, want the schedule's 300", m.Counts.Sent)
	}
	// Every chat has 5 sessions: each accepted message is delivered 5 times.
	if m.Counts.Delivered != 5*m.Counts.Acked || m.Counts.Lost != 0 || m.Counts.ForgedRefused != m.Counts.ForgedSent {
		t.Errorf("merged: %+v", m.Counts)
	}
	if m.Failed() {
		t.Errorf("merged run failed: %v", m.Failures)
	}
	// Every shard scraped the one server; the merge counts it once.
	if len(m.Servers) != 1 || m.Servers[0].Shard != 0 {
		t.Errorf("merged server views: %+v, want shard 0's alone", m.Servers)
	}
}

// A run leaves no goroutine of its own behind.
func TestRunLeavesNoGoroutines(t *testing.T) {
	if testing.Short() {
		t.Skip("integration")
	}
	url := startReference(t)
	before := runtime.NumGoroutine()
	_, err := Run(context.Background(), Config{Target: url, Senders: 8, Chats: 2, Inflight: 2, Duration: 300 * time.Millisecond, Grace: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before+2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before+2 {
		buf := make([]byte, 1<<20)
		t.Errorf("%d goroutines after the run, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
}

// Refused connects are counted, not fatal, and a cancelled run stops.
func TestRunCancelled(t *testing.T) {
	if testing.Short() {
		t.Skip("integration")
	}
	url := startReference(t)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(700 * time.Millisecond); cancel() }()
	start := time.Now()
	res, err := Run(ctx, Config{Target: url, Senders: 4, Chats: 1, Rate: 100, Duration: time.Minute, Grace: 200 * time.Millisecond})
	if took := time.Since(start); took > 15*time.Second {
		t.Fatalf("cancelled run took %v", took)
	}
	if err == nil && res.Counts.Sent >= 6000 {
		t.Errorf("cancelled run sent the whole schedule")
	}
}

// The generator must fail a run against a server that breaks delivery or
// accepts forgeries: checked against the reference's deliberate faults.
func TestRunFailsAgainstFaultyServers(t *testing.T) {
	if testing.Short() {
		t.Skip("integration")
	}
	cases := []struct {
		f     fault.Fault
		check func(c report.Counts) bool
	}{
		{fault.NoSelfDelivery, func(c report.Counts) bool { return c.Lost > 0 }},
		{fault.RefusedDelivered, func(c report.Counts) bool { return c.ForgedDelivered > 0 }},
		{fault.SeqGap, func(c report.Counts) bool { return c.SeqGaps > 0 }},
	}
	for _, tc := range cases {
		t.Run(string(tc.f), func(t *testing.T) {
			srv, err := reference.Open(context.Background(), reference.Config{Fault: tc.f, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { srv.Close() })
			res, err := Run(context.Background(), Config{Target: srv.URL(), Senders: 6, Chats: 2, Rate: 60, Duration: 500 * time.Millisecond,
				Forged: 0.2, Grace: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(res.Counts) || !res.Failed() {
				t.Errorf("against %s: failed %v, counts %+v", tc.f, res.Failed(), res.Counts)
			}
		})
	}
}

// runShards runs n shards of cfg at once, as n processes would, and
// returns their results and their merge.
func runShards(t *testing.T, ctx context.Context, cfg Config, n int) ([]*report.Result, *report.Result) {
	t.Helper()
	results := make([]*report.Result, n)
	errs := make(chan error, n)
	for i := range n {
		go func() {
			c := cfg
			c.Shard = Shard{i, n}
			r, err := Run(ctx, c)
			results[i] = r
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	m, err := report.Merge(results...)
	if err != nil {
		t.Fatal(err)
	}
	return results, m
}
