//go:build !unix

package harness

import "os/exec"

// Without process groups only the command itself can be signalled: a
// wrapper's children may outlive it.
func setProcessGroup(*exec.Cmd) {}

func killProcessGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = cmd.Process.Kill()
	}
}

func terminateProcessGroup(cmd *exec.Cmd) { killProcessGroup(cmd) }
