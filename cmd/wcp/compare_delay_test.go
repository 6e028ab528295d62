package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/wcp-project/wcp/load/report"
	"github.com/wcp-project/wcp/reference"
)

// startReference runs the reference in this process on an in-memory
// database, holding every ack for ackDelay, until the test ends.
func startReference(t *testing.T, ackDelay time.Duration) string {
	t.Helper()
	srv, err := reference.Open(context.Background(), reference.Config{
		DBPath: ":memory:", AckDelay: ackDelay,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv.URL()
}

// compareFiles runs `wcp load compare` on two results and returns the
// comparison it wrote, logging its table.
func compareFiles(t *testing.T, base, next string) *report.Comparison {
	t.Helper()
	cmp := filepath.Join(t.TempDir(), "cmp.json")
	out, err := runArgs(t, "load", "compare", base, next, "--json", cmp)
	if err != nil {
		t.Fatalf("compare: %v\n%s", err, out)
	}
	t.Logf("wcp load compare %s %s\n%s", filepath.Base(base), filepath.Base(next), out)
	b, err := os.ReadFile(cmp)
	if err != nil {
		t.Fatal(err)
	}
	var c report.Comparison
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return &c
}

func verdictOf(c *report.Comparison, metric string) report.Change {
	for _, ch := range c.Changes {
		if ch.Metric == metric {
			return ch
		}
	}
	return report.Change{Metric: metric, Verdict: report.NoVerdict, Note: "not in the comparison"}
}

// TestLoadCompareTellsAckDelay is issue 11's "done when" for compare: a
// small closed-loop profile against the reference, and against the
// reference holding every ack 2 ms (Config.AckDelay). Compare must call the
// delayed run slower in ack latency (and never faster in throughput), and
// find no significant change in any metric between two runs of the same
// server.
//
// What makes it hold on a shared, noisy machine:
//   - The runs it compares run at the same time, in pairs (base with base,
//     then base with delayed), so whatever else the machine does falls on
//     both sides of a comparison alike; runs one after the other on a
//     2-core machine shared with other work differ by far more than 2 ms.
//   - Few senders (two in one chat, one message in flight each): the
//     server is not saturated, so an ack's latency is mostly the round
//     trip, not queueing for a CPU; 2 ms more is then +40% or more, even
//     under -race, and in a closed loop throughput drops by a third or
//     more. With many senders (50 in 5 chats was tried) two cores are
//     saturated, an ack waits ~10 ms for a CPU, and Little's law hides an
//     idle delay: the other senders' messages fill the wait.
//   - Two runs of the same server differ by noise only, which the minimum
//     effect (report.DefaultMinEffectPct) keeps from being called a change
//     however small its p value.
func TestLoadCompareTellsAckDelay(t *testing.T) {
	if testing.Short() {
		t.Skip("integration: two pairs of 10 s load runs")
	}
	dir := t.TempDir()
	t.Setenv("TMPDIR", t.TempDir())
	fast, slow := startReference(t, 0), startReference(t, 2*time.Millisecond)
	pair := func(a, b string, ta, tb string) {
		var wg sync.WaitGroup
		errs := make([]error, 2)
		outs := make([]string, 2)
		for i, r := range []struct{ name, target string }{{a, ta}, {b, tb}} {
			wg.Go(func() {
				// 10 s of sending spans at least 10 wall-clock seconds, 8 once
				// the partial first and last are left out of the rates.
				outs[i], errs[i] = runArgs(t, "load", "--target", r.target, "--senders", "2", "--chats", "1", "--inflight", "1",
					"--duration", "10s", "--grace", "1s", "--progress", "none", "--out", filepath.Join(dir, r.name+".json"))
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("load: %v\n%s", err, outs[i])
			}
		}
	}
	file := func(name string) string { return filepath.Join(dir, name+".json") }
	pair("base1", "base2", fast, fast)
	pair("base3", "delay", fast, slow)

	same := compareFiles(t, file("base1"), file("base2"))
	for _, ch := range same.Changes {
		if ch.Verdict == report.Slower || ch.Verdict == report.Faster {
			t.Errorf("same server twice: %s %s (%s)", ch.Metric, ch.Verdict, describe(ch))
		}
	}
	c := compareFiles(t, file("base3"), file("delay"))
	// The delay is on the ack, so ack latency is the claim: every
	// second's median carries the 2 ms. Throughput drops with it in a
	// closed loop, but each second's count also follows how much CPU the
	// machine gave the run that second; under -race on a busy machine its
	// drop (about a third) was once short of significance, so it must only
	// never read as faster.
	if ch := verdictOf(c, "ack_p50"); ch.Verdict != report.Slower {
		t.Errorf("2 ms per ack: ack_p50 %s, want slower (%s)", ch.Verdict, describe(ch))
	}
	if ch := verdictOf(c, "acks_per_s"); ch.Verdict == report.Faster || ch.Verdict == report.NoVerdict {
		t.Errorf("2 ms per ack: acks_per_s %s, want slower or no significant change (%s)", ch.Verdict, describe(ch))
	}
}

func describe(ch report.Change) string {
	s := fmt.Sprintf("base %.1f, new %.1f", ch.Base, ch.New)
	if ch.DeltaPct != nil {
		s += fmt.Sprintf(", %+.1f%%", *ch.DeltaPct)
	}
	if ch.P != nil {
		s += fmt.Sprintf(", p=%.3g", *ch.P)
	}
	if ch.Note != "" {
		s += ", " + ch.Note
	}
	return s
}
