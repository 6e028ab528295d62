package harness

import (
	"errors"
	"fmt"
	"os"
)

// newDataDir makes the host directory a target image gets at DataDir.
func newDataDir() (string, error) {
	dir, err := os.MkdirTemp("", "wcp-target-data-")
	if err != nil {
		return "", fmt.Errorf("WCP_TARGET_IMAGE: a data directory: %w", err)
	}
	// The image may run as any user, and that user must be able to
	// write here; the directory is private to the target anyway (its
	// parent is the host's temporary directory, its name random).
	if err := os.Chmod(dir, 0o777); err != nil {
		return "", errors.Join(fmt.Errorf("WCP_TARGET_IMAGE: make the data directory writable: %w", err), os.Remove(dir))
	}
	return dir, nil
}

// removeDataDir removes dir and says so when it cannot: what the
// container wrote belongs to the container's user, which may not be ours.
func removeDataDir(dir string) error {
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("WCP_TARGET_IMAGE: remove the data directory %s: %w (the container's user, e.g. root, may own what it wrote there; remove it by hand)", dir, err)
	}
	return nil
}
