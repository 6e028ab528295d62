package reference

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// minSecret is the shortest secret file accepted, in bytes: below 128 bits
// an HMAC key is guessable in principle.
const minSecret = 16

// secretFile is where a server given no secret keeps the one it generated:
// beside the database, never in it, so that a copy of the database cannot
// forge connection strings.
func secretFile(dbPath string) string { return dbPath + ".secret" }

// storedSecret returns the secret of a server given none. For ":memory:" it
// is fresh and lives only in memory. For a file database it is the one in
// secretFile; on the first start that file is created, holding the secret
// an older server kept in the database if there is one (so its connection
// strings stay valid), else a fresh one. The database's copy is deleted
// once the file holds it.
func (s *Server) storedSecret(ctx context.Context, dbPath string) ([]byte, error) {
	if dbPath == ":memory:" {
		return freshSecret(), nil
	}
	path := secretFile(dbPath)
	secret, err := readSecretFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		secret, err = s.createSecretFile(ctx, path)
	}
	if err != nil {
		return nil, err
	}
	// Also after a crash between writing the file and deleting the row.
	if err := s.store.DeleteLegacySecret(ctx); err != nil {
		return nil, err
	}
	return secret, nil
}

// createSecretFile writes the database's legacy secret, or else a fresh one,
// to path. If another server created path meanwhile, its secret wins.
func (s *Server) createSecretFile(ctx context.Context, path string) ([]byte, error) {
	secret, err := s.store.LegacySecret(ctx)
	if err != nil {
		return nil, err
	}
	moved := secret != nil
	if !moved {
		secret = freshSecret()
	}
	err = writeSecretFile(path, secret)
	if errors.Is(err, fs.ErrExist) {
		return readSecretFile(path)
	}
	if err != nil {
		return nil, err
	}
	if moved {
		s.log.Info("moved the connection-string secret out of the database into its own file", "file", path)
	} else {
		s.log.Info("generated a connection-string secret", "file", path)
	}
	return secret, nil
}

func freshSecret() []byte {
	b := make([]byte, 32)
	rand.Read(b)
	return b
}

// readSecretFile reads a secret file: hex text, owner-only. Like ssh with a
// private key, it refuses a file that group or others may access. Errors
// never quote the file's content.
func readSecretFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("secret file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("secret file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("secret file %s: not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("secret file %s: mode %#o lets group or others access it; it must be owner-only (chmod 600 %s)", path, perm, path)
	}
	text, err := io.ReadAll(io.LimitReader(f, 4096))
	if err != nil {
		return nil, fmt.Errorf("secret file %s: %w", path, err)
	}
	secret, err := hex.DecodeString(strings.TrimSpace(string(text)))
	if err != nil || len(secret) < minSecret {
		return nil, fmt.Errorf("secret file %s: malformed, want at least %d bytes as hex text", path, minSecret)
	}
	return secret, nil
}

// writeSecretFile creates path, mode 0600, holding secret as hex text. The
// file appears whole or not at all: it is written to a temporary file in
// the same directory first, then linked into place. A link, unlike a
// rename, never replaces a file: if path exists, the error is fs.ErrExist.
// Where links are not supported it falls back to a rename.
func writeSecretFile(path string, secret []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, filepath.Base(path)+".tmp*") // mode 0600
	if err != nil {
		return fmt.Errorf("write secret file: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	_, err = f.WriteString(hex.EncodeToString(secret) + "\n")
	err = errors.Join(err, f.Sync(), f.Close())
	if err != nil {
		return fmt.Errorf("write secret file: %w", err)
	}
	if err := os.Link(tmp, path); errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("write secret file: %w", err)
	} else if err != nil {
		if err := os.Rename(tmp, path); err != nil {
			return fmt.Errorf("write secret file: %w", err)
		}
	}
	// Make the new name durable too; not every system can sync a directory.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
