package harness

import (
	"fmt"
	"os"
)

// Config is the target the suite is asked to test, from the environment
// (and the --target flag of whoever runs the suite). Process 1 reads it
// once and hands it to every process, so all agree on the target kind.
type Config struct {
	Target    string `json:"target,omitempty"`     // WCP_TARGET, else the --target flag
	TargetCmd string `json:"target_cmd,omitempty"` // WCP_TARGET_CMD
	Fault     string `json:"fault,omitempty"`      // WCP_REFERENCE_FAULT (self-test only)
}

// ReadConfig reads the WCP_* variables; flagTarget (the --target flag) is
// used when WCP_TARGET is unset, so CI can override a wrapper script. A
// fault with any target but the embedded reference is an error.
func ReadConfig(flagTarget string) (Config, error) {
	c := Config{
		Target:    os.Getenv("WCP_TARGET"),
		TargetCmd: os.Getenv("WCP_TARGET_CMD"),
		Fault:     os.Getenv("WCP_REFERENCE_FAULT"),
	}
	if c.Target == "" {
		c.Target = flagTarget
	}
	if c.Fault != "" && (c.Target != "" || c.TargetCmd != "") {
		return c, fmt.Errorf("WCP_REFERENCE_FAULT=%s only applies to the embedded reference, not to WCP_TARGET or WCP_TARGET_CMD", c.Fault)
	}
	return c, nil
}

// String names the target kind, for the rule table's heading.
func (c Config) String() string {
	switch {
	case c.Target != "":
		return "WCP_TARGET " + c.Target
	case c.TargetCmd != "":
		return "WCP_TARGET_CMD " + c.TargetCmd
	case c.Fault != "":
		return "embedded reference with fault " + c.Fault
	}
	return "embedded reference"
}
