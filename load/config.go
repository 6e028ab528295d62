package load

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/load/report"
	"github.com/wcp-project/wcp/load/scenario"
	"github.com/wcp-project/wcp/wire"
)

// Config is one run (or one shard of a run). The library never reads flags
// or files: the command fills this in. Fields documented as "0: default"
// are filled by WithDefaults; Run applies it before Validate.
type Config struct {
	// Target is the server's base URL, http://host:port.
	Target string
	// Embedded says the target runs inside this process (its CPU is then
	// not the generator's alone).
	Embedded bool
	// Senders and Chats of the whole run; sender s sits in chat s mod Chats.
	Senders, Chats int
	// Open loop: Rate msg/s in total (at the start of Stages when given),
	// ramping through Stages. Closed loop: Inflight messages per sender.
	// Exactly one of Rate/Stages and Inflight is used.
	Rate     float64
	Stages   []Stage
	Inflight int
	// Duration of sending (ignored with Stages: their sum is).
	Duration time.Duration
	// BodyBytes per message (at least 23: the body carries the send time;
	// 0: DefaultBodyBytes).
	BodyBytes int
	// ConnectRate caps new sessions per second (0 = no cap);
	// ConnectConcurrency and SetupConcurrency cap calls in flight (0:
	// DefaultConnectConcurrency, DefaultSetupConcurrency).
	ConnectRate        float64
	ConnectConcurrency int
	SetupConcurrency   int
	// TTL of connection strings in seconds (0 = the server's default).
	TTL int
	// Forged is the fraction of messages sent with a wrong message_string.
	Forged float64
	// AckTimeout, ConnectTimeout: how long to wait for each (0:
	// DefaultAckTimeout, DefaultConnTimeout).
	AckTimeout     time.Duration
	ConnectTimeout time.Duration
	// Grace is how long the drain after sending waits with no delivery
	// arriving before it counts what is missing as lost; while deliveries
	// keep arriving it waits on, up to the send duration (0: DefaultGrace).
	Grace time.Duration
	// Shard is this process's part of the run (zero: the whole run).
	Shard Shard
	// StartAt, when set, is the wall-clock time sending begins (after
	// setup and connect), so that shards on several machines send together.
	StartAt time.Time
	// RunID names the run in users, workspaces and results. Empty: a
	// random one for a run of one shard; shards must be given the one
	// they share.
	RunID string
	// HTTPClient for setup calls (nil: one sized for SetupConcurrency).
	HTTPClient *http.Client
	// Progress is told about setup steps and every second of sending
	// (nil: nothing is).
	Progress Progress
	// Scenario, when set, describes the run as populations of users
	// (load/scenario): it says who sits in which chat, who sends how often
	// and how much, who reads slowly, and which sessions drop and
	// reconnect. Senders, Chats, Rate, Stages, Inflight and Duration are
	// then left zero; BodyBytes applies to populations without a body.
	Scenario *scenario.Scenario
	// ServerMetrics is what the run scrapes of the server's own metrics
	// (zero: <Target>/metrics, the reference's series).
	ServerMetrics ServerMetrics
}

// Progress receives a run's progress; its methods are called from several
// goroutines and must not block.
type Progress interface {
	// Begin starts a setup step of total units and returns the function
	// that advances it by n.
	Begin(name string, total int) func(n int)
	// Second reports one second of sending: its counters and the totals so far.
	Second(elapsed time.Duration, sec report.Second, total report.Counts)
	// Phase announces a phase change ("sending", "draining", ...).
	Phase(name string)
}

type noProgress struct{}

func (noProgress) Begin(string, int) func(int)                        { return func(int) {} }
func (noProgress) Second(time.Duration, report.Second, report.Counts) {}
func (noProgress) Phase(string)                                       {}

// Defaults that WithDefaults puts into zero fields.
const (
	DefaultBodyBytes          = 64
	DefaultAckTimeout         = 10 * time.Second
	DefaultConnTimeout        = 10 * time.Second
	DefaultGrace              = 5 * time.Second
	DefaultConnectConcurrency = 64
	DefaultSetupConcurrency   = 32
)

