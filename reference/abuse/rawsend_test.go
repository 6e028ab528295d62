package abuse

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/client"
	"github.com/wcp-project/wcp/wire"
)

// Sending over a RawConn: the cheapest way for the race-enabled test binary
// to put many large messages through a server, since it leaves what the
// server delivers back as text (a Socket checks the JSON of every event,
// which for 1,000 deliveries of 96 KiB took most of a minute). A RawConn
// has one goroutine, so it sends in bursts and then reads.

// rawSession opens a session on chatID as as (the owner when nil) over a
// RawConn and reads up to its session event; it is closed at the end of
// the test.
func (w *world) rawSession(t testing.TB, ctx context.Context, as *client.Client, chatID string) (*client.RawConn, wcp.Session) {
	t.Helper()
	return w.rawSessionOver(t, ctx, client.TransportWebSocket, as, chatID)
}

// rawSessionOver is rawSession over the named transport.
func (w *world) rawSessionOver(t testing.TB, ctx context.Context, transport string, as *client.Client, chatID string) (*client.RawConn, wcp.Session) {
	t.Helper()
	rc := w.silentOver(t, ctx, transport, as, chatID, nil)
	for {
		p, err := rc.Read(ctx)
		if err != nil {
			t.Fatalf("waiting for the session event: %v", err)
		}
		if p.Type != client.PacketEvent {
			continue
		}
		name, args, err := wire.DecodeEvent(p.Data)
		if err != nil || name != wcp.EventSession || len(args) == 0 {
			continue
		}
		var info wcp.Session
		if err := json.Unmarshal(args[0], &info); err != nil {
			t.Fatalf("session event: %v", err)
		}
		return rc, info
	}
}

// fill stores n messages with body in chatID, window of them in flight
// at a time: sent and not yet delivered back, so that what the server
// holds for this session stays within --session-buffer.
func (w *world) fill(t testing.TB, ctx context.Context, chatID string, n, window int, body string) {
	t.Helper()
	start := time.Now()
	rc, info := w.rawSession(t, ctx, nil, chatID)
	defer rc.Close()
	signer, err := wcp.NewSignerFromKey(info.MessageKey)
	if err != nil {
		t.Fatal(err)
	}
	sent, acked, delivered := 0, 0, 0
	for acked < n || delivered < n {
		for sent < n && sent-delivered < window {
			sent++
			nonce := int64(sent)
			id := uint64(sent)
			ev := encodeMessage(wcp.OutgoingMessage{ChatID: chatID, Nonce: nonce, Body: body,
				MessageString: signer.Sign(chatID, info.SessionID, nonce, body)})
			if err := rc.Emit(ev, &id); err != nil {
				t.Fatalf("fill: %v", err)
			}
		}
		p, err := rc.Read(ctx)
		if err != nil {
			t.Fatalf("fill: %d of %d acknowledged, %d delivered: %v", acked, n, delivered, err)
		}
		switch p.Type {
		case client.PacketAck:
			if _, err := decodeAck(p.Data); err != nil {
				t.Fatalf("fill: %v", err)
			}
			acked++
		case client.PacketEvent: // its own message, delivered back: the chat is the filler's alone
			delivered++
		}
	}
	t.Logf("filled chat with %d messages of %d bytes in %v", n, len(body), time.Since(start).Round(time.Millisecond))
}

// encodeMessage is the `message` event ["message", m], without HTML
// escaping: a body of '<' goes out as 16 KiB rather than 96 (the server
// escapes it on the way out all the same).
func encodeMessage(m wcp.OutgoingMessage) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode([]any{wcp.EventMessage, m}) // strings and numbers: it cannot fail
	return strings.TrimSuffix(b.String(), "\n")
}

// decodeAck reads the data of a raw `message` ack (its arguments array).
func decodeAck(data json.RawMessage) (wcp.Ack, error) {
	args, err := wire.DecodeArgs(data)
	if err != nil || len(args) == 0 {
		return wcp.Ack{}, fmt.Errorf("ack %s: not an array with the ack", wire.Clip(string(data)))
	}
	return parseAck(args[0])
}

// parseAck reads a `message` ack: the ack, or its refusal as a *wcp.Error.
func parseAck(raw json.RawMessage) (wcp.Ack, error) {
	var a wcp.Ack
	if err := json.Unmarshal(raw, &a); err != nil {
		return a, fmt.Errorf("ack %s: %w", wire.Clip(string(raw)), err)
	}
	if !a.OK {
		if a.Error == nil {
			return a, fmt.Errorf("ack %s: refused without an error", wire.Clip(string(raw)))
		}
		return a, a.Error
	}
	return a, nil
}
