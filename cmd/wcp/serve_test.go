package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/client"
)

func TestServeStartsAndStops(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "wcp.db")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	var stderr bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--db", db, "--log-level", "warn"}, pw, &stderr)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("no startup line: %v (stderr %s)", err, stderr.String())
	}
	i := strings.Index(line, "http://")
	if i < 0 {
		t.Fatalf("startup line %q has no URL", line)
	}
	url := strings.TrimSpace(line[i:])
	go io.Copy(io.Discard, pr)
	resp, err := http.Get(url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]string
	json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if resp.StatusCode != 200 || body["status"] != "ok" {
		t.Fatalf("healthz %d %v", resp.StatusCode, body)
	}
	// With no secret given, the generated one is in a file of its own;
	// both it and the database are owner-only.
	for _, p := range []string{db, db + ".secret"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != 0o600 {
			t.Errorf("%s: mode %#o, want 0600", filepath.Base(p), got)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}
}

func TestServeHelp(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"serve", "--help"}, &out, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"--addr", "--db", "--secret-file", "WCP_SECRET", "--log-level", "--log-format", "--session-buffer", "--session-burst", "--burst-grace", "restart", ".secret", "0600", "shutting down"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lacks %q", want)
		}
	}
	if regexp.MustCompile(`(?i)\bfaults?\b`).MatchString(out.String()) {
		t.Error("help mentions faults")
	}
}

func TestLoadSecret(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	hex32 := strings.Repeat("ab", 32)
	tests := []struct {
		name, file, env string
		wantLen         int
		wantErr         bool
	}{
		{"none", "", "", 0, false},
		{"env hex", "", hex32, 32, false},
		{"env base64", "", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", 32, false},
		{"file wins", write("s", hex32+"\n"), "zz", 32, false},
		{"too short", "", "abcd", 0, true},
		{"not text", "", "!!!", 0, true},
		{"empty file", write("e", "\n"), "", 0, true},
		{"missing file", filepath.Join(dir, "nope"), "", 0, true},
	}
	for _, tt := range tests {
		got, err := loadSecret(tt.file, tt.env)
		if (err != nil) != tt.wantErr || len(got) != tt.wantLen {
			t.Errorf("%s: got %d bytes, err %v", tt.name, len(got), err)
		}
		if err != nil && strings.Contains(err.Error(), hex32) {
			t.Errorf("%s: error shows the secret", tt.name)
		}
	}
}

func TestServeBadFlags(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"serve", "--log-level", "loud"},
		{"serve", "--log-format", "xml"},
		{"serve", "--addr", "256.0.0.1:-5", "--db", ":memory:"},
	} {
		var out bytes.Buffer
		if err := run(context.Background(), args, &out, &out); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
	// A burst cap under the steady-state buffer is refused by name, before
	// anything listens.
	for _, args := range [][]string{
		{"serve", "--addr", "127.0.0.1:0", "--db", ":memory:", "--session-buffer", "16777216"},
		{"serve", "--addr", "127.0.0.1:0", "--db", ":memory:", "--session-burst", "1000", "--session-buffer", "1001"},
	} {
		var out bytes.Buffer
		err := run(context.Background(), args, &out, &out)
		if err == nil || !strings.Contains(err.Error(), "--session-burst") || !strings.Contains(err.Error(), "--session-buffer") {
			t.Errorf("%v: error %v, want one naming --session-burst and --session-buffer", args, err)
		}
	}
}

// TestServeChild is the server process of TestKill9KeepsAckedMessages; it
// runs only when that test starts it.
func TestServeChild(t *testing.T) {
	db := os.Getenv("WCP_SERVE_CHILD_DB")
	if db == "" {
		t.Skip("started by TestKill9KeepsAckedMessages only")
	}
	// Runs until the parent kills the process.
	if err := run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0", "--db", db, "--log-level", "error"}, os.Stdout, os.Stderr); err != nil {
		t.Fatal(err)
	}
}

