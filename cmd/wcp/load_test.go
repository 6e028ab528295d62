package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wcp-project/wcp/load/report"
)

func runArgs(t *testing.T, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out, errb bytes.Buffer
	err := run(ctx, args, &out, &errb)
	return out.String() + errb.String(), err
}

func TestLoadBadFlags(t *testing.T) {
	cases := []struct {
		args []string
		frag string
	}{
		{[]string{"--rate", "-5"}, "rate must not be negative"},
		{[]string{"--stages", "30s"}, "DURATION:RATE"},
		{[]string{"--stages", "30s:1000,abc:5"}, "bad duration"},
		{[]string{"--stages", "10s:100", "--duration", "5s"}, "exclude each other"},
		{[]string{"--shard", "3/2", "--rate", "10"}, "i must be in 0..1"},
		{[]string{"--shard", "1/4", "--chats", "3", "--rate", "10", "--run-id", "x"}, "need at least 4 chats"},
		{[]string{"--shard", "1/2", "--rate", "10"}, "needs --run-id"},
		{[]string{"--rate", "10", "--inflight", "1"}, "exclude each other"},
		{[]string{}, "give a rate"},
		{[]string{"--senders", "0", "--rate", "1"}, "senders must be at least 1"},
		{[]string{"--senders", "2", "--chats", "5", "--rate", "1"}, "may not exceed senders"},
		{[]string{"--forged-ratio", "1.5", "--rate", "1"}, "forged-ratio must be in 0..1"},
		{[]string{"--body-bytes", "5", "--rate", "1"}, "body-bytes must be in"},
		{[]string{"--ttl", "5000", "--rate", "1"}, "ttl must be in"},
		{[]string{"--threshold", "bogus<1", "--rate", "1"}, "unknown metric"},
		{[]string{"--threshold", "ack_p99<50", "--rate", "1"}, "needs a duration"},
		{[]string{"--target", "ftp://x", "--rate", "1"}, "scheme must be http"},
		{[]string{"--progress", "fancy", "--rate", "1"}, "want auto, bars, lines or none"},
		{[]string{"--senders", "many"}, "invalid argument"},
		{[]string{"extra"}, "unknown command"},
		{[]string{"--ack-timeout", "0s", "--rate", "1"}, "must be positive"},
		{[]string{"--server-metrics", "ftp://x/metrics", "--rate", "1"}, "want an http(s) URL"},
		{[]string{"--server-metric-names", "latency=x", "--rate", "1"}, "unknown key"},
	}
	for _, c := range cases {
		out, err := runArgs(t, append([]string{"load"}, c.args...)...)
		if err == nil {
			t.Errorf("load %v succeeded:\n%s", c.args, out)
			continue
		}
		var ee *exitError
		if errors.As(err, &ee) {
			t.Errorf("load %v: exit code %d, want 1 for a usage error", c.args, ee.code)
		}
		if !strings.Contains(err.Error(), c.frag) {
			t.Errorf("load %v: error %q, want one mentioning %q", c.args, err, c.frag)
		}
	}
}

func TestLoadHelpExplainsEveryFlag(t *testing.T) {
	out, err := runArgs(t, "load", "--help")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"--target", "--senders", "--chats", "--rate", "--inflight", "--stages", "--duration",
		"--body-bytes", "--connect-rate", "--ttl", "--forged-ratio", "--shard", "--run-id", "--out", "--html",
		"--threshold", "--ack-timeout", "--grace", "--progress", "--server-metrics", "--server-metric-names", "merge", "report", "Exit status"} {
		if !strings.Contains(out, f) {
			t.Errorf("load --help does not mention %s", f)
		}
	}
}

// A short run on the embedded reference writes a result and an HTML
// report; report and thresholds read it back.
func TestLoadEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("integration")
	}
	dir := t.TempDir()
	// The embedded reference's database goes under TMPDIR: keep it in the test's.
	t.Setenv("TMPDIR", t.TempDir())
	res, html := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.html")
	out, err := runArgs(t, "load", "--senders", "6", "--chats", "2", "--rate", "60", "--duration", "500ms",
		"--forged-ratio", "0.1", "--grace", "2s", "--progress", "lines", "--out", res, "--html", html,
		"--threshold", "lost==0,forged_accepted==0,sessions==6")
	if err != nil {
		t.Fatalf("load: %v\n%s", err, out)
	}
	for _, want := range []string{"phase: sending", "PASS", "thresholds: all 3 hold", "ack (from intended)",
		"server  http://", "server (receipt to ack, from buckets)", "sessions open peak 6"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	page, err := os.ReadFile(html)
	if err != nil || !bytes.Contains(page, []byte("<svg")) {
		t.Errorf("html report: %v", err)
	}
	out, err = runArgs(t, "load", "report", res, "--html", filepath.Join(dir, "again.html"))
	if err != nil || !strings.Contains(out, "PASS") {
		t.Errorf("report: %v\n%s", err, out)
	}
	_, err = runArgs(t, "load", "report", res, "--threshold", "ack_p99<1us")
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != 2 {
		t.Errorf("broken threshold: %v, want exit code 2", err)
	}
	if _, err := runArgs(t, "load", "report", filepath.Join(dir, "missing.json")); err == nil {
		t.Errorf("report of a missing file succeeded")
	}
}

