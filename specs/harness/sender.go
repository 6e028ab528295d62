package harness

import (
	"context"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/client"
)

// Sender sends messages back to back on one session in the background,
// each after the previous one's ack, until stopped or n are sent.
type Sender struct {
	stop chan struct{}
	done chan struct{}
	acks []wcp.Ack
	err  error
}

// StartSender starts sending up to n unique messages on s; the spec's end
// stops it.
func StartSender(ctx context.Context, s *client.Session, n int) *Sender {
	sd := &Sender{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(sd.done)
		for range n {
			select {
			case <-sd.stop:
				return
			default:
			}
			ack, err := s.Send(ctx, UniqueBody("traffic"))
			if err != nil {
				sd.err = err
				return
			}
			sd.acks = append(sd.acks, ack)
		}
	}()
	DeferCleanup(sd.Stop) // a spec that fails early must not leave it running
	return sd
}

// Wait waits for the sender to finish its n messages and returns the acks.
func (sd *Sender) Wait() []wcp.Ack {
	GinkgoHelper()
	<-sd.done
	Expect(sd.err).NotTo(HaveOccurred(), "background sender")
	return sd.acks
}

// Stop ends the sender early and returns the acks it got.
func (sd *Sender) Stop() []wcp.Ack {
	GinkgoHelper()
	select {
	case <-sd.stop:
	default:
		close(sd.stop)
	}
	return sd.Wait()
}
