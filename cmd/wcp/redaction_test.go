package main

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wcp-project/wcp/conform"
	"github.com/wcp-project/wcp/internal/dockertest"
	"github.com/wcp-project/wcp/internal/fault"
	"github.com/wcp-project/wcp/reference"
)

// TestConformReportsHoldNoSecret runs wcp conform against a reference
// server that hands every session of a user the same message key (so the
// CON-1 and MSG-4 specs fail, with keys in their failure messages) behind
// a witness that records every secret in the clear, then requires that no
// token, connection string, message key or message string the run used
// appears in any report file.
func TestConformReportsHoldNoSecret(t *testing.T) {
	if testing.Short() {
		t.Skip("builds wcp and runs the suite; skipped with -short")
	}
	t.Parallel()
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		t.Fatal(err)
	}
	srv, err := reference.Open(context.Background(), reference.Config{
		Addr:   "127.0.0.1:0",
		DBPath: filepath.Join(t.TempDir(), "wcp.db"),
		Secret: secret,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Fault:  fault.StaticMessageKey,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	tap := newWiretap(t, srv.URL())

	res := runConformBinary(t, dockertest.WCPBinary(t), "--target", tap.URL(), "--rules", "CON-1,MSG-4,MSG-2,EXP-1")
	if res.code != conform.ExitFailed {
		t.Fatalf("a static message key, yet: %s", res)
	}
	secrets := tap.Secrets()
	byField := map[string]int{}
	for _, f := range secrets {
		byField[f]++
	}
	for _, f := range []string{"token", "connection_string", "message_key", "message_string"} {
		if byField[f] == 0 {
			t.Fatalf("the witness saw no %s: the test would prove nothing (saw %v)", f, byField)
		}
	}

	files, err := os.ReadDir(res.dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 3 {
		t.Errorf("report files %v, want junit.xml, report.html and wcp-rules.json", files)
	}
	for _, fi := range files {
		b, err := os.ReadFile(filepath.Join(res.dir, fi.Name()))
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		for value, field := range secrets {
			if strings.Contains(text, value) {
				t.Errorf("%s holds a %s of the run: %.12s...", fi.Name(), field, value)
			}
		}
		if fi.Name() == "report.html" && !strings.Contains(text, "[redacted message_key]") {
			t.Errorf("report.html shows no redacted message key: the failing specs' transcripts are missing")
		}
	}
	// The console is no report file, but CI logs keep it: hold it to the
	// same rule.
	for value, field := range secrets {
		if strings.Contains(res.stdout+res.stderr, value) {
			t.Errorf("the console shows a %s of the run: %.12s...", field, value)
		}
	}
	t.Logf("%d secrets seen on the wire (%v); none in %d report files", len(secrets), byField, len(files))
}
