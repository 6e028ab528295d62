package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wcp-project/wcp/wire"
)

// SocketOptions tune a Socket. The zero value is sensible for tests.
type SocketOptions struct {
	// Transport is TransportWebSocket (the default, the one WCP/1
	// requires) or TransportPolling (HTTP long-polling, which WCP/1
	// allows; no upgrade is attempted).
	Transport string
	// ConnectTimeout bounds the dial, the Engine.IO handshake and the wait
	// for the server's answer to CONNECT (default 5 s).
	ConnectTimeout time.Duration
	// OnEvent receives every event the server sends, in the order it sent
	// them, with the time it was read. It runs on the socket's reader
	// goroutine and must not block. Every event read before the end of the
	// connection is handed over before Done is closed.
	OnEvent func(name string, args []json.RawMessage, at time.Time)
	// OnViolation receives packets that break Socket.IO's framing (an
	// event that is not an array, an ack nobody asked for). Same goroutine.
	OnViolation func(error)
}

// Socket is one Socket.IO v5 connection to a server's default namespace
// over one Engine.IO transport. One goroutine reads it, so events, acks and
// the end of the connection reach the caller exactly in wire order. Its
// methods are safe for concurrent use.
type Socket struct {
	t    transport
	open wire.Open
	opts SocketOptions

	mu     sync.Mutex
	acks   map[uint64]pendingAck // under mu
	nextID uint64                // under mu
	ended  bool                  // under mu: no new acks
	reason string                // under mu
	endErr error                 // under mu: the read error that ended it

	connected   chan error // the answer to CONNECT: nil or the refusal
	closing     atomic.Bool
	dispatching atomic.Bool // the reader is inside a callback
	done        chan struct{}
	readerDone  chan struct{}
}

// pendingAck is an emit waiting for its acknowledgement.
type pendingAck struct {
	done  func([]json.RawMessage, error)
	timer *time.Timer // nil without a timeout
}

// Reasons a Socket ended, as DisconnectReason reports them (the names the
// Socket.IO clients use).
const (
	ReasonServerDisconnect = "io server disconnect" // the server sent DISCONNECT
	ReasonClientDisconnect = "io client disconnect" // Close was called
	ReasonTransportClose   = "transport close"      // the connection ended without DISCONNECT
	ReasonPingTimeout      = "ping timeout"         // the server went silent
	ReasonParseError       = "parse error"          // the server sent what is not Engine.IO
	ReasonConnectError     = "connect error"        // the server refused CONNECT
)

// DialSocket opens a Socket.IO connection to baseURL's default namespace
// with auth (marshalled to JSON; nil sends CONNECT without a payload) and
// waits for the server's answer. A CONNECT_ERROR with the contract's
// {message, data:{code}} is a *wcp.Error; a server that hangs up instead is
// an error wrapping ErrRawClosed.
func DialSocket(ctx context.Context, baseURL string, auth any, opts *SocketOptions) (*Socket, error) {
	o := SocketOptions{}
	if opts != nil {
		o = *opts
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 5 * time.Second
	}
	if o.Transport == "" {
		o.Transport = TransportWebSocket
	}
	raw := ""
	if auth != nil {
		b, err := json.Marshal(auth)
		if err != nil {
			return nil, fmt.Errorf("connect: auth: %w", err)
		}
		raw = string(b)
	}
	ctx, cancel := context.WithTimeout(ctx, o.ConnectTimeout)
	defer cancel()
	t, open, err := openTransport(ctx, baseURL, o.Transport)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	s := &Socket{
		t: t, open: open, opts: o,
		acks:       make(map[uint64]pendingAck),
		connected:  make(chan error, 1),
		done:       make(chan struct{}),
		readerDone: make(chan struct{}),
	}
	go s.read()
	if err := t.send(wire.ConnectFrame(raw)); err != nil {
		s.Close()
		return nil, fmt.Errorf("connect: %w", err)
	}
	select {
	case err := <-s.connected:
		if err != nil {
			s.Close()
			return nil, err
		}
		return s, nil
	case <-s.done:
		// The reader may have seen the answer just before the end.
		select {
		case err := <-s.connected:
			if err != nil {
				return nil, err
			}
			return s, nil
		default:
		}
		return nil, fmt.Errorf("connect: %w before answering CONNECT (%s)", ErrRawClosed, s.DisconnectReason())
	case <-ctx.Done():
		s.Close()
		return nil, fmt.Errorf("connect: no answer to CONNECT: %w", ctx.Err())
	}
}

// read is the socket's only reader: it answers pings, dispatches every
// packet in order and ends the socket when the connection ends. A server
// silent for longer than its announced ping interval and timeout is gone.
func (s *Socket) read() {
	defer close(s.readerDone)
	silence := time.Duration(s.open.PingInterval+s.open.PingTimeout)*time.Millisecond + time.Second
	for {
		var deadline time.Time
		if s.open.PingInterval > 0 {
			deadline = time.Now().Add(silence)
		}
		frame, err := s.t.next(deadline)
		if err != nil {
			s.mu.Lock()
			s.endErr = err
			s.mu.Unlock()
			switch {
			case s.closing.Load():
				s.end(ReasonClientDisconnect)
			case isTimeout(err):
				s.end(ReasonPingTimeout)
			default:
				s.end(ReasonTransportClose)
			}
			return
		}
		if frame == "" {
			s.violation(fmt.Errorf("%w: empty Engine.IO packet", wire.ErrMalformed))
			continue
		}
		switch frame[0] {
		case wire.EnginePing:
			// An error here shows up as the next read's.
			_ = s.t.send(wire.PongFrame)
		case wire.EngineClose:
			s.end(ReasonTransportClose)
			return
		case wire.EngineMessage:
			if s.handle(frame[1:]) {
				return
			}
		case wire.EngineNoop, wire.EnginePong, wire.EngineUpgrade, wire.EngineOpen:
		default:
			s.end(ReasonParseError)
			return
		}
	}
}

