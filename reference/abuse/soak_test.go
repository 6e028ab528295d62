package abuse

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wcp-project/wcp/load/report"
)

// attacks are the attacks TestSoak takes in turns, each as its test runs
// it.
var attacks = []struct {
	name string
	run  func(testing.TB, context.Context, target)
}{
	{"replay", replayNeverRead},
	{"history", historyNeverRead},
	{"handshakes", handshakeStorm},
	{"slowbodies", slowBodies},
	{"flood", floodNeverRead},
	{"cycles", connectCycles},
	{"writerqueue", writerFlood},
}

// soakEvery is how often TestSoak samples the server; soakSenders is the
// number of sessions of its honest load.
const (
	soakEvery   = 2 * time.Second
	soakSenders = 50
)

// TestSoak runs only with WCP_SOAK set to a duration (make soak): one
// server, with the suite's limits, under honest load
// (wcp load, 50 senders in 10 chats, 200 messages a second) for that long,
// while the attacks take turns against it. It samples the server every 2 s
// into rss.csv and writes the load's report (load.json, load.log) and a
// summary (summary.txt) to $WCP_SOAK_OUT (a temporary directory if unset).
// An attack that fails fails its round, and the soak goes on.
func TestSoak(t *testing.T) {
	spec := os.Getenv("WCP_SOAK")
	if spec == "" {
		t.Skip("WCP_SOAK is not set: run it with make soak (SOAK=2m make soak)")
	}
	d, err := time.ParseDuration(spec)
	if err != nil || d < 30*time.Second {
		t.Fatalf("WCP_SOAK=%q: want a duration of 30s or more", spec)
	}
	out := os.Getenv("WCP_SOAK_OUT")
	if out == "" {
		out = t.TempDir()
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), d+5*time.Minute)
	defer cancel()

	srv := startServer(t)
	samples := sampleServer(t, ctx, srv, filepath.Join(out, "rss.csv"))
	w := newWorld(t, ctx, srv)
	hist := w.chat(t, ctx, "history")
	w.fill(t, ctx, hist.ID, 1000, 6, ltBody)
	tg := target{w: w, history: hist, shared: true}

	load := startLoad(t, srv, d, out)
	// The attacks compare session counts with what they were before them:
	// the load's sessions must all be there first.
	waitSessionsUp(t, ctx, srv, soakSenders, time.Minute)
	end := time.Now().Add(d)
	rounds := 0
	for time.Now().Before(end) {
		rounds++
		for _, a := range attacks {
			if !time.Now().Before(end) {
				break
			}
			t.Run(fmt.Sprintf("%s#%d", a.name, rounds), func(t *testing.T) { a.run(t, ctx, tg) })
		}
	}
	loadErr := load.wait(ctx)
	rows := samples.stop()

	var b strings.Builder
	fmt.Fprintf(&b, "soak: %v, %d rounds of %d attacks against %s (pid %d)\n", d, rounds, len(attacks), srv.url, srv.pid)
	summarizeRSS(&b, rows)
	summarizeLoad(&b, filepath.Join(out, "load.json"), loadErr)
	fmt.Fprintf(&b, "files: %s\n", strings.Join([]string{"rss.csv", "load.json", "load.log", "summary.txt"}, ", "))
	if err := os.WriteFile(filepath.Join(out, "summary.txt"), []byte(b.String()), 0o644); err != nil {
		t.Error(err)
	}
	t.Logf("summary (also in %s):\n%s", filepath.Join(out, "summary.txt"), b.String())
	if loadErr != nil {
		t.Errorf("wcp load: %v", loadErr)
	}
}

