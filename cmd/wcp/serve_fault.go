//go:build wcpfault

package main

import (
	"fmt"

	"github.com/spf13/pflag"

	"github.com/wcp-project/wcp/internal/fault"
	"github.com/wcp-project/wcp/reference"
)

// addFaultFlag adds the hidden --fault NAME to wcp serve, in binaries built
// with -tags wcpfault only: test images of the reference started with one
// of its deliberate defects (package internal/fault), so the conformance
// suite can be shown to catch a broken server shipped as an image. The
// function it returns applies the flag to the server's configuration.
func addFaultFlag(fl *pflag.FlagSet) func(*reference.Config) error {
	var name string
	fl.StringVar(&name, "fault", "", "break one protocol rule on purpose (test images only; see internal/fault)")
	// Hidden: it is a test switch, not something to offer in --help.
	_ = fl.MarkHidden("fault")
	return func(cfg *reference.Config) error {
		f, err := fault.Parse(name)
		if err != nil {
			return fmt.Errorf("--fault: %w", err)
		}
		if f != fault.None {
			cfg.Logger.Warn("this server breaks the protocol on purpose (--fault)", "fault", string(f))
		}
		cfg.Fault = f
		return nil
	}
}
