package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/wcp-project/wcp/conform"
	"github.com/wcp-project/wcp/conform/report"
	"github.com/wcp-project/wcp/internal/dockertest"
)

// TestConformRefusesBadInvocations: what wcp conform refuses before it
// starts anything, with the exit code CI acts on.
func TestConformRefusesBadInvocations(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "missing.yaml")
	for name, tc := range map[string]struct {
		args []string
		code int
		want string
	}{
		"two targets":               {[]string{"--target", "http://127.0.0.1:1", "--cmd", "x {port}"}, 2, "at most one"},
		"image flags without image": {[]string{"--port", "80"}, 2, "only apply with --image"},
		"env without =":             {[]string{"--image", "x:1", "--env", "NOPE"}, 2, "KEY=VALUE"},
		"cmd without port":          {[]string{"--cmd", "myserver"}, 2, "{port}"},
		"rule matching nothing":     {[]string{"--rules", "OWN-1,FOO-*"}, 3, "FOO-*"},
		"malformed rule pattern":    {[]string{"--rules", "["}, 2, "--rules"},
		"write without file":        {[]string{"--write-baseline"}, 2, "--baseline FILE"},
		"missing baseline":          {[]string{"--baseline", missing}, 2, "missing.yaml"},
		"no workers":                {[]string{"--parallel", "0"}, 2, "--parallel"},
		"stray argument":            {[]string{"extra"}, 1, "unknown command"},
	} {
		t.Run(name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := run(context.Background(), append([]string{"conform", "--report-dir", t.TempDir()}, tc.args...), &out, &errOut)
			if got := exitCodeOf(err); got != tc.code || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("exit %d (%v), want %d and an error naming %q", got, err, tc.code, tc.want)
			}
		})
	}
}

// exitCodeOf is what main would exit with for err.
func exitCodeOf(err error) int {
	var ee *exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.code
	}
	return 1
}

// conformRun is one run of the real wcp binary's conform command.
type conformRun struct {
	code           int
	stdout, stderr string
	rules          report.RulesFile
	dir            string // the report directory
}

func (r conformRun) rule(id string) report.Rule {
	for _, x := range r.rules.Rules {
		if x.ID == id {
			return x
		}
	}
	return report.Rule{}
}

func (r conformRun) String() string {
	return fmt.Sprintf("exit %d\n--- stdout:\n%s\n--- stderr:\n%s", r.code, r.stdout, r.stderr)
}

// runConformBinary runs `bin conform args...` with its reports in a fresh
// directory, bounded to five minutes, and reads its wcp-rules.json when it
// wrote one.
func runConformBinary(t *testing.T, bin string, args ...string) conformRun {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"conform", "--report-dir", dir}, args...)...)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "TESTCONTAINERS_RYUK_DISABLED=true")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := conformRun{stdout: stdout.String(), stderr: stderr.String(), dir: dir}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		res.code = ee.ExitCode()
	default:
		t.Fatalf("run wcp conform: %v", err)
	}
	if f, err := os.Open(filepath.Join(dir, "wcp-rules.json")); err == nil {
		defer f.Close()
		if res.rules, err = report.ReadRulesJSON(f); err != nil {
			t.Fatalf("wcp-rules.json: %v", err)
		}
	}
	return res
}

// serveCmd is a --cmd that starts bin's reference server with its data in
// the per-worker directory.
func serveCmd(bin string, extra ...string) string {
	return strings.Join(append([]string{bin, "serve", "--addr", "127.0.0.1:{port}", "--db", "{dir}/wcp.db", "--log-level", "warn"}, extra...), " ")
}

func TestConformCommandTarget(t *testing.T) {
	if testing.Short() {
		t.Skip("builds wcp and runs the suite; skipped with -short")
	}
	t.Parallel()
	bin := dockertest.WCPBinary(t)
	res := runConformBinary(t, bin, "--cmd", serveCmd(bin), "--rules", "OWN-4,MSG-3")
	if res.code != conform.ExitPassed {
		t.Fatalf("against the reference: %s", res)
	}
	for _, id := range []string{"OWN-4", "MSG-3"} {
		if r := res.rule(id); r.Verdict != report.Passed || r.Passed == 0 {
			t.Errorf("%s: %+v, want passed (MSG-3 restarts the command with SIGKILL)", id, r)
		}
	}
	if r := res.rule("CON-1"); r.Verdict != report.NotRun {
		t.Errorf("CON-1 was not selected, yet is %s", r.Verdict)
	}
	for _, f := range []string{"junit.xml", "report.html", "wcp-rules.json"} {
		if fi, err := os.Stat(filepath.Join(res.dir, f)); err != nil || fi.Size() == 0 {
			t.Errorf("report %s: %v", f, err)
		}
	}
}

