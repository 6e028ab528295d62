package reference_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/client"
	"github.com/wcp-project/wcp/reference"
	"github.com/wcp-project/wcp/reference/sqlite"
)

// withLog logs to w (slog's handler serializes the writes); read w only
// after Close.
func withLog(w *bytes.Buffer) option {
	return func(c *reference.Config) { c.Logger = slog.New(slog.NewTextHandler(w, nil)) }
}

func withSecret(secret []byte) option { return func(c *reference.Config) { c.Secret = secret } }

// issue returns a connection string for the owner of a fresh world on srv.
func issue(t *testing.T, srv *testServer) (chatID, connString string) {
	t.Helper()
	w := newWorld(t, srv)
	cs, err := w.owner.ConnectionString(ctxT(t), w.chatID, 3600)
	if err != nil {
		t.Fatal(err)
	}
	return w.chatID, cs.ConnectionString
}

// mustConnect fails the test unless connString opens a session on srv.
func mustConnect(t *testing.T, srv *testServer, chatID, connString string) {
	t.Helper()
	ss, err := client.Connect(ctxT(t), srv.URL(), wcp.Auth{ChatID: chatID, ConnectionString: connString}, nil)
	if err != nil {
		t.Fatalf("connection string issued before the restart: %v", err)
	}
	ss.Close()
}

func wantMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s: mode %#o, want %#o", filepath.Base(path), got, want)
	}
}

// TestSecretFileKeepsStringsAcrossRestart: with no secret given, the
// generated one lives in <db>.secret, and the database, its WAL and SHM and
// the secret file are all owner-only; a connection string issued before a
// restart still connects after it.
func TestSecretFileKeepsStringsAcrossRestart(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "wcp.db")
	var logs bytes.Buffer
	srv := start(t, withDB(db), withLog(&logs))
	chatID, cs := issue(t, srv)
	for _, p := range []string{db, db + "-wal", db + "-shm", db + ".secret"} {
		wantMode(t, p, 0o600)
	}
	secret := readSecret(t, db+".secret")
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(logs.String(), secret) {
		t.Error("the log shows the secret")
	}

	srv = start(t, withDB(db))
	mustConnect(t, srv, chatID, cs)
	if got := readSecret(t, db+".secret"); got != secret {
		t.Error("the restart changed the secret file")
	}
}

func readSecret(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// TestSecretMovesOutOfDatabase: a database where an older server kept the
// secret (meta 'secret') gets a secret file holding that same secret, so
// strings issued before the upgrade stay valid, and loses the row.
func TestSecretMovesOutOfDatabase(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "wcp.db")
	legacy := bytes.Repeat([]byte{0x5a}, 32)
	// What an older server would have done: sign with the stored secret.
	srv := start(t, withDB(db), withSecret(legacy))
	chatID, cs := issue(t, srv)
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`INSERT INTO meta(key, value) VALUES ('secret', ?)`, legacy); err != nil {
		t.Fatal(err)
	}
	raw.Close()

	var logs bytes.Buffer
	srv = start(t, withDB(db), withLog(&logs))
	mustConnect(t, srv, chatID, cs)
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if got := readSecret(t, db+".secret"); got != hex.EncodeToString(legacy) {
		t.Error("the secret file does not hold the database's secret")
	}
	wantMode(t, db+".secret", 0o600)
	if !strings.Contains(logs.String(), "moved the connection-string secret") || strings.Contains(logs.String(), hex.EncodeToString(legacy)) {
		t.Errorf("want a log of the move without the secret; got:\n%s", logs.String())
	}
	store, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if s, err := store.LegacySecret(context.Background()); s != nil || err != nil {
		t.Errorf("the database still holds a secret (%d bytes, %v)", len(s), err)
	}
}

// TestSecretFileRefused: a secret file that group or others may read, or
// that is not hex text of 16 bytes or more, stops the server from starting,
// with an error that names the problem and not the content.
func TestSecretFileRefused(t *testing.T) {
	t.Parallel()
	good := strings.Repeat("ab", 32)
	tests := []struct {
		name, content string
		mode          os.FileMode
		want          string
	}{
		{"world-readable", good, 0o644, "owner-only"},
		{"group-readable", good, 0o640, "owner-only"},
		{"not hex", strings.Repeat("zz", 32), 0o600, "malformed"},
		{"too short", "abcdef", 0o600, "malformed"},
		{"empty", "", 0o600, "malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db := filepath.Join(t.TempDir(), "wcp.db")
			if err := os.WriteFile(db+".secret", []byte(tt.content+"\n"), tt.mode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(db+".secret", tt.mode); err != nil { // past the umask
				t.Fatal(err)
			}
			srv, err := reference.Open(context.Background(), reference.Config{DBPath: db, Logger: quietLogger()})
			if err == nil {
				srv.Close()
				t.Fatal("the server started")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
			if tt.content != "" && strings.Contains(err.Error(), tt.content) {
				t.Error("the error shows the file's content")
			}
		})
	}
}
