package reference

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/internal/fault"
)

// chatRole loads a chat (404 when it or its workspace is missing) and the
// caller's role in its workspace.
func (s *Server) chatRole(ctx context.Context, id, userID string) (wcp.Chat, role, error) {
	if !wcp.ValidID(id) {
		return wcp.Chat{}, roleNone, errNoChat
	}
	c, owner, member, err := s.store.ChatAccess(ctx, id, userID)
	switch {
	case err != nil:
		return c, roleNone, err
	case owner == userID:
		return c, roleOwner, nil
	case member:
		return c, roleMember, nil
	}
	return c, roleNone, nil
}

// pathChat authenticates the caller and loads the chat the path names:
// 401, then 404, then 403 below need.
func (s *Server) pathChat(r *http.Request, need role) (wcp.Chat, error) {
	uid, err := s.authenticate(r)
	if err != nil {
		return wcp.Chat{}, err
	}
	c, got, err := s.chatRole(r.Context(), r.PathValue("id"), uid)
	if err != nil {
		return c, err
	}
	return c, allow(got, need)
}

func (s *Server) createChat(w http.ResponseWriter, r *http.Request) error {
	uid, err := s.authenticate(r)
	if err != nil {
		return err
	}
	var in wcp.CreateChatRequest
	if err := s.readJSON(r, &in, false, "workspace_id", "title"); err != nil {
		return err
	}
	if err := checkName("title", in.Title, wcp.MaxTitleLen); err != nil {
		return err
	}
	c := wcp.Chat{ID: newID("c_"), WorkspaceID: in.WorkspaceID, Title: in.Title, CreatedAt: wcp.FormatTime(s.now())}
	if s.fault == fault.CreateBeforeChecks {
		s.store.CreateChat(r.Context(), c)
	}
	_, got, err := s.workspaceRole(r.Context(), in.WorkspaceID, uid)
	if err != nil {
		return err
	}
	need := roleOwner
	if s.fault == fault.OwnerCheckSkipped {
		need = roleMember
	}
	if err := allow(got, need); err != nil {
		return err
	}
	if s.fault != fault.CreateBeforeChecks {
		if err := s.store.CreateChat(r.Context(), c); err != nil {
			return err
		}
	}
	return writeJSON(w, http.StatusCreated, c)
}

func (s *Server) getChat(w http.ResponseWriter, r *http.Request) error {
	need := roleMember
	if s.fault == fault.OutsiderMayRead {
		need = roleNone
	}
	c, err := s.pathChat(r, need)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

func (s *Server) deleteChat(w http.ResponseWriter, r *http.Request) error {
	need := roleOwner
	if s.fault == fault.MemberMayDeleteChat {
		need = roleMember
	}
	c, err := s.pathChat(r, need)
	if err != nil {
		return err
	}
	if s.fault == fault.DeletedChatReadable {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	if err := s.store.DeleteChat(r.Context(), c.ID); err != nil {
		return err
	}
	s.hubs.revoke(func(ss *session) bool { return ss.chatID == c.ID }, wcp.CodeChatNotFound)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// ttlSeconds parses the optional ttl_seconds: absent or null means the
// default; otherwise a JSON number with an integral value in 1..3600 (so 60
// and 6e1 are fine, 1.5 and "60" are not).
func (s *Server) ttlSeconds(raw json.RawMessage) (int64, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return wcp.DefaultTTL, nil
	}
	bad := wcp.NewError(wcp.CodeBadRequest, fmt.Sprintf("ttl_seconds must be an integer in %d..%d", wcp.MinTTLSeconds, wcp.MaxTTLSeconds))
	if c := raw[0]; c != '-' && (c < '0' || c > '9') {
		return 0, bad
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if s.fault == fault.TTLUnchecked && err == nil {
		return int64(max(wcp.MinTTLSeconds, min(wcp.MaxTTLSeconds, f))), nil
	}
	if err != nil || f != math.Trunc(f) || f < wcp.MinTTLSeconds || f > wcp.MaxTTLSeconds {
		return 0, bad
	}
	return int64(f), nil
}

func (s *Server) createConnString(w http.ResponseWriter, r *http.Request) error {
	uid, err := s.authenticate(r)
	if err != nil {
		return err
	}
	// Not wcp.ConnectionStringRequest: its *int refuses 60.0 and 6e1, which
	// this server takes as integers (PROTOCOL.md section 9).
	var in struct {
		TTL json.RawMessage `json:"ttl_seconds"`
	}
	if err := s.readJSON(r, &in, true); err != nil {
		return err
	}
	ttl, err := s.ttlSeconds(in.TTL)
	if err != nil {
		return err
	}
	c, got, err := s.chatRole(r.Context(), r.PathValue("id"), uid)
	if err != nil {
		return err
	}
	if err := allow(got, roleMember); err != nil {
		return err
	}
	issued := s.now()
	life := time.Duration(ttl) * time.Second
	if s.fault == fault.ExpiresAtWrong {
		life *= 2
	}
	expires := issued.Add(life)
	cs := s.connKey.issue(connClaims{UserID: uid, ChatID: c.ID, Issued: issued, Expires: expires})
	return writeJSON(w, http.StatusCreated, wcp.ConnectionString{
		ChatID:           c.ID,
		ConnectionString: cs,
		ExpiresAt:        wcp.FormatTime(expires.Truncate(time.Millisecond)),
	})
}

// queryInt parses an optional integer query parameter in [lo, hi].
func queryInt(q url.Values, name string, def, lo, hi int64) (int64, error) {
	vs, ok := q[name]
	if !ok {
		return def, nil
	}
	n, err := strconv.ParseInt(vs[0], 10, 64)
	if err != nil || n < lo || n > hi || len(vs) > 1 {
		return 0, wcp.NewError(wcp.CodeBadRequest, fmt.Sprintf("%s must be one integer in %d..%d", name, lo, hi))
	}
	return n, nil
}

func (s *Server) listMessages(w http.ResponseWriter, r *http.Request) error {
	uid, err := s.authenticate(r)
	if err != nil {
		return err
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return wcp.NewError(wcp.CodeBadRequest, "malformed query string")
	}
	after, err := queryInt(q, "after", 0, 0, math.MaxInt64)
	if err != nil {
		return err
	}
	limit, err := queryInt(q, "limit", wcp.DefaultPageLimit, 1, wcp.MaxPageLimit)
	if err != nil {
		return err
	}
	c, got, err := s.chatRole(r.Context(), r.PathValue("id"), uid)
	if err != nil {
		return err
	}
	if err := allow(got, roleMember); err != nil {
		return err
	}
	return s.writeMessagePage(r.Context(), w, c.ID, after, int(limit)) // streamed: page.go
}