// startChild runs `wcp serve` on db in a process of its own and returns its
// URL and the process.
func startChild(t *testing.T, db string) (string, *exec.Cmd) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestServeChild$")
	cmd.Env = append(os.Environ(), "WCP_SERVE_CHILD_DB="+db)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	r := bufio.NewReader(out)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("child gave no URL: %v", err)
		}
		if i := strings.Index(line, "http://"); i >= 0 {
			go io.Copy(io.Discard, r)
			return strings.TrimSpace(line[i:]), cmd
		}
	}
}

// TestKill9KeepsAckedMessages: every acknowledged message is there after
// the server process is killed with SIGKILL and started again (MSG-3).
func TestKill9KeepsAckedMessages(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	db := filepath.Join(t.TempDir(), "wcp.db")
	url, child := startChild(t, db)
	anon := client.New(url, nil)
	u, err := anon.CreateUser(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	c := anon.WithToken(u.Token)
	ws, err := c.CreateWorkspace(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	chat, err := c.CreateChat(ctx, ws.ID, "k")
	if err != nil {
		t.Fatal(err)
	}
	cs, err := c.ConnectionString(ctx, chat.ID, 600)
	if err != nil {
		t.Fatal(err)
	}
	s, err := client.Connect(ctx, url, wcp.Auth{ChatID: chat.ID, ConnectionString: cs.ConnectionString}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Send without waiting, then kill as soon as some acks are in: the
	// acknowledged ones must all survive, whatever was in flight.
	var mu sync.Mutex
	acked := map[int64]string{}
	for i := range 200 {
		body := fmt.Sprint("m", i)
		s.SendAsync(s.Next(body), func(a wcp.Ack, err error) {
			if err == nil && a.OK {
				mu.Lock()
				acked[a.Seq] = body
				mu.Unlock()
			}
		})
	}
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 50 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	child.Wait()
	s.Close()
	mu.Lock()
	want := maps.Clone(acked)
	mu.Unlock()

	url2, _ := startChild(t, db)
	c2 := client.New(url2, nil).WithToken(u.Token)
	msgs, err := c2.AllMessages(ctx, chat.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := map[int64]string{}
	for i, m := range msgs {
		if m.Seq != int64(i+1) {
			t.Fatalf("after restart, message %d has seq %d", i, m.Seq)
		}
		got[m.Seq] = m.Body
	}
	for seq, body := range want {
		if got[seq] != body {
			t.Fatalf("acknowledged seq %d (%q) lost: got %q", seq, body, got[seq])
		}
	}
	t.Logf("%d acknowledged before kill -9, %d stored after restart", len(want), len(msgs))
	// The stored secret survives too: the old connection string still works.
	s2, err := client.Connect(ctx, url2, wcp.Auth{ChatID: chat.ID, ConnectionString: cs.ConnectionString}, nil)
	if err != nil {
		t.Fatalf("connection string after restart: %v", err)
	}
	s2.Close()
}

func TestServeExpandsAddr(t *testing.T) {
	t.Setenv("WCP_TEST_HOST", "127.0.0.1")
	t.Setenv("WCP_TEST_PORT", "9099")
	t.Setenv("WCP_TEST_EMPTY", "")
	for addr, want := range map[string]string{
		"127.0.0.1:8080":                     "127.0.0.1:8080",
		"${WCP_TEST_HOST}:${WCP_TEST_PORT}":  "127.0.0.1:9099",
		"$WCP_TEST_HOST:$WCP_TEST_PORT":      "127.0.0.1:9099",
		"${WCP_TEST_HOST}:${WCP_TEST_EMPTY}": "error: WCP_TEST_EMPTY not set",
		"${WCP_TEST_UNSET}:80":               "error: WCP_TEST_UNSET not set",
		"${WCP_TEST_PORT}":                   "error: missing port",
	} {
		got, err := expandAddr(addr)
		if err != nil {
			got = "error: " + err.Error()
		}
		if !strings.Contains(got, strings.TrimPrefix(want, "error: ")) || strings.HasPrefix(want, "error: ") != (err != nil) {
			t.Errorf("--addr %q: %q, want %q", addr, got, want)
		}
	}
}
