package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
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
	for _, want := range []string{"--addr", "--db", "--secret-file", "WCP_SECRET", "--log-level", "--log-format", "restart"} {
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
}
