// Package transcript records what the conformance specs send to a server
// and what it answers, so that a failed spec can show it: a Recorder is a
// transparent TCP proxy in front of the target that keeps the bytes of
// each connection while a spec runs; at the spec's end they are parsed as
// HTTP/1.1 (requests and responses, keep-alive, chunked bodies) and, after
// a 101, as RFC 6455 websocket frames, into Frames.
//
// What crosses the wire carries secrets (bearer tokens, connection strings,
// message keys, message strings), and reports are shared. A Redactor
// learns every such value from the JSON fields and headers that carry it
// and hides it wherever it shows up again, in a Frame or in a whole JSON
// report (RedactJSON), so that no transcript, failure message or log in a
// report gives one away.
//
// A failed spec's Frames travel in its Ginkgo report as the entry
// EntryName; FromReportEntry reads them back.
package transcript
