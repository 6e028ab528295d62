package main

import (
	"errors"
	"io"

	"github.com/spf13/cobra"
)

// newServeCmd is replaced by the reference server work (issue 2).
func newServeCmd(stdout, stderr io.Writer) *cobra.Command {
	return &cobra.Command{Use: "serve", Short: "Run the WCP reference server", RunE: func(*cobra.Command, []string) error {
		return errors.New("serve: not built yet")
	}}
}
