package reference

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/reference/sqlite"
)

// gatedStore holds the first AppendMessages until released, and records
// the size of every batch.
type gatedStore struct {
	Store
	once    sync.Once
	entered chan struct{}
	release chan struct{}
	mu      sync.Mutex
	batches []int
}

func (g *gatedStore) AppendMessages(ctx context.Context, msgs []wcp.Message) ([]bool, error) {
	g.once.Do(func() {
		close(g.entered)
		<-g.release
	})
	g.mu.Lock()
	g.batches = append(g.batches, len(msgs))
	g.mu.Unlock()
	return g.Store.AppendMessages(ctx, msgs)
}

// TestGroupCommit: messages queued while a commit runs go into the next
// commit together, get consecutive seqs per chat, and are all acknowledged
// only after their commit.
func TestGroupCommit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.CreateUser(ctx, wcp.User{ID: "u"}, []byte("h"), "t")
	db.CreateWorkspace(ctx, wcp.Workspace{ID: "w", OwnerID: "u"})
	for _, c := range []string{"a", "b"} {
		if err := db.CreateChat(ctx, wcp.Chat{ID: c, WorkspaceID: "w"}); err != nil {
			t.Fatal(err)
		}
	}
	g := &gatedStore{Store: db, entered: make(chan struct{}), release: make(chan struct{})}
	s := &Server{log: slog.New(slog.NewTextHandler(io.Discard, nil)), now: time.Now, store: g, metrics: newMetrics()}
	s.hubs = newHubs(s)
	w := newWriter(s)

	var mu sync.Mutex
	acks := map[string][]int64{}
	var wg sync.WaitGroup
	send := func(chat string) {
		wg.Add(1)
		w.submit(&pending{msg: wcp.Message{ID: newID("m_"), ChatID: chat, UserID: "u", Body: "b"}, received: time.Now(),
			ack: func(a []any, _ error) {
				defer wg.Done()
				ack := a[0].(wcp.Ack)
				if !ack.OK {
					t.Errorf("refused: %+v", ack.Error)
				}
				mu.Lock()
				acks[chat] = append(acks[chat], ack.Seq)
				mu.Unlock()
			}})
	}
	send("a")
	<-g.entered // the first commit is running
	for i := range 50 {
		send([]string{"a", "b"}[i%2])
	}
	time.Sleep(20 * time.Millisecond)
	mu.Lock()
	early := len(acks)
	mu.Unlock()
	if early != 0 {
		t.Fatal("acknowledged before the commit")
	}
	close(g.release)
	wg.Wait()
	w.close()
	if len(g.batches) != 2 || g.batches[0] != 1 || g.batches[1] != 50 {
		t.Fatalf("batches %v, want [1 50]", g.batches)
	}
	for chat, seqs := range acks {
		for i, seq := range seqs {
			if seq != int64(i+1) {
				t.Fatalf("chat %s: ack %d has seq %d (%v)", chat, i, seq, seqs)
			}
		}
	}
}
