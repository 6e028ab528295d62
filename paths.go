package wcp

import "net/url"

// HTTP paths of WCP/1 (section 3). The fixed ones are constants; the ones
// that carry an ID are functions, so that every caller escapes the ID the
// same way.
const (
	PathHealthz    = "/healthz"
	PathUsers      = "/users"
	PathWorkspaces = "/workspaces"
	PathChats      = "/chat"
	// PathSocketIO is the Socket.IO endpoint of section 5.
	PathSocketIO = "/socket.io/"
)

// WorkspacePath is the path of one workspace: /workspaces/{id}.
func WorkspacePath(id string) string { return PathWorkspaces + "/" + url.PathEscape(id) }

// MembersPath is the path of a workspace's member list:
// /workspaces/{id}/members.
func MembersPath(workspaceID string) string { return WorkspacePath(workspaceID) + "/members" }

// MemberPath is the path of one membership:
// /workspaces/{id}/members/{user_id}.
func MemberPath(workspaceID, userID string) string {
	return MembersPath(workspaceID) + "/" + url.PathEscape(userID)
}

// WorkspaceChatsPath is the path of a workspace's chats:
// /workspaces/{id}/chats.
func WorkspaceChatsPath(workspaceID string) string { return WorkspacePath(workspaceID) + "/chats" }

// ChatPath is the path of one chat: /chat/{id}.
func ChatPath(id string) string { return PathChats + "/" + url.PathEscape(id) }

// ConnectionStringPath is the path that issues connection strings for a
// chat: /chat/{id}/connection-string.
func ConnectionStringPath(chatID string) string { return ChatPath(chatID) + "/connection-string" }

// MessagesPath is the path of a chat's history, without its query:
// /chat/{id}/messages.
func MessagesPath(chatID string) string { return ChatPath(chatID) + "/messages" }
