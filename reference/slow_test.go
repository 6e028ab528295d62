package reference

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/client"
)

// TestSlowConsumerEnded: a session that stops reading is ended once its
// transport has been stuck for slowAfter, while the chat goes on for the
// others (ROB-1).
func TestSlowConsumerEnded(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := Open(ctx, Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.hubs.slowAfter = 300 * time.Millisecond

	anon := client.New(s.URL(), nil)
	u, _ := anon.CreateUser(ctx, "u")
	c := anon.WithToken(u.Token)
	ws, _ := c.CreateWorkspace(ctx, "w")
	chat, _ := c.CreateChat(ctx, ws.ID, "c")
	cs, _ := c.ConnectionString(ctx, chat.ID, 600)
	auth := wcp.Auth{ChatID: chat.ID, ConnectionString: cs.ConnectionString}

	// The slow one connects and then never reads again.
	rc, err := client.DialRaw(ctx, s.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	a, _ := json.Marshal(auth)
	if p, err := rc.Connect(ctx, string(a)); err != nil || p.Type != client.PacketConnect {
		t.Fatalf("raw connect: %+v %v", p, err)
	}
	sender, err := client.Connect(ctx, s.URL(), auth, &client.Options{OnMessage: func(wcp.Message, time.Time) {}})
	if err != nil {
		t.Fatal(err)
	}
	defer sender.Close()

	body := strings.Repeat("x", wcp.MaxBodyBytes)
	deadline := time.Now().Add(40 * time.Second)
	for s.metrics.sessionsOpenValue() > 1 {
		if time.Now().After(deadline) {
			t.Fatal("the slow session was not ended")
		}
		if ack, err := sender.Send(ctx, body); err != nil || !ack.OK {
			t.Fatalf("the chat stalled for the reader: %+v %v", ack, err)
		}
	}
	if sender.Closed() {
		t.Fatal("the reading session was ended")
	}
}

// sessionsOpenValue reads the gauge.
func (m *metrics) sessionsOpenValue() float64 {
	var d dto.Metric
	if err := m.sessionsOpen.Write(&d); err != nil {
		return 0
	}
	return d.GetGauge().GetValue()
}
