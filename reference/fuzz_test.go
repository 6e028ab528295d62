package reference

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wcp-project/wcp"
)

// fuzzServer is a server for fuzz targets that call its handler directly.
func fuzzServer(f *testing.F) *Server {
	f.Helper()
	s, err := Open(context.Background(), Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	return s
}

var httpStatuses = map[int]wcp.Code{
	200: "", 201: "", 204: "",
	400: wcp.CodeBadRequest, 401: wcp.CodeUnauthenticated, 403: wcp.CodeForbidden,
	404: wcp.CodeNotFound, 405: wcp.CodeMethodNotAllowed, 413: wcp.CodePayloadTooLarge,
}

// FuzzHTTP sends arbitrary requests to the API: every answer has a status of
// the protocol's table, and every error the JSON error body with the code
// that goes with its status (ROB-1, ROB-2).
func FuzzHTTP(f *testing.F) {
	s := fuzzServer(f)
	h := s.http.Handler
	// A user with a workspace and a chat, so that paths can hit real things.
	call := func(method, path, token, body string) []byte {
		r := httptest.NewRequest(method, path, strings.NewReader(body))
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Body.Bytes()
	}
	var u wcp.User
	json.Unmarshal(call("POST", "/users", "", `{"name":"fuzz"}`), &u)
	var ws wcp.Workspace
	json.Unmarshal(call("POST", "/workspaces", u.Token, `{"name":"w"}`), &ws)
	var c wcp.Chat
	json.Unmarshal(call("POST", "/chat", u.Token, `{"workspace_id":"`+ws.ID+`","title":"t"}`), &c)

	for _, seed := range []struct {
		method, path, body string
		auth               bool
	}{
		{"POST", "/users", `{"name":"a"}`, false},
		{"POST", "/users", `{"name":`, false},
		{"GET", "/workspaces/{ws}", "", true},
		{"DELETE", "/workspaces/{ws}/members/{user}", "", true},
		{"POST", "/workspaces/{ws}/members", `{"user_id":"{user}"}`, true},
		{"POST", "/chat", `{"workspace_id":"{ws}","title":"x"}`, true},
		{"POST", "/chat/{chat}/connection-string", `{"ttl_seconds":1e3}`, true},
		{"GET", "/chat/{chat}/messages?after=1&limit=5", "", true},
		{"GET", "/chat/{chat}/messages?after=%zz", "", true},
		{"PATCH", "/chat/{chat}", "", true},
		{"GET", "/healthz", "", false},
		{"GET", "//x/../y", "", false},
		{"POST", "/chat", strings.Repeat("[", 70000), true},
	} {
		f.Add(seed.method, seed.path, seed.body, seed.auth)
	}
	f.Fuzz(func(t *testing.T, method, path, body string, auth bool) {
		path = strings.NewReplacer("{ws}", ws.ID, "{chat}", c.ID, "{user}", u.ID).Replace(path)
		if strings.HasPrefix(path, "/socket.io") || strings.HasPrefix(path, "/metrics") {
			return // not ours to judge: the Socket.IO engine and Prometheus
		}
		r, err := http.NewRequest(method, "http://wcp"+path, strings.NewReader(body))
		if err != nil || r.URL.Host != "wcp" {
			return // not a request a client could send
		}
		if auth {
			r.Header.Set("Authorization", "Bearer "+u.Token)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		code, ok := httpStatuses[w.Code]
		if !ok {
			t.Fatalf("%s %q: status %d is not in the protocol's table", method, path, w.Code)
		}
		if code == "" {
			return
		}
		var eb wcp.ErrorBody
		if err := json.Unmarshal(w.Body.Bytes(), &eb); err != nil || eb.Error == nil {
			t.Fatalf("%s %q: %d with body %q", method, path, w.Code, w.Body.Bytes())
		}
		if eb.Error.Code != code {
			t.Fatalf("%s %q: status %d with code %s", method, path, w.Code, eb.Error.Code)
		}
	})
}

// FuzzConnString: parsing never panics, and a valid string changed at any
// one byte never verifies (EXP-1).
func FuzzConnString(f *testing.F) {
	k := connKey{secret: []byte("fuzz-secret-0123456789abcdef")}
	t0 := time.UnixMilli(1_700_000_000_000)
	valid := k.issue(connClaims{UserID: "u_abc", ChatID: "c_def", Issued: t0, Expires: t0.Add(time.Minute)})
	f.Add(valid, 0, byte('A'))
	f.Add(valid, len(valid)-1, byte('B'))
	f.Add("", 3, byte(0))
	f.Add(strings.Repeat("A", 600), 7, byte('-'))
	f.Add("AQAAAYvMcjAAAAABi8xzGkAFdV9hYmMFY19kZWY", 12, byte('_'))
	f.Fuzz(func(t *testing.T, s string, pos int, b byte) {
		if c, ok, err := k.parse(s); err == nil && ok && s != valid {
			// Only strings the key issued verify; re-issuing must give s back.
			if k.issue(c) != s {
				t.Fatalf("%q verifies but is not what the key issues for %+v", s, c)
			}
		}
		if pos < 0 {
			pos = -pos
		}
		if pos < 0 {
			return
		}
		m := []byte(valid)
		i := pos % len(m)
		if m[i] == b {
			return
		}
		m[i] = b
		if _, ok, _ := k.parse(string(m)); ok {
			t.Fatalf("changed byte %d to %q and it still verifies", i, b)
		}
	})
}

var messageCodes = map[wcp.Code]bool{
	wcp.CodeBadRequest: true, wcp.CodePayloadTooLarge: true, wcp.CodeWrongChat: true,
	wcp.CodeInvalidMessageString: true, wcp.CodeReplayedMessage: true,
}

// FuzzMessage feeds arbitrary JSON payloads to the MSG-5 checks: they never
// panic and refuse only with MSG-5's codes.
func FuzzMessage(f *testing.F) {
	s := fuzzServer(f)
	key := bytes.Repeat([]byte{7}, wcp.KeySize)
	for _, seed := range []string{
		`{"chat_id":"c_1","nonce":1,"body":"hi","message_string":"00"}`,
		`{"chat_id":"c_1","nonce":1.5,"body":"hi","message_string":"00"}`,
		`{"chat_id":"c_1","nonce":9007199254740992,"body":"hi","message_string":"00"}`,
		`{"chat_id":"c_1","nonce":-1,"body":"","message_string":null}`,
		`{"chat_id":5}`, `"text"`, `[1,2]`, `null`, `1e400`, `{}`,
		`{"chat_id":"c_1","nonce":1,"body":"` + strings.Repeat("x", 16385) + `","message_string":"00"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var payload any
		if json.Unmarshal(data, &payload) != nil {
			return
		}
		in, werr := parseMessage(payload)
		if werr != nil {
			if !messageCodes[werr.Code] || werr.Message == "" {
				t.Fatalf("refusal %+v", werr)
			}
			return
		}
		signer, _ := wcp.NewSigner(key)
		ss := &session{id: "s_1", chatID: "c_1", signer: signer, lastNonce: 3}
		if werr := s.checkMessage(ss, in); werr != nil && !messageCodes[werr.Code] {
			t.Fatalf("refusal %+v", werr)
		}
	})
}
