package harness

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"

	wcpclient "github.com/wcp-project/wcp/client"
)

// DataDir is where a target image keeps its data: the suite mounts a
// directory of the host there, writable by any user, that lives as long as
// the target. A kill -9 and restart (MSG-3) keep it; Stop removes it.
const DataDir = "/data"

// containerTarget is a server shipped as a container image (WCP_TARGET_IMAGE),
// one container per Ginkgo process. It runs on the host's network, so the
// server listens on 127.0.0.1 like a command target and no port mapping
// (which would need the engine's bridge and iptables) is involved.
type containerTarget struct {
	image   string
	addr    string
	dataDir string
	log     *LogTail
	engine  *testcontainers.DockerProvider

	mu  sync.Mutex
	ctr testcontainers.Container
	run *containerRun // the container's current life
}

// startContainerTarget creates and starts a container of cfg.Image and
// waits until it is healthy. The image must be on the engine already.
func startContainerTarget(ctx context.Context, cfg Config) (_ *containerTarget, err error) {
	engine, err := ConnectDocker(ctx)
	if err != nil {
		return nil, fmt.Errorf("WCP_TARGET_IMAGE %s: %w", cfg.Image, err)
	}
	t := &containerTarget{image: cfg.Image, log: &LogTail{}, engine: engine}
	defer func() {
		if err != nil {
			err = errors.Join(err, t.Stop())
		}
	}()
	if err := requireLocalImage(ctx, engine, cfg.Image); err != nil {
		return nil, err
	}
	port, err := imagePort(cfg.ImagePort)
	if err != nil {
		return nil, err
	}
	t.addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	if t.dataDir, err = newDataDir(); err != nil {
		return nil, err
	}
	req := containerRequest(cfg, port, t.dataDir)
	cmd := strings.Join(req.Cmd, " ")
	if cmd == "" {
		cmd = "(the image's own command)"
	}
	fmt.Fprintf(t.log, "--- starting image %s: %s\n", cfg.Image, cmd)
	// A container that was created but failed later is still returned,
	// for Stop to remove.
	t.ctr, err = engine.CreateContainer(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("WCP_TARGET_IMAGE %s: create the container: %w", cfg.Image, err)
	}
	if err := t.start(ctx, ""); err != nil {
		return nil, err
	}
	return t, nil
}

// imagePort is the port the image will listen on: fixed, after checking
// nothing holds it, or a free one the image is told through PORT and
// {port}.
func imagePort(fixed int) (int, error) {
	if fixed == 0 {
		return freePort()
	}
	// With host networking a container's port is the host's: a second
	// target on the same fixed port, or anything else there, collides.
	ln, err := net.Listen("tcp", net.JoinHostPort("", strconv.Itoa(fixed)))
	if err != nil {
		return 0, fmt.Errorf("WCP_TARGET_IMAGE_PORT %d is taken (%w): an image on a fixed port can run as one target at a time, so run the suite in one process (no -p) with nothing else on that port, or let the image take its port from PORT or {port}", fixed, err)
	}
	return fixed, ln.Close()
}

// containerRequest is the container for cfg: the host's network, the data
// directory at DataDir, {port} replaced in the environment and arguments.
// Every image is also told where to listen in HOST (127.0.0.1: the host's
// network is the container's, and the suite speaks only to loopback) and
// PORT, the convention many servers and platforms follow; cfg.ImageEnv
// may override both.
func containerRequest(cfg Config, port int, dataDir string) testcontainers.ContainerRequest {
	p := strconv.Itoa(port)
	env := map[string]string{"HOST": "127.0.0.1", "PORT": p}
	for _, kv := range cfg.ImageEnv {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = strings.ReplaceAll(v, "{port}", p)
	}
	var args []string
	for _, a := range cfg.ImageArgs {
		args = append(args, strings.ReplaceAll(a, "{port}", p))
	}
	return testcontainers.ContainerRequest{
		Image:  cfg.Image,
		Env:    env,
		Cmd:    args, // none: the image's own CMD
		Labels: map[string]string{"org.wcp-project.wcp.target": "conformance"},
		HostConfigModifier: func(hc *container.HostConfig) {
			hc.NetworkMode = "host"
			hc.Mounts = append(hc.Mounts, mount.Mount{Type: mount.TypeBind, Source: dataDir, Target: DataDir})
		},
	}
}

