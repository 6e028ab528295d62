package dockertest

import "fmt"

// BuildError is a failed build of the binary or the image, with what the
// build said.
type BuildError struct {
	What   string // the build: a command line, or "image TAG"
	Err    error
	Output string
}

func (e *BuildError) Error() string {
	return fmt.Sprintf("build %s: %v\n%s", e.What, e.Err, e.Output)
}

func (e *BuildError) Unwrap() error { return e.Err }
