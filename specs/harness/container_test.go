package harness_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"

	wcpclient "github.com/wcp-project/wcp/client"
	"github.com/wcp-project/wcp/internal/dockertest"
	"github.com/wcp-project/wcp/specs/harness"
)

// serveArgs runs the reference image on the port the harness picks, with
// its data in the harness's directory.
var serveArgs = []string{"serve", "--addr", "127.0.0.1:{port}", "--db", harness.DataDir + "/wcp.db"}

// TestContainerTarget runs the reference server's image, built once for
// the subtests, as the suite's target.
func TestContainerTarget(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the wcp binary and an image; skipped with -short")
	}
	engine := dockertest.Engine(t)
	image := dockertest.Image(t, "wcp-reference:dev", dockertest.WCPBinary(t))
	t.Run("life", func(t *testing.T) { testContainerLife(t, engine, image) })
	t.Run("exits early", func(t *testing.T) { testContainerExitsEarly(t, engine, image) })
	t.Run("refusals", func(t *testing.T) { testContainerRefusals(t, image) })
}

// testContainerLife follows one image target through its life: healthy
// on its port, its output in the log, a kill -9 restart on the same data
// (the output of the first life not repeated), and nothing left after Stop.
func testContainerLife(t *testing.T, engine client.APIClient, image string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	target, err := harness.StartTarget(ctx, harness.Config{Image: image, ImageArgs: serveArgs})
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if !stopped {
			_ = target.Stop()
		}
	}()
	if err := wcpclient.Healthz(ctx, http.DefaultClient, target.URL()); err != nil {
		t.Fatalf("started target: %v", err)
	}
	ctr := ownContainer(ctx, t, engine)
	dataDir := dataMount(ctx, t, engine, ctr)
	waitForLog(t, target.Log(), "serving WCP/1", 1)

	if err := target.Restart(ctx); err != nil {
		t.Fatalf("restart: %v", err)
	}
	if err := wcpclient.Healthz(ctx, http.DefaultClient, target.URL()); err != nil {
		t.Fatalf("restarted target: %v", err)
	}
	if dataMount(ctx, t, engine, ctr) != dataDir {
		t.Error("the restarted container has another data directory")
	}
	// The first start generated the secret; the restart found it there.
	waitForLog(t, target.Log(), "serving WCP/1", 2)
	if n := strings.Count(target.Log().Since(0), "generated a connection-string secret"); n != 1 {
		t.Errorf("the secret was generated %d times, want once: the data did not survive the restart\n%s", n, target.Log().Since(0))
	}

	stopped = true
	if err := target.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if n := strings.Count(target.Log().Since(0), "serving WCP/1"); n != 2 {
		t.Errorf("the log says %d times that the server is serving, want 2 (two lives, none repeated)\n%s", n, target.Log().Since(0))
	}
	if _, err := os.Stat(dataDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("data directory %s after Stop: %v", dataDir, err)
	}
	if ids := ownContainers(ctx, t, engine); len(ids) > 0 {
		t.Errorf("containers left after Stop: %v", ids)
	}
}

// testContainerExitsEarly: a container that exits instead of serving ends
// the health wait at once, with its output in the error, and is removed.
func testContainerExitsEarly(t *testing.T, engine client.APIClient, image string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	start := time.Now()
	_, err := harness.StartTarget(ctx, harness.Config{Image: image, ImageArgs: append(serveArgs, "--log-level", "loud")})
	if err == nil {
		t.Fatal("a container that exits at once started as a target")
	}
	for _, want := range []string{"exited with status 1", "--log-level"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("the failure took %v: the exit did not end the health wait", d)
	}
	if ids := ownContainers(ctx, t, engine); len(ids) > 0 {
		t.Errorf("containers left after a failed start: %v", ids)
	}
}

// testContainerRefusals: an image the engine lacks, and a fixed port that
// is taken, are refused with errors that say what to do.
func testContainerRefusals(t *testing.T, image string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	_, err := harness.StartTarget(ctx, harness.Config{Image: "wcp-reference:not-built", ImageArgs: serveArgs})
	var missing *harness.ImageNotFoundError
	if !errors.As(err, &missing) || !strings.Contains(err.Error(), "build it first") {
		t.Errorf("missing image: got %v, want an ImageNotFoundError", err)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	_, err = harness.StartTarget(ctx, harness.Config{Image: image, ImagePort: port, ImageArgs: []string{"serve", "--db", "/data/wcp.db"}})
	if err == nil || !strings.Contains(err.Error(), "one target at a time") {
		t.Errorf("taken fixed port: got %v, want an error saying one target at a time", err)
	}
}

// ownContainers lists the target containers this test process created.
func ownContainers(ctx context.Context, t *testing.T, engine client.APIClient) []string {
	t.Helper()
	res, err := engine.ContainerList(ctx, client.ContainerListOptions{
		All:     true,
		Filters: make(client.Filters).Add("label", "org.testcontainers.sessionId="+testcontainers.SessionID()).Add("label", "org.wcp-project.wcp.target"),
	})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range res.Items {
		ids = append(ids, c.ID)
	}
	return ids
}

func ownContainer(ctx context.Context, t *testing.T, engine client.APIClient) string {
	t.Helper()
	ids := ownContainers(ctx, t, engine)
	if len(ids) != 1 {
		t.Fatalf("%d target containers, want 1", len(ids))
	}
	return ids[0]
}

// dataMount is the host directory mounted at /data in container id.
func dataMount(ctx context.Context, t *testing.T, engine client.APIClient, id string) string {
	t.Helper()
	res, err := engine.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range res.Container.Mounts {
		if m.Destination == harness.DataDir {
			return m.Source
		}
	}
	t.Fatalf("container %s has nothing mounted at %s", id, harness.DataDir)
	return ""
}

// waitForLog waits until the log holds want n times: the output arrives
// through the engine, a moment after the server wrote it.
func waitForLog(t *testing.T, log *harness.LogTail, want string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(log.Since(0), want) < n {
		if time.Now().After(deadline) {
			t.Fatalf("the log does not hold %q %d times:\n%s", want, n, log.Since(0))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
