package sqlite_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/reference/sqlite"
)

func open(t testing.TB, path string) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// seed makes a user, a workspace and n chats.
func seed(t *testing.T, db *sqlite.DB, n int) []string { return seedB(t, db, n) }

func seedB(t testing.TB, db *sqlite.DB, n int) []string {
	t.Helper()
	ctx := context.Background()
	if err := db.CreateUser(ctx, wcp.User{ID: "u1", Name: "u"}, []byte("hash"), "t"); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateWorkspace(ctx, wcp.Workspace{ID: "w1", Name: "w", OwnerID: "u1", CreatedAt: "t"}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range n {
		id := fmt.Sprintf("c%d", i)
		if err := db.CreateChat(ctx, wcp.Chat{ID: id, WorkspaceID: "w1", Title: "c", CreatedAt: "t"}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

func TestMigrations(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "wcp.db")
	db := open(t, path)
	v, err := db.SchemaVersion(context.Background())
	if err != nil || v != 1 {
		t.Fatalf("schema version %d, %v", v, err)
	}
	db.Close()
	// Reopening an up-to-date database runs nothing and keeps the version.
	db = open(t, path)
	if v, _ := db.SchemaVersion(context.Background()); v != 1 {
		t.Fatalf("after reopen: %d", v)
	}
}

func TestNotFound(t *testing.T) {
	t.Parallel()
	db := open(t, ":memory:")
	ctx := context.Background()
	if _, err := db.Chat(ctx, "nope"); wcp.ErrorCode(err) != wcp.CodeNotFound {
		t.Fatalf("chat: %v", err)
	}
	if _, err := db.Workspace(ctx, "nope"); wcp.ErrorCode(err) != wcp.CodeNotFound {
		t.Fatalf("workspace: %v", err)
	}
	if _, err := db.UserByTokenHash(ctx, []byte("x")); wcp.ErrorCode(err) != wcp.CodeNotFound {
		t.Fatalf("user: %v", err)
	}
	if err := db.CreateChat(ctx, wcp.Chat{ID: "c", WorkspaceID: "nope", Title: "t"}); wcp.ErrorCode(err) != wcp.CodeNotFound {
		t.Fatalf("chat in missing workspace: %v", err)
	}
}

// TestAppendConcurrent has many goroutines append batches (serialized by the
// caller's lock, as the server's single writer does) and checks seqs.
func TestAppendConcurrent(t *testing.T) {
	t.Parallel()
	db := open(t, filepath.Join(t.TempDir(), "wcp.db"))
	chats := seed(t, db, 3)
	ctx := context.Background()
	var mu sync.Mutex
	last := map[string]int64{}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				mu.Lock()
				var batch []wcp.Message
				for j := range 5 {
					c := chats[(g+i+j)%len(chats)]
					last[c]++
					batch = append(batch, wcp.Message{ID: fmt.Sprintf("m%d-%d-%d", g, i, j), ChatID: c, Seq: last[c], UserID: "u1", Body: "b", SentAt: "t"})
				}
				stored, err := db.AppendMessages(ctx, batch)
				mu.Unlock()
				if err != nil {
					t.Error(err)
					return
				}
				for _, ok := range stored {
					if !ok {
						t.Error("not stored")
					}
				}
			}
		}()
	}
	wg.Wait()
	total := 0
	for _, c := range chats {
		msgs, err := db.Messages(ctx, c, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for i, m := range msgs {
			if m.Seq != int64(i+1) {
				t.Fatalf("chat %s: message %d has seq %d", c, i, m.Seq)
			}
		}
		if ls, _ := db.LastSeq(ctx, c); ls != int64(len(msgs)) {
			t.Fatalf("last seq %d, have %d", ls, len(msgs))
		}
		total += len(msgs)
	}
	if total != 8*20*5 {
		t.Fatalf("stored %d", total)
	}
	// A duplicate seq is refused and the whole batch with it.
	if _, err := db.AppendMessages(ctx, []wcp.Message{{ID: "x", ChatID: chats[0], Seq: last[chats[0]] + 1, UserID: "u1", Body: "b", SentAt: "t"}, {ID: "y", ChatID: chats[0], Seq: 1, UserID: "u1", Body: "b", SentAt: "t"}}); err == nil {
		t.Fatal("duplicate seq accepted")
	}
	if ls, _ := db.LastSeq(ctx, chats[0]); ls != last[chats[0]] {
		t.Fatal("failed batch left rows behind")
	}
}

func TestAppendToDeletedChatSkips(t *testing.T) {
	t.Parallel()
	db := open(t, ":memory:")
	chats := seed(t, db, 2)
	ctx := context.Background()
	if err := db.DeleteChat(ctx, chats[0]); err != nil {
		t.Fatal(err)
	}
	stored, err := db.AppendMessages(ctx, []wcp.Message{
		{ID: "a", ChatID: chats[0], Seq: 1, UserID: "u1", Body: "b", SentAt: "t"},
		{ID: "b", ChatID: chats[1], Seq: 1, UserID: "u1", Body: "b", SentAt: "t"},
	})
	if err != nil || stored[0] || !stored[1] {
		t.Fatalf("stored %v, %v", stored, err)
	}
}

func TestReopenKeepsData(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "wcp.db")
	db := open(t, path)
	chats := seed(t, db, 1)
	ctx := context.Background()
	if _, err := db.AppendMessages(ctx, []wcp.Message{{ID: "m", ChatID: chats[0], Seq: 1, UserID: "u1", Body: "héllo", SentAt: "t"}}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db = open(t, path)
	msgs, err := db.Messages(ctx, chats[0], 0, 10)
	if err != nil || len(msgs) != 1 || msgs[0].Body != "héllo" {
		t.Fatalf("after reopen: %v, %v", msgs, err)
	}
}

// TestFilesOwnerOnly: the database, its WAL and its shared-memory file are
// created 0600, and an existing database others could read is narrowed.
func TestFilesOwnerOnly(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		existing os.FileMode // 0: no file before Open
	}{
		{"new", 0},
		{"world-readable", 0o644},
		{"owner-only", 0o600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "wcp.db")
			if tt.existing != 0 {
				if err := os.WriteFile(path, nil, tt.existing); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(path, tt.existing); err != nil { // past the umask
					t.Fatal(err)
				}
			}
			db := open(t, path)
			seed(t, db, 1) // a write, so that the WAL and SHM exist
			for _, p := range []string{path, path + "-wal", path + "-shm"} {
				fi, err := os.Stat(p)
				if err != nil {
					t.Fatal(err)
				}
				if got := fi.Mode().Perm(); got != 0o600 {
					t.Errorf("%s: mode %#o, want 0600", filepath.Base(p), got)
				}
			}
			wantNarrowed := tt.existing&0o077 != 0
			if got := db.Narrowed(); (len(got) == 1 && got[0] == path) != wantNarrowed || len(got) > 1 {
				t.Errorf("Narrowed() = %v, want the database file: %v", got, wantNarrowed)
			}
		})
	}
}

