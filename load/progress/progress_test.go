package progress

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wcp-project/wcp/load/report"
)

// syncBuffer is a bytes.Buffer safe for mpb's render goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Bars finish even when steps were left incomplete (a failed setup).
func TestBarsFinish(t *testing.T) {
	var out syncBuffer
	b := NewBars(&out, 2*time.Second)
	step := b.Begin("users", 10)
	step(10)
	half := b.Begin("connect", 10)
	half(5)
	b.Phase("sending")
	b.Second(time.Second, report.Second{Sent: 5, Acked: 5}, report.Counts{})
	done := make(chan struct{})
	go func() { b.Finish(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Finish hung")
	}
	b.Finish() // idempotent
	if !strings.Contains(out.String(), "users") {
		t.Errorf("no users bar drawn: %q", out.String())
	}
}

func TestLinesProgress(t *testing.T) {
	var out syncBuffer
	l := NewLines(&out)
	step := l.Begin("users", 3)
	step(1)
	step(2)
	l.Phase("sending")
	l.Second(2*time.Second, report.Second{Sent: 7, Acked: 6, Delivered: 60}, report.Counts{Timeouts: 1})
	got := out.String()
	for _, want := range []string{"users: 0/3", "users: 3/3 in", "phase: sending", "sent      7/s", "timeouts 1"} {
		if !strings.Contains(got, want) {
			t.Errorf("progress lacks %q:\n%s", want, got)
		}
	}
}