// Two shards as two command runs against one server, merged by the merge
// command: the merged counters are the sums.
func TestLoadShardsAndMerge(t *testing.T) {
	if testing.Short() {
		t.Skip("integration")
	}
	target := startReference(t, 0)
	dir := t.TempDir()
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range 2 {
		wg.Go(func() {
			shard := []string{"0/2", "1/2"}[i]
			out, err := runArgs(t, "load", "--target", target, "--senders", "12", "--chats", "4", "--rate", "100",
				"--duration", "1s", "--run-id", "cmdshards", "--shard", shard, "--progress", "none",
				"--out", filepath.Join(dir, "shards", "s"+shard[:1]+".json"))
			if err != nil {
				err = errors.New(err.Error() + "\n" + out)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	all := filepath.Join(dir, "all.json")
	// A directory stands for the results in it.
	if out, err := runArgs(t, "load", "merge", filepath.Join(dir, "shards"), "-o", all); err != nil {
		t.Fatalf("merge: %v\n%s", err, out)
	}
	read := func(p string) *report.Result {
		fh, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		defer fh.Close()
		r, err := report.Decode(fh)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	a, b, m := read(filepath.Join(dir, "shards", "s0.json")), read(filepath.Join(dir, "shards", "s1.json")), read(all)
	if m.Counts.Sent != a.Counts.Sent+b.Counts.Sent || m.Counts.Delivered != a.Counts.Delivered+b.Counts.Delivered ||
		m.Counts.Sessions != 12 || m.Hist(report.HistDelivery).Count() != m.Counts.Delivered {
		t.Errorf("merged %+v\nfrom %+v\nand %+v", m.Counts, a.Counts, b.Counts)
	}
	if m.Counts.Delivered != 3*m.Counts.Acked || m.Failed() {
		t.Errorf("merged run: delivered %d of 3×%d acked, failures %v", m.Counts.Delivered, m.Counts.Acked, m.Failures)
	}
	if _, err := runArgs(t, "load", "merge", filepath.Join(dir, "shards", "s0.json"), filepath.Join(dir, "shards", "s0.json")); err == nil {
		t.Errorf("merging one shard twice succeeded")
	}
	// Both shards scraped the one server: the merge keeps one view of it.
	if len(a.Servers) != 1 || len(b.Servers) != 1 || len(m.Servers) != 1 || m.Servers[0].Shard != 0 {
		t.Errorf("server views: shard 0 %d, shard 1 %d, merged %+v", len(a.Servers), len(b.Servers), m.Servers)
	}
}

// --server-metrics=off scrapes nothing; a URL that is not metrics is
// noted and the run goes on.
func TestLoadServerMetricsFlag(t *testing.T) {
	if testing.Short() {
		t.Skip("integration")
	}
	target := startReference(t, 0)
	for _, c := range []struct {
		flag, want, not string
	}{
		{"--server-metrics=off", "PASS", "server  "},
		{"--server-metrics=" + target + "/nothing", "no server metrics: scrape " + target + "/nothing", "server (receipt"},
	} {
		out, err := runArgs(t, "load", "--target", target, "--senders", "2", "--chats", "1", "--rate", "20",
			"--duration", "300ms", "--grace", "1s", "--progress", "none", c.flag)
		if err != nil {
			t.Fatalf("%s: %v\n%s", c.flag, err, out)
		}
		if !strings.Contains(out, c.want) || strings.Contains(out, c.not) {
			t.Errorf("%s: output lacks %q or has %q:\n%s", c.flag, c.want, c.not, out)
		}
	}
}

func TestLoadScenarioBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("duration: 10s\nusers: 10\nchats: [{count: 2, share: 1}]\npopulations:\n  - name: a\n    share: 1.5\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	minimal := "../../testdata/scenarios/minimal.yaml"
	cases := []struct {
		args []string
		frag string
	}{
		{[]string{"--scenario", bad}, bad + ":6: populations[0].share: must be in (0,1], got 1.5"},
		{[]string{"--scenario", filepath.Join(dir, "missing.yaml")}, "--scenario: open"},
		{[]string{"--scenario", minimal, "--senders", "5"}, "--senders and --scenario exclude each other"},
		{[]string{"--scenario", minimal, "--rate", "5"}, "--rate and --scenario exclude each other"},
		{[]string{"--scenario", minimal, "--scenario-scale", "0"}, "--scenario-scale must be positive"},
		{[]string{"--scenario-scale", "0.5", "--rate", "1"}, "--scenario-scale needs --scenario"},
	}
	for _, c := range cases {
		out, err := runArgs(t, append([]string{"load"}, c.args...)...)
		if err == nil {
			t.Errorf("load %v succeeded:\n%s", c.args, out)
			continue
		}
		if !strings.Contains(err.Error(), c.frag) {
			t.Errorf("load %v: error %q, want one mentioning %q", c.args, err, c.frag)
		}
	}
}

// --scenario end to end: the example, scaled down and compressed, runs on
// the embedded reference, and its populations and reconnects reach the
// text report and the JSON result.
func TestLoadScenarioEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("integration")
	}
	dir := t.TempDir()
	t.Setenv("TMPDIR", t.TempDir())
	res := filepath.Join(dir, "r.json")
	out, err := runArgs(t, "load", "--scenario", "../../testdata/scenarios/four-populations.yaml", "--scenario-scale", "0.02",
		"--duration", "4s", "--grace", "3s", "--progress", "none", "--out", res, "--threshold", "lost==0")
	if err != nil {
		t.Fatalf("load: %v\n%s", err, out)
	}
	for _, want := range []string{"scenario four-populations: 48 users", "populations (scenario four-populations)", "slow-readers", "storm 1", "resume p99", "PASS"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	f, err := os.Open(res)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := report.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Populations) != 4 || len(r.Reconnects) != 2 || r.Reconnects[1].Dropped == 0 {
		t.Errorf("result: %d populations, reconnects %+v", len(r.Populations), r.Reconnects)
	}
}
