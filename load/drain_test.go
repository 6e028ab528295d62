package load

import (
	"testing"
	"time"
)

// The drain's wait for deliveries stops on silence, not on the clock: a
// count that keeps moving is never stalled, however long it takes, and
// one that stops is stalled exactly grace later.
func TestStallWaitsWhileDeliveriesArrive(t *testing.T) {
	const grace = 50 * time.Millisecond
	t0 := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	s := newStall(grace, t0, 100)
	now, count := t0, int64(100)
	for range 100 { // 3 s of a delivery every 30 ms: far past grace
		now = now.Add(30 * time.Millisecond)
		count++
		if s.stalled(now, count) {
			t.Fatalf("stalled at %v with deliveries still arriving", now.Sub(t0))
		}
	}
	if s.stalled(now.Add(grace-time.Millisecond), count) {
		t.Errorf("stalled before grace had passed without a delivery")
	}
	if !s.stalled(now.Add(grace), count) {
		t.Errorf("not stalled after grace without a delivery")
	}
}
