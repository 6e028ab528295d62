package harness

import "time"

// How long the specs wait for what the contract promises without a
// deadline of its own. Only CON-4 (1 s) and EXP-2 (1 s of tolerance) put a
// number on time; everything else (an ack, a delivery, a replay, an answer
// to CONNECT) must merely come. These bounds only decide when "not yet"
// becomes "never": a correct server never waits them out, so they are set
// for a slow one (a Python server that fsyncs every message, a
// single-threaded Node server under parallel specs), not for the reference.
const (
	// DeliverWithin bounds the wait for a delivery, replay or revocation
	// side effect the contract promises without a deadline.
	DeliverWithin = 10 * time.Second
	// AnswerWithin bounds the wait for an answer the contract requires:
	// an ack, a CONNECT's CONNECT/CONNECT_ERROR, a `session` event.
	AnswerWithin = 10 * time.Second
	// QuietFor is how long a spec watches for something that must not
	// happen (a message that must not be delivered, a revocation that must
	// not come). Longer only makes such a spec stricter.
	QuietFor = 500 * time.Millisecond
	// SilenceBound is how long a CONNECT that is not JSON at all may go
	// unanswered: the contract asks only that no session results and that
	// the server keeps serving (CON-5, ROB-1).
	SilenceBound = 3 * time.Second
	// SpecBound bounds everything one spec does (its SpecTimeout): no spec
	// may hang the suite, whatever the server does.
	SpecBound = 45 * time.Second
	// SetupBound bounds starting the target (the suite's NodeTimeout): a
	// command target may take a while to build and start.
	SetupBound = 3 * time.Minute
)
