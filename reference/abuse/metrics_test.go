package abuse

import (
	"context"
	"strings"
	"testing"
	"time"
)

// What the attacks read off /metrics. Counters are compared with what they
// were when the attack started, so that an attack means the same on a
// fresh server and on one that has been under attack for an hour.

// slowReceiver are the limits that end a session that does not read: over
// --session-burst, over --session-buffer for --burst-grace, or no write
// finished for --slow-after (all three count as session_buffer), a frame
// not written within --write-timeout.
var slowReceiver = []string{"session_buffer", "slow_after", "write_timeout"}

// refusals is wcp_limit_refusals_total summed over limits, now.
func refusals(t testing.TB, ctx context.Context, srv *server, limits ...string) float64 {
	t.Helper()
	m, err := srv.metrics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var n float64
	for _, l := range limits {
		n += m.refusals(l)
	}
	return n
}

// sessionsOpen is wcp_sessions_open now.
func sessionsOpen(t testing.TB, ctx context.Context, srv *server) int {
	t.Helper()
	m, err := srv.metrics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return int(m["wcp_sessions_open"])
}

// waitSessions waits up to within for wcp_sessions_open to come down to n,
// and fails the test if it does not.
func waitSessions(t testing.TB, ctx context.Context, srv *server, n int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	got := -1
	for time.Now().Before(deadline) {
		if m, err := srv.metrics(ctx); err == nil {
			if got = int(m["wcp_sessions_open"]); got <= n {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Errorf("wcp_sessions_open = %d after %v, want %d", got, within, n)
}

// waitRefusals waits up to within for wcp_limit_refusals_total, summed
// over limits, to reach n, and fails the test if it does not.
func waitRefusals(t testing.TB, ctx context.Context, srv *server, n float64, within time.Duration, limits ...string) {
	t.Helper()
	deadline := time.Now().Add(within)
	var got float64
	for time.Now().Before(deadline) {
		if m, err := srv.metrics(ctx); err == nil {
			got = 0
			for _, l := range limits {
				got += m.refusals(l)
			}
			if got >= n {
				t.Logf("wcp_limit_refusals_total{limit=~%q} = %v", strings.Join(limits, "|"), got)
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Errorf("wcp_limit_refusals_total{limit=~%q} = %v after %v, want >= %v", strings.Join(limits, "|"), got, within, n)
}
