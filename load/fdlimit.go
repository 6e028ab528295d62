package load

import (
	"fmt"
	"os"
	"syscall"
)

// Every session is one websocket, so one open file; a process may open
// RLIMIT_NOFILE of them (Go raises the soft limit to the hard one at
// start), and past it dials fail with "too many open files" one by one,
// late in the connect phase. Run checks the arithmetic first.
const (
	// fdBase is what a process holds besides its sessions and HTTP
	// connections: standard streams, the poller, files it writes, and
	// slack for the runtime.
	fdBase = 32
	// fdEmbeddedServer is what the embedded reference holds besides its
	// side of each connection: the listener and the database's files.
	fdEmbeddedServer = 16
)

// FDLimitError: the shard's sessions need more open files than this
// process may have.
type FDLimitError struct {
	Sessions int  // the shard's senders, one websocket each
	Need     int  // open files they need, with the rest of the process
	Limit    int  // RLIMIT_NOFILE
	PerProc  int  // the most sessions one process can hold with these settings
	Embedded bool // the server's side of each session is in this process too
}

func (e *FDLimitError) Error() string {
	both := ""
	if e.Embedded {
		both = " and one for the embedded server's side of it"
	}
	shards := (e.Sessions + e.PerProc - 1) / max(e.PerProc, 1)
	return fmt.Sprintf("senders: this process's %d sessions need about %d open files (one websocket per session%s, plus HTTP connections for setup and the process's own), but it may open %d (RLIMIT_NOFILE): split the run with --shard i/n over at least %d processes of at most %d sessions each, or raise the limit (ulimit -n)",
		e.Sessions, e.Need, both, e.Limit, shards, e.PerProc)
}

// fileLimit is RLIMIT_NOFILE's soft limit; 0 when unknown.
func fileLimit() int {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Cur > 1<<30 {
		return 0
	}
	return int(rl.Cur)
}

// openFiles counts this process's open file descriptors (Linux /proc;
// 0 elsewhere).
func openFiles() int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return 0
	}
	return len(ents)
}

// checkFiles fails fast when sessions (the shard's senders) cannot all be
// open at once under limit (0: unknown, no check).
func checkFiles(cfg *Config, sessions, limit int) error {
	if limit <= 0 {
		return nil
	}
	per, fixed := 1, fdBase+max(cfg.SetupConcurrency, cfg.ConnectConcurrency)
	if cfg.Embedded {
		// Both ends of every connection, HTTP ones included, are ours.
		per, fixed = 2, fdBase+fdEmbeddedServer+2*max(cfg.SetupConcurrency, cfg.ConnectConcurrency)
	}
	need := per*sessions + fixed
	if need <= limit {
		return nil
	}
	return &FDLimitError{Sessions: sessions, Need: need, Limit: limit, PerProc: max((limit-fixed)/per, 0), Embedded: cfg.Embedded}
}
