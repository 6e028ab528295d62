package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/wire"
)

// Errors of a Session's transport, as opposed to the server's refusals.
var (
	// ErrClosed: the session ended (either side disconnected) before an
	// answer came.
	ErrClosed = errors.New("session closed")
	// ErrAckTimeout: no acknowledgement came within the ack timeout.
	ErrAckTimeout = errors.New("no acknowledgement in time")
	// ErrNoSession: the socket connected but the server sent no `session`.
	ErrNoSession = errors.New("connected but no session event")
)

// Options tune a Session. The zero value is sensible for tests.
type Options struct {
	// ConnectTimeout bounds dial, handshake and the wait for `session`
	// (default 5 s). The context passed to Connect bounds it too.
	ConnectTimeout time.Duration
	// AckTimeout bounds the wait for each message's acknowledgement
	// (default 5 s).
	AckTimeout time.Duration
	// OnMessage, when set, receives every delivered message on the socket's
	// reader goroutine, in wire order, instead of the session keeping
	// them; it must not block.
	OnMessage func(wcp.Message, time.Time)
	// Polling uses HTTP long-polling instead of websocket, with no upgrade.
	// Off by default: WCP/1 requires websocket and only allows polling.
	Polling bool
}

func (o *Options) withDefaults() Options {
	var v Options
	if o != nil {
		v = *o
	}
	if v.ConnectTimeout <= 0 {
		v.ConnectTimeout = 5 * time.Second
	}
	if v.AckTimeout <= 0 {
		v.AckTimeout = 5 * time.Second
	}
	return v
}

// Session is one Socket.IO connection bound to one chat. Its methods are safe
// for concurrent use. Incoming events never block the socket: messages are
// queued without bound (or handed to Options.OnMessage). Events reach the
// session in the order the server sent them: a `revoked` sent before the
// server's disconnect is in RevokedEvents before Done is closed.
type Session struct {
	info   wcp.Session
	sock   *Socket
	opts   Options
	signMu sync.Mutex // guards signer and nonce
	signer *wcp.Signer
	nonce  int64

	sessionCh chan wcp.Session // the first `session` event, for Connect

	mu         sync.Mutex
	received   []wcp.Message
	revoked    []wcp.Revoked
	violations []error
	firstEvent string
	notify     chan struct{} // closed and replaced on every new event
}

// Connect opens a session on the server at baseURL with the handshake auth
// of CON-5 and waits for the `session` event. A refusal at connect time is
// a *wcp.Error with the server's code; a server that closes the connection
// instead, or never sends `session`, gives a plain error.
func Connect(ctx context.Context, baseURL string, auth wcp.Auth, opts *Options) (*Session, error) {
	m := map[string]any{"chat_id": auth.ChatID, "connection_string": auth.ConnectionString}
	if auth.After != nil {
		m["after"] = *auth.After
	}
	return ConnectAuth(ctx, baseURL, m, opts)
}

// ConnectAuth is Connect with an arbitrary auth object, for checking how a
// server treats wrong types or missing fields. (For auth that is not an
// object at all, use RawConn.)
func ConnectAuth(ctx context.Context, baseURL string, auth map[string]any, opts *Options) (*Session, error) {
	o := opts.withDefaults()
	s := &Session{opts: o, notify: make(chan struct{}), sessionCh: make(chan wcp.Session, 1)}
	so := &SocketOptions{
		Transport:      TransportWebSocket,
		ConnectTimeout: o.ConnectTimeout,
		OnEvent:        s.onEvent,
		OnViolation:    s.violation,
	}
	if o.Polling {
		so.Transport = TransportPolling
	}
	ctx, cancel := context.WithTimeout(ctx, o.ConnectTimeout)
	defer cancel()
	sock, err := DialSocket(ctx, baseURL, auth, so)
	if err != nil {
		if errors.Is(err, ErrRawClosed) {
			return nil, fmt.Errorf("connect: server ended the connection: %w", err)
		}
		return nil, err
	}
	s.sock = sock
	select {
	case info := <-s.sessionCh:
		signer, err := wcp.NewSignerFromKey(info.MessageKey)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("connect: session event: %w", err)
		}
		s.info, s.signer = info, signer
		return s, nil
	case <-sock.Done():
		select {
		case info := <-s.sessionCh:
			// The server said `session` and then ended the socket: the
			// caller sees a session that is already over.
			signer, err := wcp.NewSignerFromKey(info.MessageKey)
			if err != nil {
				return nil, fmt.Errorf("connect: session event: %w", err)
			}
			s.info, s.signer = info, signer
			return s, nil
		default:
		}
		return nil, fmt.Errorf("connect: server ended the connection (%s) before the session event", sock.DisconnectReason())
	case <-ctx.Done():
		s.Close()
		if ctx.Err() == context.DeadlineExceeded {
			return nil, fmt.Errorf("connect: %w within %v", ErrNoSession, o.ConnectTimeout)
		}
		return nil, fmt.Errorf("connect: %w", ctx.Err())
	}
}

