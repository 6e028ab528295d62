//go:build !linux

package stacks

import (
	"os/exec"
	"syscall"
)

// Elsewhere only the fixture itself is signalled (the fixtures start no
// children), and nothing stops it if the test binary dies. Windows has no
// SIGTERM: the fixture is killed and the cleanup reports an unclean exit.
func setProcessGroup(*exec.Cmd) {}

func terminateProcessGroup(cmd *exec.Cmd) {
	if cmd.Process.Signal(syscall.SIGTERM) != nil {
		_ = cmd.Process.Kill()
	}
}

func killProcessGroup(cmd *exec.Cmd) { _ = cmd.Process.Kill() }
