package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/wcp-project/wcp"
)

// CreateChat stores a chat. A chat for a missing workspace is refused with a
// not_found *wcp.Error (the foreign key says no).
func (db *DB) CreateChat(ctx context.Context, c wcp.Chat) error {
	_, err := db.w.ExecContext(ctx, `INSERT INTO chats(id, workspace_id, title, created_at) VALUES (?, ?, ?, ?)`,
		c.ID, c.WorkspaceID, c.Title, c.CreatedAt)
	if isConstraint(err) {
		return fmt.Errorf("create chat: %w", notFound("workspace"))
	}
	if err != nil {
		return fmt.Errorf("create chat: %w", err)
	}
	return nil
}

// Chat returns a chat, or a not_found *wcp.Error.
func (db *DB) Chat(ctx context.Context, id string) (wcp.Chat, error) {
	var c wcp.Chat
	err := db.r.QueryRowContext(ctx, `SELECT id, workspace_id, title, created_at FROM chats WHERE id = ?`, id).
		Scan(&c.ID, &c.WorkspaceID, &c.Title, &c.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return c, notFound("chat")
	}
	if err != nil {
		return c, fmt.Errorf("get chat: %w", err)
	}
	return c, nil
}

// Chats lists the chats of a workspace, oldest first; never nil.
func (db *DB) Chats(ctx context.Context, workspaceID string) ([]wcp.Chat, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, workspace_id, title, created_at FROM chats WHERE workspace_id = ? ORDER BY rowid`, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("list chats: %w", err)
	}
	defer rows.Close()
	chats := []wcp.Chat{}
	for rows.Next() {
		var c wcp.Chat
		if err := rows.Scan(&c.ID, &c.WorkspaceID, &c.Title, &c.CreatedAt); err != nil {
			return nil, fmt.Errorf("list chats: %w", err)
		}
		chats = append(chats, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list chats: %w", err)
	}
	return chats, nil
}

// DeleteChat deletes a chat and its messages; a missing chat is not an error.
func (db *DB) DeleteChat(ctx context.Context, id string) error {
	if _, err := db.w.ExecContext(ctx, `DELETE FROM chats WHERE id = ?`, id); err != nil {
		return fmt.Errorf("delete chat: %w", err)
	}
	return nil
}

// ChatAccess returns a chat with its workspace's owner and whether userID is
// a member of that workspace, in one query: every chat-level call and every
// connect needs all three. A missing chat is a not_found *wcp.Error.
func (db *DB) ChatAccess(ctx context.Context, chatID, userID string) (c wcp.Chat, ownerID string, member bool, err error) {
	err = db.r.QueryRowContext(ctx, `SELECT c.id, c.workspace_id, c.title, c.created_at, w.owner_id,
			EXISTS (SELECT 1 FROM members m WHERE m.workspace_id = c.workspace_id AND m.user_id = ?2)
		FROM chats c JOIN workspaces w ON w.id = c.workspace_id WHERE c.id = ?1`, chatID, userID).
		Scan(&c.ID, &c.WorkspaceID, &c.Title, &c.CreatedAt, &ownerID, &member)
	if errors.Is(err, sql.ErrNoRows) {
		return c, "", false, notFound("chat")
	}
	if err != nil {
		return c, "", false, fmt.Errorf("chat access: %w", err)
	}
	return c, ownerID, member, nil
}