// onEvent runs on the socket's reader, in wire order.
func (s *Session) onEvent(name string, args []json.RawMessage, at time.Time) {
	s.mu.Lock()
	if s.firstEvent == "" {
		s.firstEvent = name
	}
	s.mu.Unlock()
	switch name {
	case wcp.EventSession:
		var info wcp.Session
		if err := decodeArg(args, &info); err != nil {
			s.violation(fmt.Errorf("session event: %w", err))
			return
		}
		select {
		case s.sessionCh <- info:
		default:
			s.violation(errors.New("a second session event"))
		}
	case wcp.EventMessage:
		var m wcp.Message
		if err := decodeArg(args, &m); err != nil {
			s.violation(fmt.Errorf("message event: %w", err))
			return
		}
		if s.opts.OnMessage != nil {
			s.opts.OnMessage(m, at)
			return
		}
		s.mu.Lock()
		s.received = append(s.received, m)
		s.wakeLocked()
		s.mu.Unlock()
	case wcp.EventRevoked:
		var r wcp.Revoked
		if err := decodeArg(args, &r); err != nil {
			s.violation(fmt.Errorf("revoked event: %w", err))
			return
		}
		s.mu.Lock()
		s.revoked = append(s.revoked, r)
		s.wakeLocked()
		s.mu.Unlock()
	}
}

// Info is the session's `session` event: its ID, chat, user and key.
func (s *Session) Info() wcp.Session { return s.info }

// FirstEvent is the name of the first event the server sent (CON-1 wants
// "session").
func (s *Session) FirstEvent() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.firstEvent
}

// Sign returns the message_string for a message in this session.
func (s *Session) Sign(chatID string, nonce int64, body string) string {
	s.signMu.Lock()
	defer s.signMu.Unlock()
	return s.signer.Sign(chatID, s.info.SessionID, nonce, body)
}

// Next returns a correctly signed message for body with the next nonce.
func (s *Session) Next(body string) wcp.OutgoingMessage {
	s.signMu.Lock()
	defer s.signMu.Unlock()
	s.nonce++
	return wcp.OutgoingMessage{
		ChatID:        s.info.ChatID,
		Nonce:         s.nonce,
		Body:          body,
		MessageString: s.signer.Sign(s.info.ChatID, s.info.SessionID, s.nonce, body),
	}
}

// Send signs body with the next nonce, sends it and waits for the ack. A
// refusal returns the ack and its *wcp.Error.
func (s *Session) Send(ctx context.Context, body string) (wcp.Ack, error) {
	return s.SendMessage(ctx, s.Next(body))
}

// SendMessage sends m exactly as given and waits for the ack.
func (s *Session) SendMessage(ctx context.Context, m wcp.OutgoingMessage) (wcp.Ack, error) {
	type result struct {
		ack wcp.Ack
		err error
	}
	ch := make(chan result, 1)
	s.SendAsync(m, func(a wcp.Ack, err error) { ch <- result{a, err} })
	select {
	case r := <-ch:
		return r.ack, r.err
	case <-ctx.Done():
		return wcp.Ack{}, ctx.Err()
	}
}

// SendAsync sends m and calls done exactly once with the ack (and its
// *wcp.Error for a refusal), ErrAckTimeout, ErrClosed or a *ProtocolError
// for an ack that breaks the contract. done runs on a library goroutine and
// must not block.
func (s *Session) SendAsync(m wcp.OutgoingMessage, done func(wcp.Ack, error)) {
	s.emitRaw(wcp.EventMessage, []any{m}, func(args []json.RawMessage, err error) {
		if err != nil {
			done(wcp.Ack{}, err)
			return
		}
		ack, err := decodeAck(args)
		done(ack, err)
	})
}

