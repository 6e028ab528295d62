package dockertest

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
)

// images are the tags this test process has built: an image is built once
// per process per tag, and its error, if any, is every caller's.
var images = struct {
	sync.Mutex
	m map[string]*image
}{m: map[string]*image{}}

type image struct {
	once sync.Once
	err  error
}

// Image builds the repository's Dockerfile around binary (from WCPBinary)
// as tag (e.g. "wcp-reference:dev"), once per test process per tag, and
// returns tag. The first binary given for a tag is the one in the image.
// The image stays in the engine: it is cheap and the next build replaces
// it. It skips or fails t like Engine when there is no engine.
//
// It builds through the engine's API (testcontainers), not the docker CLI,
// whose version need not match the engine's.
func Image(t testing.TB, tag, binary string) string {
	t.Helper()
	p := provider(t)
	images.Lock()
	img := images.m[tag]
	if img == nil {
		img = &image{}
		images.m[tag] = img
	}
	images.Unlock()
	img.once.Do(func() { img.err = buildImage(p, tag, binary) })
	if img.err != nil {
		t.Fatal(img.err)
	}
	return tag
}

func buildImage(p *testcontainers.DockerProvider, tag, binary string) error {
	i := strings.LastIndex(tag, ":")
	if i <= 0 || i == len(tag)-1 || strings.Contains(tag[i:], "/") {
		return fmt.Errorf("image tag %q: want NAME:TAG", tag)
	}
	repo, version := tag[:i], tag[i+1:]
	buildCtx, err := contextArchive(binary)
	if err != nil {
		return fmt.Errorf("image %s: %w", tag, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	before, _ := p.Client().ImageInspect(ctx, tag) // none yet is fine
	var out bytes.Buffer
	_, err = p.BuildImage(ctx, &testcontainers.ContainerRequest{FromDockerfile: testcontainers.FromDockerfile{
		ContextArchive: buildCtx,
		Dockerfile:     "Dockerfile",
		Repo:           repo,
		Tag:            version,
		KeepImage:      true,
		BuildLogWriter: &out,
	}})
	if err != nil {
		return &BuildError{What: "image " + tag, Err: err, Output: out.String()}
	}
	dropReplaced(ctx, p.Client(), before.ID)
	return nil
}

// dropReplaced removes the image tag named before this build once the
// build has moved the tag and nothing else names it: untagged, it would
// only pile up, one per change of the binary. An image another tag still
// names (make image's wcp:dev, say) is not ours to remove, and one a
// container uses stays too, so this is best effort and never an error.
func dropReplaced(ctx context.Context, cli client.APIClient, oldID string) {
	if oldID == "" {
		return
	}
	if old, err := cli.ImageInspect(ctx, oldID); err != nil || len(old.RepoTags) > 0 {
		return
	}
	// PruneChildren: its untagged parent layers go with it.
	_, _ = cli.ImageRemove(ctx, oldID, client.ImageRemoveOptions{PruneChildren: true})
}

// contextArchive is the build context the Dockerfile expects, as a tar:
// the Dockerfile and the binary at bin/wcp. Nothing else of the
// repository goes to the engine.
func contextArchive(binary string) (io.ReadSeeker, error) {
	dockerfile, err := repoDockerfile()
	if err != nil {
		return nil, err
	}
	bin, err := os.ReadFile(binary)
	if err != nil {
		return nil, fmt.Errorf("the wcp binary: %w", err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range []struct {
		name string
		mode int64
		data []byte
	}{{"Dockerfile", 0o644, dockerfile}, {"bin/wcp", 0o755, bin}} {
		// A fixed time: the same binary then makes the same layer, so the
		// engine's build cache gives the same image, and test processes
		// building one tag at once do not replace each other's image.
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: f.mode, Size: int64(len(f.data)), ModTime: time.Unix(0, 0)}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return bytes.NewReader(buf.Bytes()), nil
}

// repoDockerfile reads the Dockerfile at the module's root.
func repoDockerfile() ([]byte, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return nil, fmt.Errorf("find the module root (go env GOMOD): %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return nil, fmt.Errorf("find the module root: not inside the wcp module")
	}
	return os.ReadFile(filepath.Join(filepath.Dir(gomod), "Dockerfile"))
}
