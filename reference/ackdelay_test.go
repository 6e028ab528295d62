package reference_test

import (
	"testing"
	"time"

	"github.com/wcp-project/wcp/reference"
)

// TestAckDelay: with Config.AckDelay every ack takes at least the delay,
// and the message is still acknowledged, stored and delivered.
func TestAckDelay(t *testing.T) {
	t.Parallel()
	const delay = 50 * time.Millisecond
	srv := start(t, func(c *reference.Config) { c.AckDelay = delay })
	w := newWorld(t, srv)
	ctx := ctxT(t)
	a := connect(t, srv, w.member, w.chatID, nil)
	for i := range 3 {
		t0 := time.Now()
		ack, err := a.Send(ctx, "slow")
		took := time.Since(t0)
		if err != nil || !ack.OK || ack.Seq != int64(i+1) {
			t.Fatalf("ack %+v, %v", ack, err)
		}
		if took < delay {
			t.Errorf("message %d acknowledged after %v, want at least %v", i+1, took, delay)
		}
	}
	if got, err := a.WaitMessages(ctx, 3); err != nil || len(got) != 3 {
		t.Fatalf("delivered %d: %v", len(got), err)
	}
}
