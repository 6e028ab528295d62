package interop_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// debianPython is Debian's interpreter, which has python3-socketio and
// python3-aiohttp; the python3 first on PATH may be another one without them.
const debianPython = "/usr/bin/python3"

// TestPythonClientFlow runs python/flow.py (python-socketio 5.7's AsyncClient
// on aiohttp 3.8, Debian's packages) against an in-memory reference: HTTP
// setup, CON-1 session, MSG-1..5 with refusals, CON-2 replay, MSG-4 after a
// reconnect, CON-5 refusals, polling and websocket transports and CON-4
// revocation.
func TestPythonClientFlow(t *testing.T) {
	_, err := os.Stat(debianPython)
	if err == nil {
		var out []byte
		probe := exec.Command(debianPython, "-c", "import socketio, engineio, aiohttp")
		probe.Env = debianPythonEnv()
		out, err = probe.CombinedOutput()
		if err != nil {
			lines := bytes.Split(bytes.TrimSpace(out), []byte("\n"))
			err = fmt.Errorf("%w: %s", err, lines[len(lines)-1]) // "ModuleNotFoundError: ..."
		}
	}
	if err != nil {
		unavailable(t, "needs "+debianPython+" with python-socketio and aiohttp (`apt-get install python3-socketio python3-aiohttp`): "+err.Error())
	}
	runFlow(t, "python", debianPythonEnv(), debianPython, "flow.py", filepath.Join("..", "..", "testdata", "vectors.json"))
}

// debianPythonEnv is the environment without PYTHONPATH and PYTHONHOME (a
// pyenv or virtualenv may set them), with no user site-packages and no
// __pycache__ written into the tree: Debian's interpreter with Debian's
// packages only.
func debianPythonEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PYTHONPATH=") || strings.HasPrefix(kv, "PYTHONHOME=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "PYTHONNOUSERSITE=1", "PYTHONDONTWRITEBYTECODE=1")
}
