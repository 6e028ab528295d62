package reference

import (
	"sync"
	"time"
)

// quietLimit reports the refusals of one limit that a flood can hit
// thousands of times a second (connections past MaxConns, slow-loris
// requests): every refusal is counted, but a log line goes out at most once
// a second and says how many refusals it stands for, so the flood does not
// become a flood of the log as well.
type quietLimit struct {
	s     *Server
	limit string // the label, limitConns and the like
	what  string // the log message

	mu       sync.Mutex
	last     time.Time // when the last line went out; real time, not s.now
	unlogged int       // refusals counted since, without a line
}

// logEvery is how often a quietLimit may log.
const logEvery = time.Second

func (s *Server) quietLimit(limit, what string) *quietLimit {
	return &quietLimit{s: s, limit: limit, what: what}
}

// hit counts one refusal, and logs it with attrs unless a line went out
// less than a second ago.
func (q *quietLimit) hit(attrs ...any) {
	now := time.Now()
	q.mu.Lock()
	if !q.last.IsZero() && now.Sub(q.last) < logEvery {
		q.unlogged++
		q.mu.Unlock()
		q.s.metrics.limitRefusals.WithLabelValues(q.limit).Inc()
		return
	}
	unlogged := q.unlogged
	q.last, q.unlogged = now, 0
	q.mu.Unlock()
	q.s.limitHit(q.limit, q.what, append(attrs, "unlogged_before", unlogged)...)
}
