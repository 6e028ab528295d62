// Package reference is the WCP/1 reference server: the HTTP API of
// PROTOCOL.md section 3 and the Socket.IO sessions of its sections 5 and 6
// on one listener, with
// SQLite storage (package reference/sqlite). Open starts one; the server
// never reads flags or the environment, cmd/wcp does that.
//
// # Layout
//
// Files go by resource (users.go, workspaces.go, chats.go), transport
// (http.go, socket.go, engineconn.go, batchconn.go) and concern
// (connstring.go, messages.go, hub.go, replay.go, sendqueue.go,
// handshakes.go, writer.go, metrics.go). Store, the storage interface, is declared here,
// where it is used.
//
// # Storage and durability
//
// SQLite in WAL mode with synchronous=NORMAL: a commit that returned is in
// the WAL file, so an acknowledged message survives a crash of the process,
// kill -9 included (MSG-3); WAL frames written before the crash stay in the
// OS page cache. Only the machine going down can lose the last commits
// before a checkpoint. FULL would also cover that, but would make every
// HTTP write pay an fsync (about 3 ms here). Writes use a single connection,
// reads a small pool; ":memory:" uses one connection for both.
//
// # Group commit
//
// Socket handlers never touch the database for a message: after the MSG-5
// checks they queue it with the writer and return. One writer goroutine takes
// everything queued since its last commit, assigns each chat's next seqs (it
// alone assigns them, so they have no gaps however many senders there are),
// and stores the batch in one transaction. Deliverer goroutines (one per
// CPU, each owning the chats that hash to it) then acknowledge each message
// and publish it, a chat's messages in seq order through its one deliverer,
// while the writer already commits the next batch. Stored, then
// acknowledged, then delivered: MSG-1's order holds per message. The
// writer holds at most Limits.WriterQueue messages from submit to the end
// of their delivery and refuses more at once (internal, "server busy");
// once half full it is shared fairly between chats and between each
// chat's sessions (writershare.go), so a flood in one chat does not get
// another's messages refused.
//
// # Fan-out
//
// A delivered `message` is encoded once for all the sessions of its chat
// (hubs.encode) and handed to each socket's engine pre-encoded. The Socket.IO
// client clones every packet it passes to its engine, since the engine reads
// it away; the encoded message's clones share its bytes instead of copying
// them (sharedText), which is safe because the engine only reads packet
// data. (The library's own room broadcast would not be cheaper: it also
// encodes once, but then has the websocket library prepare a frame per
// socket, a fresh frame-building connection and 4 KiB buffer each time.)
//
// # Write coalescing
//
// The Socket.IO engine writes each packet as its own websocket frame, and
// the websocket library gives each frame its own Write: one system call per
// packet and socket, the largest cost of fan-out. The listener's connections
// (batchconn.go) switch to coalesced writes when they carry a websocket: a
// Write appends to the connection's buffer and one flusher goroutine, started
// by the first Write of an idle connection and gone once the buffer is empty,
// writes out everything queued meanwhile in one call (group-commit style, no
// timer). A sender's ack and its own delivery, or a burst of deliveries, share
// a call. The buffer is bounded (a peer that stops reading still blocks the
// engine, which the slow-receiver rule needs), each of the flusher's calls
// has Limits.WriteTimeout (one that runs out closes the connection), a
// write error surfaces on the next Write, and Close returns at once,
// leaving the flusher to close the connection after what is buffered (a
// peer that stopped reading gets 5 s).
//
// # The replay seam
//
// Every session joins its chat's hub before its `session` event, marked
// replaying: live messages published from then on are buffered for it, so
// none can overtake `session` (CON-1) and none is missed by a client that
// already has its session (CON-3). With `after` it then reads the database
// (seq > after) a page at a time (Limits.ReplayPage), writing each message
// only when its socket has room, so the next page is read only once the
// client has read most of the last: a replay holds a page and a socket
// buffer, however long the history. Then it sends the buffered messages
// beyond what it replayed, outside the hub's lock and as fast as the socket
// takes them, until under the lock nothing is left, and turns live. Because
// publishing follows committing, a message is either committed before the
// read (replayed) or published after the join (buffered); one committed
// before the read but published after the switch is skipped by the
// session's high-water mark. So CON-2 holds: no gap, no duplicate, even
// while others send. The buffer is bounded too: past SessionBuffer it is
// dropped and the dropped messages read back from the database (replay.go).
//
// # Revocation
//
// Removing a member, deleting a chat or a workspace first changes the
// database, then removes the affected sessions from their hubs (they get no
// further messages), emits `revoked` and disconnects them from the socket's
// own queue. A session that connects concurrently re-checks its access after
// joining its hub, before its replay, so a revocation cannot slip between
// its connect check and its join (CON-4), and a revoked user is sent none
// of the history.
//
// # Slow consumers
//
// The Socket.IO engine buffers, without bound, what it cannot write to a
// socket yet. So what each Engine.IO connection has queued and not written
// is measured below Socket.IO, from the engine's own events (sendqueue.go),
// whatever wrote it: live messages, replay, acks, `revoked`. Two
// thresholds, because the count spikes on bursts even for a client that
// reads at once: a deliverer publishes a whole commit batch in a tight
// loop, so all of it is queued before the transport's first drain (64
// senders each sending one message of 16 KiB of '<' queue 6 MiB for every
// session of the chat). Limits.SessionBuffer is the steady-state
// allowance: a connection may go over it only briefly, and one still over
// it Limits.BurstGrace after it went over (no write brought it back to
// SessionBuffer or under meanwhile) is ended. Limits.SessionBurst is the
// cap: a connection over it is ended at once. And one that has not had a
// write finish for Limits.SlowAfter, however little it has queued, has
// stopped reading and is ended too. An ended session leaves its hub and
// its connection closes, discarding what is queued, rather than letting
// it grow the server's memory until the engine's ping timeout ends it. It
// is sent no DISCONNECT, which would wait behind the bytes it is not
// reading; the client recovers with `after`. A packet that finds the queue
// empty is always taken and starts no clock, so no single message (at most
// about 96 KiB encoded) ends a session on its own.
//
// What the grace asks of a reader: the queue comes back under the buffer
// only when the transport has written the batch it took, and after a burst
// that batch is about the whole burst, so a reader must take a burst
// (less what the kernel's socket buffers hold) within BurstGrace: the
// largest, 8 MiB, at 4 MiB/s; 6 MiB at 3 MiB/s. One slower is ended on
// such a burst and catches up with `after`. The server, in turn, has a
// burst's size times the chat's sessions to write within the grace.
//
// # Limits
//
// Limits (limits.go) bound what one client can make the server hold. Each
// is a wcp serve flag and a wcp_limit gauge, and each refusal because of
// one is counted in wcp_limit_refusals_total{limit} and logged (those a
// flood can hit thousands of times a second at most once a second, with
// how many refusals the line stands for).
//
// HTTP. The listener (connlimit.go) admits at most MaxConns (10,000)
// connections, HTTP and Socket.IO together, and closes each one past it as
// soon as it has accepted it, without waiting for a slot; wcp_conns_open
// shows how many are open. A request must be read, headers and body,
// within ReadTimeout (10 s) of its first byte, and its response written
// within WriteTimeout (10 s) of its headers; a long-poll's from the
// response's first byte, since it waits for something to send, and a
// websocket's writes have their own (timeouts.go). A connection that runs
// out is closed and counted (read_timeout, write_timeout); a body cut off
// so gets no answer. A page of messages is streamed (page.go), so what a
// request holds grows neither with limit nor with how slowly it is read.
// The budget: an open connection costs about 20 KiB (its goroutine and
// net/http's 4 KiB read and write buffers; 1,000 slow-loris connections
// measured 19 MB); an API request adds its body of at most 64 KiB, a few
// times over while it is read and decoded (under 256 KiB); a page adds one
// stored message (at most 16 KiB), one encoded (at most about 96 KiB: '<'
// takes six bytes in JSON) and a 64 KiB buffer, under 200 KiB. A request
// holds that for ReadTimeout plus WriteTimeout at most. So MaxConns bounds
// HTTP at about 200 MiB for 10,000 idle connections and 2.5 GiB were each
// one reading a page or posting a body at once, and at one file descriptor
// each: size --max-conns to the memory and descriptors at hand.
//
// Socket.IO. What each Engine.IO connection has queued and not yet written
// is measured from the engine's own events (sendqueue.go, and "Slow
// consumers" above): over SessionBurst (8 MiB) the connection is ended at
// once, over SessionBuffer (1 MiB) for BurstGrace (2 s) too, and with
// something queued and no write finished for SlowAfter (15 s) too; a
// websocket write blocked for WriteTimeout (10 s) closes its connection
// (batchconn.go). None gets a DISCONNECT; the client recovers
// with `after`. A replay reads ReplayPage (100) messages at a time and
// writes them only as the socket drains (replay.go). At most
// MaxPendingHandshakes (1,000) connections are open without a session; a
// handshake past that is refused before the engine sees it, 503 with the
// JSON error body, and a connection without a session for HandshakeTimeout
// (10 s) is closed, discarding what it has queued (handshakes.go). They
// count as session_buffer, write_timeout, pending_handshakes and
// handshake_timeout. The budget: a pending handshake costs about 30 KiB and
// two goroutines (the engine's ping timer, Socket.IO's connect timer; 1,000
// measured 29 MB of RSS), so the 1,000 hold about 30 MiB; an idle session
// costs about 60 KiB and two goroutines (1,000 measured 58 MB). A session
// holds on top, at most: its send queue; batchConn's 256 KiB; the frame it
// is sending us, up to the engine's maxHttpBufferSize of 1 MB; and while it
// catches up, the live messages published meanwhile (up to SessionBuffer,
// encoded bytes the chat's sessions share) and one page of stored messages
// (100 of at most 16 KiB). Its send queue holds up to SessionBuffer for as
// long as writes keep finishing (half of it while it catches up, which is
// all the replay writes into), and up to SessionBurst plus the packet that
// crossed it (a message is at most about 96 KiB encoded) for at most
// BurstGrace. At the defaults that is, worst case, about 2.5 MiB for a
// live session and 4.5 MiB for one catching up in the steady state, and
// about 9.5 MiB and 12 MiB during the grace of a burst, plus the kernel's
// socket buffers outside the heap; once it stops reading it holds that for
// at most SlowAfter or WriteTimeout (BurstGrace when over SessionBuffer).
// So 10,000 connections could hold about 25 to 45 GiB steady, and 93 to
// 117 GiB were every one of them to hold a full burst at once (for at most
// the 2 s of the grace), at worst. A burst's live
// messages are encoded once per chat and shared by the queues of its
// sessions, so that worst case needs a burst of its own, over 8 MiB, for
// every session within the same 2 s; a burst to one chat of many sessions
// holds its bytes once, plus batchConn's 256 KiB per session. As for HTTP,
// size --max-conns (and --session-buffer, --session-burst) to the memory
// at hand; --session-burst should stay above the largest burst a chat
// sends at once (the default holds about 85 of the largest messages), and
// --burst-grace long enough for the slowest reader to be served to take it.
//
// # Shutdown
//
// Close keeps MSG-1's promise to the end: the writer first stops taking
// messages (later ones are refused with internal, "server shutting down"),
// commits what it had, and its deliverers acknowledge and publish that. Then
// each session gets a DISCONNECT queued behind all that, and its connection
// closes once the DISCONNECT is written (the Socket.IO server's own Close
// would discard what its engine still buffers). Only then are Socket.IO,
// HTTP and the database closed. Each wait is bounded.
//
// # Secrets
//
// Connection strings are HMAC-SHA256 signed with Config.Secret. When none is
// given, a random 32-byte secret is created on first start and kept in a
// file of its own beside the database, <db>.secret, mode 0600 (secret.go),
// so strings survive restarts with a file database while a copy of the
// database alone cannot forge them. A secret file that group or others may
// access is refused, as ssh refuses such a key. Older servers kept the
// secret in the database; it moves to the file on start. The database, WAL
// and SHM files are owner-only as well. Tokens are
// random 256-bit strings stored only as SHA-256 hashes. Message keys are 32
// random bytes per session, kept in memory only. None of these, nor
// connection strings or message strings, is ever logged.
//
// # Where the protocol is silent
//
// What this server chose where the contract leaves room (check order,
// lenient JSON, the connection-string format, the secret, the code
// "internal", slow consumers, ...) is listed once, in PROTOCOL.md section 9
// ("Where the contract is silent"). Change that list with the code.
//
// # Faults
//
// Config.Fault (package internal/fault) makes the server break one rule on
// purpose, each at the one place the rule is enforced, so the conformance
// specs can prove they catch it. No command exposes it, except wcp serve
// built with -tags wcpfault (a hidden --fault, for test images).
//
// Config.AckDelay is a defect of another kind: it holds every ack a fixed
// time after its commit, which breaks no rule and only makes the server
// slower, so that `wcp load compare` can be shown to tell a slower server
// from noise. It is not a fault of the catalogue (every fault there must
// fail a rule's specs); wcp serve built with -tags wcpfault has it as a
// hidden --ack-delay.
package reference
