package wcp

// The bodies a client sends to the HTTP API (PROTOCOL.md section 3). Their
// fields are what a client fills in; a server must also tell an absent or
// null field from an empty one, which these value fields cannot, and answer
// both with bad_request.

// CreateUserRequest is the body of POST /users; Name has 1..MaxNameLen
// characters.
type CreateUserRequest struct {
	Name string `json:"name"`
}

// CreateWorkspaceRequest is the body of POST /workspaces; Name has
// 1..MaxNameLen characters.
type CreateWorkspaceRequest struct {
	Name string `json:"name"`
}

// AddMemberRequest is the body of POST /workspaces/{id}/members.
type AddMemberRequest struct {
	UserID string `json:"user_id"`
}

// CreateChatRequest is the body of POST /chat; Title has 1..MaxTitleLen
// characters.
type CreateChatRequest struct {
	WorkspaceID string `json:"workspace_id"`
	Title       string `json:"title"`
}

// ConnectionStringRequest is the body of POST /chat/{id}/connection-string.
// TTLSeconds is optional (nil leaves it out, and the server uses
// DefaultTTL); when given it must be in MinTTLSeconds..MaxTTLSeconds (EXP-3).
type ConnectionStringRequest struct {
	TTLSeconds *int `json:"ttl_seconds,omitempty"`
}
