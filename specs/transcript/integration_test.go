package transcript_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/client"
	"github.com/wcp-project/wcp/reference"
	"github.com/wcp-project/wcp/specs/transcript"
)

// The reference server behind a Recorder, driven by the Go client the
// specs use: the transcript has the HTTP calls and the socket frames in
// the order they crossed, and none of the flow's secrets.
func TestRecordingTheReference(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv, err := reference.Open(ctx, reference.Config{
		DBPath: filepath.Join(t.TempDir(), "wcp.db"),
		Secret: []byte("0123456789abcdef0123456789abcdef"),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	rec, err := transcript.NewRecorder(srv.Addr(), nil, transcript.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	url := "http://" + rec.Addr()

	rec.Begin()
	anon := client.New(url, nil)
	owner, err := anon.CreateUser(ctx, "owner")
	must(t, err)
	api := anon.WithToken(owner.Token)
	ws, err := api.CreateWorkspace(ctx, "recorded")
	must(t, err)
	chat, err := api.CreateChat(ctx, ws.ID, "general")
	must(t, err)
	cs, err := api.ConnectionString(ctx, chat.ID, 0)
	must(t, err)
	auth := wcp.Auth{ChatID: chat.ID, ConnectionString: cs.ConnectionString}
	s, err := client.Connect(ctx, url, auth, nil)
	must(t, err)
	defer s.Close()
	m := s.Next("hello over websocket")
	ack, err := s.SendMessage(ctx, m)
	must(t, err)
	p, err := client.Connect(ctx, url, auth, &client.Options{Polling: true})
	must(t, err)
	defer p.Close()
	pm := p.Next("hello over polling")
	_, err = p.SendMessage(ctx, pm)
	must(t, err)
	frames := rec.End(true)

	secrets := map[string]string{
		"token":                       owner.Token,
		"connection string":           cs.ConnectionString,
		"message key":                 s.Info().MessageKey,
		"message string":              m.MessageString,
		"polling session message key": p.Info().MessageKey,
		"polling message string":      pm.MessageString,
	}
	all, err := json.Marshal(frames)
	must(t, err)
	for name, v := range secrets {
		if len(v) < 8 {
			t.Fatalf("%s %q: too short to check", name, v)
		}
		if strings.Contains(string(all), v) {
			t.Errorf("the %s is in the transcript", name)
		}
		if got := rec.Redactor().Redact("x" + v + "x"); !strings.HasPrefix(got, "x[redacted ") {
			t.Errorf("the %s was not learned: %q", name, got)
		}
	}

	// In order, each after the one before.
	want := []struct {
		dir  transcript.Dir
		kind string
		text string
	}{
		{transcript.Sent, transcript.KindHTTPRequest, "POST /users HTTP/1.1"},
		{transcript.Received, transcript.KindHTTPResponse, `"token":"[redacted token]"`},
		{transcript.Sent, transcript.KindHTTPRequest, "Authorization: Bearer [redacted token]"},
		{transcript.Sent, transcript.KindHTTPRequest, "POST /chat HTTP/1.1"},
		{transcript.Sent, transcript.KindHTTPRequest, "POST /chat/" + chat.ID + "/connection-string"},
		{transcript.Received, transcript.KindHTTPResponse, `"connection_string":"[redacted connection_string]"`},
		{transcript.Sent, transcript.KindHTTPRequest, "GET /socket.io/?EIO=4&transport=websocket"},
		{transcript.Received, transcript.KindHTTPResponse, "HTTP/1.1 101 Switching Protocols"},
		{transcript.Received, transcript.KindWebSocket, `0{`},
		{transcript.Sent, transcript.KindWebSocket, `40{"chat_id":"` + chat.ID + `","connection_string":"[redacted connection_string]"}`},
		{transcript.Received, transcript.KindWebSocket, `"message_key":"[redacted message_key]"`},
		{transcript.Sent, transcript.KindWebSocket, `"message_string":"[redacted message_string]"`},
		{transcript.Received, transcript.KindWebSocket, `"id":"` + ack.ID + `"`},
		{transcript.Sent, transcript.KindHTTPRequest, "GET /socket.io/?EIO=4&transport=polling"},
		{transcript.Received, transcript.KindHTTPResponse, `"message_key":"[redacted message_key]"`},
		{transcript.Sent, transcript.KindHTTPRequest, `"message_string":"[redacted message_string]"`},
	}
	i := 0
	for _, f := range frames {
		if i < len(want) && f.Dir == want[i].dir && f.Kind == want[i].kind && strings.Contains(f.Text, want[i].text) {
			i++
		}
	}
	if i < len(want) {
		t.Errorf("no %s %s with %q after the frames before it; transcript:\n%s", want[i].dir, want[i].kind, want[i].text, transcript.Transcript(frames))
	}
	for j := 1; j < len(frames); j++ {
		if frames[j].At < frames[j-1].At {
			t.Errorf("frame %d at %v, before frame %d at %v", j, frames[j].At, j-1, frames[j-1].At)
		}
	}
	if frames[0].Conn != 1 {
		t.Errorf("the first frame is on connection %d", frames[0].Conn)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
