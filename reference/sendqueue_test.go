package reference

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/zishang520/socket.io/parsers/engine/v3/packet"
	"github.com/zishang520/socket.io/v3/pkg/types"
)

// The send queue's rules on its own, driven the way the engine drives it:
// packetCreate (created), flush (flushed), the transport's drain (drained;
// a queue that follows no transport counts the drains of nil).

type ending struct {
	limit, what string
	at          time.Time
}

func testQueue(l Limits) (*sendQueue, chan ending) {
	ends := make(chan ending, 2)
	q := newSendQueue(l.withDefaults(), func(limit, what string, _ ...any) { ends <- ending{limit, what, time.Now()} })
	return q, ends
}

func (q *sendQueue) put(n int) {
	q.created(&packet.Packet{Type: packet.MESSAGE, Data: types.NewStringBuffer(make([]byte, n))})
}

// writeAll is the transport taking everything queued as one batch and
// writing it.
func (q *sendQueue) writeAll() {
	q.flushed()
	q.drained(nil)
}

// TestSendQueueBurstCap: a packet that finds the queue empty is taken
// however large and starts no clock; one that puts a non-empty queue over
// SessionBurst ends it at once.
func TestSendQueueBurstCap(t *testing.T) {
	t.Parallel()
	q, ends := testQueue(Limits{SessionBuffer: 1 << 10, SessionBurst: 4 << 10, BurstGrace: time.Minute, SlowAfter: time.Minute})
	defer q.closed()
	q.put(8 << 10)
	q.mu.Lock()
	stopped, clock := q.stopped, !q.overSince.IsZero()
	q.mu.Unlock()
	if stopped || clock {
		t.Fatalf("one packet into an empty queue: stopped %v, grace clock running %v; want neither", stopped, clock)
	}
	q.put(1)
	select {
	case e := <-ends:
		if e.limit != limitSession || !strings.Contains(e.what, "burst cap") {
			t.Errorf("ended under %q (%q), want %q, saying it was the burst cap", e.limit, e.what, limitSession)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("not ended over the burst cap")
	}
}

// TestSendQueueGrace: over SessionBuffer, a queue is ended BurstGrace
// after it went over, unless a write brings it back to SessionBuffer or
// less first, which stops the clock: going over again starts it afresh.
func TestSendQueueGrace(t *testing.T) {
	t.Parallel()
	const grace = 500 * time.Millisecond
	q, ends := testQueue(Limits{SessionBuffer: 4 << 10, SessionBurst: 1 << 20, BurstGrace: grace, SlowAfter: time.Minute})
	defer q.closed()
	clock := func() time.Time {
		q.mu.Lock()
		defer q.mu.Unlock()
		return q.overSince
	}
	q.put(3 << 10)
	before := time.Now()
	q.put(3 << 10) // over: the clock starts
	if c := clock(); c.Before(before) {
		t.Fatalf("over the buffer, the clock says %v, want it started now", c)
	}
	q.writeAll() // back to 0: it stops
	if c := clock(); !c.IsZero() {
		t.Fatal("a write that emptied the queue did not stop the clock")
	}
	q.put(3 << 10)
	q.put(3 << 10)
	q.flushed()
	q.put(3 << 10) // over while a batch is being written
	q.drained(nil) // the batch written, 3 KiB left: under
	if c := clock(); !c.IsZero() {
		t.Fatal("a write that brought the queue under its buffer did not stop the clock")
	}
	again := time.Now()
	q.put(3 << 10) // over again
	if c := clock(); c.Before(again) {
		t.Fatalf("over the buffer again, the clock says %v, want it started afresh", c)
	}
	select {
	case e := <-ends:
		if e.limit != limitSession || !strings.Contains(e.what, "grace") {
			t.Errorf("ended under %q (%q), want %q, saying it was the grace", e.limit, e.what, limitSession)
		}
		if d := e.at.Sub(again); d < grace {
			t.Errorf("ended %v after going over again, within the grace of %v", d, grace)
		}
		t.Logf("ended %v after going over again", e.at.Sub(again).Round(time.Millisecond))
	case <-time.After(10 * time.Second):
		t.Fatal("not ended 10 s after going over its buffer")
	}
}

// TestSendQueueUnderBufferStays: a queue at SessionBuffer, not over it,
// starts no grace clock.
func TestSendQueueUnderBufferStays(t *testing.T) {
	t.Parallel()
	q, ends := testQueue(Limits{SessionBuffer: 4 << 10, SessionBurst: 1 << 20, BurstGrace: time.Millisecond, SlowAfter: time.Minute})
	defer q.closed()
	q.put(2 << 10)
	q.put(2 << 10) // exactly the buffer
	q.mu.Lock()
	clock := !q.overSince.IsZero()
	q.mu.Unlock()
	if clock {
		t.Fatal("the grace clock runs for a queue at its buffer")
	}
	select {
	case e := <-ends:
		t.Fatalf("ended under %q at its buffer", e.limit)
	default:
	}
}

// TestBurstLimits: SessionBurst defaults to the larger of its default and
// SessionBuffer, one set below SessionBuffer is refused, and both new
// limits show in the wcp_limit gauge.
func TestBurstLimits(t *testing.T) {
	t.Parallel()
	if l := (Limits{SessionBuffer: 16 << 20}).withDefaults(); l.SessionBurst != 16<<20 || l.BurstGrace != 2*time.Second {
		t.Errorf("a 16 MiB buffer alone: burst %d, grace %v; want 16 MiB and 2 s", l.SessionBurst, l.BurstGrace)
	}
	if l := (Limits{}).withDefaults(); l.SessionBuffer != 1<<20 || l.SessionBurst != 8<<20 {
		t.Errorf("defaults: buffer %d, burst %d; want 1 MiB and 8 MiB", l.SessionBuffer, l.SessionBurst)
	}
	if _, err := Open(context.Background(), Config{Limits: Limits{SessionBuffer: 2 << 20, SessionBurst: 1 << 20}}); err == nil || !strings.Contains(err.Error(), "SessionBurst") {
		t.Errorf("a burst cap under the buffer: %v, want an error naming SessionBurst", err)
	}
	s := openLimited(t, Limits{SessionBurst: 4 << 20, BurstGrace: 3 * time.Second})
	resp, err := http.Get(s.URL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`wcp_limit{limit="session_burst_bytes"} 4.194304e+06`, `wcp_limit{limit="burst_grace_seconds"} 3`, `wcp_limit{limit="session_buffer_bytes"} 1.048576e+06`} {
		if !strings.Contains(string(body), want+"\n") {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
