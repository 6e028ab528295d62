//go:build wcpfault

package main

import (
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"github.com/wcp-project/wcp/internal/fault"
	"github.com/wcp-project/wcp/reference"
)

// addFaultFlag adds the hidden --fault NAME to wcp serve, in binaries built
// with -tags wcpfault only: test images of the reference started with one
// of its deliberate defects (package internal/fault), so the conformance
// suite can be shown to catch a broken server shipped as an image. It also
// adds the hidden --ack-delay D (reference.Config.AckDelay), a deliberate
// performance defect that breaks no rule, for showing that 'wcp load
// compare' notices a slower server. The function it returns applies both
// flags to the server's configuration.
func addFaultFlag(fl *pflag.FlagSet) func(*reference.Config) error {
	var name string
	var ackDelay time.Duration
	fl.StringVar(&name, "fault", "", "break one protocol rule on purpose (test images only; see internal/fault)")
	fl.DurationVar(&ackDelay, "ack-delay", 0, "hold every ack this long after its commit: slower, not wrong (test images only)")
	// Hidden: they are test switches, not something to offer in --help.
	_ = fl.MarkHidden("fault")
	_ = fl.MarkHidden("ack-delay")
	return func(cfg *reference.Config) error {
		if ackDelay < 0 {
			return fmt.Errorf("--ack-delay %v: must not be negative", ackDelay)
		}
		if ackDelay > 0 {
			cfg.Logger.Warn("this server holds every ack on purpose (--ack-delay)", "ack_delay", ackDelay)
		}
		cfg.AckDelay = ackDelay
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
