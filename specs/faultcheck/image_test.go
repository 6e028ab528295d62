package faultcheck

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/wcp-project/wcp/internal/dockertest"
)

// TestImageTarget checks the suite's container target: the reference
// server's image, started per process with host networking, killed with
// SIGKILL and started again on the same data for MSG-3, and removed at the
// end; and the same image built with -tags wcpfault, told to lose its
// messages on restart, caught by MSG-3.
func TestImageTarget(t *testing.T) {
	if testing.Short() {
		t.Skip("builds images and runs the spec suite; skipped with -short")
	}
	engine := dockertest.Engine(t)
	specs := buildSpecs(t)

	t.Run("reference", func(t *testing.T) {
		image := dockertest.Image(t, "wcp-reference:dev", dockertest.WCPBinary(t))
		res := runImage(t, engine, specs, image, "")
		if res.err != nil {
			t.Fatalf("suite failed against WCP_TARGET_IMAGE: %v\n%s", res.err, res.tail())
		}
		for _, rule := range []string{"MSG-3", "OWN-4"} {
			if got := res.rule(rule); got != "passed" {
				t.Errorf("%s is %s with an image target, want passed", rule, got)
			}
		}
	})

	t.Run("not durable", func(t *testing.T) {
		image := dockertest.Image(t, "wcp-reference:fault", dockertest.WCPBinary(t, "wcpfault"))
		res := runImage(t, engine, specs, image, "--fault not-durable")
		if res.err == nil {
			t.Fatalf("the suite passed against an image that loses messages on restart\n%s", res.tail())
		}
		if got := res.rule("MSG-3"); got != "failed" {
			t.Errorf("MSG-3 is %s against an image that loses messages on restart, want failed\n%s", got, res.tail())
		}
		if got := res.rule("OWN-4"); got != "passed" {
			t.Errorf("OWN-4 is %s, want passed: only MSG-3 is broken", got)
		}
	})
}

// runImage runs the MSG-3 and OWN-4 specs against image, serving with
// extra arguments, and checks that no container of the run outlives it.
func runImage(t *testing.T, engine client.APIClient, specs, image, extra string) result {
	t.Helper()
	// testcontainers labels every container with its session; a session of
	// this run's own tells the suite's containers from any other test's.
	session := "wcp-faultcheck-" + rand.Text()
	res := runSpecs(t, specs, []string{
		"WCP_TARGET_IMAGE=" + image,
		"WCP_TARGET_IMAGE_ARGS=serve --addr 127.0.0.1:{port} --db /data/wcp.db " + extra,
		"TESTCONTAINERS_SESSION_ID=" + session,
	}, "MSG-3 || OWN-4")

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	left, err := engine.ContainerList(ctx, client.ContainerListOptions{
		All:     true,
		Filters: make(client.Filters).Add("ancestor", image).Add("label", "org.testcontainers.sessionId="+session),
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range left.Items {
		t.Errorf("container %s (%s, %s) of %s outlived the suite", c.ID, c.State, c.Status, image)
	}
	return res
}
