package reference

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/zishang520/socket.io/parsers/socket/v3/parser"
	sio "github.com/zishang520/socket.io/servers/socket/v3"
	"github.com/zishang520/socket.io/v3/pkg/types"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/internal/fault"
)

// session is one connected socket, bound to one chat for its whole life
// (CON-3).
type session struct {
	id, chatID, workspaceID, userID string
	sock                            *sio.Socket
	conn                            *engineConn // its Engine.IO connection: what it has queued

	// Used only on the socket's own handler goroutine (the library runs one
	// socket's handlers one at a time).
	signer    *wcp.Signer
	lastNonce int64

	// Guarded by the mutex of the chat's hub (replay.go says how they are used).
	replaying bool       // catching up; live messages wait in buf
	buf       []buffered // live messages published while catching up
	bufBytes  int        // their encoded size
	overflow  bool       // buf went over the limit and was dropped
	floor     int64      // seq just before the first message buffered since the last take
	hasFloor  bool
	replayed  int64 // highest seq the catch-up sent; live ones up to it are skipped

	gone atomic.Bool // left, revoked or ended; set under the hub's mutex
}

// hubs fans accepted messages out to the sessions of each chat and ends
// sessions whose access was revoked. How a session joins its chat's
// stream without a gap or a duplicate (CON-2) is replay.go's.
type hubs struct {
	s     *Server
	mu    sync.Mutex // guards chats; taken before any hub.mu
	chats map[string]*hub
}

type hub struct {
	mu       sync.Mutex // serializes publishes, joins and leaves of one chat
	sessions map[*session]struct{}
}

func newHubs(s *Server) *hubs {
	return &hubs{s: s, chats: make(map[string]*hub)}
}

// join adds ss to its chat's hub, buffering its live messages until it has
// caught up (replay.go).
func (hs *hubs) join(ss *session) {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	h := hs.chats[ss.chatID]
	if h == nil {
		h = &hub{sessions: make(map[*session]struct{})}
		hs.chats[ss.chatID] = h
	}
	h.mu.Lock()
	ss.replaying = true
	h.sessions[ss] = struct{}{}
	h.mu.Unlock()
}

// leave removes ss from its hub; dropping an empty hub keeps memory bounded
// by the chats that have sessions.
func (hs *hubs) leave(ss *session) {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	h := hs.chats[ss.chatID]
	if h == nil {
		return
	}
	h.mu.Lock()
	delete(h.sessions, ss)
	ss.drop()
	if len(h.sessions) == 0 {
		delete(hs.chats, ss.chatID)
	}
	h.mu.Unlock()
}

func (hs *hubs) get(chatID string) *hub {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	return hs.chats[chatID]
}

// encode renders a `message` event once for all its receivers, and says
// how many bytes that is.
func (hs *hubs) encode(m wcp.Message) ([]types.BufferInterface, int) {
	pkts := hs.s.io.Encoder().Encode(&parser.Packet{Type: parser.EVENT, Nsp: "/", Data: []any{wcp.EventMessage, m}})
	size := 0
	for i, p := range pkts {
		size += p.Len()
		if sb, ok := p.(*types.StringBuffer); ok {
			pkts[i] = sharedText{sb}
		}
	}
	return pkts, size
}

// sharedText is an encoded text packet whose receivers share its bytes. The
// Socket.IO client clones every packet it hands to its engine, because the
// engine consumes it by reading (which moves the buffer's offset); a
// sharedText's clone is a fresh buffer over the same bytes instead of a copy
// of them. The engine only ever reads a packet's data.
type sharedText struct{ *types.StringBuffer }

func (t sharedText) Clone() types.BufferInterface {
	b := t.Bytes()
	return types.NewStringBuffer(b[:len(b):len(b)])
}

var preEncoded = &sio.WriteOptions{PreEncoded: true}

// publish delivers an accepted message to every session of its chat (MSG-1),
// buffering it for sessions still catching up. from is the sender's
// session. Callers publish a chat's messages in seq order, from one
// goroutine. Writing to the engine never blocks; a socket that cannot keep
// up is its send queue's business (sendqueue.go).
func (hs *hubs) publish(m wcp.Message, from *session) {
	h := hs.get(m.ChatID)
	if h == nil {
		return
	}
	var pkt []types.BufferInterface
	var size int
	h.mu.Lock()
	defer h.mu.Unlock()
	for ss := range h.sessions {
		if ss == from && hs.s.fault == fault.NoSelfDelivery {
			continue
		}
		if !ss.replaying && m.Seq > 0 && m.Seq <= ss.replayed {
			continue
		}
		if pkt == nil {
			pkt, size = hs.encode(m)
		}
		if ss.replaying {
			hs.buffer(ss, m.Seq, pkt, size)
			continue
		}
		ss.sock.Client().WriteToEngine(pkt, preEncoded)
	}
}

// revoke ends every session that match selects: it is removed at once (so
// it gets no more messages), then told why with `revoked` and disconnected
// from its own handler queue (CON-4).
func (hs *hubs) revoke(match func(*session) bool, code wcp.Code) {
	for _, ss := range hs.remove(match) {
		hs.s.log.Info("session revoked", "session", ss.id, "chat", ss.chatID, "user", ss.userID, "code", code)
		sock := ss.sock
		sock.Enqueue(func() {
			sock.Emit(wcp.EventRevoked, wcp.Revoked{Code: code})
			sock.Disconnect(false)
		})
	}
}

// remove takes every session that match selects out of its hub, so that it
// gets no more messages, and returns them.
func (hs *hubs) remove(match func(*session) bool) []*session {
	var victims []*session
	hs.mu.Lock()
	for chatID, h := range hs.chats {
		h.mu.Lock()
		for ss := range h.sessions {
			if match(ss) {
				delete(h.sessions, ss)
				ss.drop()
				victims = append(victims, ss)
			}
		}
		if len(h.sessions) == 0 {
			delete(hs.chats, chatID)
		}
		h.mu.Unlock()
	}
	hs.mu.Unlock()
	return victims
}

// stall holds a chat's hub, and so every publish, for up to d or until stop
// is closed. It exists only for fault.StallOnBadMessage.
func (hs *hubs) stall(chatID string, d time.Duration, stop <-chan struct{}) {
	h := hs.get(chatID)
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-stop:
	}
}
