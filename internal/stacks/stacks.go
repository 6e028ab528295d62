// Package stacks starts tiny Socket.IO fixture servers, one per server stack
// (the zishang520 Go server, python-socketio, the official Node server), for
// the table tests of the Go client. All three follow one fixture protocol:
//
//   - GET /healthz answers 200 {"status":"ok"}.
//   - Socket.IO at /socket.io/, namespace "/", polling and websocket with
//     upgrades, ping interval 500 ms and ping timeout 2500 ms, max buffer
//     4,000,000 bytes, on 127.0.0.1 only.
//   - CONNECT is accepted when auth is an object with "token" == "good", and
//     refused otherwise with CONNECT_ERROR {"message":"denied","data":{"code":"denied"}}.
//   - On connect the server emits `welcome` {"sid": <socket id>} first.
//   - `echo` (ack): acks its first argument unchanged.
//   - `burst` {"n": N} (ack): emits `item` {"i": 1} ... {"i": N}, then acks {"n": N}.
//   - `bye` {"code": C}: emits `bye` {"code": C}, then the stack's usual
//     server-side disconnect of that socket: a DISCONNECT packet. No ack. On
//     every stack the transport stays open for the client to close.
//   - `big` {"size": N} (ack): acks {"data": N times "x"}.
//   - Undecodable packets get each stack's native treatment, nothing added.
//
// The Python and Node fixtures live in testdata/stacks and run as child
// processes (`--port 0`, then one `listening on http://127.0.0.1:PORT` line on
// stdout); the Go one runs in the test process. The Node fixture needs
// `npm ci --prefix testdata/stacks/node` first: Start does not run npm.
package stacks

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// Stack is one fixture server implementation.
type Stack struct {
	// Name is "go", "python" or "node".
	Name string
	// start starts the fixture and returns its base URL; it registers the
	// cleanup and skips or fails t when the stack is unavailable.
	start func(t testing.TB) string
}

// All returns every stack, Go first. Each call returns a fresh slice.
func All() []Stack {
	return []Stack{
		{Name: "go", start: startGo},
		{Name: "python", start: startPython},
		{Name: "node", start: startNode},
	}
}

// Start starts a fresh fixture server for this test and returns its base URL,
// "http://127.0.0.1:PORT". A cleanup registered on t stops it (child
// processes are terminated and waited for) and, when t failed, logs the
// process's output.
//
// When the stack's runtime or packages are missing, Start skips t with a hint
// on how to install them, or fails it when the environment variable CI is
// non-empty, so that CI never passes by skipping.
func (s Stack) Start(t testing.TB) string {
	t.Helper()
	return s.start(t)
}

// unavailable skips t, or fails it under CI, because a stack cannot run.
func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") != "" {
		t.Fatalf("%s (CI is set: failing instead of skipping)", msg)
	}
	t.Skip(msg)
}

// moduleRoot is the directory holding go.mod, found by walking up from the
// working directory: `go test` runs each package in its own directory, so
// this works from any package of the module.
var moduleRoot = sync.OnceValues(func() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find module root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("find module root: no go.mod above the working directory")
		}
		dir = parent
	}
})

// fixtureDir returns testdata/stacks/<name> under the module root.
func fixtureDir(t testing.TB, name string) string {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, "testdata", "stacks", name)
}