// waitSessionsUp waits up to within for wcp_sessions_open to reach n.
func waitSessionsUp(t testing.TB, ctx context.Context, srv *server, n int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for sessionsOpen(t, ctx, srv) < n {
		if time.Now().After(deadline) {
			t.Fatalf("wcp_sessions_open did not reach %d within %v", n, within)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// loadRun is a wcp load child process.
type loadRun struct {
	cmd    *exec.Cmd
	exited chan error
	log    *os.File
}

// startLoad runs wcp load against srv for d, its report in out.
func startLoad(t testing.TB, srv *server, d time.Duration, out string) *loadRun {
	t.Helper()
	log, err := os.Create(filepath.Join(out, "load.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(wcpBin, "load", "--target", srv.url, "--senders", fmt.Sprint(soakSenders), "--chats", "10", "--rate", "200",
		"--duration", d.String(), "--out", filepath.Join(out, "load.json"), "--progress", "lines")
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		log.Close()
		t.Fatalf("start wcp load: %v", err)
	}
	l := &loadRun{cmd: cmd, exited: make(chan error, 1), log: log}
	go func() { l.exited <- cmd.Wait() }()
	t.Cleanup(func() {
		select {
		case <-l.exited:
		default:
			_ = cmd.Process.Signal(syscall.SIGKILL)
			<-l.exited
		}
		log.Close()
	})
	return l
}

// wait waits for the load to end (ctx bounds it): nil when it passed,
// exit status 2 when the server broke a rule under it.
func (l *loadRun) wait(ctx context.Context) error {
	select {
	case err := <-l.exited:
		l.exited <- err // for the cleanup
		return err
	case <-ctx.Done():
		return fmt.Errorf("still running: %w", ctx.Err())
	}
}

// sample is one row of rss.csv.
type sample struct {
	at         time.Duration // since the server started
	rss        int64
	goroutines int
	sessions   int
	refusals   float64 // wcp_limit_refusals_total, every limit
}

// sampler samples a server every soakEvery into a CSV file until stopped.
type sampler struct {
	cancel context.CancelFunc
	done   chan []sample
}

func sampleServer(t testing.TB, ctx context.Context, srv *server, path string) *sampler {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(f, "seconds,rss_mib,goroutines,sessions_open,limit_refusals_total")
	ctx, cancel := context.WithCancel(ctx)
	s := &sampler{cancel: cancel, done: make(chan []sample, 1)}
	t.Cleanup(func() { s.stop() })
	start := time.Now()
	go func() {
		defer f.Close()
		var rows []sample
		tick := time.NewTicker(soakEvery)
		defer tick.Stop()
		for {
			r := sample{at: time.Since(start)}
			r.rss, _ = srv.rss()
			if m, err := srv.metrics(ctx); err == nil {
				r.goroutines, r.sessions = m.goroutines(), int(m["wcp_sessions_open"])
				for k, v := range m {
					if strings.HasPrefix(k, "wcp_limit_refusals_total{") {
						r.refusals += v
					}
				}
			}
			rows = append(rows, r)
			fmt.Fprintf(f, "%.0f,%.1f,%d,%d,%.0f\n", r.at.Seconds(), float64(r.rss)/(1<<20), r.goroutines, r.sessions, r.refusals)
			select {
			case <-tick.C:
			case <-ctx.Done():
				s.done <- rows
				return
			}
		}
	}()
	return s
}

// stop ends the sampling and returns the samples; it is idempotent.
func (s *sampler) stop() []sample {
	s.cancel()
	rows := <-s.done
	s.done <- rows
	return rows
}

// summarizeRSS writes the peak and the course of the server's RSS: the
// highest sample in each tenth of the run.
func summarizeRSS(b *strings.Builder, rows []sample) {
	if len(rows) == 0 {
		b.WriteString("RSS: no samples\n")
		return
	}
	peak, peakG := rows[0], 0
	for _, r := range rows {
		if r.rss > peak.rss {
			peak = r
		}
		peakG = max(peakG, r.goroutines)
	}
	fmt.Fprintf(b, "server RSS: start %s, max %s at %v, end %s; goroutines max %d, end %d; limit refusals %.0f\n",
		mib(rows[0].rss), mib(peak.rss), peak.at.Round(time.Second), mib(rows[len(rows)-1].rss), peakG, rows[len(rows)-1].goroutines, rows[len(rows)-1].refusals)
	b.WriteString("RSS over time (max of each tenth of the run):")
	n := len(rows)
	for i := range 10 {
		part := rows[i*n/10 : (i+1)*n/10]
		if len(part) == 0 {
			continue
		}
		var m int64
		for _, r := range part {
			m = max(m, r.rss)
		}
		fmt.Fprintf(b, " %v:%s", part[0].at.Round(time.Second), mib(m))
	}
	b.WriteString("\n")
}

// summarizeLoad writes the honest load's figures from its report.
func summarizeLoad(b *strings.Builder, path string, loadErr error) {
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintf(b, "load: no report (%v; wcp load: %v)\n", err, loadErr)
		return
	}
	defer f.Close()
	r, err := report.Decode(f)
	if err != nil {
		fmt.Fprintf(b, "load: %v\n", err)
		return
	}
	ack := r.Hist(report.HistAck)
	c := r.Counts
	fmt.Fprintf(b, "honest load: %d sent, %d acked (%.0f acks/s), ack p50 %v p99 %v max %v; refused %v, timeouts %d, lost %d, disconnects %d; valid %v, failures %v\n",
		c.Sent, c.Acked, r.AckRate(), ack.Quantile(50), ack.Quantile(99), ack.Max(), c.Refused, c.Timeouts, c.Lost, c.Disconnects, r.Valid, r.Failures)
}
