package abuse

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/client"
)

// target is what an attack runs against: a world on a server, and a chat
// holding 1,000 messages of ltBody for the attacks on history.
type target struct {
	w       *world
	history wcp.Chat
	// shared: the server is under other load too (TestSoak), so the
	// server's figures are not the attack's own.
	shared bool
}

// history is a world on a server of its own (testLimits and flags) whose
// chat holds 1,000 messages of ltBody. The messages are stored once per
// test process, by a server with a 16 MiB session buffer (64 in flight:
// ten times faster than within 1 MiB), and each test gets a copy of that
// database.
func history(t testing.TB, ctx context.Context, flags ...string) (*world, wcp.Chat) {
	t.Helper()
	seed.once.Do(func() {
		seed.err = errors.New("it failed in an earlier test")
		seedHistory(t, ctx) // fails t if it fails
		seed.err = nil
	})
	if seed.err != nil {
		t.Fatalf("seeding the history: %v", seed.err)
	}
	db := filepath.Join(t.TempDir(), "wcp.db")
	for _, suffix := range []string{"", "-wal", "-shm", ".secret"} {
		b, err := os.ReadFile(seed.db + suffix)
		if errors.Is(err, fs.ErrNotExist) && suffix != "" && suffix != ".secret" {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(db+suffix, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	w := seed.world
	w.hc = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{}}
	t.Cleanup(w.hc.CloseIdleConnections)
	w.moveTo(startServerOn(t, db, flags...))
	return &w, seed.chat
}

// seed is the history database of a test process: TestMain removes dir.
var seed struct {
	once  sync.Once
	dir   string
	db    string
	world world // its server stopped: moveTo another
	chat  wcp.Chat
	err   error
}

func seedHistory(t testing.TB, ctx context.Context) {
	seed.db = filepath.Join(seed.dir, "wcp.db")
	srv := startServerOn(t, seed.db, "--session-buffer=16777216", "--session-burst=16777216")
	w := newWorld(t, ctx, srv)
	seed.chat = w.chat(t, ctx, "history")
	w.fill(t, ctx, seed.chat.ID, 1000, 64, ltBody)
	srv.stop()
	seed.world = *w
}

// world is an owner with a workspace on one server: what every attack
// builds its chats, members and sessions from.
type world struct {
	srv   *server
	hc    *http.Client // its idle connections are closed at the end of the test
	anon  *client.Client
	owner *client.Client
	ws    wcp.Workspace
}

func newWorld(t testing.TB, ctx context.Context, srv *server) *world {
	t.Helper()
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{}}
	t.Cleanup(hc.CloseIdleConnections)
	anon := client.New(srv.url, hc)
	u, err := anon.CreateUser(ctx, "owner")
	if err != nil {
		t.Fatal(err)
	}
	owner := anon.WithToken(u.Token)
	ws, err := owner.CreateWorkspace(ctx, "abuse")
	if err != nil {
		t.Fatal(err)
	}
	return &world{srv: srv, hc: hc, anon: anon, owner: owner, ws: ws}
}

// moveTo points w at srv, a server on the same database as w's: the
// tokens and connection strings stay valid (the secret is kept beside the
// database).
func (w *world) moveTo(srv *server) {
	tok := w.owner.Token()
	w.srv, w.anon = srv, client.New(srv.url, w.hc)
	w.owner = w.anon.WithToken(tok)
}

func (w *world) chat(t testing.TB, ctx context.Context, title string) wcp.Chat {
	t.Helper()
	c, err := w.owner.CreateChat(ctx, w.ws.ID, title)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// member is a new user, member of the workspace.
func (w *world) member(t testing.TB, ctx context.Context, name string) *client.Client {
	t.Helper()
	u, err := w.anon.CreateUser(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.owner.AddMember(ctx, w.ws.ID, u.ID); err != nil {
		t.Fatal(err)
	}
	return w.anon.WithToken(u.Token)
}

// auth is as's handshake for chatID (the owner's when as is nil), with
// after when it is not nil.
func (w *world) auth(t testing.TB, ctx context.Context, as *client.Client, chatID string, after *int64) wcp.Auth {
	t.Helper()
	if as == nil {
		as = w.owner
	}
	cs, err := as.ConnectionString(ctx, chatID, 3600)
	if err != nil {
		t.Fatal(err)
	}
	return wcp.Auth{ChatID: chatID, ConnectionString: cs.ConnectionString, After: after}
}

// session connects as (the owner when nil) to chatID; it discards what it
// receives, and is closed at the end of the test.
func (w *world) session(t testing.TB, ctx context.Context, as *client.Client, chatID string) *client.Session {
	t.Helper()
	s, err := client.Connect(ctx, w.srv.url, w.auth(t, ctx, as, chatID, nil), &client.Options{
		OnMessage:  func(wcp.Message, time.Time) {},
		AckTimeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// silent opens a session on chatID as as (the owner when nil), with after
// when not nil, over a RawConn that reads nothing past the server's answer
// to CONNECT; it is closed at the end of the test.
func (w *world) silent(t testing.TB, ctx context.Context, as *client.Client, chatID string, after *int64) *client.RawConn {
	t.Helper()
	return w.silentOver(t, ctx, client.TransportWebSocket, as, chatID, after)
}

// silentOver is silent over the named transport (client.TransportWebSocket
// or client.TransportPolling).
func (w *world) silentOver(t testing.TB, ctx context.Context, transport string, as *client.Client, chatID string, after *int64) *client.RawConn {
	t.Helper()
	auth, err := json.Marshal(w.auth(t, ctx, as, chatID, after))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := client.DialRawTransport(ctx, w.srv.url, transport)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rc.Close() })
	if p, err := rc.Connect(ctx, string(auth)); err != nil || p.Type != client.PacketConnect {
		t.Fatalf("connect: %+v %v", p, err)
	}
	return rc
}

func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }
