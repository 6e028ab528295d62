package reference

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

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
	opened  sync.Once
	mu      sync.Mutex
	batches []int
}

// open releases the held AppendMessages; it may be called more than once.
func (g *gatedStore) open() { g.opened.Do(func() { close(g.release) }) }

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
	s := &Server{log: slog.New(slog.NewTextHandler(io.Discard, nil)), now: time.Now, store: g, metrics: newMetrics(DefaultLimits())}
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

// ackLog records the acks a test's messages get, by body.
type ackLog struct {
	mu   sync.Mutex
	acks map[string]wcp.Ack
	got  chan string // each body as its ack arrives
}

func newAckLog() *ackLog { return &ackLog{acks: map[string]wcp.Ack{}, got: make(chan string, 1000)} }

// submit queues a message with body in chat through w, its ack recorded.
func (l *ackLog) submit(w *writer, chat, body string) { l.submitAs(w, nil, chat, body) }

// submitAs submits body to chat as session ss.
func (l *ackLog) submitAs(w *writer, ss *session, chat, body string) {
	w.submit(&pending{ss: ss, msg: wcp.Message{ID: newID("m_"), ChatID: chat, UserID: "u", Body: body}, received: time.Now(),
		ack: func(a []any, _ error) {
			l.mu.Lock()
			l.acks[body] = a[0].(wcp.Ack)
			l.mu.Unlock()
			l.got <- body
		}})
}

// ack is body's ack, and whether it came.
func (l *ackLog) ack(body string) (wcp.Ack, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	a, ok := l.acks[body]
	return a, ok
}

// wait waits for n more acks.
func (l *ackLog) wait(t *testing.T, n int) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for range n {
		select {
		case <-l.got:
		case <-timeout:
			t.Fatalf("acks did not come")
		}
	}
}

