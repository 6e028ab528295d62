package load

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestWithDefaultsFillsOnlyZeros(t *testing.T) {
	got := Config{Target: "http://x", Senders: 2, Chats: 1, Inflight: 1, Duration: time.Second}.WithDefaults()
	if got.BodyBytes != DefaultBodyBytes || got.AckTimeout != DefaultAckTimeout || got.ConnectTimeout != DefaultConnTimeout ||
		got.Grace != DefaultGrace || got.ConnectConcurrency != DefaultConnectConcurrency || got.SetupConcurrency != DefaultSetupConcurrency ||
		got.Shard != (Shard{0, 1}) || got.RunID == "" || got.Progress == nil {
		t.Errorf("WithDefaults left a zero field: %+v", got)
	}
	set := Config{BodyBytes: 100, AckTimeout: time.Second, Grace: time.Millisecond, Shard: Shard{1, 2}, SetupConcurrency: 3}
	again := set.WithDefaults()
	if again.BodyBytes != 100 || again.AckTimeout != time.Second || again.Grace != time.Millisecond ||
		again.Shard != (Shard{1, 2}) || again.SetupConcurrency != 3 {
		t.Errorf("WithDefaults overwrote a set field: %+v", again)
	}
	// Shards share a run ID: one is never invented for them.
	if again.RunID != "" {
		t.Errorf("WithDefaults invented run ID %q for shard 1/2", again.RunID)
	}
}

func TestValidate(t *testing.T) {
	ok := Config{Target: "http://127.0.0.1:1", Senders: 10, Chats: 2, Rate: 5, Duration: time.Second}.WithDefaults()
	if err := ok.Validate(); err != nil {
		t.Fatalf("a valid config: %v", err)
	}
	cases := []struct {
		change  func(c *Config)
		setting string
		frag    string
	}{
		{func(c *Config) { c.Target = "" }, "target", "target: empty"},
		{func(c *Config) { c.Target = "ftp://x" }, "target", "scheme must be http"},
		{func(c *Config) { c.Senders = 0 }, "senders", "senders must be at least 1"},
		{func(c *Config) { c.Chats = 11 }, "chats", "may not exceed senders"},
		{func(c *Config) { c.Rate, c.Inflight = -1, 1 }, "rate", "rate must not be negative"},
		{func(c *Config) { c.Inflight = 1 }, "inflight", "exclude each other"},
		{func(c *Config) { c.Rate = 0 }, "rate", "give a rate"},
		{func(c *Config) { c.Stages = []Stage{{time.Second, 1}} }, "duration", "exclude each other"},
		{func(c *Config) { c.Duration = 0 }, "duration", "duration must be positive"},
		{func(c *Config) { c.BodyBytes = 0 }, "body-bytes", "body-bytes must be in"},
		{func(c *Config) { c.ConnectConcurrency = 0 }, "connect-concurrency", "must be at least 1"},
		{func(c *Config) { c.TTL = 5000 }, "ttl", "ttl must be in"},
		{func(c *Config) { c.Forged = 2 }, "forged-ratio", "forged-ratio must be in 0..1"},
		{func(c *Config) { c.AckTimeout = 0 }, "ack-timeout", "must be positive"},
		{func(c *Config) { c.Grace = -1 }, "grace", "must not be negative"},
		{func(c *Config) { c.Shard = Shard{2, 2} }, "shard", "index must be in 0..1"},
		{func(c *Config) { c.Shard = Shard{0, 3} }, "shard", "need at least 3 chats"},
		{func(c *Config) { c.Shard, c.RunID = Shard{0, 2}, "" }, "run-id", "needs --run-id"},
	}
	for _, tc := range cases {
		c := ok
		tc.change(&c)
		before := c
		err := c.Validate()
		var ce *ConfigError
		if !errors.As(err, &ce) || len(ce.Problems) != 1 {
			t.Errorf("%s: Validate() = %v, want a *ConfigError with one problem", tc.frag, err)
			continue
		}
		if p := ce.Problems[0]; p.Setting != tc.setting || !strings.Contains(p.Message, tc.frag) {
			t.Errorf("Validate() = %+v, want setting %q and a message mentioning %q", p, tc.setting, tc.frag)
		}
		if !reflect.DeepEqual(c, before) {
			t.Errorf("%s: Validate changed the config", tc.frag)
		}
	}
	// Every problem is reported, not just the first.
	bad := ok
	bad.Senders, bad.Forged = 0, -1
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "senders") || !strings.Contains(err.Error(), "forged-ratio") {
		t.Errorf("Validate() = %v, want both problems", err)
	}
}
