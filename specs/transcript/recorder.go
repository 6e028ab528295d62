package transcript

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"time"
)

// Limits bound what a Recorder keeps; zero fields take the defaults.
type Limits struct {
	// SpecBytes is how many bytes of traffic one spec's recording keeps
	// (both directions of every connection); past it, bytes are forwarded
	// but not kept, and the transcript says "[truncated]". Default 4 MiB.
	SpecBytes int
	// Frames is how many frames a transcript keeps: the last ones, after
	// a note of how many were dropped at the front. Default 500.
	Frames int
	// Text is how many bytes of a frame's text are kept. Default 4 KiB.
	Text int
}

func (l Limits) withDefaults() Limits {
	if l.SpecBytes <= 0 {
		l.SpecBytes = 4 << 20
	}
	if l.Frames <= 0 {
		l.Frames = 500
	}
	if l.Text <= 0 {
		l.Text = 4 << 10
	}
	return l
}

// Recorder is a transparent TCP proxy in front of a server that records
// what crosses it, spec by spec: Begin when a spec starts, End when it
// ends, which returns the spec's frames, redacted. Everything it parses
// teaches its Redactor, whether the frames are kept or not. Its methods
// are safe for concurrent use; Begin and End are meant for the goroutine
// that runs the specs.
type Recorder struct {
	upstream string
	ln       net.Listener
	red      *Redactor
	limits   Limits
	ctx      context.Context // ends dials to the target on Close
	cancel   context.CancelFunc

	mu     sync.Mutex
	start  time.Time        // when the current spec began
	used   int              // bytes kept since the last End
	conns  map[int]*connRec // recorded connections not yet read to their end
	live   map[*net.TCPConn]bool
	nextID int
	closed bool

	endMu sync.Mutex // one End at a time: the parsers' state is End's
	wg    sync.WaitGroup
}

// connRec is one proxied connection: what each side sent since the last
// End (guarded by Recorder.mu) and its parser (End's).
type connRec struct {
	id     int
	taps   [2]tap
	parser *connParser
}

// tap is what one side of a connection sent since the last End.
type tap struct {
	data    []byte
	marks   []mark
	dropped int64
	end     *ending // set once, handed to End once
	ended   bool
}

// NewRecorder listens on 127.0.0.1:0 and forwards every connection to
// upstream ("host:port"). red learns and hides secrets; nil makes a new
// one.
func NewRecorder(upstream string, red *Redactor, limits Limits) (*Recorder, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("transcript: listen: %w", err)
	}
	if red == nil {
		red = NewRedactor()
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &Recorder{
		ctx:      ctx,
		cancel:   cancel,
		upstream: upstream,
		ln:       ln,
		red:      red,
		limits:   limits.withDefaults(),
		conns:    map[int]*connRec{},
		live:     map[*net.TCPConn]bool{},
	}
	r.wg.Add(1)
	go r.accept()
	return r, nil
}

// Addr is the address to connect to instead of the server's.
func (r *Recorder) Addr() string { return r.ln.Addr().String() }

// Redactor is what the Recorder learns secrets into.
func (r *Recorder) Redactor() *Redactor { return r.red }

// Begin starts a spec's transcript: frames are timed from now, and
// traffic that came before (the previous spec's cleanup) is left out of
// it.
func (r *Recorder) Begin() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.start = time.Now()
}

// End parses what was recorded since the last End, learning its secrets.
// With keep, it returns the frames of the spec begun by Begin, redacted,
// made printable and clipped, at most Limits.Frames of them (the last);
// without, it returns nil.
func (r *Recorder) End(keep bool) []Frame {
	r.endMu.Lock()
	defer r.endMu.Unlock()
	start, recs, feeds := r.take()
	var drafts []draft
	for i, c := range recs {
		drafts = append(drafts, c.parser.advance(feeds[i], keep)...)
	}
	r.forget(recs)
	if !keep {
		return nil
	}
	return assemble(r.red, r.limits, start, drafts)
}

// take hands End everything recorded since the last time, connection by
// connection in the order they were opened, and starts a new budget.
func (r *Recorder) take() (time.Time, []*connRec, [][2]feed) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ids := make([]int, 0, len(r.conns))
	for id := range r.conns {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	recs := make([]*connRec, len(ids))
	feeds := make([][2]feed, len(ids))
	for i, id := range ids {
		c := r.conns[id]
		recs[i] = c
		for s := range c.taps {
			t := &c.taps[s]
			feeds[i][s] = feed{data: t.data, marks: t.marks, dropped: t.dropped, end: t.end}
			t.data, t.marks, t.dropped, t.end = nil, nil, 0, nil
		}
	}
	r.used = 0
	return r.start, recs, feeds
}

// forget drops the connections that have ended and been read to the end.
func (r *Recorder) forget(recs []*connRec) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range recs {
		if c.parser.done() {
			delete(r.conns, c.id)
		}
	}
}

// Close stops listening, resets every live connection, waits for the
// proxy's goroutines and reads what is left, so the Redactor has learned
// everything that crossed. It is idempotent.
func (r *Recorder) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	r.mu.Unlock()
	r.cancel()
	err := r.ln.Close()
	r.mu.Lock()
	for c := range r.live {
		reset(c)
	}
	r.mu.Unlock()
	r.wg.Wait()
	r.End(false)
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

func (r *Recorder) accept() {
	defer r.wg.Done()
	for {
		c, err := r.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors, say: nothing will signal when
			// accepting can work again, so pause rather than spin.
			time.Sleep(10 * time.Millisecond)
			continue
		}
		r.wg.Add(1)
		go r.serve(c.(*net.TCPConn))
	}
}

// track registers c as live; it reports false (and resets c) once the
// Recorder is closed.
func (r *Recorder) track(c *net.TCPConn) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		reset(c)
		return false
	}
	r.live[c] = true
	return true
}

func (r *Recorder) untrack(c *net.TCPConn) {
	r.mu.Lock()
	delete(r.live, c)
	r.mu.Unlock()
	_ = c.Close()
}

func (r *Recorder) newConn() *connRec {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.nextID++
	c := &connRec{id: r.nextID, parser: newConnParser(r.red, r.nextID, r.limits.SpecBytes)}
	r.conns[c.id] = c
	return c
}

// record keeps p, which side of c sent at at, unless the spec's budget is
// spent: then only its length is kept, and the side stays dropped until
// the next End, so that what is kept is always a prefix. Nothing is kept
// once the side has ended.
func (r *Recorder) record(c *connRec, side int, at time.Time, p []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := &c.taps[side]
	if t.ended {
		return // what a side sends after its peer failed goes nowhere
	}
	if t.dropped > 0 || r.used+len(p) > r.limits.SpecBytes {
		t.dropped += int64(len(p))
		return
	}
	r.used += len(p)
	t.marks = append(t.marks, mark{off: len(t.data), at: at})
	t.data = append(t.data, p...)
}

// end records how side of c ended; only the first end of a side counts.
// An empty how ends it without a frame.
func (r *Recorder) end(c *connRec, side int, how string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := &c.taps[side]
	if t.ended {
		return
	}
	t.ended = true
	t.end = &ending{at: time.Now(), how: how}
}
