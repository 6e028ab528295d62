// Package specs is the WCP/1 conformance suite: Ginkgo specs that check any
// server at a URL against the protocol, rule by rule. Every spec names the
// rule IDs it checks (OWN-*, EXP-*, CON-*, MSG-*, ROB-*) in its title and as
// a Ginkgo label, so one rule runs with --label-filter=EXP-2.
//
// The files are named for PROTOCOL.md's sections, so reading them in name
// order is reading the protocol: 01 transport, 02 errors and robustness
// (ROB-*), 03 users, workspaces and chats (OWN-*, one file a rule), 04
// connection strings (EXP-*), 05 connecting (CON-*, one file a rule), 06
// messages (MSG-*, one file a rule), then the specs that check several rules
// at once: 10 histories, 11 dropped connections. What the specs stand on
// but is no rule (targets, the per-spec World, the HTTP, connect and
// message assertions, the rule table) is package specs/harness.
//
// The specs are a regular package: suite_test.go is only the `go test`
// entry, and any program can run them the same way (RegisterFailHandler,
// Configure, RunSpecs with Title). Every spec is bounded by its
// SpecTimeout (harness.SpecBound) and passes its SpecContext down.
//
// Running it:
//
//	go tool ginkgo ./specs                      # against the embedded reference
//	go tool ginkgo -p ./specs                   # the same, one reference per process
//	WCP_TARGET=http://host:port go tool ginkgo ./specs
//	go tool ginkgo ./specs -- --target=http://host:port
//	WCP_TARGET_CMD="$PWD/myserver --port {port} --db {dir}/x.db" go tool ginkgo ./specs   # runs in specs/: absolute paths
//	WCP_TARGET_IMAGE=wcp:dev WCP_TARGET_IMAGE_ARGS='serve --addr 127.0.0.1:{port} --db /data/wcp.db' go tool ginkgo ./specs
//
// At most one target may be set:
//
//   - WCP_TARGET (or the suite flag --target): a running server at that base
//     URL. Every Ginkgo process shares it. Specs that need to restart the
//     server (MSG-3) are skipped, with the reason.
//   - WCP_TARGET_CMD: a shell command with a {port} placeholder. Each Ginkgo
//     process starts it on a free port of 127.0.0.1, waits for GET /healthz,
//     and stops it at the end. MSG-3 kills it with SIGKILL and starts it
//     again on the same port, so the command must keep its data across
//     restarts (a file database), e.g. in {dir}: a directory the harness
//     makes per target, keeps across restarts and removes at the end. Its
//     output is attached to every failed spec.
//   - WCP_TARGET_IMAGE: a container image on the local Docker engine (never
//     pulled), run the same way, one container per process with host
//     networking. It learns its port through {port} in
//     WCP_TARGET_IMAGE_ARGS (the container's arguments) or
//     WCP_TARGET_IMAGE_ENV (KEY=VALUE pairs), both split at white space;
//     an image that always listens on one port gives it as
//     WCP_TARGET_IMAGE_PORT, and then only one process can run it (no -p).
//     Its data belongs in /data, where the harness mounts a host directory
//     writable by any user, kept across the SIGKILL restart and removed at
//     the end. Its output is attached to every failed spec.
//   - otherwise the embedded reference server, in process, on 127.0.0.1:0
//     with a SQLite file in a temporary directory (so it can be restarted).
//
// Other variables:
//
//   - WCP_REPORT_DIR: where wcp-rules.json (rule ID -> passed/failed/skipped,
//     with the failing specs) goes. Unset, it goes beside Ginkgo's
//     --json-report or --junit-report output (use --output-dir or an
//     absolute path with the ginkgo CLI); with neither, only the table is
//     printed and no file is written.
//   - WCP_REFERENCE_FAULT: exists only for the project's self-test
//     (specs/faultcheck): it starts the embedded reference with one of its
//     deliberate defects (internal/fault). It is refused with any other
//     target.
//
// The suite needs nothing from the server but the protocol: its own client
// (package client) for HTTP and Socket.IO, raw Engine.IO frames (package
// wire, over client.RawConn) for what a well-behaved client cannot send, and
// a small TCP proxy (internal/proxy) to cut connections mid-stream.
package specs
