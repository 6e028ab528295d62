package abuse

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/client"
)

// sender is a session for floods: it sends events made ahead by next, and
// keeps none of what the server delivers to it (a Socket checks each
// event's JSON but decodes no message). Unlike a RawConn it reads while it
// sends, so it is never the slow receiver itself; for deliveries of 96 KiB
// at 200 a second even that is too slow for the race-enabled test binary,
// so floods send plain bodies.
type sender struct {
	sock   *client.Socket
	info   wcp.Session
	signer *wcp.Signer
	mu     sync.Mutex
	nonce  int64
}

// sender connects as as (the owner when nil) to chatID; it is closed at the
// end of the test.
func (w *world) sender(t testing.TB, ctx context.Context, as *client.Client, chatID string) *sender {
	t.Helper()
	sessions := make(chan json.RawMessage, 1)
	sock, err := client.DialSocket(ctx, w.srv.url, w.auth(t, ctx, as, chatID, nil), &client.SocketOptions{
		OnEvent: func(name string, args []json.RawMessage, _ time.Time) {
			if name == wcp.EventSession && len(args) > 0 {
				select {
				case sessions <- args[0]:
				default:
				}
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sock.Close)
	s := &sender{sock: sock}
	select {
	case raw := <-sessions:
		if err := json.Unmarshal(raw, &s.info); err != nil {
			t.Fatalf("session event: %v", err)
		}
	case <-sock.Done():
		t.Fatalf("session ended before its session event: %s", sock.DisconnectReason())
	case <-ctx.Done():
		t.Fatal(ctx.Err())
	}
	if s.signer, err = wcp.NewSignerFromKey(s.info.MessageKey); err != nil {
		t.Fatal(err)
	}
	return s
}

// next is the `message` event for body, signed with the next nonce, ready
// for send.
func (s *sender) next(body string) string {
	s.mu.Lock()
	s.nonce++
	nonce := s.nonce
	s.mu.Unlock()
	return encodeMessage(wcp.OutgoingMessage{ChatID: s.info.ChatID, Nonce: nonce, Body: body,
		MessageString: s.signer.Sign(s.info.ChatID, s.info.SessionID, nonce, body)})
}

// send emits event (from next) and calls done once with its ack: the
// seq, or the refusal as a *wcp.Error, or why no ack came.
func (s *sender) send(event string, done func(seq int64, err error)) {
	s.sock.EmitRawWithAck(event, 10*time.Second, func(args []json.RawMessage, err error) {
		if err != nil {
			done(0, err)
			return
		}
		if len(args) == 0 {
			done(0, errors.New("an ack without arguments"))
			return
		}
		a, err := parseAck(args[0])
		done(a.Seq, err)
	})
}
