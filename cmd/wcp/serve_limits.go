package main

import (
	"fmt"

	"github.com/spf13/pflag"

	"github.com/wcp-project/wcp/reference"
)

// addLimitFlags adds a flag per reference.Limits field, defaulting to the
// server's own defaults so --help shows them.
func addLimitFlags(fl *pflag.FlagSet, l *reference.Limits) {
	d := reference.DefaultLimits()
	fl.IntVar(&l.MaxConns, "max-conns", d.MaxConns, "open TCP connections (HTTP and Socket.IO); more are closed at once")
	fl.IntVar(&l.MaxPendingHandshakes, "max-pending-handshakes", d.MaxPendingHandshakes, "Engine.IO connections without a Socket.IO session yet")
	fl.DurationVar(&l.HandshakeTimeout, "handshake-timeout", d.HandshakeTimeout, "time from the Engine.IO open to an accepted CONNECT")
	fl.DurationVar(&l.ReadTimeout, "read-timeout", d.ReadTimeout, "time to read one HTTP request, headers and body")
	fl.DurationVar(&l.WriteTimeout, "write-timeout", d.WriteTimeout, "time to write one HTTP response or socket frame")
	fl.IntVar(&l.SessionBuffer, "session-buffer", d.SessionBuffer, "bytes one socket may have queued and not yet written for as long as it likes; over it for longer than --burst-grace, it is disconnected as a slow receiver")
	fl.IntVar(&l.SessionBurst, "session-burst", d.SessionBurst, "bytes one socket may have queued for a moment (a burst); over it, it is disconnected at once as a slow receiver (at least --session-buffer)")
	fl.DurationVar(&l.BurstGrace, "burst-grace", d.BurstGrace, "how long a socket may stay over --session-buffer before it is disconnected as a slow receiver")
	fl.DurationVar(&l.SlowAfter, "slow-after", d.SlowAfter, "how long a socket with bytes queued may go without a write finishing before it is disconnected")
	fl.IntVar(&l.ReplayPage, "replay-page", d.ReplayPage, "stored messages a replay reads at once; the next page waits until the socket drained this one")
	fl.IntVar(&l.WriterQueue, "writer-queue", d.WriterQueue, "messages on their way to being stored and delivered; past it, or past a chat's and its session's fair share once it is half full, messages are refused (internal, server busy)")
}

// checkLimits reports flags that contradict each other, by their names (0
// takes the default, which reference.Open checks).
func checkLimits(l reference.Limits) error {
	if l.SessionBurst != 0 && l.SessionBurst < l.SessionBuffer {
		return fmt.Errorf("--session-burst (%d bytes) must be at least --session-buffer (%d bytes)", l.SessionBurst, l.SessionBuffer)
	}
	return nil
}
