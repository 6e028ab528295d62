// Package interop runs the whole WCP/1 flow against the reference with
// clients written in other languages and other Socket.IO stacks, so the
// reference is not only checked by the Go client it was developed with.
// Today: the official JavaScript socket.io-client (js/flow.mjs). Its
// dependencies are installed with `npm ci --prefix interop/js` (.ci/run does
// this); without them the test skips locally and fails under CI.
package interop
