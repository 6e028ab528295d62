package reference_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
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
// client=raw senders speak Engine.IO frames directly and do not decode
// deliveries, so that the numbers are mostly the server's; client=sio uses
// the full Socket.IO client, which costs more than the server does.
func BenchmarkAccept(b *testing.B) {
	for _, cl := range []string{"raw", "sio"} {
		for _, db := range []string{"memory", "file"} {
			for _, senders := range []int{1, 20, 200} {
				b.Run(fmt.Sprintf("client=%s/db=%s/senders=%d", cl, db, senders), func(b *testing.B) {
					benchAccept(b, cl, db, senders)
				})
			}
		}
	}
}

// sender sends one message and waits for its ack.
type sender func(ctx context.Context) error

func benchAccept(b *testing.B, cl, db string, senders int) {
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
	send := make([]sender, senders)
	for i := range send {
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
		auth := wcp.Auth{ChatID: chatID, ConnectionString: cs.ConnectionString}
		if cl == "raw" {
			send[i] = rawSender(b, srv.URL(), auth)
		} else {
			send[i] = sioSender(b, srv.URL(), auth)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	began := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	for _, s := range send {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				if err := s(ctx); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(began)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "acks/s")
}

const benchBody = "benchmark body of a typical length, some forty bytes"

func sioSender(b *testing.B, url string, auth wcp.Auth) sender {
	s, err := client.Connect(context.Background(), url, auth, &client.Options{OnMessage: func(wcp.Message, time.Time) {}, AckTimeout: 30 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(s.Close)
	return func(ctx context.Context) error {
		ack, err := s.Send(ctx, benchBody)
		if err == nil && !ack.OK {
			err = ack.Error
		}
		return err
	}
}

func rawSender(b *testing.B, url string, auth wcp.Auth) sender {
	ctx := context.Background()
	rc, err := client.DialRaw(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { rc.Close() })
	a, _ := json.Marshal(auth)
	if p, err := rc.Connect(ctx, string(a)); err != nil || p.Type != client.PacketConnect {
		b.Fatalf("raw connect: %+v %v", p, err)
	}
	p, err := rc.Read(ctx)
	if err != nil {
		b.Fatal(err)
	}
	var ev []json.RawMessage
	var info wcp.Session
	if json.Unmarshal(p.Data, &ev) != nil || len(ev) != 2 || json.Unmarshal(ev[1], &info) != nil {
		b.Fatalf("session event %s", p.Data)
	}
	signer, err := wcp.NewSignerFromKey(info.MessageKey)
	if err != nil {
		b.Fatal(err)
	}
	var nonce uint64
	return func(ctx context.Context) error {
		nonce++
		ms := signer.Sign(info.ChatID, info.SessionID, int64(nonce), benchBody)
		frame := fmt.Sprintf(`["message",{"chat_id":%q,"nonce":%d,"body":%q,"message_string":%q}]`, info.ChatID, nonce, benchBody, ms)
		if err := rc.Emit(frame, &nonce); err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		data, err := rc.WaitAck(ctx, nonce)
		if err != nil {
			return err
		}
		if !strings.Contains(string(data), `"ok":true`) {
			return fmt.Errorf("refused: %s", data)
		}
		return nil
	}
}
