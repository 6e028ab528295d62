package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/wcp-project/wcp"
)

// CreateUser stores a user. Only the SHA-256 of the token is kept, so a leaked
// database does not leak credentials; u.Token is ignored.
func (db *DB) CreateUser(ctx context.Context, u wcp.User, tokenHash []byte, createdAt string) error {
	_, err := db.w.ExecContext(ctx, `INSERT INTO users(id, name, token_hash, created_at) VALUES (?, ?, ?, ?)`,
		u.ID, u.Name, tokenHash, createdAt)
	if err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	return nil
}

// UserByTokenHash returns the ID of the user whose token hashes to h, or a
// not_found *wcp.Error.
func (db *DB) UserByTokenHash(ctx context.Context, h []byte) (string, error) {
	var id string
	err := db.r.QueryRowContext(ctx, `SELECT id FROM users WHERE token_hash = ?`, h).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", notFound("user")
	}
	if err != nil {
		return "", fmt.Errorf("user by token: %w", err)
	}
	return id, nil
}

// UserExists reports whether a user with this ID exists.
func (db *DB) UserExists(ctx context.Context, id string) (bool, error) {
	var n int
	if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE id = ?`, id).Scan(&n); err != nil {
		return false, fmt.Errorf("user exists: %w", err)
	}
	return n > 0, nil
}
