package harness

import (
	"context"
	"fmt"
	"os"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
)

// NoEngineError is StartTarget's answer for an image when no Docker engine
// answers.
type NoEngineError struct{ Err error }

func (e *NoEngineError) Error() string {
	return fmt.Sprintf("no Docker engine reachable: %v (start dockerd, or point DOCKER_HOST at a running engine)", e.Err)
}

func (e *NoEngineError) Unwrap() error { return e.Err }

// ImageNotFoundError is StartTarget's answer for an image the engine does
// not have: the suite never pulls, so a registry error never stands in for
// "you have not built it".
type ImageNotFoundError struct{ Image string }

func (e *ImageNotFoundError) Error() string {
	return fmt.Sprintf("image %s is not on this machine's Docker engine; build it first: docker build -t %s . (or make image for the reference); the suite never pulls images", e.Image, e.Image)
}

// ConnectDocker reaches the Docker engine the way testcontainers-go does
// (DOCKER_HOST, the Docker context, ~/.testcontainers.properties, the
// default socket), with testcontainers' reaper off, and checks that the
// engine answers. The caller closes the provider.
func ConnectDocker(ctx context.Context) (*testcontainers.DockerProvider, error) {
	// The reaper (Ryuk) is a container of its own, pulled from Docker Hub,
	// that removes what a crashed test left behind. No registry is
	// reachable where the suite runs, and the targets remove their
	// containers themselves (Stop), so it stays off unless asked for.
	// testcontainers reads this once per process, so it is set before the
	// first use; an explicit setting is left alone.
	if _, set := os.LookupEnv("TESTCONTAINERS_RYUK_DISABLED"); !set {
		if err := os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true"); err != nil {
			return nil, fmt.Errorf("turn testcontainers' reaper off: %w", err)
		}
	}
	// testcontainers' own progress lines would only add noise to the
	// target's log: its errors come back as errors.
	p, err := testcontainers.NewDockerProvider(testcontainers.WithLogger(tclog.NewNoopLogger()))
	if err != nil {
		return nil, &NoEngineError{err}
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := p.Client().Ping(ctx, client.PingOptions{}); err != nil {
		p.Close()
		return nil, &NoEngineError{err}
	}
	return p, nil
}

// requireLocalImage returns an ImageNotFoundError when the engine lacks
// image; testcontainers would try to pull it.
func requireLocalImage(ctx context.Context, p *testcontainers.DockerProvider, image string) error {
	_, err := p.Client().ImageInspect(ctx, image)
	switch {
	case cerrdefs.IsNotFound(err):
		return &ImageNotFoundError{Image: image}
	case err != nil:
		return fmt.Errorf("look for image %s: %w", image, err)
	}
	return nil
}
