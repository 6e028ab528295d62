//go:build !wcpfault

package main

import (
	"github.com/spf13/pflag"

	"github.com/wcp-project/wcp/reference"
)

// addFaultFlag adds nothing: only a binary built with -tags wcpfault can
// be told to break the protocol (see serve_fault.go).
func addFaultFlag(*pflag.FlagSet) func(*reference.Config) error {
	return func(*reference.Config) error { return nil }
}
