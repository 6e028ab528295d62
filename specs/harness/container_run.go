package harness

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// containerRun watches one life of a container, from a start to its exit:
// it copies the container's output into a log and notices the exit, so a
// health wait can stop early and a restart knows the old life is over.
type containerRun struct {
	cancel context.CancelFunc
	exited chan struct{} // closed when the container stopped running (or watching it failed)
	status string        // how it ended; read only after exited is closed
	logged chan struct{} // closed when the output stream has ended
}

// watchRun starts watching container id, just started. since (a Docker
// logs "since", "" for all) skips the output of earlier lives, which
// Docker keeps with the container. The watch outlives any caller's
// context: stop ends it.
func watchRun(cli client.APIClient, id, since string, log io.Writer) *containerRun {
	ctx, cancel := context.WithCancel(context.Background())
	r := &containerRun{cancel: cancel, exited: make(chan struct{}), logged: make(chan struct{})}
	go r.follow(ctx, cli, id, since, log)
	go r.wait(ctx, cli, id)
	return r
}

func (r *containerRun) follow(ctx context.Context, cli client.APIClient, id, since string, log io.Writer) {
	defer close(r.logged)
	out, err := cli.ContainerLogs(ctx, id, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Follow: true, Since: since})
	if err != nil {
		fmt.Fprintf(log, "--- cannot follow the container's output: %v\n", err)
		return
	}
	defer out.Close()
	// Without a TTY, Docker multiplexes stdout and stderr in one stream;
	// both go to the same log, in order.
	if _, err := stdcopy.StdCopy(log, log, out); err != nil && ctx.Err() == nil {
		fmt.Fprintf(log, "--- the container's output broke off: %v\n", err)
	}
}

func (r *containerRun) wait(ctx context.Context, cli client.APIClient, id string) {
	defer close(r.exited)
	res := cli.ContainerWait(ctx, id, client.ContainerWaitOptions{Condition: container.WaitConditionNotRunning})
	select {
	case w := <-res.Result:
		r.status = fmt.Sprintf("the container exited with status %d", w.StatusCode)
	case err := <-res.Error:
		r.status = fmt.Sprintf("watching the container failed: %v", err)
	}
}

// ended says whether the container has stopped running.
func (r *containerRun) ended() bool {
	select {
	case <-r.exited:
		return true
	default:
		return false
	}
}

// finish lets the watch end by itself (the container has stopped, or is
// stopping) for up to grace, so the last of the output is kept, then ends
// it and waits for it.
func (r *containerRun) finish(grace time.Duration) {
	timeout := time.NewTimer(grace)
	defer timeout.Stop()
	for _, ch := range []chan struct{}{r.exited, r.logged} {
		select {
		case <-ch:
		case <-timeout.C:
			r.cancel()
			<-ch
		}
	}
	r.cancel()
}