// handle dispatches one Socket.IO packet and reports whether it ended the
// socket.
func (s *Socket) handle(frame string) (ended bool) {
	at := time.Now()
	p, err := wire.ParsePacket(frame)
	if err != nil {
		s.violation(err)
		return false
	}
	switch p.Type {
	case wire.Connect:
		s.answer(nil)
	case wire.ConnectError:
		s.answer(ParseConnectError(p.Data))
		s.end(ReasonConnectError)
		return true
	case wire.Disconnect:
		s.end(ReasonServerDisconnect)
		return true
	case wire.Event, wire.BinaryEvent:
		name, args, err := wire.DecodeEvent(p.Data)
		if err != nil {
			s.violation(err)
			return false
		}
		if s.opts.OnEvent != nil {
			s.dispatch(func() { s.opts.OnEvent(name, args, at) })
		}
	case wire.Ack, wire.BinaryAck:
		if p.ID == nil {
			s.violation(fmt.Errorf("%w: ack without an id", wire.ErrMalformed))
			return false
		}
		a, ok := s.takeAck(*p.ID)
		if !ok {
			// Late acks of timed-out emits land here too.
			return false
		}
		args, err := wire.DecodeArgs(p.Data)
		s.dispatch(func() { a.done(args, err) })
	}
	return false
}

func (s *Socket) answer(err error) {
	select {
	case s.connected <- err:
	default:
		s.violation(errors.New("a second answer to CONNECT"))
	}
}

func (s *Socket) dispatch(f func()) {
	s.dispatching.Store(true)
	defer s.dispatching.Store(false)
	f()
}

func (s *Socket) violation(err error) {
	if s.opts.OnViolation != nil {
		s.dispatch(func() { s.opts.OnViolation(err) })
	}
}

// end closes the transport, fails the acks still waiting with ErrClosed and
// closes Done, in that order, once. Only the reader calls it, after it has
// dispatched everything it read.
func (s *Socket) end(reason string) {
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		return
	}
	s.ended, s.reason = true, reason
	waiting := s.acks
	s.acks = nil
	s.mu.Unlock()
	_ = s.t.close()
	for _, a := range waiting {
		if a.timer != nil {
			a.timer.Stop()
		}
		s.dispatch(func() { a.done(nil, fmt.Errorf("%w (%s)", ErrClosed, reason)) })
	}
	close(s.done)
}

// Emit sends event with args (each marshalled to JSON) and asks for no
// acknowledgement.
func (s *Socket) Emit(event string, args ...any) error {
	data, err := wire.EncodeEvent(event, args...)
	if err != nil {
		return err
	}
	return s.EmitRaw(data)
}

// EmitRaw sends an EVENT whose data is rawArray verbatim, without asking
// for an acknowledgement.
func (s *Socket) EmitRaw(rawArray string) error {
	if s.Closed() {
		return ErrClosed
	}
	return s.t.send(wire.EventFrame(rawArray, nil))
}

// EmitRawWithAck sends an EVENT whose data is rawArray verbatim and asks
// for an acknowledgement. done is called exactly once: with the ack's
// arguments, with ErrAckTimeout when timeout (if > 0) passes first, or with
// an error wrapping ErrClosed. It runs on the reader goroutine or a timer's
// and must not block.
func (s *Socket) EmitRawWithAck(rawArray string, timeout time.Duration, done func([]json.RawMessage, error)) {
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		done(nil, ErrClosed)
		return
	}
	id := s.nextID
	s.nextID++
	a := pendingAck{done: done}
	if timeout > 0 {
		a.timer = time.AfterFunc(timeout, func() {
			if _, ok := s.takeAck(id); ok {
				done(nil, ErrAckTimeout)
			}
		})
	}
	s.acks[id] = a
	s.mu.Unlock()
	if err := s.t.send(wire.EventFrame(rawArray, &id)); err != nil {
		if _, ok := s.takeAck(id); ok {
			done(nil, fmt.Errorf("%w: %v", ErrClosed, err))
		}
	}
}

// takeAck removes a waiting ack and stops its timer; whoever takes it
// calls its callback, so each is called once.
func (s *Socket) takeAck(id uint64) (pendingAck, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.acks[id]
	if ok {
		delete(s.acks, id)
		if a.timer != nil {
			a.timer.Stop()
		}
	}
	return a, ok
}

// Done is closed when the socket has ended, from either side, after every
// event read before the end has been handed to OnEvent.
func (s *Socket) Done() <-chan struct{} { return s.done }

// Closed reports whether the socket has ended.
func (s *Socket) Closed() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// DisconnectReason says why the socket ended (the Reason constants); ""
// while it is open.
func (s *Socket) DisconnectReason() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reason
}

// Err is the transport error that ended the socket, nil while it is open
// or when it ended with a DISCONNECT or Close.
func (s *Socket) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.endErr
}

// Handshake is the server's Engine.IO open packet.
func (s *Socket) Handshake() wire.Open { return s.open }

// Close sends DISCONNECT and ends the connection. It is idempotent and,
// unless called from a callback of this socket, returns after the reader
// has stopped, so no goroutine of the socket outlives it.
func (s *Socket) Close() {
	if !s.closing.Swap(true) && !s.Closed() {
		_ = s.t.send(wire.DisconnectFrame)
	}
	_ = s.t.close()
	if !s.dispatching.Load() {
		<-s.readerDone
	}
}