// NewRunID returns a random run ID.
func NewRunID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// WithDefaults returns c with every zero field that has a default filled
// in: body size, timeouts, grace, concurrency, the whole run as its shard,
// no-op progress, and a random RunID for a run of one shard. It is the
// only place defaults are decided.
func (c Config) WithDefaults() Config {
	setDefault(&c.BodyBytes, DefaultBodyBytes)
	setDefault(&c.AckTimeout, DefaultAckTimeout)
	setDefault(&c.ConnectTimeout, DefaultConnTimeout)
	setDefault(&c.Grace, DefaultGrace)
	setDefault(&c.ConnectConcurrency, DefaultConnectConcurrency)
	setDefault(&c.SetupConcurrency, DefaultSetupConcurrency)
	setDefault(&c.Shard, Shard{Index: 0, Count: 1})
	if c.RunID == "" && c.Shard.Count == 1 {
		c.RunID = NewRunID()
	}
	if c.Progress == nil {
		c.Progress = noProgress{}
	}
	return c
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// Problem is one setting that is out of range or conflicts with another.
type Problem struct {
	Setting string // the field at fault, named as the command's flag
	Message string // what is wrong, naming the setting
}

// ConfigError is every problem Validate found, in field order.
type ConfigError struct {
	Problems []Problem
}

func (e *ConfigError) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.Message
	}
	return strings.Join(msgs, "; ")
}

// Validate checks c as it stands, changing nothing: every field must be in
// range, including those WithDefaults would fill (give it a config from
// WithDefaults, as Run does, to accept zero for "default"). Its error is
// a *ConfigError naming every setting at fault.
func (c Config) Validate() error {
	var errs []Problem
	bad := func(setting, f string, a ...any) {
		errs = append(errs, Problem{Setting: setting, Message: fmt.Sprintf(f, a...)})
	}
	if c.Target == "" {
		bad("target", "target: empty")
	} else if _, err := wire.EndpointURL(c.Target, wire.WebSocket); err != nil {
		bad("target", "%v", err)
	}
	if c.Scenario != nil {
		c.validateScenario(bad)
	} else {
		c.validateCrowd(bad)
	}
	if c.BodyBytes < minBody || c.BodyBytes > wcp.MaxBodyBytes {
		bad("body-bytes", "body-bytes must be in %d..%d (the body carries a %d-byte send-time tag), got %d", minBody, wcp.MaxBodyBytes, minBody, c.BodyBytes)
	}
	if c.ConnectRate < 0 {
		bad("connect-rate", "connect-rate must not be negative, got %v", c.ConnectRate)
	}
	if c.ConnectConcurrency < 1 || c.SetupConcurrency < 1 {
		bad("connect-concurrency", "connect-concurrency and setup-concurrency must be at least 1, got %d and %d", c.ConnectConcurrency, c.SetupConcurrency)
	}
	if c.TTL != 0 && (c.TTL < wcp.MinTTLSeconds || c.TTL > wcp.MaxTTLSeconds) {
		bad("ttl", "ttl must be in %d..%d seconds, got %d", wcp.MinTTLSeconds, wcp.MaxTTLSeconds, c.TTL)
	}
	if c.Forged < 0 || c.Forged > 1 {
		bad("forged-ratio", "forged-ratio must be in 0..1, got %v", c.Forged)
	}
	if c.AckTimeout <= 0 || c.ConnectTimeout <= 0 {
		bad("ack-timeout", "ack-timeout and connect-timeout must be positive, got %v and %v", c.AckTimeout, c.ConnectTimeout)
	}
	if c.Grace < 0 {
		bad("grace", "grace must not be negative, got %v", c.Grace)
	}
	switch {
	case c.Shard.Count < 1 || c.Shard.Index < 0 || c.Shard.Index >= c.Shard.Count:
		bad("shard", "shard %d/%d: index must be in 0..%d", c.Shard.Index, c.Shard.Count, c.Shard.Count-1)
	case c.totalChats() >= 1 && c.totalChats() < c.Shard.Count:
		bad("shard", "%d shards need at least %d chats (each chat lives in one shard)", c.Shard.Count, c.Shard.Count)
	case c.Shard.Count > 1 && c.RunID == "":
		bad("run-id", "--shard with n > 1 needs --run-id, the name its shards share")
	}
	c.ServerMetrics.validate(bad)
	if len(errs) > 0 {
		return &ConfigError{Problems: errs}
	}
	return nil
}

