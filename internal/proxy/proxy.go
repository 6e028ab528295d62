// Package proxy is a small fault-injecting TCP proxy for tests: it forwards
// every accepted connection to one upstream address and can cut all live
// connections at once, mid-stream, as a crashed network path would. The
// conformance specs put it between a client and a WCP server to check that
// reconnecting with `after` loses and duplicates nothing.
package proxy

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
)

// Proxy forwards TCP connections from its own listener to Upstream. Its
// methods are safe for concurrent use.
type Proxy struct {
	upstream string
	ln       net.Listener

	mu     sync.Mutex
	conns  map[net.Conn]bool // both halves of every live pair; true for the client's half
	paused bool
	resume chan struct{} // closed by Resume; new connections wait on it while paused
	closed bool
	wg     sync.WaitGroup
}

// New listens on 127.0.0.1:0 and forwards every connection to upstream
// ("host:port").
func New(upstream string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("proxy: listen: %w", err)
	}
	p := &Proxy{upstream: upstream, ln: ln, conns: map[net.Conn]bool{}, resume: make(chan struct{})}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the proxy's listening address ("127.0.0.1:port").
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// URL is the proxy's address as an http:// base URL.
func (p *Proxy) URL() string { return "http://" + p.Addr() }

// DropAll cuts every live connection at once with a TCP reset, in both
// directions, and returns how many client connections it cut. Connections
// accepted afterwards are forwarded as usual.
func (p *Proxy) DropAll() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for c, client := range p.conns {
		if tc, ok := c.(*net.TCPConn); ok {
			// Linger 0 makes Close send RST instead of FIN: the peer sees a
			// broken connection, not an orderly goodbye.
			_ = tc.SetLinger(0)
		}
		c.Close()
		if client {
			n++
		}
	}
	clear(p.conns)
	return n
}

// Pause holds new connections (they are accepted but not forwarded) until
// Resume; live connections are not affected.
func (p *Proxy) Pause() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.paused {
		p.paused = true
		p.resume = make(chan struct{})
	}
}

// Resume forwards the connections held by Pause and every later one.
func (p *Proxy) Resume() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.paused {
		p.paused = false
		close(p.resume)
	}
}

// Close stops listening, cuts every connection and waits for the proxy's
// goroutines to end. It is idempotent.
func (p *Proxy) Close() error {
	p.mu.Lock()
	already := p.closed
	p.closed = true
	if p.paused {
		p.paused = false
		close(p.resume)
	}
	p.mu.Unlock()
	if already {
		return nil
	}
	err := p.ln.Close()
	p.DropAll()
	p.wg.Wait()
	return err
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		p.wg.Add(1)
		go p.serve(c)
	}
}

// track registers c as live; it reports false (and closes c) once the
// proxy is closed.
func (p *Proxy) track(c net.Conn, client bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		c.Close()
		return false
	}
	p.conns[c] = client
	return true
}

func (p *Proxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	c.Close()
}

func (p *Proxy) serve(down net.Conn) {
	defer p.wg.Done()
	if !p.track(down, true) {
		return
	}
	defer p.untrack(down)
	p.mu.Lock()
	wait := p.resume
	paused := p.paused
	p.mu.Unlock()
	if paused {
		<-wait
	}
	up, err := net.Dial("tcp", p.upstream)
	if err != nil {
		return
	}
	if !p.track(up, false) {
		return
	}
	defer p.untrack(up)
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		// One direction ending ends the pair: a half-open proxy would hide
		// exactly the failures the tests want to see.
		dst.Close()
		src.Close()
		done <- struct{}{}
	}
	go pipe(up, down)
	go pipe(down, up)
	<-done
	<-done
}
