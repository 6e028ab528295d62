// Package faultcheck proves the conformance specs can fail: it builds the
// spec binary once, runs it against the embedded reference started with
// each deliberate defect of internal/fault (through the test-only variable
// WCP_REFERENCE_FAULT), filtered to the rules that defect breaks, and
// requires a failure labelled with one of those rules. It also runs the
// whole suite once with no defect and requires it to pass.
//
// It is a plain `go test` package; `go test -short` skips it.
package faultcheck
