package load

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/wcp-project/wcp"
)

// link is one connection of a session: the socket, the server's session
// (its ID and message key) and the reader that serves it. A session has
// one link at a time; a reconnect (churn, storm) gives it a new one while
// its seat in the chat, its received seqs and its nonces carry over.
type link struct {
	w      *conn
	info   wcp.Session
	signer *wcp.Signer
	dead   chan struct{} // closed when the reader exits
	quit   chan struct{} // closed by close: wakes a slow reader
	once   sync.Once
	// dropped: the generator ended this link on purpose, to reconnect.
	dropped atomic.Bool
	// seam is the reconnect this link resumes (nil for a first connect);
	// only the link's reader touches it.
	seam *seam
}

func newLink(w *conn, info wcp.Session, signer *wcp.Signer) *link {
	return &link{w: w, info: info, signer: signer, dead: make(chan struct{}), quit: make(chan struct{})}
}

// close ends the connection; idempotent.
func (l *link) close() {
	l.once.Do(func() { close(l.quit) })
	l.w.close()
}

// pause waits d, or less if the link is closed meanwhile.
func (l *link) pause(d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-l.quit:
	}
}
