//go:build linux

package report

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// chromiumTimeout bounds one run of the browser: it starts in about 2 s
// on a 2-core machine; a hang must fail the test, not stall it.
const chromiumTimeout = 60 * time.Second

// TestHTMLInChromium opens the HTML report in a real browser with every
// host unresolvable: the DOM it builds must hold the rule table and the
// failing specs, the page must log no console message (no load refused by
// its Content-Security-Policy, no error), and a screenshot must show a
// styled page. The screenshot goes to $WCP_SCREENSHOT_DIR when set, for a
// person to look at.
func TestHTMLInChromium(t *testing.T) {
	bin := findChromium(t)
	run := fixtureRun()
	page := filepath.Join(t.TempDir(), "conform-report.html")
	if err := os.WriteFile(page, writeHTML(t, run), 0o644); err != nil {
		t.Fatal(err)
	}
	pageURL := (&url.URL{Scheme: "file", Path: page}).String()

	dom, logs := runChromium(t, bin, "--dump-dom", pageURL)
	if n := strings.Count(dom, `<tr class="rule `); n != len(run.Rules) {
		t.Errorf("the browser's DOM has %d rule rows, want %d", n, len(run.Rules))
	}
	for _, want := range []string{
		`<tr class="rule failed" id="rule-OWN-1">`,
		`<tr class="rule not-run" id="rule-ROB-2">`,
		`<article class="spec failed" id="spec-1">`,
		`<article class="spec failed" id="spec-2">`,
		`<article class="spec expected" id="spec-3">`,
		`<article class="spec expected" id="spec-4">`,
		"&lt;script&gt;alert('x')&lt;/script&gt;", // the nasty text stayed text
		`<h2>Stale baseline entries <span class="count">2</span></h2>`,
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("the browser's DOM lacks %q", want)
		}
	}
	if strings.Contains(dom, "<script") {
		t.Errorf("the browser's DOM has a <script> element")
	}
	for line := range strings.Lines(logs) {
		if strings.Contains(line, ":CONSOLE") {
			t.Errorf("the page logged to the console: %s", line)
		}
	}

	shotDir := os.Getenv("WCP_SCREENSHOT_DIR")
	if shotDir == "" {
		shotDir = t.TempDir()
	} else if err := os.MkdirAll(shotDir, 0o755); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(shotDir, "conform-report.png")
	_ = os.Remove(shot) // so that a stale one from an earlier run cannot pass
	runChromium(t, bin, "--screenshot="+shot, "--window-size=1280,2400", "--hide-scrollbars", "--force-device-scale-factor=1", pageURL)
	checkScreenshot(t, shot)
	t.Logf("screenshot: %s", shot)
}

// findChromium returns the browser's path, or skips the test without one;
// on CI (CI set), which installs chromium, a missing one fails it.
func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium not found, and CI is set: CI installs it (apt-get install chromium) to check the HTML report in a browser")
	}
	t.Skip("chromium not found: install it (Debian: apt-get install chromium) to check the HTML report in a real browser")
	return ""
}

// runChromium runs the headless browser once with args, in a process
// group of its own, with a fresh profile and HOME (so that it writes
// nothing outside the test's temporary directories) and no resolvable
// host. It returns stdout and the browser's log, and fails the test if
// the browser fails, takes longer than chromiumTimeout, or leaves a
// process behind.
func runChromium(t *testing.T, bin string, args ...string) (stdout, logs string) {
	t.Helper()
	home := t.TempDir()
	ctx, cancel := context.WithTimeout(t.Context(), chromiumTimeout)
	defer cancel()
	flags := []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
		"--host-resolver-rules=MAP * ~NOTFOUND", // no host resolves: a load would fail, not leak
		"--user-data-dir=" + filepath.Join(home, "profile"),
		"--disable-extensions", "--disable-component-update", "--disable-sync", "--disable-background-networking",
		"--disable-dev-shm-usage", "--enable-logging=stderr", "--v=0",
	}
	cmd := exec.CommandContext(ctx, bin, append(flags, args...)...)
	cmd.Env = append(os.Environ(),
		"HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "XDG_CACHE_HOME="+filepath.Join(home, ".cache"))
	// The browser forks zygotes, renderers and helpers: kill them all.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second // then stop waiting for helpers that hold the output pipes
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start := time.Now()
	err := cmd.Run()
	if cmd.Process != nil {
		// Whatever of the group outlived the browser goes with it.
		if kerr := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); kerr != nil && !errors.Is(kerr, syscall.ESRCH) {
			t.Errorf("kill the browser's process group: %v", kerr)
		}
	}
	checkNoSurvivors(t, home)
	switch {
	case ctx.Err() != nil:
		t.Fatalf("chromium %s: no answer within %v; its log ends:\n%s", strings.Join(args, " "), chromiumTimeout, lastLines(errOut.String(), 20))
	case err != nil:
		t.Fatalf("chromium %s: %v; its log ends:\n%s", strings.Join(args, " "), err, lastLines(errOut.String(), 20))
	}
	t.Logf("chromium %s: %v", args[0], time.Since(start).Round(time.Millisecond))
	return out.String(), errOut.String()
}

// checkNoSurvivors fails the test if a live process still names dir on its
// command line (the browser's profile, its crash handler's database), after
// giving them a few seconds to exit, and kills those it finds: only the
// browser this test started has that temporary directory in its arguments.
func checkNoSurvivors(t *testing.T, dir string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		pids := processesNaming(dir)
		if len(pids) == 0 {
			return
		}
		if time.Now().After(deadline) {
			for _, pid := range pids {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
			t.Errorf("chromium processes %v outlived the browser; killed them", pids)
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// processesNaming lists the live (not zombie) processes whose command line
// contains s.
func processesNaming(s string) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !bytes.Contains(cmdline, []byte(s)) {
			continue
		}
		if stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat")); err == nil {
			// The state follows the command name, which is in parentheses.
			if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
				continue
			}
		}
		pids = append(pids, pid)
	}
	return pids
}

// checkScreenshot fails the test unless path is a 1280x2400 PNG of a
// styled page: not blank, and with the failed verdict's red box painted
// (so the inline style sheet applied despite the page's strict policy).
func checkScreenshot(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot %s: %v", path, err)
	}
	if b := img.Bounds(); b.Dx() != 1280 || b.Dy() != 2400 {
		t.Fatalf("screenshot is %dx%d, want 1280x2400", b.Dx(), b.Dy())
	}
	inked, verdictRed := 0, 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl := rgb(img, x, y)
			if r < 0xf0 || g < 0xf0 || bl < 0xf0 {
				inked++
			}
			if r == 0xff && g == 0xeb && bl == 0xe9 { // --failed-bg, the verdict box
				verdictRed++
			}
		}
	}
	total := (b.Dx() / 2) * (b.Dy() / 2)
	if inked < total/20 {
		t.Errorf("screenshot is nearly blank: %d of %d sampled pixels inked", inked, total)
	}
	if verdictRed < 500 {
		t.Errorf("screenshot shows no red verdict box (%d pixels): did the style sheet apply?", verdictRed)
	}
}

func rgb(img image.Image, x, y int) (r, g, b uint32) {
	r, g, b, _ = img.At(x, y).RGBA()
	return r >> 8, g >> 8, b >> 8
}

// lastLines is the end of a log, for a failure message.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
