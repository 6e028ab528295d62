// Package interop runs the whole WCP/1 flow against the reference with
// clients written in other languages and other Socket.IO stacks, so the
// reference is not only checked by the Go client it was developed with.
// Today: the official JavaScript socket.io-client (js/flow.mjs, installed
// with `npm ci --prefix interop/js`) and the python-socketio client
// (python/flow.py, on Debian's python3-socketio and python3-aiohttp for
// /usr/bin/python3). .ci/run installs both; without them the tests skip
// locally and fail under CI.
package interop
