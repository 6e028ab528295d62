package main

import (
	"errors"
	"io"

	"github.com/spf13/cobra"
)

// newLoadCmd is replaced by the load generator work (issue 4).
func newLoadCmd(stdout, stderr io.Writer) *cobra.Command {
	return &cobra.Command{Use: "load", Short: "Drive a WCP server with many signed senders", RunE: func(*cobra.Command, []string) error {
		return errors.New("load: not built yet")
	}}
}
