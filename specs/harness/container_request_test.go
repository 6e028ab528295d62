package harness

import "testing"

// TestContainerRequestTellsThePort: every image hears HOST and PORT, the
// user's environment may override them, and {port} is replaced in both
// the environment and the arguments.
func TestContainerRequestTellsThePort(t *testing.T) {
	req := containerRequest(Config{
		Image:     "x:1",
		ImageEnv:  []string{"LISTEN=:{port}", "HOST=0.0.0.0"},
		ImageArgs: []string{"serve", "--addr=127.0.0.1:{port}"},
	}, 4242, "/tmp/data")
	for k, want := range map[string]string{"PORT": "4242", "HOST": "0.0.0.0", "LISTEN": ":4242"} {
		if got := req.Env[k]; got != want {
			t.Errorf("%s=%q, want %q", k, got, want)
		}
	}
	if len(req.Cmd) != 2 || req.Cmd[1] != "--addr=127.0.0.1:4242" {
		t.Errorf("command %q", req.Cmd)
	}
	if req := containerRequest(Config{Image: "x:1"}, 4242, "/tmp/data"); req.Env["HOST"] != "127.0.0.1" || req.Env["PORT"] != "4242" || req.Cmd != nil {
		t.Errorf("defaults: env %v, command %q (want the image's own command)", req.Env, req.Cmd)
	}
}
