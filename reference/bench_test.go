package reference_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/client"
)

// BenchmarkAccept measures the whole accept path over real sockets: the
// MSG-5 checks, the group commit, the ack and the fan-out to every session
// of the chat (chats of up to 10 senders). One op is one acknowledged
// message; each sender keeps one message in flight, as the load test does.
func BenchmarkAccept(b *testing.B) {
	for _, db := range []string{"memory", "file"} {
		for _, senders := range []int{1, 20, 200} {
			b.Run(fmt.Sprintf("db=%s/senders=%d", db, senders), func(b *testing.B) {
				benchAccept(b, db, senders)
			})
		}
	}
}

func benchAccept(b *testing.B, db string, senders int) {
	var opts []option
	if db == "file" {
		opts = append(opts, withDB(filepath.Join(b.TempDir(), "wcp.db")))
	}
	srv := start(b, opts...)
	ctx := context.Background()
	anon := client.New(srv.URL(), nil)
	u, err := anon.CreateUser(ctx, "bench")
	if err != nil {
		b.Fatal(err)
	}
	c := anon.WithToken(u.Token)
	ws, err := c.CreateWorkspace(ctx, "bench")
	if err != nil {
		b.Fatal(err)
	}
	var chatID string
	var delivered atomic.Int64
	sessions := make([]*client.Session, senders)
	for i := range sessions {
		if i%10 == 0 {
			ch, err := c.CreateChat(ctx, ws.ID, "bench")
			if err != nil {
				b.Fatal(err)
			}
			chatID = ch.ID
		}
		cs, err := c.ConnectionString(ctx, chatID, 3600)
		if err != nil {
			b.Fatal(err)
		}
		s, err := client.Connect(ctx, srv.URL(), wcp.Auth{ChatID: chatID, ConnectionString: cs.ConnectionString},
			&client.Options{OnMessage: func(wcp.Message, time.Time) { delivered.Add(1) }, AckTimeout: 30 * time.Second})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(s.Close)
		sessions[i] = s
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	for _, s := range sessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				if ack, err := s.Send(ctx, "benchmark body of a typical length, some forty bytes"); err != nil || !ack.OK {
					b.Errorf("send: %+v %v", ack, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "acks/s")
}
