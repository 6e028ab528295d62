package sqlite

import (
	"context"
	"fmt"

	"github.com/wcp-project/wcp"
)

// LastSeq returns the highest seq stored for a chat, 0 when it has none.
func (db *DB) LastSeq(ctx context.Context, chatID string) (int64, error) {
	var seq int64
	err := db.w.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM messages WHERE chat_id = ?`, chatID).Scan(&seq)
	if err != nil {
		return 0, fmt.Errorf("last seq: %w", err)
	}
	return seq, nil
}

// AppendMessages stores a batch of messages, seqs already assigned, in one
// transaction: one commit (one fsync) for the whole group. A message whose
// chat no longer exists is skipped, and stored[i] reports whether msgs[i]
// was kept. On error nothing is stored.
func (db *DB) AppendMessages(ctx context.Context, msgs []wcp.Message) (stored []bool, err error) {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("append messages: %w", err)
	}
	defer tx.Rollback()
	// The rows are inserted without ctx's cancellation (the transaction
	// itself, its begin and commit, still obey ctx): inside the IMMEDIATE
	// transaction they wait for no lock, and the driver pays for a
	// cancellable context with a watcher goroutine per statement.
	rowCtx := context.WithoutCancel(ctx)
	stmt := tx.StmtContext(rowCtx, db.insertMessage)
	defer stmt.Close()
	stored = make([]bool, len(msgs))
	gone := map[string]bool{}
	for i, m := range msgs {
		if gone[m.ChatID] {
			continue
		}
		_, err := stmt.ExecContext(rowCtx, m.ChatID, m.Seq, m.ID, m.UserID, m.Body, m.SentAt)
		// A chat deleted while its message was queued fails the foreign key.
		// SQLite undoes just that statement, so the rest of the batch goes on
		// and the message is reported as not stored.
		if isForeignKey(err) {
			gone[m.ChatID] = true
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("append message %d: %w", m.Seq, err)
		}
		stored[i] = true
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("append messages: %w", err)
	}
	return stored, nil
}

// Messages lists up to limit messages of a chat with seq > after, in seq
// order; never nil.
func (db *DB) Messages(ctx context.Context, chatID string, after int64, limit int) ([]wcp.Message, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, chat_id, seq, user_id, body, sent_at FROM messages
		WHERE chat_id = ? AND seq > ? ORDER BY seq LIMIT ?`, chatID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list messages: %w", err)
	}
	defer rows.Close()
	msgs := []wcp.Message{}
	for rows.Next() {
		var m wcp.Message
		if err := rows.Scan(&m.ID, &m.ChatID, &m.Seq, &m.UserID, &m.Body, &m.SentAt); err != nil {
			return nil, fmt.Errorf("list messages: %w", err)
		}
		msgs = append(msgs, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list messages: %w", err)
	}
	return msgs, nil
}
