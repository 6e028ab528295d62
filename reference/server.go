package reference

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	sio "github.com/zishang520/socket.io/servers/socket/v3"

	"github.com/wcp-project/wcp/internal/fault"
	"github.com/wcp-project/wcp/reference/sqlite"
)

// Config configures a Server. The zero value is usable: a server on a free
// port of 127.0.0.1 with a private in-memory database.
type Config struct {
	// Addr is the TCP address to listen on; "127.0.0.1:0" when empty.
	// Ignored when Listener is set.
	Addr string
	// Listener, when set, is served instead of listening on Addr. Close
	// closes it.
	Listener net.Listener
	// DBPath is the SQLite database file; ":memory:" (or empty) keeps
	// everything in memory, for tests.
	DBPath string
	// Secret is the HMAC key of connection strings. When nil, the secret
	// stored in the database is used, and a fresh 32-byte one is generated
	// and stored on first start: with a file database, connection strings
	// then stay valid across restarts. A given Secret is never stored;
	// changing it invalidates every outstanding connection string.
	Secret []byte
	// Now is the clock; time.Now when nil. Tests inject a fake one.
	Now func() time.Time
	// Logger receives the server's logs; slog.Default() when nil. Tokens,
	// connection strings, keys and message strings are never logged.
	Logger *slog.Logger
	// Fault makes the server break one protocol rule on purpose, so the
	// conformance specs can show they notice. Tests only; never set it in
	// production (no binary exposes it).
	Fault fault.Fault
}

// Server is a running WCP reference server: the HTTP API and Socket.IO on
// one listener, backed by SQLite. Its methods are safe for concurrent use.
type Server struct {
	log     *slog.Logger
	now     func() time.Time
	fault   fault.Fault
	store   Store
	connKey connKey
	metrics *metrics
	hubs    *hubs
	writer  *writer
	io      *sio.Server
	http    *http.Server
	ln      net.Listener

	// stop is closed when Close starts, to end waits (the stall fault).
	stop      chan struct{}
	serveDone chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// Open starts a server: it opens (and migrates) the database, listens, and
// serves in the background until Close.
func Open(ctx context.Context, cfg Config) (*Server, error) {
	s := &Server{
		log:       cfg.Logger,
		now:       cfg.Now,
		fault:     cfg.Fault,
		stop:      make(chan struct{}),
		serveDone: make(chan struct{}),
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	dbPath := cfg.DBPath
	if dbPath == "" {
		dbPath = ":memory:"
	}
	db, err := sqlite.Open(ctx, dbPath)
	if err != nil {
		return nil, fmt.Errorf("open server: %w", err)
	}
	s.store = db
	if s.fault == fault.NotDurable {
		s.store = newVolatileMessages(db)
	}
	secret := cfg.Secret
	if secret == nil {
		fresh := make([]byte, 32)
		rand.Read(fresh)
		if secret, err = s.store.Secret(ctx, fresh); err != nil {
			db.Close()
			return nil, fmt.Errorf("open server: %w", err)
		}
	}
	if len(secret) == 0 {
		db.Close()
		return nil, errors.New("open server: empty secret")
	}
	s.connKey = connKey{secret: secret}

	s.ln = cfg.Listener
	if s.ln == nil {
		addr := cfg.Addr
		if addr == "" {
			addr = "127.0.0.1:0"
		}
		if s.ln, err = net.Listen("tcp", addr); err != nil {
			db.Close()
			return nil, fmt.Errorf("open server: %w", err)
		}
	}

	s.metrics = newMetrics()
	s.hubs = newHubs(s)
	s.writer = newWriter(s)
	s.io = sio.NewServer(nil, nil)
	s.io.Use(s.authorize)
	s.io.On("connection", s.onConnection)
	opts := sio.DefaultServerOptions()
	opts.SetServeClient(false)
	s.http = &http.Server{
		Handler:           s.newHandler(s.io.ServeHandler(opts), s.metrics.handler()),
		ConnContext:       connContext,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	go func() {
		defer close(s.serveDone)
		if err := s.http.Serve(batchListener{s.ln}); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("serve", "err", err)
		}
	}()
	s.log.Info("wcp reference server listening", "addr", s.ln.Addr().String(), "db", dbPath)
	return s, nil
}

// Addr is the address the server listens on, host:port.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URL is the base URL of the server, "http://host:port".
func (s *Server) URL() string { return "http://" + s.Addr() }

// Close ends every session, stops the HTTP server, commits the messages
// already queued and closes the database. It is idempotent; later calls
// return the first call's result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		close(s.stop)
		ioDone := make(chan struct{})
		s.io.Close(func(error) { close(ioDone) })
		select {
		case <-ioDone:
		case <-time.After(5 * time.Second):
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err := s.http.Shutdown(ctx)
		if err != nil {
			err = errors.Join(err, s.http.Close())
		}
		<-s.serveDone
		s.writer.close()
		s.closeErr = errors.Join(err, s.store.Close())
		s.log.Info("wcp reference server closed")
	})
	return s.closeErr
}
