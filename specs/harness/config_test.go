package harness_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/wcp-project/wcp/specs/harness"
)

// wcpVars are every variable ReadConfig reads; each case sets its own and
// clears the rest, so the caller's environment does not leak in.
var wcpVars = []string{"WCP_TARGET", "WCP_TARGET_CMD", "WCP_REFERENCE_FAULT", "WCP_TARGET_IMAGE", "WCP_TARGET_IMAGE_PORT", "WCP_TARGET_IMAGE_ENV", "WCP_TARGET_IMAGE_ARGS"}

func TestReadConfigImage(t *testing.T) {
	for _, k := range wcpVars {
		t.Setenv(k, "")
	}
	t.Setenv("WCP_TARGET_IMAGE", "wcp-reference:dev")
	t.Setenv("WCP_TARGET_IMAGE_ENV", " LOG=debug\tPORT={port} ")
	t.Setenv("WCP_TARGET_IMAGE_ARGS", "serve  --db /data/wcp.db")
	c, err := harness.ReadConfig("")
	if err != nil {
		t.Fatal(err)
	}
	if c.Image != "wcp-reference:dev" || c.ImagePort != 0 {
		t.Errorf("image %q port %d", c.Image, c.ImagePort)
	}
	if want := []string{"LOG=debug", "PORT={port}"}; !slices.Equal(c.ImageEnv, want) {
		t.Errorf("env %q, want %q (split at white space)", c.ImageEnv, want)
	}
	if want := []string{"serve", "--db", "/data/wcp.db"}; !slices.Equal(c.ImageArgs, want) {
		t.Errorf("args %q, want %q (split at white space)", c.ImageArgs, want)
	}
	if got := c.String(); got != "WCP_TARGET_IMAGE wcp-reference:dev" {
		t.Errorf("String() = %q", got)
	}

	t.Setenv("WCP_TARGET_IMAGE_ENV", "")
	t.Setenv("WCP_TARGET_IMAGE_PORT", "8080")
	c, err = harness.ReadConfig("")
	if err != nil {
		t.Fatal(err)
	}
	if c.ImagePort != 8080 || c.String() != "WCP_TARGET_IMAGE wcp-reference:dev (port 8080)" {
		t.Errorf("port %d, String() %q", c.ImagePort, c.String())
	}

	t.Setenv("WCP_TARGET_IMAGE_PORT", "http")
	if _, err := harness.ReadConfig(""); err == nil || !strings.Contains(err.Error(), "WCP_TARGET_IMAGE_PORT") {
		t.Errorf("WCP_TARGET_IMAGE_PORT=http: %v", err)
	}
}

func TestReadConfigOneTarget(t *testing.T) {
	for _, k := range wcpVars {
		t.Setenv(k, "")
	}
	t.Setenv("WCP_TARGET_IMAGE", "wcp-reference:dev")
	t.Setenv("WCP_TARGET_IMAGE_ARGS", "serve --addr 127.0.0.1:{port}")
	// The --target flag counts as a target too.
	_, err := harness.ReadConfig("http://127.0.0.1:9000")
	if err == nil || !strings.Contains(err.Error(), "WCP_TARGET and WCP_TARGET_IMAGE") {
		t.Errorf("a URL and an image: %v", err)
	}
}

func TestValidate(t *testing.T) {
	args := []string{"serve", "--addr", "127.0.0.1:{port}"}
	for _, tc := range []struct {
		name string
		cfg  harness.Config
		want string // in the error; "" for none
	}{
		{"embedded reference", harness.Config{}, ""},
		{"embedded reference with a fault", harness.Config{Fault: "no-revoke"}, ""},
		{"URL", harness.Config{Target: "http://127.0.0.1:9000"}, ""},
		{"command", harness.Config{TargetCmd: "srv --port {port} --db {dir}/x.db"}, ""},
		{"image told its port by argument", harness.Config{Image: "x:1", ImageArgs: args}, ""},
		{"image told its port by environment", harness.Config{Image: "x:1", ImageEnv: []string{"PORT={port}"}}, ""},
		{"image on a fixed port", harness.Config{Image: "x:1", ImagePort: 8080}, ""},

		{"URL and command", harness.Config{Target: "http://h", TargetCmd: "srv {port}"}, "WCP_TARGET and WCP_TARGET_CMD are set"},
		{"command and image", harness.Config{TargetCmd: "srv {port}", Image: "x:1", ImageArgs: args}, "WCP_TARGET_CMD and WCP_TARGET_IMAGE are set"},
		{"fault with an image", harness.Config{Fault: "no-revoke", Image: "x:1", ImageArgs: args}, "only applies to the embedded reference"},
		{"command without {port}", harness.Config{TargetCmd: "srv --port 9000"}, "no {port} placeholder"},
		{"image told its port only by PORT", harness.Config{Image: "x:1", ImageArgs: []string{"serve"}}, ""},
		{"fixed port and {port}", harness.Config{Image: "x:1", ImagePort: 8080, ImageArgs: args}, "drop one of them"},
		{"port out of range", harness.Config{Image: "x:1", ImagePort: 70000}, "not a TCP port"},
		{"environment not KEY=VALUE", harness.Config{Image: "x:1", ImageArgs: args, ImageEnv: []string{"{port}"}}, "not KEY=VALUE"},
		{"image settings without an image", harness.Config{ImageArgs: args}, "need WCP_TARGET_IMAGE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("got %v, want an error with %q", err, tc.want)
			}
		})
	}
	// PORT tells every image its port, so an image needs no {port}.
	if err := (harness.Config{Image: "x:1"}).Validate(); err != nil {
		t.Errorf("image told its port only by PORT: %v", err)
	}
}
