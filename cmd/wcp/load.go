package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wcp-project/wcp/load"
	"github.com/wcp-project/wcp/reference"
)

const loadLong = `Drive a WCP server with many signed senders and check every delivery.

The run has three phases. Setup creates, over HTTP and concurrently, one
owner, a workspace, the chats and one member user per sender. Connect fetches
a connection string for every sender and opens its Socket.IO session (each
timed separately). Sending emits signed messages; every session also receives
its chat's messages, and the generator checks that every acknowledged message
reached every session of its chat exactly once and in seq order.

Load is open loop with --rate/--stages: messages leave at their scheduled
(intended) times whether or not the server keeps up, and every latency counts
from the intended time, so a stalling server cannot hide (no coordinated
omission). Closed loop with --inflight keeps W messages per sender in flight.

Without --target the embedded reference server runs in this process on a
temporary database (then CPU figures cover both).

Exit status: 0 on success; 2 when a --threshold is broken or the server broke
a correctness rule (a forged message accepted, an acknowledged message lost,
duplicated or reordered); 1 on any other error. A run in which the generator
itself was the bottleneck is marked INVALID in the summary and the JSON
("valid": false); add --threshold valid==1 to make that fail too.

Several processes (or machines) can share one run: --shard i/n gives each the
chats c with c mod n == i and their senders, and the share of the rate they
carry; 'wcp load merge' adds their results into the statistics of the whole.`

const loadExample = `  # 200 senders in 20 chats, 1 message in flight each, 10 s, against the embedded reference
  wcp load --senders 200 --chats 20 --inflight 1 --duration 10s --out bench.json

  # open loop: ramp to 1000 msg/s over 30 s, then to 5000 msg/s over 60 s; 1% forged
  wcp load --target http://10.0.0.5:8080 --senders 5000 --chats 500 --stages 30s:1000,60s:5000 --forged-ratio 0.01

  # fail the run (exit 2) on slow acks or any loss
  wcp load --target http://127.0.0.1:8080 --rate 2000 --duration 1m --threshold 'ack_p99<50ms,lost==0'

  # two shards of one run, then one result
  wcp load --target URL --senders 10000 --chats 1000 --rate 20000 --duration 1m --run-id r1 --shard 0/2 --out s0.json
  wcp load --target URL --senders 10000 --chats 1000 --rate 20000 --duration 1m --run-id r1 --shard 1/2 --out s1.json
  wcp load merge s0.json s1.json -o all.json
  wcp load report all.json --html all.html`

type loadFlags struct {
	target, stages, shard, runID, out, html, threshold, progress         string
	startAt                                                              string
	cpuProfile                                                           string
	senders, chats, inflight, bodyBytes, ttl, connConc, setupConc, procs int
	rate, connectRate, forged                                            float64
	duration, ackTimeout, connectTimeout, grace                          time.Duration
}

