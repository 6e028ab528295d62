package reference

import (
	"context"
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

	// Used only on the socket's own handler goroutine (the library runs one
	// socket's handlers one at a time).
	signer    *wcp.Signer
	lastNonce int64

	// Guarded by the mutex of the chat's hub.
	replaying bool          // catching up from the database; live messages wait in buf
	buf       []wcp.Message // live messages that arrived during the replay
	replayed  int64         // highest seq the replay sent; live ones up to it are skipped
	gone      bool          // left or revoked
	stuck     time.Time     // since when its transport was seen busy with no write finishing; zero if not

	// progress is when the engine last started flushing to this socket (unix
	// ns), which it can only do once the previous write finished.
	progress atomic.Int64
}

// hubs fans accepted messages out to the sessions of each chat and ends
// sessions whose access was revoked.
//
// The seam between replay and live delivery (CON-2): every session joins
// its hub before its `session` event, marked replaying, so every message
// published from then on is buffered for it (a session without `after` goes
// live right after the event). A session with `after` only then reads the
// database. Because a
// message is committed before it is published, a message published before the
// join is already in the database when the read starts, and one published
// after it is in the buffer; the flush under the hub lock skips buffered
// seqs the replay already sent and switches the session to live. A message
// can also be committed (so replayed) but published only after the switch:
// the session remembers the highest seq it replayed and live delivery skips
// up to it. Nothing is lost, nothing repeats.
type hubs struct {
	s         *Server
	slowAfter time.Duration // see slow
	mu        sync.Mutex    // guards chats; taken before any hub.mu
	chats     map[string]*hub
}

type hub struct {
	mu       sync.Mutex // serializes publishes, joins and leaves of one chat
	sessions map[*session]struct{}
}

func newHubs(s *Server) *hubs {
	return &hubs{s: s, slowAfter: 15 * time.Second, chats: make(map[string]*hub)}
}

// join adds ss to its chat's hub, buffering its live messages until goLive.
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
	ss.gone = true
	ss.buf = nil
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

// encode renders a `message` event once for all its receivers.
func (hs *hubs) encode(m wcp.Message) []types.BufferInterface {
	pkts := hs.s.io.Encoder().Encode(&parser.Packet{Type: parser.EVENT, Nsp: "/", Data: []any{wcp.EventMessage, m}})
	for i, p := range pkts {
		if sb, ok := p.(*types.StringBuffer); ok {
			pkts[i] = sharedText{sb}
		}
	}
	return pkts
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
// buffering it for sessions still replaying. from is the sender's session.
// Callers publish a chat's messages in seq order, from one goroutine.
func (hs *hubs) publish(m wcp.Message, from *session) {
	h := hs.get(m.ChatID)
	if h == nil {
		return
	}
	var pkt []types.BufferInterface
	h.mu.Lock()
	defer h.mu.Unlock()
	for ss := range h.sessions {
		if ss == from && hs.s.fault == fault.NoSelfDelivery {
			continue
		}
		if ss.replaying {
			ss.buf = append(ss.buf, m)
			continue
		}
		if m.Seq > 0 && m.Seq <= ss.replayed {
			continue
		}
		if hs.slow(h, ss) {
			continue
		}
		if pkt == nil {
			pkt = hs.encode(m)
		}
		ss.sock.Client().WriteToEngine(pkt, preEncoded)
	}
}

// slow reports whether ss is a consumer that stopped reading, and ends it.
// The engine buffers what a socket cannot write yet without bound; a client
// whose transport has been busy without finishing one write for slowAfter is
// not reading, and would otherwise grow the server's memory until the ping
// timeout (45 s) ends it (ROB-1). A client that is merely behind keeps
// finishing writes, which the progress stamp records, and is left alone.
// Called with the hub's lock held.
func (hs *hubs) slow(h *hub, ss *session) bool {
	t := ss.sock.Conn().Transport()
	if t == nil || t.Writable() {
		ss.stuck = time.Time{}
		return false
	}
	now := time.Now()
	if ss.stuck.IsZero() {
		ss.stuck = now
		return false
	}
	if now.Sub(ss.stuck) < hs.slowAfter || now.Sub(time.Unix(0, ss.progress.Load())) < hs.slowAfter {
		return false
	}
	delete(h.sessions, ss)
	ss.gone = true
	ss.buf = nil
	hs.s.log.Warn("session ended: it stopped reading", "session", ss.id, "chat", ss.chatID, "user", ss.userID, "stuck_for", now.Sub(ss.stuck))
	sock := ss.sock
	go sock.Disconnect(true) // its queue may be stuck behind the write; close the transport
	return true
}

// replay sends ss the stored messages with seq > after, then its buffered
// live messages beyond them, and switches it to live delivery (CON-2).
func (hs *hubs) replay(ctx context.Context, ss *session, after int64) error {
	last := after
	skipFirst := hs.s.fault == fault.ReplayGap
	for {
		msgs, err := hs.s.store.Messages(ctx, ss.chatID, last, wcp.MaxPageLimit)
		if err != nil {
			return err
		}
		for _, m := range msgs {
			last = m.Seq
			if skipFirst {
				skipFirst = false
				continue
			}
			ss.sock.Emit(wcp.EventMessage, m)
		}
		if len(msgs) < wcp.MaxPageLimit || !ss.sock.Connected() {
			break
		}
	}
	hs.goLive(ss, last)
	return nil
}

// goLive sends ss its buffered messages with seq > last and switches it to
// live delivery. Sessions without `after` call it with last 0 right after
// their `session` event: joining buffered before that event means a client
// that has its session cannot miss a message sent right after (CON-3), and
// no message can overtake `session` (CON-1).
func (hs *hubs) goLive(ss *session, last int64) {
	h := hs.get(ss.chatID)
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if ss.gone {
		return
	}
	for _, m := range ss.buf {
		if m.Seq > last || m.Seq == 0 {
			ss.sock.Emit(wcp.EventMessage, m)
			last = max(last, m.Seq)
		}
	}
	ss.replayed = last
	ss.buf = nil
	ss.replaying = false
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
				ss.gone = true
				ss.buf = nil
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
