package conform

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2/types"
)

// worker is one worker process: its job, where its files go, and what it
// said.
type worker struct {
	n    int // 0 plans; 1..N run shards
	job  Job
	dir  string
	argv []string
}

// run starts the worker, relays its progress lines to onSpec, waits for it
// and returns its report. A worker that exits without a report (it
// crashed, or could not even start its suite) is a *HarnessError carrying
// the end of what it printed.
func (w *worker) run(ctx context.Context, onSpec func(progressLine)) (types.Report, error) {
	jobPath := filepath.Join(w.dir, fmt.Sprintf("job-%d.json", w.n))
	w.job.Report = filepath.Join(w.dir, fmt.Sprintf("report-%d.json", w.n))
	w.job.ProgressFD = progressFD
	if err := writeJob(jobPath, w.job); err != nil {
		return types.Report{}, &HarnessError{Msg: "write a worker's job", Err: err}
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return types.Report{}, &HarnessError{Msg: "start a worker", Err: err}
	}
	defer pr.Close()
	out := &tailBuffer{max: 64 << 10}
	cmd := exec.CommandContext(ctx, w.argv[0], append(w.argv[1:], jobPath)...)
	// Ginkgo's console report (stdout) repeats failure messages the
	// redaction has not seen; the redacted report file is the record, so
	// only stderr (a crash, a configuration error) is kept.
	cmd.Stderr = out
	cmd.ExtraFiles = []*os.File{pw} // progressFD
	// On cancellation the worker gets SIGINT first, which Ginkgo turns
	// into an orderly end (its targets stopped, its report written).
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 30 * time.Second
	if err := cmd.Start(); err != nil {
		pw.Close()
		return types.Report{}, &HarnessError{Msg: "start a worker", Err: err}
	}
	pw.Close() // the worker holds its own copy; EOF comes when it exits
	relayed := make(chan struct{})
	go func() {
		defer close(relayed)
		relay(pr, onSpec)
	}()
	waitErr := cmd.Wait()
	<-relayed

	b, err := os.ReadFile(w.job.Report)
	if err != nil {
		return types.Report{}, &HarnessError{
			Msg: fmt.Sprintf("worker %d ended without a report (%v); its last output:\n%s", w.n, waitErr, out.String()),
		}
	}
	var r types.Report
	if err := json.Unmarshal(b, &r); err != nil {
		return types.Report{}, &HarnessError{Msg: fmt.Sprintf("worker %d wrote an unreadable report", w.n), Err: err}
	}
	return r, nil
}

// relay hands each progress line to onSpec; lines that do not decode are
// dropped (progress is a courtesy, the report is the record).
func relay(r io.Reader, onSpec func(progressLine)) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var p progressLine
		if json.Unmarshal(sc.Bytes(), &p) == nil && onSpec != nil {
			onSpec(p)
		}
	}
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if over := len(t.b) - t.max; over > 0 {
		t.b = t.b[over:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string { return strings.TrimSpace(string(t.b)) }
