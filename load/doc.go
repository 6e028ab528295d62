// Package load is the WCP load generator: it sets up users, a workspace
// and chats over HTTP, connects one Socket.IO session per sender, sends
// signed messages, and checks that every accepted message reached every
// session of its chat exactly once and in seq order. The wcp command
// (`wcp load`) turns flags into a Config; this package never reads flags,
// files or the environment.
//
// The engine is this package; what consumes its results lives beside it,
// and never imports it:
//
//   - load/report: Result (what a run measured), Metrics (the striped
//     recorder a run feeds), Encode/Decode/Merge, thresholds and the text
//     and HTML reports. `wcp load merge` and `wcp load report` need only
//     this package.
//   - load/progress: the live displays (Lines, Bars) of a run's Progress.
//   - load/prom: the server's own view. It scrapes a Prometheus endpoint
//     and turns successive scrapes into report.ServerView (per-second
//     server ack p50/p99 from histogram bucket increments, sessions open,
//     refusals by code, CPU cores, RSS, goroutines). Like the others it
//     imports report, never the engine.
//
// Inside the engine the roles follow vegeta's split:
//
//   - Config (config.go) is one run; WithDefaults fills its zero fields and
//     Validate, which changes nothing, judges it. Run applies both.
//   - Run (run.go) reads as its phases: setup, connect, wait for StartAt,
//     send (with the drain), account, self-check, result.
//   - Pacer (pacer.go) is the open-loop schedule: StagedPacer.At(n) is the
//     intended send time of message n, computed from the rate curve alone.
//     Pace dispatches each message at its time without waiting on the
//     server; a slow server makes latencies grow, never the offered rate
//     shrink. Closed loop (Config.Inflight) keeps W messages per sender in
//     flight instead.
//   - The sender (sender.go) is one session; all it sees of the run is its
//     crew (crew.go): the send clock, the metrics, the counters that belong
//     to no one session, and the workers. The pacer only appends an
//     intended time to the session's queue; one worker at a time drains it,
//     assigning nonces and writing in order, so a session's emits stay in
//     nonce order while the pacer never blocks (when every worker is busy
//     another starts). Each session's reader handles acks, deliveries and
//     pings. The body of every message carries its intended send time
//     (tag.go), so a receiver computes delivery latency with no shared
//     table.
//   - The transport (conn.go, rawws.go) is websocket only: the transport
//     WCP/1 requires, and the one whose cost a load run should measure
//     (long-polling is for the specs and the client). It offers no
//     compression and reads each connection on one goroutine, so it reads
//     every stack's framing in wire order (TestRunAgainstOtherStacks runs
//     it against python-socketio and Node socket.io). Frames are spelled by
//     package wire; deliveries and acks are read by a scan of their bytes
//     (jsonscan.go) instead of a JSON round trip.
//   - Accounting (accounting.go) keeps, per chat, the set of acknowledged
//     seqs and, per session, the set of received seqs, both as interval
//     sets: in-order traffic is one interval, so memory is O(sessions +
//     holes), not O(messages × sessions). After a drain, lost = acked seqs a
//     live session did not receive; seqs seen twice are duplicates; seqs
//     below the highest already seen arrived out of order. The drain
//     (run.go) waits while deliveries keep arriving and ends only after
//     Grace with none, so a server that is behind is not called lossy.
//   - The self-check (selfcheck.go) marks a result invalid when the
//     generator was its own bottleneck: process CPU above 90% of
//     GOMAXPROCS, a 10 ms ticker late by more than 20 ms at p99, or the
//     pacer behind its own schedule by more than 50 ms at p99.
//   - Shards (shard.go) split a run by chat; see Shard for why their merge
//     equals one big run.
//   - Scenarios (scenariorun.go, package load/scenario) describe a run as
//     populations: the world comes from scenario.Layout (a user may sit in
//     several chats), each sending session keeps its own open-loop
//     schedule of think times, and slow readers hold their reads back. A
//     run of flags is the same engine with no population and one global
//     pacer.
//   - Reconnects (reconnect.go, link.go): a session is a seat in a chat
//     that holds one link (connection) at a time. Churn and storms drop a
//     link and open the next with `after` = the highest seq received,
//     renewing the connection string first when it is about to expire.
//     The seat's received seqs, nonces and ack ids carry over, so the
//     same audit covers every seam: the seqs in (after, first live seq]
//     must all arrive, once. report.Reconnects defines reopen, time to
//     resume and replay speed.
//   - Limits of one process (fdlimit.go): every session is one websocket,
//     one open file; Run fails fast with an *FDLimitError, suggesting
//     --shard, when the shard's sessions cannot all be open under
//     RLIMIT_NOFILE. What the process spent, memory per session after
//     connect and CPU per message, is the result's Cost (cost.go).
//   - The server watch (servermetrics.go) probes the target's /metrics
//     (Config.ServerMetrics) once at the start; a target without them is
//     noted in the result, never an error. Otherwise it scrapes before
//     sending, at every wall-clock second boundary while sending and
//     draining (where the client's series closes its seconds, so server
//     second T sits beside client second T), and after the drain, each
//     scrape bounded by a timeout and a failed one counted. Merged
//     shards keep one view per run and URL (report.MergeServers).
//
// The reference profile ("make bench"): 200 senders in 20 chats, one
// message in flight each, 10 s, against the embedded reference, writing
// its JSON result:
//
//	wcp load --senders 200 --chats 20 --inflight 1 --duration 10s --out bench.json
//
// With the embedded reference the process's CPU covers server and
// generator; add --cpuprofile to see where the server spends it. The
// generator's own costs are measured against a reference in a process of
// its own by BenchmarkMessageCPU and BenchmarkIdleSessionMemory.
//
// A run fails (report.Result.Failures) when a forged message is accepted or
// delivered, or an acknowledged message is lost, duplicated or reordered.
package load
