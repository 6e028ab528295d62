package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/wcp-project/wcp"
)

// CreateWorkspace stores a workspace; w.Members is ignored.
func (db *DB) CreateWorkspace(ctx context.Context, w wcp.Workspace) error {
	_, err := db.w.ExecContext(ctx, `INSERT INTO workspaces(id, name, owner_id, created_at) VALUES (?, ?, ?, ?)`,
		w.ID, w.Name, w.OwnerID, w.CreatedAt)
	if err != nil {
		return fmt.Errorf("create workspace: %w", err)
	}
	return nil
}

// Workspace returns the workspace without its members, or a not_found
// *wcp.Error.
func (db *DB) Workspace(ctx context.Context, id string) (wcp.Workspace, error) {
	var w wcp.Workspace
	err := db.r.QueryRowContext(ctx, `SELECT id, name, owner_id, created_at FROM workspaces WHERE id = ?`, id).
		Scan(&w.ID, &w.Name, &w.OwnerID, &w.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return w, notFound("workspace")
	}
	if err != nil {
		return w, fmt.Errorf("get workspace: %w", err)
	}
	return w, nil
}

// DeleteWorkspace deletes a workspace with its members, chats and messages.
// Deleting a missing workspace is not an error.
func (db *DB) DeleteWorkspace(ctx context.Context, id string) error {
	if _, err := db.w.ExecContext(ctx, `DELETE FROM workspaces WHERE id = ?`, id); err != nil {
		return fmt.Errorf("delete workspace: %w", err)
	}
	return nil
}

// Members lists the member IDs of a workspace in the order they were added;
// never nil.
func (db *DB) Members(ctx context.Context, workspaceID string) ([]string, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT user_id FROM members WHERE workspace_id = ? ORDER BY rowid`, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("list members: %w", err)
	}
	defer rows.Close()
	ids := []string{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("list members: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list members: %w", err)
	}
	return ids, nil
}

// IsMember reports whether userID is a member (not the owner) of the workspace.
func (db *DB) IsMember(ctx context.Context, workspaceID, userID string) (bool, error) {
	var n int
	err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM members WHERE workspace_id = ? AND user_id = ?`, workspaceID, userID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("is member: %w", err)
	}
	return n > 0, nil
}

// AddMember adds a member; adding one twice is not an error.
func (db *DB) AddMember(ctx context.Context, workspaceID, userID string) error {
	if _, err := db.w.ExecContext(ctx, `INSERT OR IGNORE INTO members(workspace_id, user_id) VALUES (?, ?)`, workspaceID, userID); err != nil {
		return fmt.Errorf("add member: %w", err)
	}
	return nil
}

// RemoveMember removes a member and reports whether it was one.
func (db *DB) RemoveMember(ctx context.Context, workspaceID, userID string) (bool, error) {
	res, err := db.w.ExecContext(ctx, `DELETE FROM members WHERE workspace_id = ? AND user_id = ?`, workspaceID, userID)
	if err != nil {
		return false, fmt.Errorf("remove member: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("remove member: %w", err)
	}
	return n > 0, nil
}
