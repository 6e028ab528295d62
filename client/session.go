package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	sioc "github.com/zishang520/socket.io/clients/socket/v3"
	"github.com/zishang520/socket.io/v3/pkg/types"

	"github.com/wcp-project/wcp"
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
	// own goroutine instead of the session keeping them; it must not block.
	OnMessage func(wcp.Message, time.Time)
	// Polling adds HTTP long-polling (with upgrade) to the websocket
	// transport. Off by default: WCP/1 requires websocket only.
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
// queued without bound (or handed to Options.OnMessage).
type Session struct {
	info   wcp.Session
	sock   *sioc.Socket
	opts   Options
	signMu sync.Mutex // guards signer and nonce
	signer *wcp.Signer
	nonce  int64

	mu         sync.Mutex
	received   []wcp.Message
	revoked    []wcp.Revoked
	violations []error
	firstEvent string
	reason     string
	notify     chan struct{} // closed and replaced on every new event
	done       chan struct{}
	closeOnce  sync.Once
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
	so := sioc.DefaultOptions()
	if o.Polling {
		so.SetTransports(types.NewSet(sioc.Polling, sioc.WebSocket))
	} else {
		// The library's default set includes WebTransport in random order.
		so.SetTransports(types.NewSet(sioc.WebSocket))
	}
	// gorilla's dialer refuses the permessage-deflate answer of aiohttp
	// (python-socketio); WCP payloads are small JSON, compression buys nothing.
	so.SetPerMessageDeflate(nil)
	so.SetForceNew(true)
	so.SetMultiplex(false)
	so.SetReconnection(false) // a reconnect is a new session in WCP: the caller decides
	so.SetAutoConnect(false)  // handlers must be in place before the first packet
	so.SetTimeout(o.ConnectTimeout)
	so.SetAuth(auth)

	sock, err := sioc.Connect(baseURL, so)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	s := &Session{sock: sock, opts: o, notify: make(chan struct{}), done: make(chan struct{})}
	sessionCh := make(chan wcp.Session, 1)
	failCh := make(chan error, 1)
	fail := func(err error) {
		select {
		case failCh <- err:
		default:
		}
	}

	sock.OnAny(func(args ...any) {
		if len(args) == 0 {
			return
		}
		name, _ := args[0].(string)
		s.mu.Lock()
		if s.firstEvent == "" {
			s.firstEvent = name
		}
		s.mu.Unlock()
	})
	sock.On(wcp.EventSession, func(args ...any) {
		var info wcp.Session
		if err := decodeArg(args, &info); err != nil {
			fail(fmt.Errorf("connect: session event: %w", err))
			return
		}
		select {
		case sessionCh <- info:
		default:
			s.violation(errors.New("a second session event"))
		}
	})
	sock.On(wcp.EventMessage, func(args ...any) {
		at := time.Now()
		var m wcp.Message
		if err := decodeArg(args, &m); err != nil {
			s.violation(fmt.Errorf("message event: %w", err))
			return
		}
		if o.OnMessage != nil {
			o.OnMessage(m, at)
			return
		}
		s.mu.Lock()
		s.received = append(s.received, m)
		s.wakeLocked()
		s.mu.Unlock()
	})
	sock.On(wcp.EventRevoked, func(args ...any) {
		var r wcp.Revoked
		if err := decodeArg(args, &r); err != nil {
			s.violation(fmt.Errorf("revoked event: %w", err))
			return
		}
		s.mu.Lock()
		s.revoked = append(s.revoked, r)
		s.wakeLocked()
		s.mu.Unlock()
	})
	sock.On("connect_error", func(args ...any) { fail(connectError(args)) })
	sock.On("disconnect", func(args ...any) {
		reason := "disconnect"
		if len(args) > 0 {
			if r, ok := args[0].(string); ok {
				reason = r
			}
		}
		s.end(reason)
		fail(fmt.Errorf("connect: server ended the connection (%s)", reason))
	})
	timer := time.NewTimer(o.ConnectTimeout)
	defer timer.Stop()

	// Open the engine first and send CONNECT only once it is fully open;
	// see openEngine for the library races this avoids.
	if err := openEngine(ctx, sock.Io(), timer.C); err != nil {
		s.Close()
		return nil, fmt.Errorf("connect: %w", err)
	}
	sock.Connect()

	select {
	case info := <-sessionCh:
		signer, err := wcp.NewSignerFromKey(info.MessageKey)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("connect: session event: %w", err)
		}
		s.info, s.signer = info, signer
		return s, nil
	case err := <-failCh:
		s.Close()
		return nil, err
	case <-timer.C:
		s.Close()
		if sock.Connected() {
			return nil, fmt.Errorf("connect: %w within %v", ErrNoSession, o.ConnectTimeout)
		}
		return nil, fmt.Errorf("connect: no answer within %v", o.ConnectTimeout)
	case <-ctx.Done():
		s.Close()
		return nil, fmt.Errorf("connect: %w", ctx.Err())
	}
}

