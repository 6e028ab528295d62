// Package sqlite stores WCP users, workspaces, chats and messages in SQLite
// (modernc.org/sqlite, pure Go). It satisfies the storage interface that the
// reference server declares; it knows nothing about sockets or HTTP.
//
// Durability: the database runs in WAL mode with synchronous=NORMAL. A
// commit that returned is in the WAL file (in the OS page cache if not yet
// on disk), so it survives a crash of the process, kill -9 included, which
// is what WCP's MSG-3 asks. Only a crash of the machine itself can lose the
// last commits before a checkpoint. FULL would fsync every commit: with
// messages in group commits that is cheap, but every HTTP write (users,
// workspaces, members) would pay a whole fsync, which measured about 3 ms
// here and made setting up 10,000 users take half a minute.
//
// Connections: writes go through one connection (SQLite allows one writer;
// queueing in database/sql is cheaper than SQLITE_BUSY retries), reads through
// a small pool. ":memory:" uses a single connection for both, because every
// new connection to ":memory:" would open a new, empty database.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"

	"github.com/wcp-project/wcp"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// DB is an open WCP database. Its methods are safe for concurrent use.
type DB struct {
	w *sql.DB // the single writer connection
	r *sql.DB // readers; == w for ":memory:"

	// insertMessage is prepared once on the writer connection: preparing it
	// for every group commit was a tenth of the commit's cost.
	insertMessage *sql.Stmt

	narrowed []string // files Open made owner-only
}

// Open opens (creating if needed) the database at path and migrates it to
// the current schema. path ":memory:" gives a private in-memory database.
// The database file and its -wal and -shm files are owner-only (0600): Open
// creates them so, and narrows existing ones that others could read (see
// Narrowed).
func Open(ctx context.Context, path string) (*DB, error) {
	pragmas := []string{"foreign_keys(1)", "busy_timeout(10000)"}
	mem := path == ":memory:" || path == ""
	var dsn string
	var narrowed []string
	if mem {
		dsn = ":memory:"
	} else {
		var err error
		if narrowed, err = ownerOnly(path); err != nil {
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
		pragmas = append(pragmas, "journal_mode(WAL)", "synchronous(NORMAL)")
		dsn = "file:" + (&url.URL{Path: path}).EscapedPath()
	}
	q := url.Values{}
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	wq := url.Values{"_txlock": {"immediate"}}
	for k, v := range q {
		wq[k] = v
	}
	w, err := sql.Open("sqlite", dsn+"?"+wq.Encode())
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	db := &DB{w: w, r: w, narrowed: narrowed}
	if !mem {
		r, err := sql.Open("sqlite", dsn+"?"+q.Encode())
		if err != nil {
			w.Close()
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
		r.SetMaxOpenConns(4)
		r.SetMaxIdleConns(4)
		db.r = r
	}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db.insertMessage, err = w.PrepareContext(ctx, `INSERT INTO messages(chat_id, seq, id, user_id, body, sent_at) VALUES (?, ?, ?, ?, ?, ?)`)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return db, nil
}

// ownerOnly creates the database file at path with mode 0600 if it is
// missing (SQLite gives the -wal and -shm files it creates the mode of the
// database file), and takes group and other permissions away from the
// database, -wal and -shm files where they exist. It returns the files it
// narrowed.
func ownerOnly(path string) ([]string, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	f.Close()
	var narrowed []string
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if perm := fi.Mode().Perm(); perm&0o077 != 0 {
			if err := os.Chmod(p, perm&^0o077); err != nil {
				return nil, err
			}
			narrowed = append(narrowed, p)
		}
	}
	return narrowed, nil
}

// Narrowed lists the existing files that Open made owner-only because group
// or others had access to them, for the caller to report; nil usually.
func (db *DB) Narrowed() []string { return db.narrowed }

// Close closes the database. It is safe to call more than once.
func (db *DB) Close() error {
	var err error
	if db.insertMessage != nil {
		err = db.insertMessage.Close()
	}
	err = errors.Join(err, db.w.Close())
	if db.r != db.w {
		err = errors.Join(err, db.r.Close())
	}
	return err
}

// migrations are applied in order; PRAGMA user_version records how many ran.
// Never edit a step that has shipped: append a new one.
var migrations = []string{
	`CREATE TABLE meta (
		key   TEXT PRIMARY KEY,
		value BLOB NOT NULL
	);
	CREATE TABLE users (
		id         TEXT PRIMARY KEY,
		name       TEXT NOT NULL,
		token_hash BLOB NOT NULL UNIQUE,
		created_at TEXT NOT NULL
	);
	CREATE TABLE workspaces (
		id         TEXT PRIMARY KEY,
		name       TEXT NOT NULL,
		owner_id   TEXT NOT NULL REFERENCES users(id),
		created_at TEXT NOT NULL
	);
	CREATE TABLE members (
		workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
		user_id      TEXT NOT NULL REFERENCES users(id),
		PRIMARY KEY (workspace_id, user_id)
	);
	CREATE TABLE chats (
		id           TEXT PRIMARY KEY,
		workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
		title        TEXT NOT NULL,
		created_at   TEXT NOT NULL
	);
	CREATE INDEX chats_by_workspace ON chats(workspace_id);
	CREATE TABLE messages (
		chat_id TEXT NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
		seq     INTEGER NOT NULL,
		id      TEXT NOT NULL,
		user_id TEXT NOT NULL,
		body    TEXT NOT NULL,
		sent_at TEXT NOT NULL,
		PRIMARY KEY (chat_id, seq)
	) WITHOUT ROWID;`,
}

// SchemaVersion is the number of migrations applied to the database.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	if err := db.w.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v); err != nil {
		return 0, fmt.Errorf("schema version: %w", err)
	}
	return v, nil
}

func (db *DB) migrate(ctx context.Context) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback()
	var v int
	if err := tx.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if v > len(migrations) {
		return fmt.Errorf("migrate: database schema %d is newer than this program (%d)", v, len(migrations))
	}
	for i := v; i < len(migrations); i++ {
		if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
			return fmt.Errorf("migrate step %d: %w", i+1, err)
		}
	}
	// PRAGMA takes no bound parameters; the value is our own integer.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, len(migrations))); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// LegacySecret returns the connection-string secret that servers before the
// secret file kept in plain text in the database, or nil if none is there.
func (db *DB) LegacySecret(ctx context.Context) ([]byte, error) {
	var s []byte
	err := db.w.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'secret'`).Scan(&s)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load legacy secret: %w", err)
	}
	return s, nil
}

// DeleteLegacySecret removes the secret LegacySecret returns, overwriting
// its bytes (secure_delete) and checkpointing the WAL, so that neither the
// database file nor the WAL keeps a copy.
func (db *DB) DeleteLegacySecret(ctx context.Context) error {
	conn, err := db.w.Conn(ctx)
	if err != nil {
		return fmt.Errorf("delete legacy secret: %w", err)
	}
	defer conn.Close()
	for _, q := range []string{
		`PRAGMA secure_delete = ON`,
		`DELETE FROM meta WHERE key = 'secret'`,
		`PRAGMA secure_delete = OFF`,
		`PRAGMA wal_checkpoint(TRUNCATE)`,
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("delete legacy secret: %w", err)
		}
	}
	return nil
}

func notFound(what string) error { return wcp.NewError(wcp.CodeNotFound, what+" not found") }

func isConstraint(err error) bool {
	return err != nil && strings.Contains(err.Error(), "constraint")
}

func isForeignKey(err error) bool {
	return err != nil && strings.Contains(err.Error(), "FOREIGN KEY constraint")
}