// validateCrowd checks the settings of a run of flags: one uniform crowd.
func (c Config) validateCrowd(bad func(setting, f string, a ...any)) {
	if c.Senders < 1 {
		bad("senders", "senders must be at least 1, got %d", c.Senders)
	}
	if c.Chats < 1 {
		bad("chats", "chats must be at least 1, got %d", c.Chats)
	} else if c.Senders >= 1 && c.Chats > c.Senders {
		bad("chats", "chats (%d) may not exceed senders (%d): every chat needs a sender", c.Chats, c.Senders)
	}
	if c.Rate < 0 {
		bad("rate", "rate must not be negative, got %v", c.Rate)
	}
	if c.Inflight < 0 {
		bad("inflight", "inflight must not be negative, got %d", c.Inflight)
	}
	open := c.Rate > 0 || len(c.Stages) > 0
	switch {
	case open && c.Inflight > 0:
		bad("inflight", "rate/stages (open loop) and inflight (closed loop) exclude each other")
	case !open && c.Inflight == 0:
		bad("rate", "give a rate (--rate or --stages, open loop) or --inflight (closed loop)")
	}
	if len(c.Stages) > 0 {
		if c.Duration > 0 {
			bad("duration", "duration and stages exclude each other: the stages' sum is the duration")
		}
	} else if c.Duration <= 0 {
		bad("duration", "duration must be positive, got %v", c.Duration)
	}
}

// validateScenario checks a scenario run: the scenario replaces the
// crowd's settings.
func (c Config) validateScenario(bad func(setting, f string, a ...any)) {
	for _, x := range []struct {
		name string
		set  bool
	}{{"senders", c.Senders != 0}, {"chats", c.Chats != 0}, {"rate", c.Rate != 0 || len(c.Stages) > 0},
		{"inflight", c.Inflight != 0}, {"duration", c.Duration != 0}} {
		if x.set {
			bad(x.name, "%s and a scenario exclude each other: the scenario says who sends, where and for how long", x.name)
		}
	}
	if err := c.Scenario.Validate(); err != nil {
		bad("scenario", "scenario: %v", err)
	}
}

func (c Config) totalChats() int {
	if c.Scenario == nil {
		return c.Chats
	}
	n := 0
	for _, g := range c.Scenario.Chats {
		n += g.Count
	}
	return n
}

// settings echoes c into a result.
func (c *Config) settings() report.Settings {
	s := report.Settings{
		Target: c.Target, Embedded: c.Embedded, Senders: c.Senders, Chats: c.Chats,
		Rate: c.Rate, Inflight: c.Inflight, Duration: c.SendDuration().String(),
		BodyBytes: c.BodyBytes, ConnectRate: c.ConnectRate, TTL: c.TTL, Forged: c.Forged,
		AckTimeout: c.AckTimeout.String(), Grace: c.Grace.String(),
	}
	if sc := c.Scenario; sc != nil {
		s.Senders, s.Chats = sc.Users, c.totalChats()
	}
	var parts []string
	for _, st := range c.Stages {
		parts = append(parts, st.Duration.String()+":"+strconv.FormatFloat(st.Target, 'f', -1, 64))
	}
	s.Stages = strings.Join(parts, ",")
	return s
}

// SendDuration is how long sending lasts: Duration, or the sum of Stages.
func (c *Config) SendDuration() time.Duration {
	if c.Scenario != nil {
		return c.Scenario.Duration
	}
	if len(c.Stages) > 0 {
		var d time.Duration
		for _, s := range c.Stages {
			d += s.Duration
		}
		return d
	}
	return c.Duration
}
