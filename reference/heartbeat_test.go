package reference

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wcp-project/wcp/client"
)

// A ping timeout no longer than the ping interval is refused: the engine's
// race would close healthy connections with it.
func TestHeartbeatCheck(t *testing.T) {
	for _, tc := range []struct {
		h  Heartbeat
		ok bool
	}{
		{Heartbeat{}, true},
		{Heartbeat{Interval: time.Second, Timeout: 2 * time.Second}, true},
		{Heartbeat{Interval: time.Second, Timeout: time.Second}, false},
		{Heartbeat{Interval: 25 * time.Second, Timeout: 20 * time.Second}, false}, // the engine's own defaults
		{Heartbeat{Interval: -time.Second, Timeout: time.Second}, false},
	} {
		err := tc.h.withDefaults().check()
		if (err == nil) != tc.ok {
			t.Errorf("%+v: check() = %v, want ok %v", tc.h, err, tc.ok)
		}
	}
	_, err := Open(context.Background(), Config{DBPath: ":memory:", Heartbeat: Heartbeat{Interval: 2 * time.Second, Timeout: time.Second}})
	if err == nil || !strings.Contains(err.Error(), "ping timeout") {
		t.Errorf("Open with a ping timeout under the interval: %v, want an error naming the ping timeout", err)
	}
}

// TestHeartbeatKeepsFastClients: sessions whose client answers every ping
// at once stay open through many pings. With the engine's own schedule
// (timeout under interval) a pong that raced its ping closed about one
// session in 200 a minute, "ping timeout"; with DefaultHeartbeat's kind
// (timeout over interval) the next ping clears the stray timer first.
func TestHeartbeatKeepsFastClients(t *testing.T) {
	const (
		sessions = 30
		interval = 100 * time.Millisecond
		watch    = 3 * time.Second // about 30 pings per session, 900 in all
	)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := Open(ctx, Config{
		DBPath:    filepath.Join(t.TempDir(), "wcp.db"),
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
		Heartbeat: Heartbeat{Interval: interval, Timeout: 10 * interval}, // room for a race-built client's pong
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	c := newChatFor(t, ctx, s)
	open := make([]*client.Session, sessions)
	for i := range open {
		ss, err := client.Connect(ctx, s.URL(), c.auth(t, ctx, nil), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer ss.Close()
		open[i] = ss
	}
	ended := make(chan *client.Session, sessions)
	for _, ss := range open {
		go func() {
			select {
			case <-ss.Done():
				ended <- ss
			case <-ctx.Done():
			}
		}()
	}
	select {
	case ss := <-ended:
		t.Fatalf("a session whose client answers every ping was ended within %v: %s", watch, ss.DisconnectReason())
	case <-time.After(watch):
	}
}