// Emit sends event with args as they are and waits for the ack's raw
// arguments: for payloads the contract does not allow.
func (s *Session) Emit(ctx context.Context, event string, args ...any) ([]any, error) {
	type result struct {
		args []any
		err  error
	}
	ch := make(chan result, 1)
	s.EmitAsync(event, args, func(a []any, err error) { ch <- result{a, err} })
	select {
	case r := <-ch:
		return r.args, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// EmitNoAck sends event with args and asks for no acknowledgement.
func (s *Session) EmitNoAck(event string, args ...any) error {
	return s.sock.Emit(event, args...)
}

// EmitAsync sends event with args and calls done exactly once with the
// ack's arguments (decoded as encoding/json does into any) or
// ErrAckTimeout / ErrClosed.
func (s *Session) EmitAsync(event string, args []any, done func([]any, error)) {
	s.emitRaw(event, args, func(raw []json.RawMessage, err error) {
		if err != nil {
			done(nil, err)
			return
		}
		out := make([]any, len(raw))
		for i, r := range raw {
			if err := json.Unmarshal(r, &out[i]); err != nil {
				done(nil, &ProtocolError{Op: event + " ack", Reason: err.Error()})
				return
			}
		}
		done(out, nil)
	})
}

func (s *Session) emitRaw(event string, args []any, done func([]json.RawMessage, error)) {
	data, err := wire.EncodeEvent(event, args...)
	if err != nil {
		done(nil, err)
		return
	}
	s.sock.EmitRawWithAck(data, s.opts.AckTimeout, done)
}

// Received returns a copy of every message delivered so far, in arrival order.
func (s *Session) Received() []wcp.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]wcp.Message(nil), s.received...)
}

// RevokedEvents returns a copy of every `revoked` event received so far.
func (s *Session) RevokedEvents() []wcp.Revoked {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]wcp.Revoked(nil), s.revoked...)
}

// Violations lists events the server sent that break the contract's shapes.
func (s *Session) Violations() []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]error(nil), s.violations...)
}

// WaitMessages waits until at least n messages have been delivered and
// returns them all, or returns what came with ctx's error or ErrClosed.
func (s *Session) WaitMessages(ctx context.Context, n int) ([]wcp.Message, error) {
	for {
		s.mu.Lock()
		got, wake := len(s.received), s.notify
		s.mu.Unlock()
		if got >= n {
			return s.Received(), nil
		}
		select {
		case <-wake:
		case <-s.Done():
			if len(s.Received()) >= n {
				return s.Received(), nil
			}
			return s.Received(), ErrClosed
		case <-ctx.Done():
			return s.Received(), ctx.Err()
		}
	}
}

// Done is closed when the session has ended, from either side, after
// every event the server sent before the end has been taken in.
func (s *Session) Done() <-chan struct{} { return s.sock.Done() }

// Closed reports whether the session has ended.
func (s *Session) Closed() bool { return s.sock.Closed() }

// DisconnectReason says why the session ended ("io server disconnect",
// "transport close", ...; see the Reason constants); "" while it is open.
func (s *Session) DisconnectReason() string { return s.sock.DisconnectReason() }

// Close ends the session from the client side. It is idempotent.
func (s *Session) Close() { s.sock.Close() }

func (s *Session) wakeLocked() {
	close(s.notify)
	s.notify = make(chan struct{})
}

func (s *Session) violation(err error) {
	s.mu.Lock()
	s.violations = append(s.violations, err)
	s.mu.Unlock()
}

// decodeArg decodes the first event argument into out, strictly: a
// payload that is not an object, or a wrongly typed field, is an error,
// not a zero value.
func decodeArg(args []json.RawMessage, out any) error {
	if len(args) == 0 {
		return errors.New("no payload")
	}
	raw := bytes.TrimSpace(args[0])
	if len(raw) == 0 || raw[0] != '{' {
		return fmt.Errorf("payload is not an object: %s", clip(raw))
	}
	return json.Unmarshal(raw, out)
}

// decodeAck parses a `message` ack; a refusal returns its *wcp.Error.
func decodeAck(args []json.RawMessage) (wcp.Ack, error) {
	var a wcp.Ack
	if err := decodeArg(args, &a); err != nil {
		return a, &ProtocolError{Op: "message ack", Reason: err.Error()}
	}
	if !a.OK {
		if a.Error == nil || a.Error.Code == "" {
			return a, &ProtocolError{Op: "message ack", Reason: "ok:false without an error code"}
		}
		return a, a.Error
	}
	return a, nil
}
