package dockertest

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"

	"github.com/wcp-project/wcp/specs/harness"
)

// Engine returns a client of a Docker engine that answers, closed when t
// ends. Without one it skips t, saying why, except under CI (the CI
// variable set): CI has an engine, so there it fails t instead.
func Engine(t testing.TB) client.APIClient {
	t.Helper()
	return provider(t).Client()
}

// provider is Engine's testcontainers provider, for building images.
func provider(t testing.TB) *testcontainers.DockerProvider {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := harness.ConnectDocker(ctx)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%v\n(CI is set: CI has a Docker engine and must run this test)", err)
		}
		t.Skipf("%v\n(this test needs a Docker engine; under CI it fails instead of skipping)", err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}
