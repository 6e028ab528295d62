package reference

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/zishang520/socket.io/parsers/socket/v3/parser"
	"github.com/zishang520/socket.io/servers/engine/v3/transports"
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
	// Secret is the HMAC key of connection strings. When nil, a file
	// database keeps its secret in the file DBPath+".secret" (hex text,
	// mode 0600, refused if group or others may access it), generated on
	// first start, so connection strings stay valid across restarts; a
	// secret that an older server kept in the database moves to that file.
	// With ":memory:" a fresh secret lives in memory only. A given Secret is
	// never stored; changing it invalidates every outstanding connection
	// string.
	Secret []byte
	// Now is the clock; time.Now when nil. Tests inject a fake one.
	Now func() time.Time
	// Logger receives the server's logs; slog.Default() when nil. Tokens,
	// connection strings, keys and message strings are never logged.
	Logger *slog.Logger
	// Limits bound what one client can make the server hold; zero fields
	// take DefaultLimits.
	Limits Limits
	// Fault makes the server break one protocol rule on purpose, so the
	// conformance specs can show they notice. Tests only; never set it in
	// production (no binary exposes it).
	Fault fault.Fault
	// AckDelay holds every acknowledgement (and the deliveries after it)
	// this long after its commit: a deliberate performance defect, not a
	// rule violation, so that load comparisons can be shown to notice a
	// slower server (ackdelay.go). Tests only; no default binary exposes
	// it (wcp serve built with -tags wcpfault has a hidden --ack-delay).
	AckDelay time.Duration
	// Heartbeat is the Engine.IO ping schedule; zero fields take
	// DefaultHeartbeat. Its Timeout must be longer than its Interval
	// (heartbeat.go says why).
	Heartbeat Heartbeat
}

// Server is a running WCP reference server: the HTTP API and Socket.IO on
// one listener, backed by SQLite. Its methods are safe for concurrent use.
type Server struct {
	log   *slog.Logger
	now   func() time.Time
	fault fault.Fault
	// ackDelay is Config.AckDelay (ackdelay.go).
	ackDelay time.Duration
	limits   Limits
	store    Store
	connKey  connKey
	metrics  *metrics
	hubs     *hubs
	conns    *engineConns
	writer   *writer
	io       *sio.Server
	http     *http.Server
	ln       net.Listener

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
		ackDelay:  cfg.AckDelay,
		limits:    cfg.Limits.withDefaults(),
		stop:      make(chan struct{}),
		serveDone: make(chan struct{}),
	}
	if err := s.limits.check(); err != nil {
		return nil, fmt.Errorf("open server: %w", err)
	}
	heartbeat := cfg.Heartbeat.withDefaults()
	if err := heartbeat.check(); err != nil {
		return nil, fmt.Errorf("open server: %w", err)
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
	if n := db.Narrowed(); n != nil {
		s.log.Info("database files were open to group or others; made them owner-only (0600)", "files", n)
	}
	s.store = db
	if s.fault == fault.NotDurable {
		s.store = newVolatileMessages(db)
	}
	secret := cfg.Secret
	if secret == nil {
		if secret, err = s.storedSecret(ctx, dbPath); err != nil {
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

	s.metrics = newMetrics(s.limits)
	s.hubs = newHubs(s)
	s.writer = newWriter(s)
	s.io = sio.NewServer(nil, nil)
	s.io.Use(s.authorize)
	s.io.On("connection", s.onConnection)
	// Socket.IO's own connect timeout only backs up HandshakeTimeout
	// (handshakes.go): firing first, its graceful close would leave a polling
	// connection, and a goroutine, waiting 30 s for the next poll.
	s.io.SetConnectTimeout(2 * s.limits.HandshakeTimeout)
	opts := sio.DefaultServerOptions()
	opts.SetServeClient(false)
	opts.SetPingInterval(heartbeat.Interval)
	opts.SetPingTimeout(heartbeat.Timeout)
	s.conns = newEngineConns(s)
	engineIO := s.io.ServeHandler(opts)
	s.io.Engine().On("connection", s.conns.opened)
	conns := s.limitConns(s.ln)
	s.http = &http.Server{
		Handler:     s.newHandler(s.guardHandshakes(engineIO), s.metrics.handler()),
		ConnContext: connContext,
		ConnState:   conns.connState,
		// Headers and body, and the whole response; long-polls and
		// websockets get their own deadlines (timeouts.go).
		ReadTimeout:  s.limits.ReadTimeout,
		WriteTimeout: s.limits.WriteTimeout,
		IdleTimeout:  2 * time.Minute,
		ErrorLog:     slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	go func() {
		defer close(s.serveDone)
		if err := s.http.Serve(s.batchListener(conns)); err != nil && !errors.Is(err, http.ErrServerClosed) {
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

// closeWait bounds each of Close's waits.
const closeWait = 5 * time.Second

// Close shuts the server down without breaking its word. It first stops
// accepting messages (a message arriving from then on is refused in its ack
// with code internal, "server shutting down"), then lets the writer commit
// what it had accepted and send those acks and deliveries, then ends the
// sessions once their transports have written all that, and only then stops
// Socket.IO and HTTP and closes the database. So every stored
// message was acknowledged to its sender while its session was still open.
// Each wait is bounded (5 s), so a stuck peer cannot make Close hang. It is
// idempotent; later calls return the first call's result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		close(s.stop)
		s.writer.close()
		waitAtMost(s.writer.done, closeWait)
		s.endSessions(closeWait)
		ioDone := make(chan struct{})
		s.io.Close(func(error) { close(ioDone) })
		waitAtMost(ioDone, closeWait)
		ctx, cancel := context.WithTimeout(context.Background(), closeWait)
		defer cancel()
		err := s.http.Shutdown(ctx)
		if err != nil {
			err = errors.Join(err, s.http.Close())
		}
		<-s.serveDone
		// Only a commit stuck past the first wait is still running here.
		waitAtMost(s.writer.done, closeWait)
		s.closeErr = errors.Join(err, s.store.Close())
		s.log.Info("wcp reference server closed")
	})
	return s.closeErr
}

// endSessions ends every session once what is queued for it has been
// written, and waits, at most d, until their connections have closed. The
// Socket.IO server's own Close would discard what its engine still buffers,
// and with it the last acks; the engine's graceful close would not wait for
// its transport's last write either. So each session gets a DISCONNECT
// packet, queued behind everything else for it (and, through the socket's
// own queue, behind any message handler still running there), and its
// connection closes once that packet has been written.
func (s *Server) endSessions(d time.Duration) {
	bye := s.io.Encoder().Encode(&parser.Packet{Type: parser.DISCONNECT, Nsp: "/"})
	var closed sync.WaitGroup
	for _, ss := range s.hubs.remove(func(*session) bool { return true }) {
		conn, sock := ss.sock.Conn(), ss.sock
		var once sync.Once
		done := func(...any) { once.Do(closed.Done) }
		closed.Add(1)
		conn.Once("close", done)
		if conn.ReadyState() == "closed" {
			done()
		}
		sock.Enqueue(func() {
			conn.Write(bye[0].Clone(), nil, func(transports.Transport) { go conn.Close(false) })
		})
	}
	all := make(chan struct{})
	go func() {
		closed.Wait()
		close(all)
	}()
	waitAtMost(all, d)
}

// waitAtMost waits until done is closed or d has passed.
func waitAtMost(done <-chan struct{}, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	}
}
