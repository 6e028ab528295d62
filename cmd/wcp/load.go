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
	"github.com/wcp-project/wcp/load/progress"
	"github.com/wcp-project/wcp/load/prom"
	"github.com/wcp-project/wcp/load/report"
	"github.com/wcp-project/wcp/load/scenario"
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
  wcp load report all.json --html all.html

  # populations, churn and a reconnect storm from a file; a 1/20 rehearsal compressed to 20 s
  wcp load --scenario testdata/scenarios/four-populations.yaml --scenario-scale 0.05 --duration 20s
  # the server's metrics from elsewhere (a sidecar), or none at all
  wcp load --target http://10.0.0.5:8080 --rate 1000 --server-metrics http://10.0.0.5:9100/metrics
  wcp load --target http://10.0.0.5:8080 --rate 1000 --server-metrics=off

  # did a server change make it slower? (exit 2 when a threshold breaks)
  wcp load compare base.json new.json --threshold 'ack_p99:+10%'`

type loadFlags struct {
	target, stages, shard, runID, out, html, threshold, progress         string
	startAt                                                              string
	cpuProfile                                                           string
	scenario                                                             string
	scenarioScale                                                        float64
	serverMetrics, serverMetricNames                                     string
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
	fl.IntVar(&f.connConc, "connect-concurrency", load.DefaultConnectConcurrency, "connection-string fetches and connects in flight at once")
	fl.IntVar(&f.setupConc, "setup-concurrency", load.DefaultSetupConcurrency, "HTTP setup calls (users, members, chats) in flight at once")
	fl.IntVar(&f.ttl, "ttl", 0, "ttl_seconds of the connection strings, 1..3600 (0: leave it out, the server's default of 300 applies)")
	fl.Float64Var(&f.forged, "forged-ratio", 0, "fraction 0..1 of messages sent with a wrong message_string; every one must be refused, one accepted fails the run")
	fl.DurationVar(&f.ackTimeout, "ack-timeout", load.DefaultAckTimeout, "how long to wait for a message's ack before counting a timeout")
	fl.DurationVar(&f.connectTimeout, "connect-timeout", load.DefaultConnTimeout, "how long a connect may take up to the session event")
	fl.DurationVar(&f.grace, "grace", load.DefaultGrace, "after sending, how long the drain waits with no delivery arriving before counting what is missing as lost; while deliveries keep arriving it waits on, up to the send duration, so that late is not reported as lost")
	fl.StringVar(&f.shard, "shard", "0/1", "run part i of n of a sharded run (i from 0): this process takes chats c with c mod n == i, their senders and their share of the rate; needs chats >= n")
	fl.StringVar(&f.runID, "run-id", "", "name of the run, shared by its shards (default: random); it appears in user and workspace names and in the result")
	fl.StringVar(&f.out, "out", "", "write the JSON result (histograms, per-second series, self-check) to this file")
	fl.StringVar(&f.html, "html", "", "also write an HTML report (inline SVG charts, opens with no network) to this file")
	fl.StringVar(&f.threshold, "threshold", "", "pass/fail conditions, e.g. 'ack_p99<50ms,delivery_p99<100ms,lost==0,ack_rate>=20000'; a broken one exits 2. Metrics: "+strings.Join(report.ThresholdMetrics(), ", "))
	fl.StringVar(&f.progress, "progress", "auto", "live progress: auto (bars on a terminal, a line per second otherwise), bars, lines or none")
	fl.StringVar(&f.startAt, "start-at", "", "wall-clock time to start sending, RFC 3339 (2026-11-26T15:00:00Z) or Unix seconds; shards given the same time send together (setup and connect happen before)")
	fl.IntVar(&f.procs, "procs", 0, "CPUs (GOMAXPROCS) this process may use (0: all); with the server on the same machine, 1 leaves it more and costs the generator less CPU per message; it limits the embedded reference too")
	fl.StringVar(&f.scenario, "scenario", "", "describe the run as populations of users in a YAML file (listeners, senders by rate or think time, body sizes, chats of several sizes, slow readers, churn and reconnect storms; see testdata/scenarios); it replaces --senders, --chats, --rate, --stages and --inflight, and --duration, if given, compresses its timeline")
	fl.Float64Var(&f.scenarioScale, "scenario-scale", 1, "with --scenario: multiply its users, chats, storm sizes and churn rate by this factor (e.g. 0.05 for a quick rehearsal of the same shape)")
	fl.StringVar(&f.serverMetrics, "server-metrics", "", "URL of the server's Prometheus metrics, scraped before, every second during and after sending to put the server's view (ack latency, sessions, refusals, CPU, RSS) beside the client's; off: don't (default: the target's /metrics; a target without them is noted, not an error)")
	fl.StringVar(&f.serverMetricNames, "server-metric-names", "", "which server series to read, key=name,... over the reference's names; keys: "+strings.Join(prom.NameKeys, ", ")+" (refused=name:label reads the code from label; an empty name skips the series), e.g. 'ack=http_ack_seconds,sessions=ws_open'")
	fl.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile (pprof) of this process, covering setup, connect and sending, to this file; with the embedded reference it profiles the server too")
	cmd.AddCommand(newLoadMergeCmd(stdout), newLoadReportCmd(stdout), newLoadCompareCmd(stdout))
	return cmd
}

// config turns the flags into a Config. It only interprets flags (parses
// their syntax, and tells --duration's default from a given one): the
// flags carry load's defaults, and Config.Validate alone judges the values.
func (f *loadFlags) config(cmd *cobra.Command) (load.Config, error) {
	cfg := load.Config{
		Target: f.target, Embedded: f.target == "", Senders: f.senders, Chats: f.chats, Rate: f.rate, Inflight: f.inflight,
		Duration: f.duration, BodyBytes: f.bodyBytes, ConnectRate: f.connectRate,
		ConnectConcurrency: f.connConc, SetupConcurrency: f.setupConc, TTL: f.ttl, Forged: f.forged,
		AckTimeout: f.ackTimeout, ConnectTimeout: f.connectTimeout, Grace: f.grace, RunID: f.runID,
	}
	if f.stages != "" {
		st, err := load.ParseStages(f.stages)
		if err != nil {
			return cfg, fmt.Errorf("--stages: %w", err)
		}
		if cmd.Flags().Changed("duration") {
			return cfg, errors.New("--duration and --stages exclude each other: the stages' durations add up to the sending time")
		}
		cfg.Stages, cfg.Duration = st, 0
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
	if f.serverMetrics == "off" {
		cfg.ServerMetrics.Off = true
	} else {
		cfg.ServerMetrics.URL = f.serverMetrics
	}
	names, err := prom.ParseNames(f.serverMetricNames, report.DefaultServerMetricNames())
	if err != nil {
		return cfg, fmt.Errorf("--server-metric-names: %w", err)
	}
	cfg.ServerMetrics.Names = names
	if f.scenario != "" {
		return f.scenarioConfig(cmd, cfg)
	}
	if cmd.Flags().Changed("scenario-scale") {
		return cfg, errors.New("--scenario-scale needs --scenario")
	}
	return cfg, nil
}

// scenarioConfig reads --scenario into cfg, in place of the flags that
// describe one uniform crowd.
func (f *loadFlags) scenarioConfig(cmd *cobra.Command, cfg load.Config) (load.Config, error) {
	for _, name := range []string{"senders", "chats", "rate", "stages", "inflight"} {
		if cmd.Flags().Changed(name) {
			return cfg, fmt.Errorf("--%s and --scenario exclude each other: the scenario says who sends, where and how often", name)
		}
	}
	data, err := os.ReadFile(f.scenario)
	if err != nil {
		return cfg, fmt.Errorf("--scenario: %w", err)
	}
	sc, err := scenario.Parse(f.scenario, data)
	if err != nil {
		return cfg, err
	}
	if f.scenarioScale <= 0 {
		return cfg, fmt.Errorf("--scenario-scale must be positive, got %g", f.scenarioScale)
	}
	if f.scenarioScale != 1 {
		sc = sc.Scaled(f.scenarioScale)
	}
	if cmd.Flags().Changed("duration") {
		if f.duration <= 0 {
			return cfg, fmt.Errorf("--duration must be positive, got %v", f.duration)
		}
		sc = sc.Compressed(f.duration)
	}
	cfg.Scenario = sc
	cfg.Senders, cfg.Chats, cfg.Rate, cfg.Inflight, cfg.Duration, cfg.Stages = 0, 0, 0, 0, 0, nil
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
	if cfg.Embedded {
		stop, err := startEmbedded(ctx, &cfg)
		if err != nil {
			return err
		}
		defer stop()
	}
	// Validate before a profile or a display starts, so that a bad flag is
	// all the output. Run fills no defaults here: the flags carry them.
	if err := cfg.Validate(); err != nil {
		return err
	}
	if f.cpuProfile != "" {
		stop, err := startCPUProfile(f.cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	prog := newProgress(mode, stdout, cfg.SendDuration())
	cfg.Progress = prog
	res, err := load.Run(ctx, cfg)
	prog.Finish()
	if err != nil {
		return err
	}
	if err := report.WriteText(stdout, res); err != nil {
		return err
	}
	if err := writeResults(res, f.out, f.html); err != nil {
		return err
	}
	return verdict(res, ths, stdout)
}

// startEmbedded runs the reference server in this process on a temporary
// database and points cfg at it; stop closes it and removes the database.
func startEmbedded(ctx context.Context, cfg *load.Config) (stop func(), err error) {
	dir, err := os.MkdirTemp("", "wcp-load-*")
	if err != nil {
		return nil, fmt.Errorf("embedded reference: %w", err)
	}
	srv, err := reference.Open(ctx, reference.Config{
		Addr:   "127.0.0.1:0",
		DBPath: filepath.Join(dir, "wcp.db"),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("embedded reference: %w", err)
	}
	cfg.Target = srv.URL()
	return func() { srv.Close(); os.RemoveAll(dir) }, nil
}

// startCPUProfile profiles this process into path until stop.
func startCPUProfile(path string) (stop func(), err error) {
	fh, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(fh); err != nil {
		fh.Close()
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); fh.Close() }, nil
}

// writeResults writes the JSON result and the HTML report, where asked.
func writeResults(res *report.Result, jsonPath, htmlPath string) error {
	if jsonPath != "" {
		if err := writeFile(jsonPath, func(w io.Writer) error { return report.Encode(w, res) }); err != nil {
			return err
		}
	}
	if htmlPath != "" {
		return writeFile(htmlPath, func(w io.Writer) error { return report.WriteHTML(w, res) })
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

// display is a load.Progress that draws until Finish.
type display interface {
	load.Progress
	Finish()
}

type nopDisplay struct{}

func (nopDisplay) Begin(string, int) func(int)                        { return func(int) {} }
func (nopDisplay) Second(time.Duration, report.Second, report.Counts) {}
func (nopDisplay) Phase(string)                                       {}
func (nopDisplay) Finish()                                            {}

func newProgress(k progressKind, stdout io.Writer, sendFor time.Duration) display {
	switch k {
	case progressLines:
		return progress.NewLines(stdout)
	case progressBars:
		return progress.NewBars(stdout, sendFor)
	}
	return nopDisplay{}
}
