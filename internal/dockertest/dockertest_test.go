package dockertest

import (
	"os"
	"strings"
	"testing"
)

// TestWCPBinaryShared: one build for the tests using it at once, removed
// with the last of them.
func TestWCPBinaryShared(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the wcp binary; skipped with -short")
	}
	var path string
	t.Run("users", func(t *testing.T) {
		path = WCPBinary(t)
		t.Run("another", func(t *testing.T) {
			if again := WCPBinary(t); again != path {
				t.Errorf("a second user got %s, want the shared %s", again, path)
			}
		})
		fi, err := os.Stat(path)
		if err != nil || fi.Mode().Perm()&0o100 == 0 {
			t.Fatalf("binary %s: %v (mode %v)", path, err, fi)
		}
	})
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("binary %s outlived its users: %v", path, err)
	}
}

func TestImageTagChecked(t *testing.T) {
	for _, tag := range []string{"wcp-reference", "wcp-reference:", ":dev", "localhost:5000/wcp"} {
		if err := buildImage(nil, tag, "unused"); err == nil || !strings.Contains(err.Error(), "want NAME:TAG") {
			t.Errorf("tag %q: %v", tag, err)
		}
	}
}
