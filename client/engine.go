package client

import (
	"context"
	"errors"
	"sync"
	"time"

	engine "github.com/zishang520/socket.io/clients/engine/v3"
	sioc "github.com/zishang520/socket.io/clients/socket/v3"
)

// openGrace is how long an engine may sit open without its manager hearing
// of it before the "open" event is taken as lost and delivered again.
const openGrace = 100 * time.Millisecond

// openEngine opens the manager's Engine.IO connection and returns once the
// manager has seen it open, before any Socket.IO CONNECT is sent.
//
// It exists because of two races in the Socket.IO client (v3.0.6), both of
// which showed up as connects that never answered, a few in a hundred under
// -race:
//   - Socket.Connect calls Manager.Open and then, if the manager is already
//     open, onopen again: CONNECT can go out twice. And Manager.onopen emits
//     "open" (which sends CONNECT) before it subscribes to the engine's data,
//     so a fast answer can be dropped. Opening the manager before
//     Socket.Connect removes both.
//   - engine.NewSocket dials synchronously and starts its reader, which may
//     emit the engine's "open" before Manager.Open has subscribed to it; the
//     manager then waits forever. If the engine is open but the manager has
//     not heard within openGrace, the event is emitted again. The manager's
//     listener removes itself on first delivery, so a late original finds no
//     listener and cannot open the manager twice.
//
// A dial that fails inside engine.NewSocket emits "error" just as early and
// is lost the same way; an engine that reports closed is taken as that.
func openEngine(ctx context.Context, mgr *sioc.Manager, deadline <-chan time.Time) error {
	opened := make(chan error, 1)
	var once sync.Once
	mgr.Open(func(err error) { once.Do(func() { opened <- err }) })

	tick := time.NewTicker(openGrace / 4)
	defer tick.Stop()
	var openSince, closedSince time.Time
	redelivered := false
	for {
		select {
		case err := <-opened:
			return err
		case <-deadline:
			return errors.New("transport did not open in time")
		case <-ctx.Done():
			return ctx.Err()
		case now := <-tick.C:
			eng := mgr.Engine()
			if eng == nil {
				continue
			}
			switch eng.ReadyState() {
			case engine.SocketStateOpen:
				if openSince.IsZero() {
					openSince = now
				} else if !redelivered && now.Sub(openSince) >= openGrace {
					redelivered = true
					eng.Emit("open")
				}
			case engine.SocketStateClosed:
				if closedSince.IsZero() {
					closedSince = now
				} else if now.Sub(closedSince) >= openGrace {
					return errors.New("transport closed before it opened")
				}
			}
		}
	}
}
