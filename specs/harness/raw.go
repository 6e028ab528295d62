package harness

import (
	"context"
	"encoding/json"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/client"
	"github.com/wcp-project/wcp/wire"
)

// RawSession connects a raw Engine.IO socket as a and returns it with the
// `session` payload, so a spec can sign what it sends by hand. The socket
// is closed when the spec ends.
func (w *World) RawSession(ctx context.Context, a Actor, chatID string) (*client.RawConn, wcp.Session) {
	GinkgoHelper()
	cs := w.ConnString(ctx, a, chatID, 0)
	c, err := client.DialRaw(ctx, w.URL)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(c.Close)
	auth, err := json.Marshal(AuthMap(chatID, cs.ConnectionString))
	Expect(err).NotTo(HaveOccurred())
	ctx, cancel := context.WithTimeout(ctx, AnswerWithin)
	defer cancel()
	p, err := c.Connect(ctx, string(auth))
	Expect(err).NotTo(HaveOccurred())
	Expect(p.Type).To(Equal(byte(client.PacketConnect)), "connected: %s", p.Data)
	for {
		p, err := c.Read(ctx)
		Expect(err).NotTo(HaveOccurred(), "waiting for the session event")
		name, args, ok := Event(p)
		if !ok || name != wcp.EventSession || len(args) == 0 {
			continue
		}
		var info wcp.Session
		Expect(json.Unmarshal(args[0], &info)).To(Succeed())
		return c, info
	}
}

// Event decodes an EVENT packet into its name and arguments; ok is false
// for any other packet and for an event that does not decode.
func Event(p client.RawPacket) (name string, args []json.RawMessage, ok bool) {
	if p.Type != client.PacketEvent {
		return "", nil, false
	}
	name, args, err := wire.DecodeEvent(p.Data)
	return name, args, err == nil
}

// EmitRaw sends the event ["event", args...] on a raw socket, asking for
// an ack when id is not nil.
func EmitRaw(c *client.RawConn, id *uint64, event string, args ...any) {
	GinkgoHelper()
	data, err := wire.EncodeEvent(event, args...)
	Expect(err).NotTo(HaveOccurred())
	Expect(c.Emit(data, id)).To(Succeed(), "emit %s", Clipped([]byte(data)))
}

// AckOf parses an ACK packet's first argument as a message ack.
func AckOf(p client.RawPacket) wcp.Ack {
	GinkgoHelper()
	args, err := wire.DecodeArgs(p.Data)
	Expect(err).NotTo(HaveOccurred())
	Expect(args).NotTo(BeEmpty(), "ack %s has a payload", p.Data)
	var a wcp.Ack
	Expect(json.Unmarshal(args[0], &a)).To(Succeed(), "ack %s", p.Data)
	return a
}

// ReadAcks reads until n acks have come (ids are not checked: the raw
// socket asked for them in order) and returns them, parsed.
func ReadAcks(ctx context.Context, c *client.RawConn, n uint64) []wcp.Ack {
	GinkgoHelper()
	ctx, cancel := context.WithTimeout(ctx, AnswerWithin)
	defer cancel()
	var acks []wcp.Ack
	for uint64(len(acks)) < n {
		p, err := c.Read(ctx)
		Expect(err).NotTo(HaveOccurred(), "after %d of %d acks", len(acks), n)
		if p.Type != client.PacketAck {
			continue
		}
		acks = append(acks, AckOf(p))
	}
	return acks
}
