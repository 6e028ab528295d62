package abuse

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/wcp-project/wcp/client"
)

// cycles is how many CONNECT/DISCONNECT pairs the attack sends on one
// websocket; warmup of them run before the memory it costs is measured.
// Each cycle waits for a scrape of /metrics (see below), about 3 ms of the
// server's CPU, so the 4,000 cycles of the report would take this suite 15
// to 25 s; 2,000 show the same leak (8 KiB a cycle: 14 MiB over 1,750).
const (
	cycles = 2000
	warmup = 250
)

// TestConnectCycles: one websocket connects to a chat and disconnects from
// it over and over. Each CONNECT left a listener on the shared Engine.IO
// connection that no DISCONNECT removed (+32 MB over 4,000 cycles). Now
// the connection costs the same after 2,000 cycles as after 250.
func TestConnectCycles(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	w := newWorld(t, ctx, startServer(t))
	underAttack(t, ctx, target{w: w}, connectCycles, budget{rss: 100 << 20, goroutines: 150, settled: 60})
}

func connectCycles(t testing.TB, ctx context.Context, tg target) {
	w, srv := tg.w, tg.w.srv
	chat := w.chat(t, ctx, "cycled")
	before := sessionsOpen(t, ctx, srv)
	auth, err := json.Marshal(w.auth(t, ctx, nil, chat.ID, nil))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := client.DialRaw(ctx, srv.url)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	start := time.Now()
	var warm int64
	for i := range cycles {
		if i == warmup {
			if warm, err = srv.rss(); err != nil {
				t.Fatal(err)
			}
		}
		p, err := rc.Connect(ctx, string(auth))
		if err != nil || p.Type != client.PacketConnect {
			t.Fatalf("cycle %d: connect: %+v %v", i, p, err)
		}
		// The session event comes once the session counts as open.
		for p.Type != client.PacketEvent {
			if p, err = rc.Read(ctx); err != nil {
				t.Fatalf("cycle %d: waiting for the session event: %v", i, err)
			}
		}
		if err := rc.WriteFrame("41"); err != nil {
			t.Fatalf("cycle %d: disconnect: %v", i, err)
		}
		// The server handles a DISCONNECT on the session's queue, a CONNECT
		// on the connection's reader: a CONNECT sent before the DISCONNECT
		// is through finds the namespace taken and closes the connection.
		// Nothing on the wire says it is through; the session count does.
		deadline := time.Now().Add(5 * time.Second)
		for sessionsOpen(t, ctx, srv) > before {
			if time.Now().After(deadline) {
				t.Fatalf("cycle %d: the session still counts as open 5 s after its DISCONNECT", i)
			}
		}
	}
	end, err := srv.rss()
	if err != nil {
		t.Fatal(err)
	}
	rc.Close()
	t.Logf("%d cycles in %v; RSS %s after %d, %s after %d", cycles, time.Since(start).Round(time.Millisecond), mib(warm), warmup, mib(end), cycles)
	if grew := end - warm; grew > 6<<20 && !tg.shared {
		t.Errorf("RSS grew by %s over %d cycles on one connection, budget 6 MiB", mib(grew), cycles-warmup)
	}
}
