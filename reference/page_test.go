package reference

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/reference/sqlite"
)

// seedChat opens a database at path (":memory:" or a file) with one chat
// whose messages have the given bodies, seq 1 on.
func seedChat(t testing.TB, path string, bodies []string) (Store, string) {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	now := wcp.FormatTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	u := wcp.User{ID: newID("u_"), Name: "u"}
	w := wcp.Workspace{ID: newID("w_"), Name: "w", OwnerID: u.ID, CreatedAt: now}
	c := wcp.Chat{ID: newID("c_"), WorkspaceID: w.ID, Title: "c", CreatedAt: now}
	if err := db.CreateUser(ctx, u, []byte(u.ID), now); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateWorkspace(ctx, w); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateChat(ctx, c); err != nil {
		t.Fatal(err)
	}
	for start := 0; start < len(bodies); start += 500 {
		var msgs []wcp.Message
		for i := start; i < min(start+500, len(bodies)); i++ {
			msgs = append(msgs, wcp.Message{ID: newID("m_"), ChatID: c.ID, Seq: int64(i + 1), UserID: u.ID, Body: bodies[i], SentAt: now})
		}
		if _, err := db.AppendMessages(ctx, msgs); err != nil {
			t.Fatal(err)
		}
	}
	return db, c.ID
}

func repeat(n int, body string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = body
	}
	return out
}

// pageServer serves writeMessagePage from store at /{chat}?after=&limit=,
// as listMessages calls it once its checks are done.
func pageServer(t testing.TB, store Store) (*Server, *httptest.Server) {
	t.Helper()
	s := &Server{log: slog.New(slog.NewTextHandler(io.Discard, nil)), store: store, metrics: newMetrics(DefaultLimits())}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		if err := s.writeMessagePage(r.Context(), w, strings.TrimPrefix(r.URL.Path, "/"), after, limit); err != nil {
			s.writeError(w, err)
		}
	}))
	t.Cleanup(hs.Close)
	return s, hs
}

// TestMessagePageBytes: the streamed page is byte for byte what
// writeJSON(json.Marshal(page)) sent, with a Content-Length when the page
// fits in the buffer, chunked when it does not.
func TestMessagePageBytes(t *testing.T) {
	t.Parallel()
	bodies := []string{"hi", `<script>&"quotes"\back`, "é\u2028\u2029\x01\t\n", strings.Repeat("<", wcp.MaxBodyBytes)}
	for i := 0; i < 300; i++ {
		bodies = append(bodies, fmt.Sprintf("message %d <%d>", i, i))
	}
	big := repeat(40, strings.Repeat("<", wcp.MaxBodyBytes)) // 40 × 96 KiB encoded
	for name, bodies := range map[string][]string{"mixed": bodies, "big": big} {
		db, chat := seedChat(t, ":memory:", bodies)
		// The database scans; a Store without ScanMessages is read in pages.
		for kind, store := range map[string]Store{"scanned": db, "paged": struct{ Store }{db}} {
			_, hs := pageServer(t, store)
			for _, q := range []struct {
				after int64
				limit int
			}{{0, 1}, {0, 3}, {0, 100}, {0, 1000}, {2, 17}, {int64(len(bodies)) - 1, 5}, {int64(len(bodies)), 10}, {999999, 1}} {
				t.Run(fmt.Sprintf("%s/%s/after=%d/limit=%d", name, kind, q.after, q.limit), func(t *testing.T) {
					msgs, err := db.Messages(context.Background(), chat, q.after, q.limit)
					if err != nil {
						t.Fatal(err)
					}
					page := wcp.MessagePage{Messages: msgs, NextAfter: q.after}
					if n := len(msgs); n > 0 {
						page.NextAfter = msgs[n-1].Seq
					}
					want, _ := json.Marshal(page)
					want = append(want, '\n')

					resp, err := http.Get(fmt.Sprintf("%s/%s?after=%d&limit=%d", hs.URL, chat, q.after, q.limit))
					if err != nil {
						t.Fatal(err)
					}
					defer resp.Body.Close()
					got, err := io.ReadAll(resp.Body)
					if err != nil {
						t.Fatal(err)
					}
					if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
						t.Fatalf("status %d, Content-Type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
					}
					if !bytes.Equal(got, want) {
						t.Fatalf("page differs from json.Marshal: got %d bytes, want %d\ngot  %.200s\nwant %.200s", len(got), len(want), got, want)
					}
					if fits := len(want) <= pageBuffer; fits != (resp.ContentLength == int64(len(want))) {
						t.Fatalf("%d bytes with Content-Length %d (buffer %d)", len(want), resp.ContentLength, pageBuffer)
					}
				})
			}
		}
	}
}

// failingStore fails every Messages call from the failAt'th on.
type failingStore struct {
	Store
	failAt int64
	n      atomic.Int64
}

func (f *failingStore) Messages(ctx context.Context, chatID string, after int64, limit int) ([]wcp.Message, error) {
	if f.n.Add(1) >= f.failAt {
		return nil, errors.New("disk on fire")
	}
	return f.Store.Messages(ctx, chatID, after, limit)
}

// TestMessagePageFailure: a database error before anything was sent is
// the JSON 500 of section 9 item 8; after the first byte, the connection
// is cut and the client sees a broken body, never a short page.
func TestMessagePageFailure(t *testing.T) {
	t.Parallel()
	t.Run("before the first byte", func(t *testing.T) {
		store, chat := seedChat(t, ":memory:", repeat(3*pageRead, "small"))
		_, hs := pageServer(t, &failingStore{Store: store, failAt: 2})
		resp, err := http.Get(hs.URL + "/" + chat + "?limit=1000")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var eb wcp.ErrorBody
		if err := json.NewDecoder(resp.Body).Decode(&eb); err != nil || resp.StatusCode != 500 || eb.Error == nil || eb.Error.Code != wcp.CodeInternal {
			t.Fatalf("status %d, body %+v, %v", resp.StatusCode, eb, err)
		}
	})
	t.Run("after the first byte", func(t *testing.T) {
		store, chat := seedChat(t, ":memory:", repeat(3*pageRead, strings.Repeat("<", wcp.MaxBodyBytes)))
		_, hs := pageServer(t, &failingStore{Store: store, failAt: 2})
		resp, err := http.Get(hs.URL + "/" + chat + "?limit=1000")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		got, err := io.ReadAll(resp.Body)
		if err == nil {
			t.Fatalf("read a whole body of %d bytes; want the connection cut", len(got))
		}
		if len(got) < pageBuffer {
			t.Fatalf("only %d bytes before the cut; the first read's messages should have gone out", len(got))
		}
	})
}

// BenchmarkMessagePage is a page of 1000 messages from a file database,
// read over HTTP: small bodies, where database reads dominate, and 16 KiB
// of `<`, where encoding does.
func BenchmarkMessagePage(b *testing.B) {
	for _, bc := range []struct {
		name string
		body string
	}{{"small", "hello, this is a chat message of ordinary length"}, {"16KiB<", strings.Repeat("<", wcp.MaxBodyBytes)}} {
		b.Run(bc.name, func(b *testing.B) {
			store, chat := seedChat(b, b.TempDir()+"/wcp.db", repeat(1000, bc.body))
			_, hs := pageServer(b, store)
			b.ReportAllocs()
			for b.Loop() {
				resp, err := http.Get(hs.URL + "/" + chat + "?limit=1000")
				if err != nil {
					b.Fatal(err)
				}
				n, _ := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				b.SetBytes(n)
			}
		})
	}
}