// TestLegacySecret: the secret older servers kept in the meta table can be
// read, then deleted without a copy left in the database file or the WAL.
func TestLegacySecret(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "wcp.db")
	ctx := context.Background()
	db := open(t, path)
	if s, err := db.LegacySecret(ctx); s != nil || err != nil {
		t.Fatalf("fresh database: legacy secret %d bytes, %v", len(s), err)
	}
	secret := []byte("legacy-secret-0123456789abcdef!!")
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.ExecContext(ctx, `INSERT INTO meta(key, value) VALUES ('secret', ?)`, secret); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	if s, err := db.LegacySecret(ctx); !bytes.Equal(s, secret) || err != nil {
		t.Fatalf("legacy secret %q, %v", s, err)
	}
	if err := db.DeleteLegacySecret(ctx); err != nil {
		t.Fatal(err)
	}
	if s, err := db.LegacySecret(ctx); s != nil || err != nil {
		t.Fatalf("after delete: %d bytes, %v", len(s), err)
	}
	for _, p := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		if bytes.Contains(b, secret) {
			t.Errorf("%s still holds the secret", filepath.Base(p))
		}
	}
}

func TestCascade(t *testing.T) {
	t.Parallel()
	db := open(t, ":memory:")
	chats := seed(t, db, 2)
	ctx := context.Background()
	db.AppendMessages(ctx, []wcp.Message{{ID: "m", ChatID: chats[0], Seq: 1, UserID: "u1", Body: "b", SentAt: "t"}})
	if err := db.DeleteWorkspace(ctx, "w1"); err != nil {
		t.Fatal(err)
	}
	for _, c := range chats {
		if _, err := db.Chat(ctx, c); wcp.ErrorCode(err) != wcp.CodeNotFound {
			t.Fatalf("chat survived: %v", err)
		}
	}
	if n, _ := db.LastSeq(ctx, chats[0]); n != 0 {
		t.Fatal("messages survived")
	}
}
