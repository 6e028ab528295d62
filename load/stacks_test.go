package load

import (
	"context"
	"testing"
	"time"

	"github.com/wcp-project/wcp/internal/stacks"
)

// TestRunAgainstOtherStacks runs the generator's own sender against the
// example WCP/1 servers on python-socketio and Node socket.io (the Go stack
// is the reference, TestRunAgainstReference): its lean wire must read every
// stack's framing, and the accounting must find nothing lost there either.
func TestRunAgainstOtherStacks(t *testing.T) {
	if testing.Short() {
		t.Skip("integration")
	}
	t.Parallel()
	for _, ex := range stacks.Examples() {
		t.Run(ex.Name, func(t *testing.T) {
			t.Parallel()
			url := ex.Start(t)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			res, err := Run(ctx, Config{
				Target: url, Senders: 12, Chats: 3,
				Rate: 60, Duration: time.Second, Forged: 0.1,
				Grace: 5 * time.Second, AckTimeout: 10 * time.Second,
			})
			if err != nil {
				t.Fatal(err)
			}
			c := res.Counts
			t.Logf("counts: %+v", c)
			if c.Sessions != 12 || c.Sent != 60 {
				t.Errorf("sessions %d sent %d, want 12 and 60", c.Sessions, c.Sent)
			}
			if c.Acked == 0 || c.Lost != 0 || c.ForgedAccepted != 0 || c.Duplicated != 0 || c.OutOfOrder != 0 {
				t.Errorf("acked %d lost %d forged_accepted %d dup %d ooo %d", c.Acked, c.Lost, c.ForgedAccepted, c.Duplicated, c.OutOfOrder)
			}
			if c.ForgedSent == 0 || c.ForgedRefused != c.ForgedSent {
				t.Errorf("forged refused %d of %d sent, want all", c.ForgedRefused, c.ForgedSent)
			}
			if want := c.Acked * 4; c.Delivered != want {
				t.Errorf("delivered %d, want %d (acked × 4 sessions per chat)", c.Delivered, want)
			}
			if res.Failed() {
				t.Errorf("run failed: %v", res.Failures)
			}
		})
	}
}

// TestScenarioAgainstOtherStacks runs a small cut of the four-population
// example (churn and a storm included) against the python-socketio and
// Node servers: their replays must hand over to live delivery without a
// gap or a repeat too.
func TestScenarioAgainstOtherStacks(t *testing.T) {
	if testing.Short() {
		t.Skip("integration")
	}
	t.Parallel()
	for _, ex := range stacks.Examples() {
		t.Run(ex.Name, func(t *testing.T) {
			t.Parallel()
			url := ex.Start(t)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			sc := smallFour(t)
			res, err := Run(ctx, Config{Target: url, Scenario: sc, TTL: 4, Grace: 5 * time.Second, AckTimeout: 10 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			c := res.Counts
			storm := reconnectsByName(res, "storm 1")
			t.Logf("counts: %+v; storm: %+v", c, *storm)
			if storm.Reconnected == 0 || storm.Reconnected != storm.Dropped || storm.Resumed == 0 {
				t.Errorf("storm: dropped %d reconnected %d resumed %d", storm.Dropped, storm.Reconnected, storm.Resumed)
			}
			if c.Acked == 0 || c.Lost != 0 || c.Duplicated != 0 || c.OutOfOrder != 0 {
				t.Errorf("acked %d lost %d dup %d ooo %d", c.Acked, c.Lost, c.Duplicated, c.OutOfOrder)
			}
			for _, x := range res.Reconnects {
				if x.SeamLost != 0 || x.SeamDuplicated != 0 {
					t.Errorf("%s: seam lost %d dup %d", x.Name, x.SeamLost, x.SeamDuplicated)
				}
			}
			if res.Failed() {
				t.Errorf("run failed: %v", res.Failures)
			}
		})
	}
}
