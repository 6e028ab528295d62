// Command wcp runs the WCP reference server and the WCP load generator.
//
//	wcp serve            run the reference server (embedded SQLite)
//	wcp load             drive a server with many signed senders
//	wcp conform          check a server against every WCP/1 rule
//
// main alone turns errors into exit codes; every subcommand is a cobra
// command built by a function that receives its streams explicitly.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// exitError carries a specific exit code out of a subcommand (a load run
// that breaks a threshold exits 2, not 1).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func main() {
	// The Socket.IO client package installs its own SIGINT handler that
	// swallows the first signal; ours turns signals into context cancellation.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "wcp:", err)
		var ee *exitError
		if errors.As(err, &ee) {
			os.Exit(ee.code)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	root := &cobra.Command{
		Use:           "wcp",
		Short:         "Reference server, conformance checker and load generator for the Workspace Chat Protocol (WCP/1)",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(newServeCmd(stdout, stderr), newLoadCmd(stdout, stderr), newConformCmd(stdout, stderr), newConformWorkerCmd())
	return root.ExecuteContext(ctx)
}
