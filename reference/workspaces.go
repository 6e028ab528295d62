package reference

import (
	"context"
	"fmt"
	"net/http"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/internal/fault"
)

// role is what a user is to a workspace.
type role int

const (
	roleNone role = iota
	roleMember
	roleOwner
)

// workspaceRole loads a workspace (404 when missing or malformed ID) and the
// caller's role in it.
func (s *Server) workspaceRole(ctx context.Context, id, userID string) (wcp.Workspace, role, error) {
	if !wcp.ValidID(id) {
		return wcp.Workspace{}, roleNone, wcp.NewError(wcp.CodeNotFound, "workspace not found")
	}
	ws, err := s.store.Workspace(ctx, id)
	if err != nil {
		return ws, roleNone, err
	}
	if ws.OwnerID == userID {
		return ws, roleOwner, nil
	}
	member, err := s.store.IsMember(ctx, id, userID)
	if err != nil {
		return ws, roleNone, err
	}
	if member {
		return ws, roleMember, nil
	}
	return ws, roleNone, nil
}

// allow refuses a caller whose role is below need. Both refusals are 403;
// the message says whether the caller lacks access or only ownership.
func allow(got, need role) error {
	switch {
	case got >= need:
		return nil
	case got == roleNone:
		return errNoAccess
	}
	return errNotOwner
}

// pathWorkspace authenticates the caller and loads the workspace the path
// names, in OWN-1's order: 401, then 404, then 403 below need. (Handlers
// with a body check it between the token and the lookup themselves.)
func (s *Server) pathWorkspace(r *http.Request, need role) (wcp.Workspace, error) {
	uid, err := s.authenticate(r)
	if err != nil {
		return wcp.Workspace{}, err
	}
	ws, got, err := s.workspaceRole(r.Context(), r.PathValue("id"), uid)
	if err != nil {
		return ws, err
	}
	return ws, allow(got, need)
}

var (
	errNotOwner  = wcp.NewError(wcp.CodeForbidden, "only the workspace owner may do this")
	errNoAccess  = wcp.NewError(wcp.CodeForbidden, "you are neither owner nor member of this workspace")
	errNoChat    = wcp.NewError(wcp.CodeNotFound, "chat not found")
	errNoUser    = wcp.NewError(wcp.CodeNotFound, "user not found")
	errNoOwnerRm = wcp.NewError(wcp.CodeBadRequest, "the owner cannot be removed from the members")
)

func (s *Server) createWorkspace(w http.ResponseWriter, r *http.Request) error {
	uid, err := s.authenticate(r)
	if err != nil {
		return err
	}
	var in wcp.CreateWorkspaceRequest
	if err := s.readJSON(r, &in, false, "name"); err != nil {
		return err
	}
	if err := checkName("name", in.Name, wcp.MaxNameLen); err != nil {
		return err
	}
	ws := wcp.Workspace{ID: newID("w_"), Name: in.Name, OwnerID: uid, CreatedAt: wcp.FormatTime(s.now())}
	if err := s.store.CreateWorkspace(r.Context(), ws); err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, ws)
}

// workspaceView is GET /workspaces/{id}: wcp.Workspace drops an empty
// members list (omitempty), the protocol wants it as [] always.
type workspaceView struct {
	wcp.Workspace
	Members []string `json:"members"`
}

func (s *Server) getWorkspace(w http.ResponseWriter, r *http.Request) error {
	ws, err := s.pathWorkspace(r, roleMember)
	if err != nil {
		return err
	}
	members, err := s.store.Members(r.Context(), ws.ID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, workspaceView{Workspace: ws, Members: members})
}

func (s *Server) deleteWorkspace(w http.ResponseWriter, r *http.Request) error {
	ws, err := s.pathWorkspace(r, roleOwner)
	if err != nil {
		return err
	}
	if err := s.store.DeleteWorkspace(r.Context(), ws.ID); err != nil {
		return err
	}
	s.hubs.revoke(func(ss *session) bool { return ss.workspaceID == ws.ID }, wcp.CodeChatNotFound)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) addMember(w http.ResponseWriter, r *http.Request) error {
	uid, err := s.authenticate(r)
	if err != nil {
		return err
	}
	var in wcp.AddMemberRequest
	if err := s.readJSON(r, &in, false, "user_id"); err != nil {
		return err
	}
	ws, got, err := s.workspaceRole(r.Context(), r.PathValue("id"), uid)
	if err != nil {
		return err
	}
	if err := allow(got, roleOwner); err != nil {
		return err
	}
	// Adding the owner is a no-op: the owner is never listed among members.
	if in.UserID != ws.OwnerID {
		if !wcp.ValidID(in.UserID) {
			return errNoUser
		}
		ok, err := s.store.UserExists(r.Context(), in.UserID)
		if err != nil {
			return err
		}
		if !ok {
			return errNoUser
		}
		if err := s.store.AddMember(r.Context(), ws.ID, in.UserID); err != nil {
			return err
		}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) removeMember(w http.ResponseWriter, r *http.Request) error {
	ws, err := s.pathWorkspace(r, roleOwner)
	if err != nil {
		return err
	}
	target := r.PathValue("user_id")
	if target == ws.OwnerID {
		if s.fault == fault.OwnerRemovable {
			w.WriteHeader(http.StatusNoContent)
			return nil
		}
		return errNoOwnerRm
	}
	if _, err := s.store.RemoveMember(r.Context(), ws.ID, target); err != nil {
		return fmt.Errorf("remove member: %w", err)
	}
	if s.fault != fault.NoRevoke {
		s.hubs.revoke(func(ss *session) bool { return ss.workspaceID == ws.ID && ss.userID == target }, wcp.CodeForbidden)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listChats(w http.ResponseWriter, r *http.Request) error {
	ws, err := s.pathWorkspace(r, roleMember)
	if err != nil {
		return err
	}
	chats, err := s.store.Chats(r.Context(), ws.ID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, wcp.ChatList{Chats: chats})
}
