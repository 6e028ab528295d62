package load

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"syscall"
	"time"
)

// rawWS is a minimal RFC 6455 client over plain TCP, built for many idle
// connections and cheap reads. Its reader lives inside one
// syscall.RawConn.Read call: after a read that leaves the socket drained it
// waits for the next readiness edge instead of issuing the speculative
// read that ends in EAGAIN (which net.Conn.Read makes every time), so a
// frame costs one read syscall instead of two; and an idle connection holds
// no read buffer (buffers come from a pool while data is being handled).
// TLS targets use gorilla/websocket instead (see conn).
type rawWS struct {
	c    *net.TCPConn
	rc   syscall.RawConn
	mask [4]byte

	wmu  sync.Mutex
	wbuf []byte    // under wmu
	wdl  time.Time // write deadline in force, under wmu

	// carry is a partial frame kept between reads (reader only).
	carry []byte
	// msg accumulates a fragmented message (reader only).
	msg  []byte
	frag bool
}

var errWSClosed = errors.New("websocket closed")

// dialRawWS connects and upgrades; leftover bytes after the 101 answer
// become the first input of the frame reader.
func dialRawWS(ctx context.Context, wsURL string) (*rawWS, error) {
	u, err := url.Parse(wsURL)
	if err != nil {
		return nil, err
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "80")
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return nil, err
	}
	c := nc.(*net.TCPConn)
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	var key [16]byte
	_, _ = rand.Read(key[:])
	k := base64.StdEncoding.EncodeToString(key[:])
	req := "GET " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host +
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + k +
		"\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := io.WriteString(c, req); err != nil {
		c.Close()
		return nil, err
	}
	br := bufio.NewReaderSize(c, 1024)
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodGet})
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("websocket upgrade: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSwitchingProtocols {
		c.Close()
		return nil, fmt.Errorf("websocket upgrade: status %s", resp.Status)
	}
	h := sha1.Sum([]byte(k + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	if resp.Header.Get("Sec-WebSocket-Accept") != base64.StdEncoding.EncodeToString(h[:]) {
		c.Close()
		return nil, errors.New("websocket upgrade: bad Sec-WebSocket-Accept")
	}
	w := &rawWS{c: c}
	if n := br.Buffered(); n > 0 {
		b, _ := br.Peek(n)
		w.carry = append([]byte(nil), b...)
	}
	_, _ = rand.Read(w.mask[:])
	if w.rc, err = c.SyscallConn(); err != nil {
		c.Close()
		return nil, err
	}
	_ = c.SetDeadline(time.Time{})
	return w, nil
}

// writeFrame sends one masked frame with the given opcode.
func (w *rawWS) writeFrame(op byte, p []byte) error {
	w.wmu.Lock()
	defer w.wmu.Unlock()
	b := w.wbuf[:0]
	b = append(b, 0x80|op)
	switch n := len(p); {
	case n < 126:
		b = append(b, 0x80|byte(n))
	case n <= 0xffff:
		b = append(b, 0x80|126, byte(n>>8), byte(n))
	default:
		b = append(b, 0x80|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	b = append(b, w.mask[:]...)
	start := len(b)
	b = append(b, p...)
	for i := range p {
		b[start+i] ^= w.mask[i&3]
	}
	_, err := w.c.Write(b)
	if cap(b) <= 4096 {
		w.wbuf = b[:0]
	} else {
		w.wbuf = nil
	}
	return err
}

// controlWriteTimeout bounds the writes that are not a sender's messages
// (pongs, the CONNECT, websocket control frames). They must not inherit
// the deadline the last message left on the socket: a session that has
// sent nothing for longer than that would fail every pong, and the server
// would end it for not answering its pings.
const controlWriteTimeout = 10 * time.Second

func (w *rawWS) write(p []byte) error { return w.writeWithin(p, controlWriteTimeout) }

// writeWithin sends a text message that must leave within d.
func (w *rawWS) writeWithin(p []byte, d time.Duration) error {
	w.within(d)
	return w.writeFrame(0x1, p)
}

// within gives the next write at least d/2 and at most d. Resetting a
// deadline costs a timer update, so it is only moved when less than d/2
// of it is left.
func (w *rawWS) within(d time.Duration) {
	now := time.Now()
	w.wmu.Lock()
	if w.wdl.Sub(now) < d/2 {
		w.wdl = now.Add(d)
		_ = w.c.SetWriteDeadline(w.wdl)
	}
	w.wmu.Unlock()
}

func (w *rawWS) close() { _ = w.c.Close() }

// frame is one parsed websocket frame.
type frame struct {
	fin bool
	op  byte
	p   []byte
}

// parseOne parses the first frame of b; used is 0 when b holds no whole frame.
func parseOne(b []byte) (f frame, used int, err error) {
	if len(b) < 2 {
		return f, 0, nil
	}
	f.fin, f.op = b[0]&0x80 != 0, b[0]&0x0f
	if b[1]&0x80 != 0 {
		return f, 0, errors.New("websocket: masked frame from the server")
	}
	n, hl := uint64(b[1]&0x7f), 2
	switch n {
	case 126:
		if len(b) < 4 {
			return f, 0, nil
		}
		n, hl = uint64(binary.BigEndian.Uint16(b[2:])), 4
	case 127:
		if len(b) < 10 {
			return f, 0, nil
		}
		n, hl = binary.BigEndian.Uint64(b[2:]), 10
	}
	if n > 64<<20 {
		return f, 0, fmt.Errorf("websocket: frame of %d bytes", n)
	}
	if uint64(len(b)-hl) < n {
		return f, 0, nil
	}
	f.p = b[hl : hl+int(n)]
	return f, hl + int(n), nil
}

// handleFrame deals with one frame: control frames are answered here,
// data frames are assembled into messages; it returns a whole message, if
// this frame completed one.
func (w *rawWS) handleFrame(f frame) ([]byte, error) {
	switch f.op {
	case 0x1, 0x2, 0x0:
		if (f.op == 0x0) != w.frag {
			return nil, errors.New("websocket: bad fragmentation")
		}
		if f.fin && !w.frag {
			return f.p, nil
		}
		w.msg = append(w.msg, f.p...)
		w.frag = !f.fin
		if f.fin {
			m := w.msg
			w.msg = nil
			return m, nil
		}
		return nil, nil
	case 0x8:
		w.within(controlWriteTimeout)
		_ = w.writeFrame(0x8, nil)
		return nil, errWSClosed
	case 0x9:
		w.within(controlWriteTimeout)
		return nil, w.writeFrame(0xA, f.p)
	case 0xA:
		return nil, nil
	}
	return nil, fmt.Errorf("websocket: opcode %d", f.op)
}

// parse consumes every whole frame in b, calling onText for each whole
// message, and returns how many bytes it used.
func (w *rawWS) parse(b []byte, onText func([]byte)) (int, error) {
	used := 0
	for {
		f, n, err := parseOne(b[used:])
		if err != nil {
			return used, err
		}
		if n == 0 {
			return used, nil
		}
		used += n
		m, err := w.handleFrame(f)
		if err != nil {
			return used, err
		}
		if m != nil {
			onText(m)
		}
	}
}

// readMessage returns the next whole message with plain blocking reads,
// for the handshake; it honours ctx's deadline.
func (w *rawWS) readMessage(ctx context.Context) ([]byte, error) {
	if dl, ok := ctx.Deadline(); ok {
		_ = w.c.SetReadDeadline(dl)
		defer w.c.SetReadDeadline(time.Time{})
	}
	stop := context.AfterFunc(ctx, func() { _ = w.c.SetReadDeadline(time.Now()) })
	defer stop()
	for {
		for {
			f, n, err := parseOne(w.carry)
			if err != nil {
				return nil, err
			}
			if n == 0 {
				break
			}
			m, err := w.handleFrame(f)
			if m != nil {
				m = append([]byte(nil), m...)
			}
			w.carry = w.carry[n:]
			if err != nil {
				return nil, err
			}
			if m != nil {
				return m, nil
			}
		}
		var buf [2048]byte
		n, err := w.c.Read(buf[:])
		w.carry = append(w.carry, buf[:n]...)
		if err != nil {
			return nil, err
		}
	}
}

var rawBufPool = sync.Pool{New: func() any { b := make([]byte, 8192); return &b }}

// serve reads until the connection ends, calling onText for every text
// message, from inside one RawConn.Read.
func (w *rawWS) serve(onText func([]byte)) {
	var ferr error
	var bp *[]byte
	have := 0
	if len(w.carry) > 0 {
		bp = rawBufPool.Get().(*[]byte)
		if len(w.carry) > len(*bp) {
			*bp = make([]byte, 2*len(w.carry))
		}
		have = copy(*bp, w.carry)
		w.carry = nil
	}
	release := func() {
		if bp != nil && have == 0 {
			rawBufPool.Put(bp)
			bp = nil
		}
	}
	consume := func() bool {
		if have == 0 {
			return true
		}
		used, err := w.parse((*bp)[:have], onText)
		if err != nil {
			ferr = err
			return false
		}
		have = copy(*bp, (*bp)[used:have])
		return true
	}
	if !consume() {
		return
	}
	release()
	err := w.rc.Read(func(fd uintptr) bool {
		for {
			if bp == nil {
				bp = rawBufPool.Get().(*[]byte)
			}
			buf := *bp
			if have == len(buf) {
				nb := make([]byte, 2*len(buf))
				copy(nb, buf[:have])
				*bp, buf = nb, nb
			}
			space := len(buf) - have
			n, err := syscall.Read(int(fd), buf[have:])
			if err == syscall.EINTR {
				continue
			}
			if err == syscall.EAGAIN {
				release()
				return false
			}
			if err != nil {
				ferr = err
				return true
			}
			if n == 0 {
				ferr = io.EOF
				return true
			}
			have += n
			if !consume() {
				return true
			}
			if n < space {
				// Drained: wait for the next edge rather than read again.
				release()
				return false
			}
		}
	})
	if bp != nil {
		rawBufPool.Put(bp)
	}
	_, _ = ferr, err // the session's end is its own report
}