// connectError turns a connect_error argument into a *wcp.Error when the
// server sent the contract's {message, data:{code}}.
func connectError(args []any) error {
	if len(args) == 0 {
		return errors.New("connect: refused without a reason")
	}
	if ee, ok := args[0].(*types.ExtendedError); ok {
		if data, ok := ee.Data.(map[string]any); ok {
			if code, ok := data["code"].(string); ok && code != "" {
				return &wcp.Error{Code: wcp.Code(code), Message: ee.Message}
			}
		}
		return fmt.Errorf("connect: refused without a code: %q (data %v)", ee.Message, ee.Data)
	}
	if err, ok := args[0].(error); ok {
		return fmt.Errorf("connect: %w", err)
	}
	return fmt.Errorf("connect: %v", args[0])
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
	s.EmitAsync(wcp.EventMessage, []any{m}, func(args []any, err error) {
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
	if s.Closed() {
		return ErrClosed
	}
	return s.sock.Emit(event, args...)
}

// EmitAsync sends event with args and calls done exactly once with the
// ack's arguments or ErrAckTimeout / ErrClosed.
func (s *Session) EmitAsync(event string, args []any, done func([]any, error)) {
	if s.Closed() {
		done(nil, ErrClosed)
		return
	}
	var once sync.Once
	finish := func(a []any, err error) { once.Do(func() { done(a, err) }) }
	timer := time.AfterFunc(s.opts.AckTimeout, func() { finish(nil, ErrAckTimeout) })
	ack := func(a []any, err error) {
		timer.Stop()
		if err != nil {
			// The library reports "socket has been disconnected" here.
			err = fmt.Errorf("%w: %v", ErrClosed, err)
		}
		finish(a, err)
	}
	// The library's emit mutates shared per-socket flags; one emitter at a
	// time keeps a concurrent Timeout()/Volatile() from leaking across emits.
	s.signMu.Lock()
	err := s.sock.Emit(event, append(args, ack)...)
	s.signMu.Unlock()
	if err != nil {
		timer.Stop()
		finish(nil, err)
	}
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
		case <-s.done:
			if len(s.Received()) >= n {
				return s.Received(), nil
			}
			return s.Received(), ErrClosed
		case <-ctx.Done():
			return s.Received(), ctx.Err()
		}
	}
}

// Done is closed when the session has ended, from either side.
func (s *Session) Done() <-chan struct{} { return s.done }

// Closed reports whether the session has ended.
func (s *Session) Closed() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// DisconnectReason is the library's reason for the end ("io server
// disconnect", "transport close", ...); "" while the session is open.
func (s *Session) DisconnectReason() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reason
}

// Close ends the session from the client side. It is idempotent.
func (s *Session) Close() {
	s.sock.Disconnect()
	// The engine may still be dialling (no `connect` yet); closing the
	// manager's engine ends that too, so no goroutine outlives the session.
	if e := s.sock.Io().Engine(); e != nil {
		e.Close()
	}
	s.end("io client disconnect")
}

func (s *Session) end(reason string) {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.reason = reason
		s.wakeLocked()
		s.mu.Unlock()
		close(s.done)
	})
}

func (s *Session) wakeLocked() {
	close(s.notify)
	s.notify = make(chan struct{})
}

func (s *Session) violation(err error) {
	s.mu.Lock()
	s.violations = append(s.violations, err)
	s.mu.Unlock()
}

// decodeArg decodes the first event argument (already parsed from JSON by
// the library into maps) into out, strictly: a wrongly typed field is an
// error, not a zero value.
func decodeArg(args []any, out any) error {
	if len(args) == 0 {
		return errors.New("no payload")
	}
	raw, err := json.Marshal(args[0])
	if err != nil {
		return err
	}
	if len(raw) == 0 || raw[0] != '{' {
		return fmt.Errorf("payload is not an object: %s", clip(raw))
	}
	return json.Unmarshal(raw, out)
}

// decodeAck parses a `message` ack; a refusal returns its *wcp.Error.
func decodeAck(args []any) (wcp.Ack, error) {
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
