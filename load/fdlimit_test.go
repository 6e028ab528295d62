package load

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestCheckFiles(t *testing.T) {
	cfg := Config{}.WithDefaults() // 32 setup, 64 connect in flight
	cases := []struct {
		name     string
		embedded bool
		sessions int
		perProc  int // 0: fits
	}{
		{"against a server, fits", false, 19_900, 0},
		{"against a server, one too many", false, 19_905, 19_904},
		{"embedded, fits", true, 9_900, 0},
		{"embedded, both ends count", true, 10_000, 9_912},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg.Embedded = c.embedded
			err := checkFiles(&cfg, c.sessions, 20_000)
			if c.perProc == 0 {
				if err != nil {
					t.Fatalf("%d sessions under 20000 files: %v", c.sessions, err)
				}
				return
			}
			var fe *FDLimitError
			if !errors.As(err, &fe) {
				t.Fatalf("err %v, want *FDLimitError", err)
			}
			if fe.PerProc != c.perProc || fe.Limit != 20_000 || fe.Need <= 20_000 {
				t.Errorf("%+v, want %d sessions per process", fe, c.perProc)
			}
			for _, want := range []string{"RLIMIT_NOFILE", "--shard i/n over at least 2 processes", "20000"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("%q lacks %q", err, want)
				}
			}
		})
	}
	if err := checkFiles(&cfg, 1_000_000, 0); err != nil {
		t.Errorf("an unknown limit checks nothing: %v", err)
	}
}

// TestRunFailsFastOverFileLimit: a shard with more senders than the
// process may open files fails before setup, without touching the target
// (nothing listens there).
func TestRunFailsFastOverFileLimit(t *testing.T) {
	limit := fileLimit()
	if limit <= 0 {
		t.Skip("RLIMIT_NOFILE unknown here")
	}
	_, err := Run(context.Background(), Config{Target: "http://127.0.0.1:1", Senders: limit + 1, Chats: 1, Rate: 1, Duration: 1})
	var fe *FDLimitError
	if !errors.As(err, &fe) || fe.Sessions != limit+1 {
		t.Fatalf("err %v, want *FDLimitError for %d sessions", err, limit+1)
	}
}
