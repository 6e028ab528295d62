package specs

import (
	"encoding/json"
	"strings"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/client"
	"github.com/wcp-project/wcp/specs/harness"
	"github.com/wcp-project/wcp/wire"
)

// PROTOCOL.md §2 on the socket. ROB-1: no input, however malformed, crashes,
// hangs or leaks the server; after refusing it, the server keeps serving
// everyone else.
var _ = Describe("Robustness on the socket (ROB-1)", func() {
	// CON-5: "an auth that is not a JSON object at all may instead end the
	// connection without a CONNECT_ERROR". Auth that is JSON reaches the
	// server's own check, so it is refused (bad_request) or the connection
	// ends, promptly.
	It("ROB-1: an auth that is not an object gets no session", Label("ROB-1", "CON-5"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		for _, raw := range []string{`"str"`, `42`, `[1]`, `null`, `true`, ``} {
			out, err := harness.RawConnect(ctx, w.URL, raw)
			Expect(err).NotTo(HaveOccurred(), "auth %s", raw)
			Expect(out.Accepted).To(BeFalse(), "no session for auth %s", raw)
			if !out.Closed {
				Expect(out.Code).To(Equal(wcp.CodeBadRequest), "a CONNECT_ERROR for auth %s says bad_request", raw)
			}
		}
		harness.ExpectServesEndToEnd(ctx)
	}, SpecTimeout(harness.SpecBound))

	// A CONNECT whose payload is not JSON at all is a packet the server's
	// Socket.IO layer may not even decode: a stock python-socketio server
	// drops it and leaves the transport open without a session. The
	// contract asks for no session (CON-5) and for the server to keep
	// serving (ROB-1), so a CONNECT_ERROR bad_request, the end of the
	// connection and silence are all correct; a session is not, nor is a
	// server that stops serving others while such connections hang open.
	It("ROB-1: a CONNECT whose auth is not JSON at all gets no session, and the server keeps serving", Label("ROB-1", "CON-5"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		raws := []string{`{"chat_id":`, `{"chat_id":"` + w.Chat.ID + `","connection_string":`, `"`, `{"a":1}}`}
		outs := make([]harness.ConnectOutcome, len(raws))
		conns := make([]*client.RawConn, len(raws))
		errs := make([]error, len(raws))
		var wg sync.WaitGroup
		for i, raw := range raws {
			wg.Add(1)
			go func() {
				defer wg.Done()
				outs[i], conns[i], errs[i] = harness.RawConnectHeld(ctx, w.URL, raw, harness.SilenceBound)
			}()
		}
		wg.Wait()
		for i, raw := range raws {
			if conns[i] != nil {
				DeferCleanup(conns[i].Close)
			}
			Expect(errs[i]).NotTo(HaveOccurred(), "auth %s", raw)
			Expect(outs[i].Accepted).To(BeFalse(), "no session for auth %s", raw)
			if !outs[i].Closed && !outs[i].Silent {
				Expect(outs[i].Code).To(Equal(wcp.CodeBadRequest), "a CONNECT_ERROR for auth %s says bad_request", raw)
			}
			GinkgoWriter.Printf("auth %s: %s\n", raw, outs[i])
		}
		// The connections the server left open stay open while others are
		// served.
		harness.ExpectServesEndToEnd(ctx)
	}, SpecTimeout(harness.SpecBound))

	It("ROB-1: garbage frames and abrupt hang-ups leave the server serving", Label("ROB-1"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		// What no Socket.IO client sends: a truncated EVENT, an unknown
		// packet type, no Engine.IO type at all, an event cut short after a
		// CONNECT, a DISCONNECT straight after a CONNECT, a probe and an
		// upgrade out of place.
		for _, frames := range [][]string{
			{wire.EventFrame("[", nil)},
			{string(wire.EngineMessage) + "x"},
			{"zzz"},
			{wire.ConnectFrame("{}"), wire.EventFrame(`["message"`, nil)},
			{wire.ConnectFrame(""), wire.DisconnectFrame},
			{wire.PingFrame + "probe", string(wire.EngineUpgrade)},
		} {
			c, err := client.DialRaw(ctx, w.URL)
			Expect(err).NotTo(HaveOccurred())
			for _, f := range frames {
				_ = c.WriteFrame(f)
			}
			c.Close()
		}
		harness.ExpectServesEndToEnd(ctx)
	}, SpecTimeout(harness.SpecBound))

	It("ROB-1: a flood of malformed messages is refused one by one and stalls nobody", Label("ROB-1", "MSG-2"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		obs := w.Connect(ctx, w.Owner, w.Chat.ID, -1)
		other := w.Connect(ctx, w.OutsiderJoined(ctx), w.Chat.ID, -1)
		raw, info := w.RawSession(ctx, w.Member, w.Chat.ID)

		bad := []any{
			"x", 42, nil, []int{1, 2}, map[string]any{},
			wcp.OutgoingMessage{ChatID: w.Chat.ID, Nonce: 1, Body: "b", MessageString: "00"},
			map[string]any{"chat_id": json.RawMessage(strings.Repeat("[", 500) + strings.Repeat("]", 500))},
		}
		const rounds = 40
		id := uint64(0)
		for range rounds {
			for _, b := range bad {
				id++
				harness.EmitRaw(raw, &id, wcp.EventMessage, b)
			}
			// No ack asked for these: with no payload, Socket.IO servers
			// hand the ack callback to the handler as the payload.
			harness.EmitRaw(raw, nil, "no-such-event", map[string]any{})
			harness.EmitRaw(raw, nil, wcp.EventMessage)
		}
		// Everyone else in the chat is served while the flood is processed...
		ack := w.Send(ctx, other, "after the flood")
		Eventually(harness.ReceivedSeqs(obs)).WithTimeout(harness.DeliverWithin).Should(Equal([]int64{ack.Seq}))
		// ...every malformed message is refused...
		acks := harness.ReadAcks(ctx, raw, id)
		for i, a := range acks {
			Expect(a.OK).To(BeFalse(), "ack %d accepted a malformed message", i+1)
		}
		// ...and the flooding session itself goes on.
		id++
		harness.EmitRaw(raw, &id, wcp.EventMessage, harness.SignedWith(info.MessageKey, w.Chat.ID, info.SessionID, 1, "flooder"))
		last := harness.ReadAcks(ctx, raw, 1)
		Expect(last[0].OK).To(BeTrue(), "the flooding session's valid message: %+v", last[0].Error)
		Expect(w.Stored(ctx, w.Chat.ID)).To(HaveLen(2), "only the two valid messages are stored")
		harness.ExpectServesEndToEnd(ctx)
	}, SpecTimeout(harness.SpecBound))
})
