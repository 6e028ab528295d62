package reference

import (
	"context"

	"github.com/wcp-project/wcp"
)

// Store is what the server needs from its database. reference/sqlite
// implements it. Lookups of missing rows return a *wcp.Error with code
// not_found; every method is safe for concurrent use.
type Store interface {
	CreateUser(ctx context.Context, u wcp.User, tokenHash []byte, createdAt string) error
	UserByTokenHash(ctx context.Context, h []byte) (string, error)
	UserExists(ctx context.Context, id string) (bool, error)

	CreateWorkspace(ctx context.Context, w wcp.Workspace) error
	Workspace(ctx context.Context, id string) (wcp.Workspace, error)
	DeleteWorkspace(ctx context.Context, id string) error
	Members(ctx context.Context, workspaceID string) ([]string, error)
	IsMember(ctx context.Context, workspaceID, userID string) (bool, error)
	AddMember(ctx context.Context, workspaceID, userID string) error
	RemoveMember(ctx context.Context, workspaceID, userID string) (bool, error)

	CreateChat(ctx context.Context, c wcp.Chat) error
	Chat(ctx context.Context, id string) (wcp.Chat, error)
	// ChatAccess is Chat plus its workspace's owner and whether userID is a
	// member there.
	ChatAccess(ctx context.Context, chatID, userID string) (c wcp.Chat, ownerID string, member bool, err error)
	Chats(ctx context.Context, workspaceID string) ([]wcp.Chat, error)
	DeleteChat(ctx context.Context, id string) error

	// LastSeq and AppendMessages are only called by the single writer
	// goroutine, which is what makes seq assignment race-free.
	LastSeq(ctx context.Context, chatID string) (int64, error)
	AppendMessages(ctx context.Context, msgs []wcp.Message) (stored []bool, err error)
	Messages(ctx context.Context, chatID string, after int64, limit int) ([]wcp.Message, error)

	// LegacySecret is the connection-string secret older servers kept in
	// the database, nil if none; DeleteLegacySecret removes it once it has
	// moved to its file.
	LegacySecret(ctx context.Context) ([]byte, error)
	DeleteLegacySecret(ctx context.Context) error
	Close() error
}
