package reference

import (
	"fmt"
	"time"
)

// Heartbeat is the Engine.IO ping schedule the server announces in its
// handshake: a ping every Interval, and a connection whose pong has not
// come Timeout after a ping is closed ("ping timeout"). A zero field
// takes its default (DefaultHeartbeat).
//
// Timeout must be longer than Interval, unlike the engine's own defaults
// (25 s and 20 s), because of a race in the engine (zishang520 engine
// v3.0.6, socket.go): it sends the ping and only then arms the pong timer,
// and a pong handled on the connection's reader goroutine in between
// clears the previous timer instead, so the new one is left to fire and
// closes a healthy connection Timeout later. A fast client on loopback hits
// that window: about 0.5% of sessions older than a minute were closed so.
// The pong also restarts the interval, so the next ping comes Interval
// after it, and that ping clears the stray timer before it fires only if
// Interval is shorter than Timeout. A dead peer is still noticed within
// Interval plus Timeout, 45 s at the defaults, as with the engine's own.
type Heartbeat struct {
	Interval time.Duration
	Timeout  time.Duration
}

// DefaultHeartbeat is a ping every 20 s and 25 s for its pong.
func DefaultHeartbeat() Heartbeat {
	return Heartbeat{Interval: 20 * time.Second, Timeout: 25 * time.Second}
}

func (h Heartbeat) withDefaults() Heartbeat {
	d := DefaultHeartbeat()
	if h.Interval == 0 {
		h.Interval = d.Interval
	}
	if h.Timeout == 0 {
		h.Timeout = d.Timeout
	}
	return h
}

// check refuses a schedule the engine's race would turn against healthy
// connections.
func (h Heartbeat) check() error {
	if h.Interval < 0 || h.Timeout <= h.Interval {
		return fmt.Errorf("heartbeat: the ping timeout (%v) must be longer than the ping interval (%v), or a pong that races its ping closes a healthy connection", h.Timeout, h.Interval)
	}
	return nil
}
