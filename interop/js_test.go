package interop_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestJSClientFlow runs js/flow.mjs (official socket.io-client 4.8) against
// an in-memory reference: HTTP setup, CON-1 session, MSG-1..5 with refusals,
// CON-2 replay, MSG-4, CON-5 refusals, polling upgrade and CON-4 revocation.
func TestJSClientFlow(t *testing.T) {
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join("js", "node_modules", "socket.io-client"))
	}
	if err != nil {
		unavailable(t, "needs node and `npm ci --prefix interop/js`: "+err.Error())
	}
	runFlow(t, "js", os.Environ(), node, "flow.mjs", filepath.Join("..", "..", "testdata", "vectors.json"))
}
