package reference

import (
	"context"
	"sync"

	"github.com/wcp-project/wcp"
)

// volatileMessages keeps messages in memory instead of the database: the
// fault.NotDurable defect (MSG-3). Everything else goes to the real store.
type volatileMessages struct {
	Store
	mu    sync.Mutex
	chats map[string][]wcp.Message
}

func newVolatileMessages(s Store) *volatileMessages {
	return &volatileMessages{Store: s, chats: make(map[string][]wcp.Message)}
}

func (v *volatileMessages) LastSeq(ctx context.Context, chatID string) (int64, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if ms := v.chats[chatID]; len(ms) > 0 {
		return ms[len(ms)-1].Seq, nil
	}
	return 0, nil
}

func (v *volatileMessages) AppendMessages(ctx context.Context, msgs []wcp.Message) ([]bool, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	stored := make([]bool, len(msgs))
	for i, m := range msgs {
		v.chats[m.ChatID] = append(v.chats[m.ChatID], m)
		stored[i] = true
	}
	return stored, nil
}

func (v *volatileMessages) Messages(ctx context.Context, chatID string, after int64, limit int) ([]wcp.Message, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := []wcp.Message{}
	for _, m := range v.chats[chatID] {
		if m.Seq > after && len(out) < limit {
			out = append(out, m)
		}
	}
	return out, nil
}