func TestConformURLTarget(t *testing.T) {
	if testing.Short() {
		t.Skip("builds wcp and runs the suite; skipped with -short")
	}
	t.Parallel()
	bin := dockertest.WCPBinary(t)
	url := startServe(t, bin)
	res := runConformBinary(t, bin, "--target", url, "--rules", "OWN-4,MSG-3")
	if res.code != conform.ExitPassed {
		t.Fatalf("against %s: %s", url, res)
	}
	if r := res.rule("MSG-3"); r.Verdict != report.Skipped {
		t.Errorf("MSG-3 is %s against a URL, want skipped (it needs a restart)", r.Verdict)
	}
	if r := res.rule("OWN-4"); r.Verdict != report.Passed {
		t.Errorf("OWN-4 is %s, want passed", r.Verdict)
	}
}

// TestConformBaselineLifecycle: a defect fails the run and names its rule;
// recorded in a baseline it is accepted; fixed with the entry kept, the
// entry is stale and fails the run.
func TestConformBaselineLifecycle(t *testing.T) {
	if testing.Short() {
		t.Skip("builds wcp and runs the suite; skipped with -short")
	}
	t.Parallel()
	good, faulty := dockertest.WCPBinary(t), dockertest.WCPBinary(t, "wcpfault")
	broken := serveCmd(faulty, "--fault", "member-may-delete-chat")
	baseline := filepath.Join(t.TempDir(), "baseline.yaml")

	res := runConformBinary(t, faulty, "--cmd", broken, "--rules", "OWN-2")
	if res.code != conform.ExitFailed || res.rule("OWN-2").Verdict != report.Failed || !strings.Contains(res.stdout, "OWN-2  failed") {
		t.Fatalf("a member may delete chats, yet: %s", res)
	}

	res = runConformBinary(t, faulty, "--cmd", broken, "--rules", "OWN-2", "--baseline", baseline, "--write-baseline")
	if res.code != conform.ExitPassed {
		t.Fatalf("--write-baseline: %s", res)
	}
	b, err := conform.ReadBaseline(baseline)
	if err != nil || len(b.Expected) == 0 {
		t.Fatalf("the written baseline: %v, %+v", err, b)
	}

	res = runConformBinary(t, faulty, "--cmd", broken, "--rules", "OWN-2", "--baseline", baseline)
	if res.code != conform.ExitPassed || res.rule("OWN-2").Verdict != report.Expected {
		t.Fatalf("with the failure in the baseline: %s", res)
	}

	res = runConformBinary(t, good, "--cmd", serveCmd(good), "--rules", "OWN-2", "--baseline", baseline)
	if res.code != conform.ExitFailed || len(res.rules.Stale) != len(b.Expected) || !strings.Contains(res.stdout, "stale") {
		t.Fatalf("fixed, with the entries kept: %s", res)
	}
}

// TestConformHarnessFailure: a target that never becomes healthy, or a run
// over its --timeout, is the harness's failure (exit 2), not a rule's, and
// says why.
func TestConformHarnessFailure(t *testing.T) {
	if testing.Short() {
		t.Skip("builds wcp; skipped with -short")
	}
	t.Parallel()
	wcp := dockertest.WCPBinary(t)
	res := runConformBinary(t, wcp, "--cmd", "echo no server on {port} here; exit 7", "--rules", "OWN-4")
	if res.code != conform.ExitHarness || !strings.Contains(res.stderr, "no server on") {
		t.Fatalf("a command that exits at once: %s", res)
	}
	res = runConformBinary(t, wcp, "--cmd", serveCmd(wcp), "--timeout", "1500ms")
	if res.code != conform.ExitHarness || !strings.Contains(res.stderr, "did not finish within --timeout") {
		t.Fatalf("a run over --timeout: %s", res)
	}
}

// startServe runs bin's reference server on a free port until the test
// ends and returns its URL.
func startServe(t *testing.T, bin string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "serve", "--addr", "127.0.0.1:0", "--db", filepath.Join(t.TempDir(), "wcp.db"), "--log-level", "warn")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("no startup line: %v", err)
	}
	i := strings.Index(line, "http://")
	if i < 0 {
		t.Fatalf("startup line %q has no URL", line)
	}
	go io.Copy(io.Discard, stdout)
	return strings.TrimSpace(line[i:])
}

