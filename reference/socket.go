package reference

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"math"
	"sync"
	"time"

	sio "github.com/zishang520/socket.io/servers/socket/v3"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/internal/fault"
)

// grant is what a successful connect check hands to the connection handler.
type grant struct {
	chat   wcp.Chat
	userID string
	after  *int64
}

// authorize is the Socket.IO connect middleware: CON-5's checks, in order.
func (s *Server) authorize(sock *sio.Socket, next func(*sio.ExtendedError)) {
	defer func() {
		if v := recover(); v != nil {
			s.log.Error("panic in connect check", "panic", v)
			next(sio.NewExtendedError("internal error", map[string]any{"code": string(wcp.CodeInternal)}))
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s.log.Debug("connect check", "remote", sock.Handshake().Address)
	g, err := s.checkConnect(ctx, sock.Handshake().Auth)
	if err != nil {
		code := wcp.ErrorCode(err)
		if code == "" {
			s.log.Error("connect check", "err", err)
			code = wcp.CodeInternal
		}
		s.metrics.connectsRefused.WithLabelValues(string(code)).Inc()
		s.log.Debug("connect refused", "code", code)
		next(sio.NewExtendedError(err.Error(), map[string]any{"code": string(code)}))
		return
	}
	sock.SetData(g)
	next(nil)
}

// connAuth is the handshake auth payload after the shape check.
type connAuth struct {
	chatID, connString string
	after              *int64
}

// parseAuth checks the shape of the handshake auth payload (first row of
// CON-5). JSON numbers arrive as float64: `after` must be integral, 0..2^53-1.
func parseAuth(auth map[string]any) (connAuth, *wcp.Error) {
	var a connAuth
	if auth == nil {
		return a, wcp.NewError(wcp.CodeBadRequest, "auth must be an object")
	}
	var ok bool
	if a.chatID, ok = auth["chat_id"].(string); !ok {
		return a, wcp.NewError(wcp.CodeBadRequest, "auth.chat_id must be a string")
	}
	if a.connString, ok = auth["connection_string"].(string); !ok {
		return a, wcp.NewError(wcp.CodeBadRequest, "auth.connection_string must be a string")
	}
	if v, present := auth["after"]; present {
		n, ok := jsonInt(v, 0, wcp.MaxNonce)
		if !ok {
			return a, wcp.NewError(wcp.CodeBadRequest, "auth.after must be an integer >= 0")
		}
		a.after = &n
	}
	return a, nil
}

// jsonInt accepts a decoded JSON number with an integral value in [lo, hi].
func jsonInt(v any, lo, hi int64) (int64, bool) {
	var f float64
	switch n := v.(type) {
	case float64:
		f = n
	case json.Number:
		i, err := n.Int64()
		return i, err == nil && i >= lo && i <= hi
	case int:
		return int64(n), int64(n) >= lo && int64(n) <= hi
	case int64:
		return n, n >= lo && n <= hi
	default:
		return 0, false
	}
	if math.IsNaN(f) || f != math.Trunc(f) || f < float64(lo) || f > float64(hi) {
		return 0, false
	}
	return int64(f), true
}

func (s *Server) checkConnect(ctx context.Context, auth map[string]any) (*grant, error) {
	a, werr := parseAuth(auth)
	if werr != nil {
		return nil, werr
	}
	c, authentic, err := s.connKey.parse(a.connString)
	if err != nil {
		return nil, wcp.NewError(wcp.CodeInvalidConnectionString, "malformed connection string")
	}
	now := s.now()
	if s.fault == fault.ExpiryBeforeSig && c.expired(now) {
		return nil, wcp.NewError(wcp.CodeConnectionStringExpired, "connection string expired")
	}
	if !authentic && s.fault != fault.ConnStringUnchecked {
		return nil, wcp.NewError(wcp.CodeInvalidConnectionString, "connection string is not authentic")
	}
	if c.ChatID != a.chatID && s.fault != fault.ChatBindingSkipped {
		return nil, wcp.NewError(wcp.CodeChatMismatch, "connection string was issued for another chat")
	}
	if c.expired(now) && s.fault != fault.ExpiredAccepted {
		return nil, wcp.NewError(wcp.CodeConnectionStringExpired, "connection string expired")
	}
	if !wcp.ValidID(a.chatID) {
		return nil, wcp.NewError(wcp.CodeChatNotFound, "chat not found")
	}
	chat, role, err := s.chatRole(ctx, a.chatID, c.UserID)
	if wcp.ErrorCode(err) == wcp.CodeNotFound {
		return nil, wcp.NewError(wcp.CodeChatNotFound, "chat not found")
	}
	if err != nil {
		return nil, err
	}
	if role == roleNone {
		return nil, wcp.NewError(wcp.CodeForbidden, "no longer owner or member of the workspace")
	}
	return &grant{chat: chat, userID: c.UserID, after: a.after}, nil
}

// messageKey returns a fresh random session key (CON-1).
func (s *Server) messageKey(userID, chatID string) []byte {
	if s.fault == fault.StaticMessageKey {
		m := hmac.New(sha256.New, s.connKey.secret)
		m.Write([]byte("static-key\n" + userID + "\n" + chatID))
		return m.Sum(nil)
	}
	key := make([]byte, wcp.KeySize)
	rand.Read(key)
	return key
}

// onConnection starts a session: `session` first (CON-1), then the replay
// and live messages (CON-2, replay.go).
func (s *Server) onConnection(args ...any) {
	sock, ok := args[0].(*sio.Socket)
	if !ok {
		return
	}
	g, ok := sock.Data().(*grant)
	if !ok {
		sock.Disconnect(false)
		return
	}
	key := s.messageKey(g.userID, g.chat.ID)
	signer, _ := wcp.NewSigner(key) // the key has the right size by construction
	conn := s.conns.attach(sock.Conn())
	ss := &session{
		id:          newID("s_"),
		chatID:      g.chat.ID,
		workspaceID: g.chat.WorkspaceID,
		userID:      g.userID,
		sock:        sock,
		conn:        conn,
		signer:      signer,
	}
	conn.accept(ss)
	s.metrics.sessionsOpen.Inc()
	var endOnce sync.Once
	end := func() {
		endOnce.Do(func() {
			s.hubs.leave(ss)
			conn.release(ss)
			s.metrics.sessionsOpen.Dec()
		})
	}
	sock.On("disconnect", func(...any) { end() })
	sock.On(wcp.EventMessage, func(a ...any) { s.onMessage(ss, a) })
	if s.fault == fault.SingleSessionPerUser {
		s.hubs.revoke(func(o *session) bool { return o.userID == ss.userID && o != ss }, wcp.CodeForbidden)
	}
	s.hubs.join(ss)
	sock.Emit(wcp.EventSession, wcp.Session{SessionID: ss.id, ChatID: ss.chatID, UserID: ss.userID, MessageKey: wcp.EncodeKey(key)})
	if !sock.Connected() {
		end() // it went away before "disconnect" had a listener
		return
	}
	s.log.Debug("session open", "session", ss.id, "chat", ss.chatID, "user", ss.userID)
	go func() {
		if s.revokedSinceCheck(ss) {
			return
		}
		if err := s.hubs.catchUp(ss, g.after); err != nil {
			s.log.Error("replay", "session", ss.id, "err", err)
			sock.Disconnect(false)
		}
	}()
}

// revokedSinceCheck revokes ss if its access ended between the connect
// check and its join: a revocation in that window could not see it. It runs
// before the replay, so a revoked user is sent none of the history.
func (s *Server) revokedSinceCheck(ss *session) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := s.checkAccess(ctx, ss)
	code := wcp.ErrorCode(err)
	if code == wcp.CodeForbidden && s.fault == fault.NoRevoke {
		return false
	}
	if code == wcp.CodeChatNotFound || code == wcp.CodeForbidden {
		s.hubs.revoke(func(o *session) bool { return o == ss }, code)
		return true
	}
	return false
}

// checkAccess reports whether ss's user may still use its chat.
func (s *Server) checkAccess(ctx context.Context, ss *session) (role, error) {
	_, role, err := s.chatRole(ctx, ss.chatID, ss.userID)
	if wcp.ErrorCode(err) == wcp.CodeNotFound {
		return roleNone, wcp.NewError(wcp.CodeChatNotFound, "chat not found")
	}
	if err != nil {
		return roleNone, err
	}
	if role == roleNone {
		return roleNone, wcp.NewError(wcp.CodeForbidden, "access revoked")
	}
	return role, nil
}
