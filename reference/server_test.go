package reference_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/client"
	"github.com/wcp-project/wcp/internal/fault"
	"github.com/wcp-project/wcp/reference"
)

// clock is a settable fake clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type testServer struct {
	*reference.Server
	clock  *clock
	dbPath string
}

type option func(*reference.Config)

func withFault(f fault.Fault) option { return func(c *reference.Config) { c.Fault = f } }
func withDB(path string) option      { return func(c *reference.Config) { c.DBPath = path } }

func quietLogger() *slog.Logger { return testLogger("") }

// testLogger discards logs unless WCP_TEST_LOG is set.
func testLogger(name string) *slog.Logger {
	if os.Getenv("WCP_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("test", name)
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// start runs a server on 127.0.0.1:0 with an in-memory database and a fake
// clock, closed when the test ends.
func start(t testing.TB, opts ...option) *testServer {
	t.Helper()
	clk := newClock()
	cfg := reference.Config{DBPath: ":memory:", Now: clk.Now, Logger: testLogger(t.Name())}
	for _, o := range opts {
		o(&cfg)
	}
	srv, err := reference.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return &testServer{Server: srv, clock: clk, dbPath: cfg.DBPath}
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// world is an owner, a member and an outsider with one workspace and chat.
type world struct {
	anon, owner, member, outsider *client.Client
	ownerID, memberID, outsiderID string
	wsID, chatID                  string
}

func newWorld(t testing.TB, srv *testServer) *world {
	t.Helper()
	ctx := ctxT(t)
	w := &world{anon: client.New(srv.URL(), nil)}
	mk := func(name string) (*client.Client, string) {
		u, err := w.anon.CreateUser(ctx, name)
		if err != nil {
			t.Fatalf("create user: %v", err)
		}
		return w.anon.WithToken(u.Token), u.ID
	}
	w.owner, w.ownerID = mk("owner")
	w.member, w.memberID = mk("member")
	w.outsider, w.outsiderID = mk("outsider")
	ws, err := w.owner.CreateWorkspace(ctx, "ws")
	if err != nil {
		t.Fatalf("create workspace: %v", err)
	}
	w.wsID = ws.ID
	if err := w.owner.AddMember(ctx, ws.ID, w.memberID); err != nil {
		t.Fatalf("add member: %v", err)
	}
	c, err := w.owner.CreateChat(ctx, ws.ID, "chat")
	if err != nil {
		t.Fatalf("create chat: %v", err)
	}
	w.chatID = c.ID
	return w
}

func TestCloseIdempotent(t *testing.T) {
	t.Parallel()
	srv, err := reference.Open(context.Background(), reference.Config{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	srv := start(t)
	w := newWorld(t, srv)
	s := connect(t, srv, w.member, w.chatID, nil)
	if _, err := s.Send(ctxT(t), "hi"); err != nil {
		t.Fatal(err)
	}
	s.Emit(ctxT(t), wcp.EventMessage, "not an object")
	dialAuth(t, srv, map[string]any{"chat_id": w.chatID})
	status, body := do(t, w.anon, "GET", "/metrics", "")
	if status != 200 {
		t.Fatalf("status %d", status)
	}
	for _, want := range []string{
		"wcp_sessions_open 1",
		"wcp_messages_accepted_total 1",
		`wcp_messages_refused_total{code="bad_request"} 1`,
		`wcp_connects_refused_total{code="bad_request"} 1`,
		"wcp_ack_latency_seconds_count 1",
		"go_goroutines",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}
