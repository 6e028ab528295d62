package interop_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/wcp-project/wcp/reference"
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
		msg := "needs node and `npm ci --prefix interop/js`: " + err.Error()
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	srv, err := reference.Open(ctx, reference.Config{Addr: "127.0.0.1:0", DBPath: ":memory:"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })

	cmd := exec.CommandContext(ctx, node, "flow.mjs", srv.URL(), filepath.Join("..", "..", "testdata", "vectors.json"))
	cmd.Dir = "js"
	out, err := cmd.CombinedOutput()
	t.Logf("node flow.mjs:\n%s", out)
	if err != nil {
		t.Fatalf("the JS client flow failed: %v", err)
	}
}