func newLoadCmd(stdout, stderr io.Writer) *cobra.Command {
	var f loadFlags
	cmd := &cobra.Command{
		Use:     "load",
		Short:   "Drive a WCP server with many signed senders",
		Long:    loadLong,
		Example: loadExample,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runLoad(cmd.Context(), cmd, &f, stdout, stderr)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.target, "target", "", "base URL of the server under test, e.g. http://127.0.0.1:8080 (default: start the embedded reference in this process on a temporary database)")
	fl.IntVar(&f.senders, "senders", 100, "number of senders; each is a user with one session, which also receives its chat's messages")
	fl.IntVar(&f.chats, "chats", 10, "number of chats; sender s sits in chat s mod chats, so each chat has senders/chats sessions")
	fl.Float64Var(&f.rate, "rate", 0, "open loop: total messages per second over all senders (with --stages: the rate the first stage ramps from)")
	fl.IntVar(&f.inflight, "inflight", 0, "closed loop: messages each sender keeps in flight (the next leaves when an ack, refusal or timeout comes back)")
	fl.StringVar(&f.stages, "stages", "", "open loop ramps DURATION:RATE,...: each stage moves the total rate linearly to RATE msg/s over DURATION, e.g. 30s:1000,60s:5000; their sum is the sending time")
	fl.DurationVar(&f.duration, "duration", 10*time.Second, "how long to send (not with --stages)")
	fl.IntVar(&f.bodyBytes, "body-bytes", load.DefaultBodyBytes, "bytes per message body (23..16384; the body starts with a tag carrying the intended send time)")
	fl.Float64Var(&f.connectRate, "connect-rate", 0, "new sessions per second while connecting (0: as fast as --connect-concurrency allows)")
	fl.IntVar(&f.connConc, "connect-concurrency", 64, "connection-string fetches and connects in flight at once")
	fl.IntVar(&f.setupConc, "setup-concurrency", 32, "HTTP setup calls (users, members, chats) in flight at once")
	fl.IntVar(&f.ttl, "ttl", 0, "ttl_seconds of the connection strings, 1..3600 (0: leave it out, the server's default of 300 applies)")
	fl.Float64Var(&f.forged, "forged-ratio", 0, "fraction 0..1 of messages sent with a wrong message_string; every one must be refused, one accepted fails the run")
	fl.DurationVar(&f.ackTimeout, "ack-timeout", load.DefaultAckTimeout, "how long to wait for a message's ack before counting a timeout")
	fl.DurationVar(&f.connectTimeout, "connect-timeout", load.DefaultConnTimeout, "how long a connect may take up to the session event")
	fl.DurationVar(&f.grace, "grace", load.DefaultGrace, "after sending, how long to wait for deliveries still in flight before counting losses")
	fl.StringVar(&f.shard, "shard", "0/1", "run part i of n of a sharded run (i from 0): this process takes chats c with c mod n == i, their senders and their share of the rate; needs chats >= n")
	fl.StringVar(&f.runID, "run-id", "", "name of the run, shared by its shards (default: random); it appears in user and workspace names and in the result")
	fl.StringVar(&f.out, "out", "", "write the JSON result (histograms, per-second series, self-check) to this file")
	fl.StringVar(&f.html, "html", "", "also write an HTML report (inline SVG charts, opens with no network) to this file")
	fl.StringVar(&f.threshold, "threshold", "", "pass/fail conditions, e.g. 'ack_p99<50ms,delivery_p99<100ms,lost==0,ack_rate>=20000'; a broken one exits 2. Metrics: "+strings.Join(load.ThresholdMetrics(), ", "))
	fl.StringVar(&f.progress, "progress", "auto", "live progress: auto (bars on a terminal, a line per second otherwise), bars, lines or none")
	fl.StringVar(&f.startAt, "start-at", "", "wall-clock time to start sending, RFC 3339 (2026-11-26T15:00:00Z) or Unix seconds; shards given the same time send together (setup and connect happen before)")
	fl.IntVar(&f.procs, "procs", 0, "CPUs (GOMAXPROCS) this process may use (0: all); with the server on the same machine, 1 leaves it more and costs the generator less CPU per message; it limits the embedded reference too")
	fl.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile (pprof) of this process, covering setup, connect and sending, to this file; with the embedded reference it profiles the server too")
	cmd.AddCommand(newLoadMergeCmd(stdout), newLoadReportCmd(stdout))
	return cmd
}

func (f *loadFlags) config(cmd *cobra.Command) (load.Config, error) {
	cfg := load.Config{
		Target: f.target, Senders: f.senders, Chats: f.chats, Rate: f.rate, Inflight: f.inflight,
		Duration: f.duration, BodyBytes: f.bodyBytes, ConnectRate: f.connectRate,
		ConnectConcurrency: f.connConc, SetupConcurrency: f.setupConc, TTL: f.ttl, Forged: f.forged,
		AckTimeout: f.ackTimeout, ConnectTimeout: f.connectTimeout, Grace: f.grace, RunID: f.runID,
	}
	if f.bodyBytes < 1 {
		return cfg, fmt.Errorf("--body-bytes must be positive, got %d", f.bodyBytes)
	}
	if f.connConc < 1 || f.setupConc < 1 {
		return cfg, errors.New("--connect-concurrency and --setup-concurrency must be at least 1")
	}
	if f.ackTimeout <= 0 || f.connectTimeout <= 0 || f.grace < 0 {
		return cfg, errors.New("--ack-timeout and --connect-timeout must be positive, --grace not negative")
	}
	if f.stages != "" {
		st, err := load.ParseStages(f.stages)
		if err != nil {
			return cfg, fmt.Errorf("--stages: %w", err)
		}
		cfg.Stages = st
		if cmd.Flags().Changed("duration") {
			return cfg, errors.New("--duration and --stages exclude each other: the stages' durations add up to the sending time")
		}
		cfg.Duration = 0
	}
	if f.startAt != "" {
		t, err := parseStartAt(f.startAt)
		if err != nil {
			return cfg, err
		}
		cfg.StartAt = t
	}
	sh, err := load.ParseShard(f.shard)
	if err != nil {
		return cfg, fmt.Errorf("--shard: %w", err)
	}
	cfg.Shard = sh
	if sh.Count > 1 && f.runID == "" {
		return cfg, errors.New("--shard with n > 1 needs --run-id, the name its shards share")
	}
	if f.rate > 0 && f.inflight > 0 {
		return cfg, errors.New("--rate (open loop) and --inflight (closed loop) exclude each other")
	}
	if f.stages != "" && f.inflight > 0 {
		return cfg, errors.New("--stages (open loop) and --inflight (closed loop) exclude each other")
	}
	return cfg, nil
}

