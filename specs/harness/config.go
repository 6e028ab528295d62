package harness

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Config is the target the suite is asked to test, from the environment
// (and the --target flag of whoever runs the suite). Process 1 reads it
// once and hands it to every process, so all agree on the target kind.
type Config struct {
	Target    string `json:"target,omitempty"`     // WCP_TARGET, else the --target flag
	TargetCmd string `json:"target_cmd,omitempty"` // WCP_TARGET_CMD
	Fault     string `json:"fault,omitempty"`      // WCP_REFERENCE_FAULT (self-test only)

	// Image is a container image to start per process (WCP_TARGET_IMAGE),
	// with host networking; see container.go.
	Image     string   `json:"image,omitempty"`
	ImagePort int      `json:"image_port,omitempty"` // the port the image always listens on, when it cannot be told one (0: told through {port})
	ImageEnv  []string `json:"image_env,omitempty"`  // KEY=VALUE, {port} replaced
	ImageArgs []string `json:"image_args,omitempty"` // the container's command arguments, {port} replaced
	// Transcripts records what each spec sends and receives (through a
	// local recording proxy in front of the target) and attaches it,
	// redacted, to failed specs. wcp conform turns it on.
	Transcripts bool `json:"transcripts,omitempty"`
}

// ReadConfig reads the WCP_* variables; flagTarget (the --target flag) is
// used when WCP_TARGET is unset, so CI can override a wrapper script. The
// result is checked with Validate.
//
// WCP_TARGET_IMAGE_ENV and WCP_TARGET_IMAGE_ARGS are split at white space
// (no quoting): "WCP_X=1 LOG=debug", "serve --addr 127.0.0.1:{port}".
func ReadConfig(flagTarget string) (Config, error) {
	c := Config{
		Target:    os.Getenv("WCP_TARGET"),
		TargetCmd: os.Getenv("WCP_TARGET_CMD"),
		Fault:     os.Getenv("WCP_REFERENCE_FAULT"),
		Image:     os.Getenv("WCP_TARGET_IMAGE"),
		ImageEnv:  strings.Fields(os.Getenv("WCP_TARGET_IMAGE_ENV")),
		ImageArgs: strings.Fields(os.Getenv("WCP_TARGET_IMAGE_ARGS")),
		// WCP_TRANSCRIPTS=1 records transcripts for `go tool ginkgo ./specs` too.
		Transcripts: os.Getenv("WCP_TRANSCRIPTS") == "1",
	}
	if c.Target == "" {
		c.Target = flagTarget
	}
	if p := os.Getenv("WCP_TARGET_IMAGE_PORT"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil {
			return c, fmt.Errorf("WCP_TARGET_IMAGE_PORT=%q: not a port number", p)
		}
		c.ImagePort = n
	}
	return c, c.Validate()
}

// Validate says what is wrong with c, if anything: more than one target
// kind, a fault with a target other than the embedded reference, a
// command without {port}, a fixed image port alongside {port}, or image
// settings without an image.
func (c Config) Validate() error {
	var kinds []string
	for _, k := range []struct{ name, v string }{{"WCP_TARGET", c.Target}, {"WCP_TARGET_CMD", c.TargetCmd}, {"WCP_TARGET_IMAGE", c.Image}} {
		if k.v != "" {
			kinds = append(kinds, k.name)
		}
	}
	if len(kinds) > 1 {
		return fmt.Errorf("%s are set: give the suite one target (a URL, a command or an image)", strings.Join(kinds, " and "))
	}
	if c.Fault != "" && len(kinds) > 0 {
		return fmt.Errorf("WCP_REFERENCE_FAULT=%s only applies to the embedded reference, not to %s", c.Fault, kinds[0])
	}
	if c.TargetCmd != "" && !strings.Contains(c.TargetCmd, "{port}") {
		return fmt.Errorf("WCP_TARGET_CMD %q has no {port} placeholder: the suite picks a free port per process and must tell the command", c.TargetCmd)
	}
	if c.Image == "" {
		if c.ImagePort != 0 || len(c.ImageEnv) > 0 || len(c.ImageArgs) > 0 {
			return errors.New("WCP_TARGET_IMAGE_PORT, _ENV and _ARGS need WCP_TARGET_IMAGE, the image they are for")
		}
		return nil
	}
	return c.validateImage()
}

func (c Config) validateImage() error {
	for _, kv := range c.ImageEnv {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return fmt.Errorf("WCP_TARGET_IMAGE_ENV: %q is not KEY=VALUE", kv)
		}
	}
	placeholder := false
	for _, s := range append(append([]string(nil), c.ImageEnv...), c.ImageArgs...) {
		placeholder = placeholder || strings.Contains(s, "{port}")
	}
	switch {
	case c.ImagePort < 0 || c.ImagePort > 65535:
		return fmt.Errorf("WCP_TARGET_IMAGE_PORT %d is not a TCP port", c.ImagePort)
	case c.ImagePort != 0 && placeholder:
		// A fixed port and a chosen one cannot both hold; substituting
		// the fixed one silently would hide the mistake.
		return fmt.Errorf("WCP_TARGET_IMAGE_PORT=%d says the image always listens on that port, so {port} in WCP_TARGET_IMAGE_ENV/_ARGS is not replaced: drop one of them", c.ImagePort)
	}
	return nil
}

// String names the target kind, for the rule table's heading.
func (c Config) String() string {
	switch {
	case c.Target != "":
		return "WCP_TARGET " + c.Target
	case c.TargetCmd != "":
		return "WCP_TARGET_CMD " + c.TargetCmd
	case c.Image != "":
		if c.ImagePort != 0 {
			return fmt.Sprintf("WCP_TARGET_IMAGE %s (port %d)", c.Image, c.ImagePort)
		}
		return "WCP_TARGET_IMAGE " + c.Image
	case c.Fault != "":
		return "embedded reference with fault " + c.Fault
	}
	return "embedded reference"
}
