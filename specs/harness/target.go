package harness

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/wcp-project/wcp/internal/fault"
	"github.com/wcp-project/wcp/reference"
)

// Target is the server under test, as one Ginkgo process sees it.
type Target interface {
	// URL is the base URL; it stays the same across restarts.
	URL() string
	// Restart stops the server abruptly and starts it again on the same
	// address with the same data, or returns ErrNotRestartable.
	Restart(ctx context.Context) error
	// Log is the server's output, or nil when the suite cannot see it.
	Log() *LogTail
	// Stop ends the server for good.
	Stop() error
}

// ErrNotRestartable is what Restart returns for a target given as a URL.
var ErrNotRestartable = errors.New("the suite cannot restart a target given as a URL (WCP_TARGET): run it with WCP_TARGET_CMD, WCP_TARGET_IMAGE or against the embedded reference to check restarts")

// StartTarget starts (or, for a URL, only names) the target cfg asks for,
// once cfg.Validate has nothing against it. The target outlives ctx; Stop
// ends it.
func StartTarget(ctx context.Context, cfg Config) (Target, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	switch {
	case cfg.Target != "":
		return urlTarget(strings.TrimRight(cfg.Target, "/")), nil
	case cfg.TargetCmd != "":
		return startCmdTarget(ctx, cfg.TargetCmd)
	case cfg.Image != "":
		return startContainerTarget(ctx, cfg)
	default:
		f, err := fault.Parse(cfg.Fault)
		if err != nil {
			return nil, fmt.Errorf("WCP_REFERENCE_FAULT: %w", err)
		}
		return startEmbedded(ctx, f)
	}
}

// urlTarget is a server someone else runs; the suite only talks to it.
type urlTarget string

func (u urlTarget) URL() string                 { return string(u) }
func (urlTarget) Restart(context.Context) error { return ErrNotRestartable }
func (urlTarget) Log() *LogTail                 { return nil }
func (urlTarget) Stop() error                   { return nil }

// embeddedTarget is the reference server in this process, on a SQLite file
// so that a restart (Close, then Open on the same file, address and secret)
// keeps what was stored.
type embeddedTarget struct {
	dir string
	cfg reference.Config
	log *LogTail
	mu  sync.Mutex
	srv *reference.Server
}

func startEmbedded(ctx context.Context, f fault.Fault) (*embeddedTarget, error) {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "wcp-specs-")
	if err != nil {
		return nil, err
	}
	log := &LogTail{}
	t := &embeddedTarget{
		dir: dir,
		cfg: reference.Config{
			Addr:   "127.0.0.1:0",
			DBPath: filepath.Join(dir, "wcp.db"),
			Secret: secret,
			Logger: slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug})),
			Fault:  f,
		},
		log: log,
	}
	// The server outlives the node that starts it: its context must not
	// end it.
	srv, err := reference.Open(context.WithoutCancel(ctx), t.cfg)
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("open the embedded reference: %w", err)
	}
	t.srv = srv
	t.cfg.Addr = srv.Addr() // restarts come back on the same port
	return t, nil
}

func (t *embeddedTarget) URL() string   { return "http://" + t.cfg.Addr }
func (t *embeddedTarget) Log() *LogTail { return t.log }

func (t *embeddedTarget) Restart(ctx context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.srv.Close(); err != nil {
		return fmt.Errorf("close the embedded reference: %w", err)
	}
	// The port was ours a moment ago; give the kernel a moment if the
	// rebind races the close.
	var err error
	for range 50 {
		var srv *reference.Server
		if srv, err = reference.Open(context.WithoutCancel(ctx), t.cfg); err == nil {
			t.srv = srv
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("reopen the embedded reference on %s: %w", t.cfg.Addr, err)
}

func (t *embeddedTarget) Stop() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	err := t.srv.Close()
	if rmErr := os.RemoveAll(t.dir); err == nil {
		err = rmErr
	}
	return err
}
