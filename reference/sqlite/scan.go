package sqlite

import (
	"context"
	"fmt"

	"github.com/wcp-project/wcp"
)

// ScanMessages calls fn with the messages of a chat with seq > after, in seq
// order, at most limit of them, one at a time, until fn returns false or
// they run out. Only the message fn is given is in memory, so a caller can
// bound what a page costs by bytes rather than by count (Messages holds
// the whole page). fn runs while a database connection is held (for
// ":memory:" the only one): it must not block, on a client least of all.
func (db *DB) ScanMessages(ctx context.Context, chatID string, after int64, limit int, fn func(wcp.Message) bool) error {
	rows, err := db.r.QueryContext(ctx, `SELECT id, chat_id, seq, user_id, body, sent_at FROM messages
		WHERE chat_id = ? AND seq > ? ORDER BY seq LIMIT ?`, chatID, after, limit)
	if err != nil {
		return fmt.Errorf("scan messages: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var m wcp.Message
		if err := rows.Scan(&m.ID, &m.ChatID, &m.Seq, &m.UserID, &m.Body, &m.SentAt); err != nil {
			return fmt.Errorf("scan messages: %w", err)
		}
		if !fn(m) {
			break
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("scan messages: %w", err)
	}
	return nil
}