func runLoad(ctx context.Context, cmd *cobra.Command, f *loadFlags, stdout, stderr io.Writer) error {
	cfg, err := f.config(cmd)
	if err != nil {
		return err
	}
	ths, err := thresholdFlag(f.threshold)
	if err != nil {
		return err
	}
	if f.procs < 0 {
		return fmt.Errorf("--procs must not be negative, got %d", f.procs)
	}
	if f.procs > 0 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(f.procs))
	}
	mode, err := progressMode(f.progress, stdout)
	if err != nil {
		return err
	}
	// Validate first (it fills defaults), so a bad flag is reported before
	// a server or a display starts.
	embedded := cfg.Target == ""
	if embedded {
		cfg.Target = "http://127.0.0.1:1"
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	if embedded {
		dir, err := os.MkdirTemp("", "wcp-load-*")
		if err != nil {
			return fmt.Errorf("embedded reference: %w", err)
		}
		defer os.RemoveAll(dir)
		srv, err := reference.Open(ctx, reference.Config{
			Addr:   "127.0.0.1:0",
			DBPath: filepath.Join(dir, "wcp.db"),
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		})
		if err != nil {
			return fmt.Errorf("embedded reference: %w", err)
		}
		defer srv.Close()
		cfg.Target, cfg.Embedded = srv.URL(), true
	}
	if f.cpuProfile != "" {
		fh, err := os.Create(f.cpuProfile)
		if err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer fh.Close()
		if err := pprof.StartCPUProfile(fh); err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	prog := newProgress(mode, stdout, cfg)
	cfg.Progress = prog
	res, err := load.Run(ctx, cfg)
	prog.finish()
	if err != nil {
		return err
	}
	if err := load.WriteText(stdout, res); err != nil {
		return err
	}
	if f.out != "" {
		if err := writeFile(f.out, func(w io.Writer) error { return load.Encode(w, res) }); err != nil {
			return err
		}
	}
	if f.html != "" {
		if err := writeFile(f.html, func(w io.Writer) error { return load.WriteHTML(w, res) }); err != nil {
			return err
		}
	}
	return verdict(res, ths, stdout)
}

// verdict turns failures and broken thresholds into exit status 2.
func verdict(res *load.Result, ths []load.Threshold, stdout io.Writer) error {
	var problems []string
	if res.Failed() {
		problems = append(problems, res.Failures...)
	}
	for _, b := range load.Broken(res, ths) {
		problems = append(problems, "threshold "+b)
	}
	if len(ths) > 0 && len(problems) == 0 {
		fmt.Fprintf(stdout, "thresholds: all %d hold\n", len(ths))
	}
	if len(problems) > 0 {
		return &exitError{code: 2, err: fmt.Errorf("load: %s", strings.Join(problems, "; "))}
	}
	return nil
}

// writeFile writes path (making its directory, so shards can write into
// a fresh shared volume) through fill.
func writeFile(path string, fill func(io.Writer) error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	fh, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := fill(fh); err != nil {
		fh.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := fh.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func parseStartAt(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
		return time.Unix(n, 0), nil
	}
	return time.Time{}, fmt.Errorf("--start-at %q: want RFC 3339 (2026-11-26T15:00:00Z) or Unix seconds", s)
}

// resultFiles expands directory arguments into the *.json files in them.
func resultFiles(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, a)
			continue
		}
		m, err := filepath.Glob(filepath.Join(a, "*.json"))
		if err != nil {
			return nil, err
		}
		if len(m) == 0 {
			return nil, fmt.Errorf("%s: no .json results in this directory", a)
		}
		out = append(out, m...)
	}
	return out, nil
}

