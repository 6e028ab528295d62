package transcript

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Past the per-spec limit the recorder drops bytes, and the parser of the
// connection loses its place. An HTTP side finds it again at the first
// read that starts a new message (requests and answers mostly arrive in
// reads of their own); a websocket side does not, and what it sends is
// only counted.

// truncate handles bytes the recorder dropped after f's: whatever was
// incomplete is shown raw, and s has lost its place.
func (p *connParser) truncate(s *side, f feed) {
	at := time.Now()
	if n := len(f.marks); n > 0 {
		at = f.marks[n-1].at
	}
	if len(s.pend) > 0 {
		p.emitRaw(s, "[incomplete when the recording stopped]\n")
	}
	p.emit(s, at, KindNote, fmt.Sprintf("[truncated: %d more bytes not recorded; a spec's recording keeps at most %d bytes]", f.dropped, p.limit))
	p.lose(s)
	if other := &p.sides[1-sideIndex(s.dir)]; s.dir == Received && other.mode == modeAwaitUpgrade {
		p.lose(other) // whether it switched to websocket is lost too
	}
}

// lose puts s in modeLost, remembering whether it can find its place.
func (p *connParser) lose(s *side) {
	if s.mode != modeLost {
		s.wasHTTP = s.mode == modeHTTP || s.mode == modeAwaitUpgrade
		s.mode = modeLost
	}
	s.msg = nil
	if s.dir == Received {
		p.reqs = nil
	}
}

// resync finds, in a lost HTTP side, the first read that starts a new
// message, and goes on from there; everything before it is not shown.
func (p *connParser) resync(s *side) {
	at := time.Now()
	if len(s.marks) > 0 {
		at = s.marks[0].at
	}
	skip := len(s.pend)
	if s.wasHTTP {
		for _, m := range s.marks {
			if startsHTTP(s.pend[m.off:], s.dir) {
				skip = m.off
				s.mode = modeHTTP
				break
			}
		}
	}
	if skip > 0 {
		p.emit(s, at, KindNote, fmt.Sprintf("[%d bytes not shown: the recording of this connection lost its place at an earlier limit]", skip))
	}
	s.consume(skip)
}

// startsHTTP says whether b looks like the start of a request (Sent) or a
// response (Received).
func startsHTTP(b []byte, dir Dir) bool {
	if dir == Received {
		return strings.HasPrefix(string(b[:min(len(b), 8)]), "HTTP/1.")
	}
	line, _, _ := strings.Cut(string(b[:min(len(b), 256)]), "\n")
	method, rest, ok := strings.Cut(line, " ")
	if !ok {
		return false
	}
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return strings.Contains(rest, " HTTP/1.")
	}
	return false
}
