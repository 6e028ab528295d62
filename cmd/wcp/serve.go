package main

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wcp-project/wcp/reference"
)

const serveLong = `Run the WCP/1 reference server: the HTTP API and Socket.IO on one
listener, with an embedded SQLite database.

Connection strings are signed with a server secret. Its source, in order:
  --secret-file PATH   a file holding the secret as hex or base64 text
                       (at least 16 bytes once decoded)
  WCP_SECRET           the same, from the environment
  (neither)            a random 32-byte secret generated on the first start
                       and kept beside the database in the --db path plus
                       ".secret" (wcp.db.secret by default; hex text, mode
                       0600), never in the database itself: a copy of the
                       database cannot forge connection strings. With
                       --db ":memory:" it lives in memory only.

A .secret file that group or others may access is refused (chmod 600 it),
as is one that is not hex text of at least 16 bytes. A database where an
older server kept the secret has it moved to its .secret file on start (the
database's copy is deleted), so connection strings it issued stay valid.

The database file and its -wal and -shm files are created owner-only (0600);
existing ones that group or others could read are narrowed to 0600 on start,
and the log says so.

What a restart does to outstanding connection strings: with a file database
and the stored (or the same given) secret, strings issued before the restart
stay valid until their expires_at. A different secret, or ":memory:" as the
database, invalidates every outstanding string (clients get
invalid_connection_string and must ask for a new one). Open sessions always
end with the process; acknowledged messages are in the database and survive
even kill -9. On SIGINT or SIGTERM the server first refuses new messages
(code internal, "server shutting down"), then commits and acknowledges every
message it had accepted, and only then closes the sessions: a message that
is stored was acknowledged.

The server never prints or logs the secret, tokens, connection strings,
message keys or message strings.`

// serveFlags are the serve command's settings before they become a
// reference.Config.
type serveFlags struct {
	addr, db, secretFile, logLevel, logFormat string
	limits                                    reference.Limits
	// applyFault is the hidden --fault of test builds (serve_fault.go);
	// in a normal build it changes nothing.
	applyFault func(*reference.Config) error
}

func newServeCmd(stdout, stderr io.Writer) *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the WCP reference server",
		Long:  serveLong,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return serve(cmd, f, stdout, stderr)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.addr, "addr", "127.0.0.1:8080", "TCP address to listen on (port 0 picks a free port); ${VAR} is taken from the environment, e.g. '${HOST}:${PORT}'")
	fl.StringVar(&f.db, "db", "wcp.db", `SQLite database file, created if missing; ":memory:" keeps nothing`)
	fl.StringVar(&f.secretFile, "secret-file", "", "file with the connection-string secret as hex or base64 (default: $WCP_SECRET, else a generated secret kept in the --db path plus .secret)")
	fl.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fl.StringVar(&f.logFormat, "log-format", "text", "log format: text or json")
	addLimitFlags(fl, &f.limits)
	f.applyFault = addFaultFlag(fl)
	return cmd
}

func serve(cmd *cobra.Command, f serveFlags, stdout, stderr io.Writer) error {
	logger, err := newLogger(stderr, f.logLevel, f.logFormat)
	if err != nil {
		return err
	}
	secret, err := loadSecret(f.secretFile, os.Getenv("WCP_SECRET"))
	if err != nil {
		return err
	}
	addr, err := expandAddr(f.addr)
	if err != nil {
		return err
	}
	if err := checkLimits(f.limits); err != nil {
		return err
	}
	cfg := reference.Config{Addr: addr, DBPath: f.db, Secret: secret, Logger: logger, Limits: f.limits}
	if err := f.applyFault(&cfg); err != nil {
		return err
	}
	ctx := cmd.Context()
	srv, err := reference.Open(ctx, cfg)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	fmt.Fprintf(stdout, "wcp: serving WCP/1 on %s\n", srv.URL())
	<-ctx.Done()
	logger.Info("shutting down")
	if err := srv.Close(); err != nil {
		return fmt.Errorf("serve: close: %w", err)
	}
	return nil
}

// expandAddr replaces ${VAR} and $VAR in an --addr with the environment's
// values: an image FROM scratch has no shell to do it, and its CMD can then
// say "${HOST}:${PORT}" (the convention platforms and wcp conform use to
// tell a container where to listen). A variable that is unset or empty is
// an error, not a silent ":".
func expandAddr(addr string) (string, error) {
	var missing []string
	out := os.Expand(addr, func(k string) string {
		v := os.Getenv(k)
		if v == "" {
			missing = append(missing, k)
		}
		return v
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("--addr %q: %s not set in the environment", addr, strings.Join(missing, ", "))
	}
	if _, _, err := net.SplitHostPort(out); err != nil {
		return "", fmt.Errorf("--addr %q: %w", out, err)
	}
	return out, nil
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: l}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", format)
}

// minSecret is the shortest secret accepted: below 128 bits an HMAC key is
// guessable in principle.
const minSecret = 16

// loadSecret reads the secret from the file, else from env; nil when neither
// is set. Errors never include the secret itself.
func loadSecret(file, env string) ([]byte, error) {
	text, from := env, "WCP_SECRET"
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("--secret-file: %w", err)
		}
		text, from = string(b), "--secret-file"
	}
	text = strings.TrimSpace(text)
	if text == "" {
		if file != "" {
			return nil, errors.New("--secret-file: the file is empty")
		}
		return nil, nil
	}
	secret, ok := decodeSecret(text)
	if !ok {
		return nil, fmt.Errorf("%s: not hex or base64 text", from)
	}
	if len(secret) < minSecret {
		return nil, fmt.Errorf("%s: secret is %d bytes, want at least %d", from, len(secret), minSecret)
	}
	return secret, nil
}

func decodeSecret(s string) ([]byte, bool) {
	if b, err := hex.DecodeString(s); err == nil {
		return b, true
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, true
		}
	}
	return nil, false
}
