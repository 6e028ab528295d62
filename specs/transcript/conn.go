package transcript

import (
	"fmt"
	"sort"
	"time"
)

// mode is how a side of a connection is being read.
type mode int

const (
	modeHTTP         mode = iota // HTTP/1.1 messages, one after another
	modeAwaitUpgrade             // the client asked for websocket; its next bytes depend on the answer
	modeWS                       // RFC 6455 frames, after a 101
	modeRaw                      // bytes that did not parse: shown as they came
	modeLost                     // the recording dropped bytes (the per-spec limit): the parser lost its place
)

// mark says when bytes arrived: pend[off:] began with a read at at.
type mark struct {
	off int
	at  time.Time
}

// ending is how and when one side of a connection ended.
type ending struct {
	at  time.Time
	how string
}

// feed is what the recorder hands the parser for one side since the last
// time: the bytes kept, when they came, how many more were dropped after
// them (over the limit), and the side's end, once.
type feed struct {
	data    []byte
	marks   []mark // offsets into data
	dropped int64
	end     *ending
}

// draft is a frame before the recorder redacts, clips and numbers it.
type draft struct {
	conn int // the recorder's connection number
	at   time.Time
	dir  Dir
	kind string
	text string // not yet redacted by value, nor made printable
}

// side is one direction of a connection as the parser sees it.
type side struct {
	dir     Dir
	mode    mode
	pend    []byte // arrived and not yet read into frames
	marks   []mark // when pend's bytes arrived; offsets into pend
	msg     *wsMessage
	ended   bool // its end has arrived; nothing follows pend
	wasHTTP bool // in modeLost: it can find its place again at a new message
}

// request is what a response needs to know of the request it answers.
type request struct {
	method  string
	upgrade bool
}

// connParser turns the bytes of one connection into drafts, a little at a
// time: what is parsed at the end of one spec is not parsed again, and a
// message cut by a spec's end is finished with the next spec's bytes, so
// keep-alive connections and websockets that outlive a spec stay readable.
type connParser struct {
	red   *Redactor
	limit int // the recording's per-spec limit, for the note that says it was reached
	conn  int
	sides [2]side // client to server (Sent), then server to client (Received)
	reqs  []request
	out   []draft
}

func newConnParser(red *Redactor, conn, limit int) *connParser {
	return &connParser{red: red, limit: limit, conn: conn, sides: [2]side{{dir: Sent}, {dir: Received}}}
}

// advance parses what feeds add and returns the frames it completed (and,
// when show is true, what is still incomplete, without consuming it). It
// learns secrets as it goes.
func (p *connParser) advance(feeds [2]feed, show bool) []draft {
	p.out = nil
	for i := range p.sides {
		p.absorb(&p.sides[i], feeds[i])
	}
	p.parse()
	for i, f := range feeds {
		if f.dropped > 0 {
			p.truncate(&p.sides[i], f)
		}
	}
	p.parse()
	for i, f := range feeds {
		if f.end != nil {
			p.finish(&p.sides[i], *f.end)
		}
	}
	if show {
		for i := range p.sides {
			p.showPending(&p.sides[i])
		}
	}
	for i := range p.sides {
		s := &p.sides[i]
		// Keep no more of the recording's buffers than the unparsed rest.
		s.pend = append([]byte(nil), s.pend...)
		s.marks = append([]mark(nil), s.marks...)
	}
	return p.out
}

// done says whether both sides have ended and been read to the end.
func (p *connParser) done() bool {
	return p.sides[0].ended && p.sides[1].ended && len(p.sides[0].pend) == 0 && len(p.sides[1].pend) == 0
}

func (p *connParser) emit(s *side, at time.Time, kind, text string) {
	p.out = append(p.out, draft{conn: p.conn, at: at, dir: s.dir, kind: kind, text: text})
}

func (p *connParser) absorb(s *side, f feed) {
	if f.end != nil {
		s.ended = true
	}
	if len(f.data) == 0 {
		return
	}
	base := len(s.pend)
	s.pend = append(s.pend, f.data...)
	for _, m := range f.marks {
		s.marks = append(s.marks, mark{off: base + m.off, at: m.at})
	}
	if s.mode == modeLost {
		p.resync(s)
	}
}

// parse reads frames off both sides until neither can go further: a
// response may let the client's side go on (after an upgrade request).
func (p *connParser) parse() {
	for p.step(&p.sides[0]) || p.step(&p.sides[1]) {
	}
}

// step reads one frame off s, or says it cannot yet.
func (p *connParser) step(s *side) bool {
	if len(s.pend) == 0 {
		return false
	}
	switch s.mode {
	case modeHTTP:
		if s.dir == Sent {
			return p.stepRequest(s)
		}
		return p.stepResponse(s)
	case modeWS:
		return p.stepWS(s)
	case modeRaw:
		p.emitRaw(s, "")
		return true
	}
	return false
}

// emitRaw shows pend as it came, one frame per read, prefixed by why.
func (p *connParser) emitRaw(s *side, why string) {
	if len(s.marks) == 0 { // cannot happen for bytes that arrived
		s.marks = []mark{{at: time.Now()}}
	}
	for i, m := range s.marks {
		end := len(s.pend)
		if i+1 < len(s.marks) {
			end = s.marks[i+1].off
		}
		if m.off >= end {
			continue
		}
		p.emit(s, m.at, KindRaw, why+string(s.pend[m.off:end]))
		why = ""
	}
	s.consume(len(s.pend))
}

// finish handles the end of a side: what is left incomplete is shown raw,
// then the end itself.
func (p *connParser) finish(s *side, e ending) {
	if s.msg != nil {
		p.emit(s, s.msg.at, KindWebSocket, s.msg.unfinished("left unfinished"))
		s.msg = nil
	}
	if len(s.pend) > 0 {
		why := "[incomplete when the stream ended]\n"
		if s.mode == modeLost {
			why = "[not shown: the recording of this connection lost its place]\n"
		}
		p.emitRaw(s, why)
	}
	if e.how != "" {
		p.emit(s, e.at, KindClose, e.how)
	}
}

// showPending shows what is still incomplete on a side that has not ended
// (a response the server is still writing, say), leaving it to be parsed
// when the rest arrives.
func (p *connParser) showPending(s *side) {
	if s.ended {
		return
	}
	if s.msg != nil {
		p.emit(s, s.msg.at, KindWebSocket, s.msg.unfinished("still arriving"))
	}
	if len(s.pend) > 0 && s.mode != modeLost {
		p.emit(s, s.timeAt(0), KindRaw, fmt.Sprintf("[incomplete so far: %d bytes]\n%s", len(s.pend), s.pend))
	}
}

// timeAt is when the byte at pend[off] arrived.
func (s *side) timeAt(off int) time.Time {
	i := sort.Search(len(s.marks), func(i int) bool { return s.marks[i].off > off })
	if i == 0 {
		return time.Now() // no mark: cannot happen for bytes that arrived
	}
	return s.marks[i-1].at
}

// consume drops the first n bytes of pend, and their marks.
func (s *side) consume(n int) {
	if n >= len(s.pend) {
		s.pend, s.marks = nil, nil
		return
	}
	i := sort.Search(len(s.marks), func(i int) bool { return s.marks[i].off > n })
	if i > 0 {
		i-- // the read that n falls in
	}
	marks := s.marks[i:]
	for j := range marks {
		marks[j].off = max(marks[j].off-n, 0)
	}
	s.pend, s.marks = s.pend[n:], marks
}

func sideIndex(d Dir) int {
	if d == Sent {
		return 0
	}
	return 1
}
