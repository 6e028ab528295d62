package load

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/wcp-project/wcp/reference"
)

// startReference runs the reference server on 127.0.0.1:0 with an
// in-memory database for the test's lifetime.
func startReference(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	srv, err := reference.Open(ctx, reference.Config{Addr: "127.0.0.1:0", DBPath: ":memory:", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatalf("reference: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv.URL()
}

func TestRunAgainstReference(t *testing.T) {
	if testing.Short() {
		t.Skip("integration")
	}
	url := startReference(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := Run(ctx, Config{
		Target: url, Embedded: true, Senders: 20, Chats: 4,
		Rate: 400, Duration: time.Second, Forged: 0.1,
		Grace: 3 * time.Second, AckTimeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	c := res.Counts
	t.Logf("counts: %+v", c)
	t.Logf("failures: %v notes: %v", res.Failures, res.Notes)
	if c.Sessions != 20 {
		t.Errorf("sessions = %d, want 20", c.Sessions)
	}
	if c.Sent < 300 {
		t.Errorf("sent = %d, want about 400", c.Sent)
	}
	if c.Lost != 0 || c.ForgedAccepted != 0 || c.Duplicated != 0 || c.OutOfOrder != 0 {
		t.Errorf("lost %d forged_accepted %d dup %d ooo %d, want 0", c.Lost, c.ForgedAccepted, c.Duplicated, c.OutOfOrder)
	}
	if c.ForgedSent == 0 || c.ForgedRefused != c.ForgedSent {
		t.Errorf("forged refused %d of %d sent, want all", c.ForgedRefused, c.ForgedSent)
	}
	if want := c.Acked * 5; c.Delivered != want {
		t.Errorf("delivered %d, want %d (acked %d × 5 sessions per chat)", c.Delivered, want, c.Acked)
	}
	if res.Failed() {
		t.Errorf("run failed: %v", res.Failures)
	}
}