// TestConformImage is the acceptance run: the reference's image
// passes every rule, MSG-3 included (SIGKILL and restart of the
// container); an image with one defect fails and names its rule; with
// that rule in a baseline it passes; with the defect gone and the entry
// kept, the stale entry fails the run.
func TestConformImage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds images and runs the suite; skipped with -short")
	}
	t.Parallel()
	dockertest.Engine(t)
	wcp := dockertest.WCPBinary(t)
	good := dockertest.Image(t, "wcp-reference:dev", wcp)
	broken := dockertest.Image(t, "wcp-reference:fault", dockertest.WCPBinary(t, "wcpfault"))
	defect := []string{"--image", broken,
		"--arg", "serve", "--arg", "--addr=${HOST}:${PORT}", "--arg", "--db=/data/wcp.db", "--arg", "--fault=no-revoke"}

	// The image's own command, told where to listen by HOST and PORT.
	res := runConformBinary(t, wcp, "--image", good)
	if res.code != conform.ExitPassed {
		t.Fatalf("the reference image: %s", res)
	}
	for _, r := range res.rules.Rules {
		if r.Verdict != report.Passed {
			t.Errorf("%s is %s against the reference image, want passed", r.ID, r.Verdict)
		}
	}

	res = runConformBinary(t, wcp, append(defect, "--rules", "CON-4")...)
	if res.code != conform.ExitFailed || res.rule("CON-4").Verdict != report.Failed || !strings.Contains(res.stdout, "CON-4  failed") {
		t.Fatalf("removed members keep their sessions, yet: %s", res)
	}

	baseline := filepath.Join(t.TempDir(), "baseline.yaml")
	if err := os.WriteFile(baseline, []byte("version: 1\nexpected:\n  - rule: CON-4\n    reason: revocation lands in 2.3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res = runConformBinary(t, wcp, append(defect, "--rules", "CON-4", "--baseline", baseline)...)
	if res.code != conform.ExitPassed || res.rule("CON-4").Verdict != report.Expected {
		t.Fatalf("with CON-4 in the baseline: %s", res)
	}

	res = runConformBinary(t, wcp, "--image", good, "--rules", "CON-4", "--baseline", baseline)
	if res.code != conform.ExitFailed || len(res.rules.Stale) != 1 || res.rules.Stale[0].Entry != "CON-4" {
		t.Fatalf("fixed, with the entry kept: %s", res)
	}
}

// TestConformImageMissing: an image that is not on the engine is the
// harness's failure, with a message that says so; nothing is pulled.
func TestConformImageMissing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds wcp; skipped with -short")
	}
	t.Parallel()
	dockertest.Engine(t)
	res := runConformBinary(t, dockertest.WCPBinary(t), "--image", "wcp-reference:never-built", "--rules", "OWN-4")
	if res.code != conform.ExitHarness || !strings.Contains(res.stderr, "never-built") {
		t.Fatalf("a missing image: %s", res)
	}
}

// TestWCPImageRunsConform: the wcp image (FROM scratch) checks a server
// from inside a container, for CI systems that run images rather than
// binaries, and leaves its reports in a mounted directory.
func TestWCPImageRunsConform(t *testing.T) {
	if testing.Short() {
		t.Skip("builds an image and runs the suite; skipped with -short")
	}
	t.Parallel()
	dockertest.Engine(t)
	wcp := dockertest.WCPBinary(t)
	image := dockertest.Image(t, "wcp-reference:dev", wcp)
	url := startServe(t, wcp)
	out := t.TempDir()
	if err := os.Chmod(out, 0o777); err != nil { // whoever the container runs as may write
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, err := testcontainers.GenericContainer(ctx, testcontainers.GenericContainerRequest{
		ContainerRequest: testcontainers.ContainerRequest{
			Image: image,
			Cmd:   []string{"conform", "--target", url, "--rules", "OWN-4", "--report-dir", "/wcp-report"},
			HostConfigModifier: func(hc *container.HostConfig) {
				hc.NetworkMode = "host"
				hc.Mounts = append(hc.Mounts, mount.Mount{Type: mount.TypeBind, Source: out, Target: "/wcp-report"})
			},
			WaitingFor: wait.ForExit().WithExitTimeout(2 * time.Minute),
		},
		Started: true,
	})
	testcontainers.CleanupContainer(t, c)
	if err != nil {
		t.Fatal(err)
	}
	state, err := c.State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if state.ExitCode != conform.ExitPassed {
		logs, _ := c.Logs(ctx)
		var b bytes.Buffer
		if logs != nil {
			_, _ = io.Copy(&b, logs)
		}
		t.Fatalf("wcp conform in its image exited %d:\n%s", state.ExitCode, b.String())
	}
	f, err := os.Open(filepath.Join(out, "wcp-rules.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rules, err := report.ReadRulesJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rules.Rules {
		if r.ID == "OWN-4" && r.Verdict != report.Passed {
			t.Errorf("OWN-4 is %s, want passed", r.Verdict)
		}
	}
}