// testDB is an in-memory store with user u, workspace w and the chats,
// each holding as many messages as given.
func testDB(t *testing.T, chats map[string]int) Store {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.CreateUser(ctx, wcp.User{ID: "u"}, []byte("h"), "t")
	db.CreateWorkspace(ctx, wcp.Workspace{ID: "w", OwnerID: "u"})
	for c, n := range chats {
		if err := db.CreateChat(ctx, wcp.Chat{ID: c, WorkspaceID: "w"}); err != nil {
			t.Fatal(err)
		}
		for i := range n {
			m := wcp.Message{ID: newID("m_"), ChatID: c, UserID: "u", Body: "old", Seq: int64(i + 1)}
			if _, err := db.AppendMessages(ctx, []wcp.Message{m}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return db
}

// testWriter is a writer on store with the given limits, logging to logs.
func testWriter(t *testing.T, store Store, l Limits, logs io.Writer) (*Server, *writer) {
	t.Helper()
	l = l.withDefaults()
	s := &Server{log: slog.New(slog.NewTextHandler(logs, nil)), now: time.Now, store: store, limits: l, metrics: newMetrics(l)}
	s.hubs = newHubs(s)
	w := newWriter(s)
	t.Cleanup(func() {
		w.close()
		select {
		case <-w.done:
		case <-time.After(10 * time.Second):
			t.Error("the writer did not stop")
		}
	})
	return s, w
}

// counterValue reads one counter of a vector.
func counterValue(t *testing.T, v *prometheus.CounterVec, label string) float64 {
	t.Helper()
	var d dto.Metric
	if err := v.WithLabelValues(label).Write(&d); err != nil {
		t.Fatal(err)
	}
	return d.GetCounter().GetValue()
}

// TestWriterQueueBound: while the store stalls, the writer takes
// Limits.WriterQueue messages and refuses the next ones at once with
// internal "server busy", counted and logged at most once a second; none of
// them is stored. Once the store moves, messages are accepted again.
func TestWriterQueueBound(t *testing.T) {
	t.Parallel()
	const limit = 4
	g := &gatedStore{Store: testDB(t, map[string]int{"a": 0}), entered: make(chan struct{}), release: make(chan struct{})}
	var logs syncBuffer
	s, w := testWriter(t, g, Limits{WriterQueue: limit}, &logs)
	t.Cleanup(g.open) // before the writer's cleanup, should the test fail early
	acks := newAckLog()

	// Each from a session of its own, so that no session goes over its
	// share (fairShare) and it is the queue's bound that refuses the flood.
	acks.submitAs(w, &session{}, "a", "m0")
	<-g.entered // m0's commit stalls
	for i := 1; i < limit; i++ {
		acks.submitAs(w, &session{}, "a", fmt.Sprintf("m%d", i))
	}
	start := time.Now()
	const flood = 100
	for i := range flood {
		body := fmt.Sprintf("busy%d", i)
		acks.submit(w, "a", body)
		// Refused within submit itself: no wait for the store.
		a, ok := acks.ack(body)
		if !ok || a.OK || a.Error == nil || a.Error.Code != wcp.CodeInternal || a.Error.Message != "server busy" {
			t.Fatalf("message past the bound: ack %+v (came: %v), want internal \"server busy\"", a, ok)
		}
	}
	elapsed := time.Since(start)
	for i := range limit {
		if _, ok := acks.ack(fmt.Sprintf("m%d", i)); ok {
			t.Fatalf("m%d acknowledged before its commit", i)
		}
	}
	if n := counterValue(t, s.metrics.limitRefusals, limitWriter); n != flood {
		t.Errorf("wcp_limit_refusals_total{limit=writer_queue} = %v, want %d", n, flood)
	}
	lines := strings.Count(logs.String(), "writer queue: message refused")
	if maxLines := 1 + int(elapsed/time.Second); lines < 1 || lines > maxLines {
		t.Errorf("%d log lines for %d refusals in %v, want 1..%d", lines, flood, elapsed, maxLines)
	}

	g.open()
	acks.wait(t, flood+limit)
	acks.submit(w, "a", "after")
	acks.wait(t, 1)
	for i, body := range []string{"m0", "m1", "m2", "m3", "after"} {
		if a, _ := acks.ack(body); !a.OK || a.Seq != int64(i+1) {
			t.Errorf("%s: ack %+v, want ok with seq %d", body, a, i+1)
		}
	}
	stored, err := g.Messages(context.Background(), "a", 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var bodies []string
	for _, m := range stored {
		bodies = append(bodies, m.Body)
	}
	if got := strings.Join(bodies, " "); got != "m0 m1 m2 m3 after" {
		t.Errorf("stored %q, want the accepted ones only", got)
	}
}

// TestWriterQueueFair: while the store stalls, one session flooding chat a
// is refused busy at its share, long before the queue is full, and a
// message of chat b (another chat) and of another member of chat a are
// still taken; once the store moves, all that was taken is stored and
// acknowledged in order.
func TestWriterQueueFair(t *testing.T) {
	t.Parallel()
	const limit = 40
	g := &gatedStore{Store: testDB(t, map[string]int{"a": 0, "b": 0}), entered: make(chan struct{}), release: make(chan struct{})}
	_, w := testWriter(t, g, Limits{WriterQueue: limit}, io.Discard)
	t.Cleanup(g.open)
	acks := newAckLog()
	flooder := &session{}

	acks.submitAs(w, flooder, "a", "f0")
	<-g.entered // f0's commit stalls
	taken := 1
	for i := 1; ; i++ {
		body := fmt.Sprintf("f%d", i)
		acks.submitAs(w, flooder, "a", body)
		if a, ok := acks.ack(body); ok {
			if a.Error == nil || a.Error.Message != "server busy" {
				t.Fatalf("flood message %d: ack %+v, want internal \"server busy\"", i, a)
			}
			break
		}
		taken++
	}
	if taken >= limit {
		t.Fatalf("the flooder had %d messages taken, the whole queue of %d", taken, limit)
	}
	acks.submitAs(w, &session{}, "b", "other chat")
	acks.submitAs(w, &session{}, "a", "other member")
	for _, body := range []string{"other chat", "other member"} {
		if a, ok := acks.ack(body); ok {
			t.Errorf("%q refused (%+v) while the flooder holds %d of %d", body, a, taken, limit)
		}
	}
	g.open()
	acks.wait(t, 1+taken+2) // the flooder's refusal, then every message taken
	for _, body := range []string{"f0", "other chat", "other member"} {
		if a, _ := acks.ack(body); !a.OK {
			t.Errorf("%q: ack %+v, want ok", body, a)
		}
	}
}

// flakyStore fails LastSeq for the chats in failing, and holds the first
// AppendMessages until released.
type flakyStore struct {
	*gatedStore
	mu      sync.Mutex
	failing map[string]bool
}

func (f *flakyStore) LastSeq(ctx context.Context, chatID string) (int64, error) {
	f.mu.Lock()
	fail := f.failing[chatID]
	f.mu.Unlock()
	if fail {
		return 0, errors.New("disk on fire")
	}
	return f.gatedStore.LastSeq(ctx, chatID)
}

// TestLastSeqFailureIsolated: when a chat's last seq cannot be read, its
// messages in the batch are refused (internal) while the other chats' are
// stored; its next message continues its seqs rather than restarting at 1.
func TestLastSeqFailureIsolated(t *testing.T) {
	t.Parallel()
	db := testDB(t, map[string]int{"a": 3, "b": 2, "c": 0})
	f := &flakyStore{
		gatedStore: &gatedStore{Store: db, entered: make(chan struct{}), release: make(chan struct{})},
		failing:    map[string]bool{"b": true},
	}
	_, w := testWriter(t, f, Limits{}, io.Discard)
	t.Cleanup(f.open)
	acks := newAckLog()

	acks.submit(w, "c", "c1")
	<-f.entered // the next four share one batch
	acks.submit(w, "a", "a4")
	acks.submit(w, "b", "b-refused-1")
	acks.submit(w, "a", "a5")
	acks.submit(w, "b", "b-refused-2")
	f.open()
	acks.wait(t, 5)
	for body, seq := range map[string]int64{"c1": 1, "a4": 4, "a5": 5} {
		if a, _ := acks.ack(body); !a.OK || a.Seq != seq {
			t.Errorf("%s: ack %+v, want ok with seq %d", body, a, seq)
		}
	}
	for _, body := range []string{"b-refused-1", "b-refused-2"} {
		if a, _ := acks.ack(body); a.OK || a.Error == nil || a.Error.Code != wcp.CodeInternal {
			t.Errorf("%s: ack %+v, want refused internal", body, a)
		}
	}
	if len(f.batches) != 2 || f.batches[1] != 2 {
		t.Errorf("batches %v, want [1 2]: chat b left out of the second", f.batches)
	}

	f.mu.Lock()
	f.failing = nil
	f.mu.Unlock()
	acks.submit(w, "b", "b3")
	acks.wait(t, 1)
	if a, _ := acks.ack("b3"); !a.OK || a.Seq != 3 {
		t.Errorf("b3: ack %+v, want ok with seq 3 (MSG-1: no restart at 1, no gap)", a)
	}
	stored, err := db.Messages(context.Background(), "b", 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range stored {
		if m.Seq != int64(i+1) || (i == 2) != (m.Body == "b3") {
			t.Fatalf("chat b stored %+v", stored)
		}
	}
	if len(stored) != 3 {
		t.Fatalf("chat b stored %d messages, want 3", len(stored))
	}
}

// syncBuffer is a bytes.Buffer safe for the writer's goroutines and the
// test's.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
