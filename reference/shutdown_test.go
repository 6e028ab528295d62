package reference_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/reference/sqlite"
)

// TestCloseAcknowledgesEveryStoredMessage: Close while senders keep
// several messages each in flight stores no message that it does not also
// acknowledge to its sender, and loses none it acknowledged. A message
// arriving once Close has begun is refused (internal), not stored.
func TestCloseAcknowledgesEveryStoredMessage(t *testing.T) {
	t.Parallel()
	const (
		senders  = 8
		inFlight = 32
		closeAt  = 500 // acks received before Close starts
	)
	db := filepath.Join(t.TempDir(), "wcp.db")
	srv := start(t, withDB(db))
	w := newWorld(t, srv)
	ctx := ctxT(t)

	var (
		mu      sync.Mutex
		acked   = map[string]bool{} // message IDs
		refused int
		busy    = make(chan struct{}) // closed at the closeAt-th ack
		sending sync.WaitGroup        // sender loops
		waiting sync.WaitGroup        // ack callbacks still due
	)
	for i := range senders {
		c := w.owner
		if i%2 == 1 {
			c = w.member
		}
		ss := connect(t, srv, c, w.chatID, nil)
		sending.Add(1)
		go func() {
			defer sending.Done()
			window := make(chan struct{}, inFlight)
			for n := 0; ; n++ {
				select {
				case window <- struct{}{}:
				case <-ss.Done():
					return
				case <-ctx.Done():
					return
				}
				waiting.Add(1)
				ss.SendAsync(ss.Next(fmt.Sprint("s", i, "-", n)), func(a wcp.Ack, err error) {
					defer waiting.Done()
					defer func() { <-window }()
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err == nil:
						acked[a.ID] = true
						if len(acked) == closeAt {
							close(busy)
						}
					case wcp.ErrorCode(err) == wcp.CodeInternal:
						refused++
					}
				})
			}
		}()
	}
	select {
	case <-busy:
	case <-ctx.Done():
		t.Fatal("the senders got no acks")
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	sending.Wait()
	waiting.Wait() // unanswered sends end with ErrClosed or ErrAckTimeout
	if ctx.Err() != nil {
		t.Fatal("the senders did not end with the server")
	}

	store, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	stored := map[string]bool{}
	for after := int64(0); ; {
		page, err := store.Messages(context.Background(), w.chatID, after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, m := range page {
			stored[m.ID] = true
		}
		after = page[len(page)-1].Seq
	}
	mu.Lock()
	defer mu.Unlock()
	unacked, lost := 0, 0
	for id := range stored {
		if !acked[id] {
			unacked++
		}
	}
	for id := range acked {
		if !stored[id] {
			lost++
		}
	}
	t.Logf("%d stored, %d acknowledged, %d refused while shutting down", len(stored), len(acked), refused)
	if unacked > 0 {
		t.Errorf("%d messages stored but never acknowledged: a client that retries them duplicates them", unacked)
	}
	if lost > 0 {
		t.Errorf("%d acknowledged messages not stored (MSG-3)", lost)
	}
}
