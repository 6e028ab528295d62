package dockertest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// binaries are the wcp binaries this test process has built, by build
// tags. A package-level cache is the point: building once per process.
var binaries = struct {
	sync.Mutex
	m map[string]*binary
}{m: map[string]*binary{}}

// binary is one build, shared by the tests that use it at the same time.
type binary struct {
	once  sync.Once
	dir   string
	path  string
	err   error
	users int
}

// WCPBinary returns a static (CGO_ENABLED=0, so it runs FROM scratch) wcp
// binary built with tags (e.g. "wcpfault"). Tests running at the same time,
// and a test and its subtests, share one build; it is removed when the
// last of them ends, so a test process leaves no binary behind (a later
// test builds again, mostly from Go's build cache).
func WCPBinary(t testing.TB, tags ...string) string {
	t.Helper()
	key := strings.Join(tags, ",")
	binaries.Lock()
	b := binaries.m[key]
	if b == nil {
		b = &binary{}
		binaries.m[key] = b
	}
	b.users++
	binaries.Unlock()
	t.Cleanup(func() { release(key, b) })

	b.once.Do(func() { b.dir, b.path, b.err = build(tags) })
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

// release drops t's hold on b, and b itself with its last user.
func release(key string, b *binary) {
	binaries.Lock()
	defer binaries.Unlock()
	if b.users--; b.users > 0 {
		return
	}
	delete(binaries.m, key)
	if b.dir != "" {
		_ = os.RemoveAll(b.dir)
	}
}

func build(tags []string) (dir, path string, err error) {
	dir, err = os.MkdirTemp("", "wcp-dockertest-")
	if err != nil {
		return "", "", err
	}
	path = filepath.Join(dir, "wcp")
	args := []string{"build", "-o", path}
	if len(tags) > 0 {
		args = append(args, "-tags", strings.Join(tags, ","))
	}
	cmd := exec.Command("go", append(args, "github.com/wcp-project/wcp/cmd/wcp")...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return dir, "", &BuildError{What: "go " + strings.Join(cmd.Args[1:], " "), Err: err, Output: string(out)}
	}
	return dir, path, nil
}
