package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/wcp-project/wcp"
)

// CreateUser registers a user (POST /users); the answer carries its token.
func (c *Client) CreateUser(ctx context.Context, name string) (wcp.User, error) {
	var u wcp.User
	err := c.call(ctx, http.MethodPost, wcp.PathUsers, wcp.CreateUserRequest{Name: name}, http.StatusCreated, &u)
	return u, err
}

// CreateWorkspace creates a workspace owned by the caller.
func (c *Client) CreateWorkspace(ctx context.Context, name string) (wcp.Workspace, error) {
	var w wcp.Workspace
	err := c.call(ctx, http.MethodPost, wcp.PathWorkspaces, wcp.CreateWorkspaceRequest{Name: name}, http.StatusCreated, &w)
	return w, err
}

// GetWorkspace returns the workspace with its members.
func (c *Client) GetWorkspace(ctx context.Context, id string) (wcp.Workspace, error) {
	var w wcp.Workspace
	err := c.call(ctx, http.MethodGet, wcp.WorkspacePath(id), nil, http.StatusOK, &w)
	return w, err
}

// DeleteWorkspace deletes the workspace and its chats.
func (c *Client) DeleteWorkspace(ctx context.Context, id string) error {
	return c.call(ctx, http.MethodDelete, wcp.WorkspacePath(id), nil, http.StatusNoContent, nil)
}

// AddMember makes userID a member of the workspace.
func (c *Client) AddMember(ctx context.Context, workspaceID, userID string) error {
	return c.call(ctx, http.MethodPost, wcp.MembersPath(workspaceID),
		wcp.AddMemberRequest{UserID: userID}, http.StatusNoContent, nil)
}

// RemoveMember removes userID from the workspace's members.
func (c *Client) RemoveMember(ctx context.Context, workspaceID, userID string) error {
	return c.call(ctx, http.MethodDelete, wcp.MemberPath(workspaceID, userID), nil, http.StatusNoContent, nil)
}

// ListChats lists the workspace's chats, oldest first.
func (c *Client) ListChats(ctx context.Context, workspaceID string) ([]wcp.Chat, error) {
	var l wcp.ChatList
	err := c.call(ctx, http.MethodGet, wcp.WorkspaceChatsPath(workspaceID), nil, http.StatusOK, &l)
	return l.Chats, err
}

// CreateChat creates a chat in the workspace (owner only, OWN-1).
func (c *Client) CreateChat(ctx context.Context, workspaceID, title string) (wcp.Chat, error) {
	var ch wcp.Chat
	err := c.call(ctx, http.MethodPost, wcp.PathChats, wcp.CreateChatRequest{WorkspaceID: workspaceID, Title: title}, http.StatusCreated, &ch)
	return ch, err
}

// GetChat returns the chat.
func (c *Client) GetChat(ctx context.Context, id string) (wcp.Chat, error) {
	var ch wcp.Chat
	err := c.call(ctx, http.MethodGet, wcp.ChatPath(id), nil, http.StatusOK, &ch)
	return ch, err
}

// DeleteChat deletes the chat.
func (c *Client) DeleteChat(ctx context.Context, id string) error {
	return c.call(ctx, http.MethodDelete, wcp.ChatPath(id), nil, http.StatusNoContent, nil)
}

// ConnectionString asks for a connection string for the chat. ttlSeconds 0
// leaves ttl_seconds out, so the server's default (300 s) applies.
func (c *Client) ConnectionString(ctx context.Context, chatID string, ttlSeconds int) (wcp.ConnectionString, error) {
	var in wcp.ConnectionStringRequest
	if ttlSeconds != 0 {
		in.TTLSeconds = &ttlSeconds
	}
	var cs wcp.ConnectionString
	err := c.call(ctx, http.MethodPost, wcp.ConnectionStringPath(chatID), in, http.StatusCreated, &cs)
	return cs, err
}

// Messages lists stored messages with seq > after, at most limit of them
// (0 leaves the parameter out, so the server's default applies).
func (c *Client) Messages(ctx context.Context, chatID string, after int64, limit int) (wcp.MessagePage, error) {
	q := url.Values{}
	q.Set("after", strconv.FormatInt(after, 10))
	if limit != 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var p wcp.MessagePage
	err := c.call(ctx, http.MethodGet, wcp.MessagesPath(chatID)+"?"+q.Encode(), nil, http.StatusOK, &p)
	return p, err
}

// AllMessages pages through every stored message of the chat with seq > after.
func (c *Client) AllMessages(ctx context.Context, chatID string, after int64) ([]wcp.Message, error) {
	var all []wcp.Message
	for {
		p, err := c.Messages(ctx, chatID, after, wcp.MaxPageLimit)
		if err != nil {
			return all, err
		}
		all = append(all, p.Messages...)
		if len(p.Messages) == 0 || p.NextAfter <= after {
			return all, nil
		}
		after = p.NextAfter
	}
}
