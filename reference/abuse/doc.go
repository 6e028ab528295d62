// Package abuse attacks a real `wcp serve` process the way a hostile or
// broken client would, and checks that the server's limits (reference.Limits,
// the --max-conns ... --writer-queue flags) hold it: its resident memory and
// goroutines stay under a budget during and after each attack, the limit
// counters (wcp_limit_refusals_total) move where a limit bites, and an
// honest client in another chat keeps getting its acks in time.
//
// It is tests only: one attack per file, each against a server of its own
// (a child process on 127.0.0.1 with a temporary database and small
// limits), so that one attack's memory never counts against another's.
// The server is built once per test process (main_test.go).
//
// With WCP_SOAK set to a duration (make soak), TestSoak instead runs one
// server for that long under honest load (wcp load) while the attacks run
// against it in a loop, and writes the server's resident memory over time
// and a summary (soak_test.go).
package abuse