func readResult(path string) (*load.Result, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	r, err := load.Decode(fh)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

func newLoadMergeCmd(stdout io.Writer) *cobra.Command {
	var out, threshold string
	cmd := &cobra.Command{
		Use:   "merge RESULT.json|DIR... -o ALL.json",
		Short: "Combine the JSON results of several shards (or runs) into one",
		Long: `Merge adds up the results of the shards of one run (wcp load --shard i/n):
counters and HdrHistograms add, per-second series add second by second by
wall clock, rates are computed over the union of the sending windows, and
the merged run is valid only if every shard was. Because a shard owns its
chats whole, the merged delivery accounting is exact. The same shard of the
same run given twice is an error. A directory argument stands for the *.json
files in it.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ths, err := thresholdFlag(threshold)
			if err != nil {
				return err
			}
			files, err := resultFiles(args)
			if err != nil {
				return err
			}
			var rs []*load.Result
			for _, a := range files {
				r, err := readResult(a)
				if err != nil {
					return err
				}
				rs = append(rs, r)
			}
			m, err := load.Merge(rs...)
			if err != nil {
				return err
			}
			if out != "" {
				if err := writeFile(out, func(w io.Writer) error { return load.Encode(w, m) }); err != nil {
					return err
				}
			} else if err := load.Encode(stdout, m); err != nil {
				return err
			}
			if out != "" {
				if err := load.WriteText(stdout, m); err != nil {
					return err
				}
			}
			return verdict(m, ths, io.Discard)
		},
	}
	cmd.Flags().StringVarP(&out, "out", "o", "", "write the merged JSON here (default: standard output, without the summary)")
	cmd.Flags().StringVar(&threshold, "threshold", "", "pass/fail conditions on the merged result (as for wcp load); a broken one exits 2")
	return cmd
}

func newLoadReportCmd(stdout io.Writer) *cobra.Command {
	var htmlOut, threshold string
	cmd := &cobra.Command{
		Use:   "report RESULT.json [--html OUT.html]",
		Short: "Print the summary of a JSON result and optionally write an HTML report",
		Long: `Report prints the summary table of a result file written by 'wcp load --out'
or 'wcp load merge'. With --html it also writes one self-contained HTML file
with charts (throughput and latency percentiles over time, latency by
percentile) drawn as inline SVG: no scripts, no fonts, no links, so it opens
with no network.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ths, err := thresholdFlag(threshold)
			if err != nil {
				return err
			}
			r, err := readResult(args[0])
			if err != nil {
				return err
			}
			if err := load.WriteText(stdout, r); err != nil {
				return err
			}
			if htmlOut != "" {
				if err := writeFile(htmlOut, func(w io.Writer) error { return load.WriteHTML(w, r) }); err != nil {
					return err
				}
			}
			return verdict(r, ths, stdout)
		},
	}
	cmd.Flags().StringVar(&htmlOut, "html", "", "write a self-contained HTML report here")
	cmd.Flags().StringVar(&threshold, "threshold", "", "pass/fail conditions (as for wcp load); a broken one exits 2")
	return cmd
}

type progressKind int

const (
	progressNone progressKind = iota
	progressLines
	progressBars
)

// progressMode picks the display: bars only on a terminal.
func progressMode(flag string, stdout io.Writer) (progressKind, error) {
	switch flag {
	case "none":
		return progressNone, nil
	case "lines":
		return progressLines, nil
	case "bars":
		return progressBars, nil
	case "auto", "":
		if isTerminal(stdout) {
			return progressBars, nil
		}
		return progressLines, nil
	}
	return progressNone, fmt.Errorf("--progress %q: want auto, bars, lines or none", flag)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

type nopDisplay struct{}

func (nopDisplay) Begin(string, int) func(int)                    { return func(int) {} }
func (nopDisplay) Second(time.Duration, load.Second, load.Counts) {}
func (nopDisplay) Phase(string)                                   {}
func (nopDisplay) finish()                                        {}

type display interface {
	load.Progress
	finish()
}

type wrapped struct{ load.ProgressDisplay }

func (w wrapped) finish() { w.Finish() }

func newProgress(k progressKind, stdout io.Writer, cfg load.Config) display {
	switch k {
	case progressLines:
		return wrapped{load.NewLines(stdout)}
	case progressBars:
		d := cfg.Duration
		for _, s := range cfg.Stages {
			d += s.Duration
		}
		return wrapped{load.NewBars(stdout, d)}
	}
	return nopDisplay{}
}

// thresholdFlag parses --threshold; an empty flag sets no thresholds.
func thresholdFlag(s string) ([]load.Threshold, error) {
	if s == "" {
		return nil, nil
	}
	ths, err := load.ParseThresholds(s)
	if err != nil {
		return nil, fmt.Errorf("--threshold: %w", err)
	}
	return ths, nil
}
