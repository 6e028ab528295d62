package reference

import "time"

// The ack delay (Config.AckDelay) is a deliberate performance defect: every
// acknowledgement, and so every delivery after it (MSG-1: stored, then
// acknowledged, then delivered), leaves at least the delay after its commit.
// The server stays correct, only slower, which is what a load comparison
// must tell apart from noise. It costs nothing without a delay.

// stampCommitted records the end of batch's commit, when there is a delay
// to count from it.
func (w *writer) stampCommitted(batch []*pending) {
	if w.s.ackDelay <= 0 {
		return
	}
	now := time.Now()
	for _, p := range batch {
		p.committed = now
	}
}

// holdAck waits, on p's deliverer, until p's acknowledgement is due: the
// delay after its commit. A batch waits once, for its first message; the
// others are due by then. Close ends the wait.
func (w *writer) holdAck(p *pending) {
	if w.s.ackDelay <= 0 {
		return
	}
	wait := time.Until(p.committed.Add(w.s.ackDelay))
	if wait <= 0 {
		return
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
	case <-w.s.stop:
	}
}