func (t *containerTarget) URL() string   { return "http://" + t.addr }
func (t *containerTarget) Log() *LogTail { return t.log }

// start starts the (created or exited) container, follows its output from
// since on, and waits for /healthz; a container that exits first ends the
// wait at once, with its output in the error.
func (t *containerTarget) start(ctx context.Context, since string) error {
	mark := t.log.Mark()
	if err := t.ctr.Start(ctx); err != nil {
		return fmt.Errorf("WCP_TARGET_IMAGE %s: start the container: %w", t.image, err)
	}
	t.run = watchRun(t.engine.Client(), t.ctr.GetContainerID(), since, t.log)
	err := wcpclient.WaitHealthy(ctx, t.URL(), 60*time.Second, t.run.exited)
	if err == nil {
		return nil
	}
	status := "it is still running"
	if t.run.ended() {
		t.run.finish(5 * time.Second) // the rest of its output
		status = t.run.status
	}
	return fmt.Errorf("WCP_TARGET_IMAGE %s on %s: %w; %s\n--- its output:\n%s", t.image, t.addr, err, status, t.log.Since(mark))
}

// Restart kills the container with SIGKILL (MSG-3 promises survival of a
// crash, not only of a clean stop) and starts the same container again:
// same data directory, same port.
func (t *containerTarget) Restart(ctx context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.run.ended() {
		_, err := t.engine.Client().ContainerKill(ctx, t.ctr.GetContainerID(), client.ContainerKillOptions{Signal: "KILL"})
		// A conflict is "not running": it exited by itself meanwhile.
		if err != nil && !cerrdefs.IsConflict(err) {
			return fmt.Errorf("WCP_TARGET_IMAGE %s: kill -9 the container: %w", t.image, err)
		}
	}
	select {
	case <-t.run.exited:
	case <-time.After(10 * time.Second):
		return fmt.Errorf("WCP_TARGET_IMAGE %s: the container did not stop within 10s of SIGKILL", t.image)
	}
	t.run.finish(5 * time.Second) // the rest of its output
	// The watch also ends when watching fails: only a stopped container
	// may be started again, or the "restart" would keep the old process.
	if st, err := t.ctr.State(ctx); err != nil || st.Running {
		return fmt.Errorf("WCP_TARGET_IMAGE %s: the container is not known to have stopped after SIGKILL (%s, inspect: %v)", t.image, t.run.status, err)
	}
	// Docker keeps the output of every life of a container; the next
	// life's begins now. The old life's stream has ended, so all of its
	// output is older, and the engine is on this machine (host network),
	// so its clock is ours.
	now := time.Now()
	since := fmt.Sprintf("%d.%09d", now.Unix(), now.Nanosecond())
	fmt.Fprintf(t.log, "--- killed (SIGKILL: %s); starting the same container again\n", t.run.status)
	return t.start(ctx, since)
}

// Stop stops and removes the container (SIGTERM, then SIGKILL after 5 s)
// and removes the data directory. Every failure is reported: a container
// or directory left behind is an error, not a silence.
func (t *containerTarget) Stop() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var errs []error
	if t.ctr != nil {
		if err := t.ctr.Terminate(ctx, testcontainers.StopTimeout(5*time.Second)); err != nil {
			errs = append(errs, fmt.Errorf("WCP_TARGET_IMAGE %s: remove container %s: %w", t.image, t.ctr.GetContainerID(), err))
		}
		t.ctr = nil
	}
	if t.run != nil {
		t.run.finish(5 * time.Second)
		t.run = nil
	}
	if t.dataDir != "" {
		errs = append(errs, removeDataDir(t.dataDir))
		t.dataDir = ""
	}
	errs = append(errs, t.engine.Close())
	return errors.Join(errs...)
}
