package harness

import "sync"

// LogTail keeps a server's output (the last 1 MiB) so a failed spec can show
// what the server said while it ran. It is safe for concurrent use.
type LogTail struct {
	mu   sync.Mutex
	buf  []byte
	base int // bytes dropped from the front so far
}

const logTailMax = 1 << 20

// Write appends p, dropping the oldest output past 1 MiB; it never fails.
func (l *LogTail) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	if over := len(l.buf) - logTailMax; over > 0 {
		l.buf = append(l.buf[:0], l.buf[over:]...)
		l.base += over
	}
	return len(p), nil
}

// Mark is a position to pass to Since later.
func (l *LogTail) Mark() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.base + len(l.buf)
}

// Since returns what was written after mark, at most its last 16 KiB.
func (l *LogTail) Since(mark int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	from := max(mark-l.base, 0)
	out := l.buf[min(from, len(l.buf)):]
	if len(out) > 16<<10 {
		out = out[len(out)-16<<10:]
	}
	return string(out)
}
