package transcript

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// upstream listens on 127.0.0.1:0 and runs handle on every connection it
// accepts, until the test ends.
func upstream(t *testing.T, handle func(*net.TCPConn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go handle(c.(*net.TCPConn))
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().String()
}

// recorder starts a Recorder in front of addr, closed when the test ends.
func recorder(t *testing.T, addr string, limits Limits) *Recorder {
	t.Helper()
	r, err := NewRecorder(addr, nil, limits)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Error(err)
		}
	})
	return r
}

func dial(t *testing.T, r *Recorder) *net.TCPConn {
	t.Helper()
	c, err := net.Dial("tcp", r.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	return c.(*net.TCPConn)
}

// A client that half-closes still gets the answer, then the server's
// end: the half-close goes through as a half-close.
func TestProxyHalfClose(t *testing.T) {
	addr := upstream(t, func(c *net.TCPConn) {
		defer c.Close()
		b, _ := io.ReadAll(c) // until the client's FIN
		fmt.Fprintf(c, "got %q", b)
	})
	r := recorder(t, addr, Limits{})
	r.Begin()
	c := dial(t, r)
	if _, err := io.WriteString(c, "hello"); err != nil {
		t.Fatal(err)
	}
	if err := c.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(c)
	if err != nil || string(got) != `got "hello"` {
		t.Fatalf("answer %q, %v", got, err)
	}
	// Each side's end is recorded before it is passed on, so the client
	// has seen all by now.
	frames := r.End(true)
	if got, want := kinds(frames), "sent raw\nsent close\nreceived raw\nreceived close\n"; got != want {
		t.Errorf("frames:\n%s\nwant:\n%s", got, want)
	}
}

// A server that hangs up is seen to hang up; one that stays silent is
// seen to stay silent.
func TestProxyServerHangUpAndSilence(t *testing.T) {
	hangUp := upstream(t, func(c *net.TCPConn) {
		bufio.NewReader(c).ReadString('\n')
		c.Close()
	})
	c := dial(t, recorder(t, hangUp, Limits{}))
	io.WriteString(c, "bye\n")
	if n, err := c.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Errorf("after the server's close: %d, %v; want EOF", n, err)
	}

	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	silent := upstream(t, func(c *net.TCPConn) {
		defer c.Close()
		<-release
	})
	c = dial(t, recorder(t, silent, Limits{}))
	_ = c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if n, err := c.Read(make([]byte, 1)); n != 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("a silent server: %d, %v; want the deadline", n, err)
	}
}

// A reset on either side is a reset on the other.
func TestProxyResetPropagates(t *testing.T) {
	t.Run("server", func(t *testing.T) {
		addr := upstream(t, func(c *net.TCPConn) {
			bufio.NewReader(c).ReadString('\n')
			reset(c)
		})
		r := recorder(t, addr, Limits{})
		r.Begin()
		c := dial(t, r)
		io.WriteString(c, "x\n")
		if _, err := c.Read(make([]byte, 1)); !errors.Is(err, syscall.ECONNRESET) {
			t.Errorf("client read: %v, want a reset", err)
		}
		if frames := r.End(true); !hasFrame(frames, Received, KindClose, "reset (RST)") {
			t.Errorf("no reset in %v", frames)
		}
	})
	t.Run("client", func(t *testing.T) {
		seen := make(chan error, 1)
		addr := upstream(t, func(c *net.TCPConn) {
			defer c.Close()
			_, err := io.Copy(io.Discard, c)
			seen <- err
		})
		c := dial(t, recorder(t, addr, Limits{}))
		io.WriteString(c, "x\n")
		reset(c)
		if err := <-seen; !errors.Is(err, syscall.ECONNRESET) {
			t.Errorf("server read: %v, want a reset", err)
		}
	})
}

func hasFrame(frames []Frame, dir Dir, kind, text string) bool {
	for _, f := range frames {
		if f.Dir == dir && f.Kind == kind && strings.Contains(f.Text, text) {
			return true
		}
	}
	return false
}

// A chunked POST arrives whole, and the transcript shows its body decoded.
func TestProxyChunkedPOST(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		fmt.Fprintf(w, "%d bytes, chunked %v", len(b), req.TransferEncoding)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	r := recorder(t, ln.Addr().String(), Limits{})
	r.Begin()

	body, w := io.Pipe()
	go func() {
		for _, part := range []string{`{"name":`, `"chunked`, ` owner"}`} {
			io.WriteString(w, part)
		}
		w.Close()
	}()
	hc := &http.Client{Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()
	resp, err := hc.Post("http://"+r.Addr()+"/users", "application/json", body)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(got) != "24 bytes, chunked [chunked]" {
		t.Fatalf("answer %q", got)
	}
	frames := r.End(true)
	if len(frames) < 2 || !strings.HasSuffix(frames[0].Text, "\n\n"+`{"name":"chunked owner"}`) || !strings.Contains(frames[0].Text, "Transfer-Encoding: chunked") {
		t.Fatalf("frames: %v", frames)
	}
}

// A target that is down resets the client's connection, and the
// transcript says why.
func TestProxyTargetDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	r := recorder(t, addr, Limits{})
	r.Begin()
	// The reset may come before connect returns.
	c, err := net.Dial("tcp", r.Addr())
	if err == nil {
		defer c.Close()
		_, err = c.Read(make([]byte, 1))
	}
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("client: %v, want a reset", err)
	}
	// The proxy records why before it resets.
	if frames := r.End(true); !hasFrame(frames, Received, KindClose, "could not reach the target") {
		t.Errorf("frames: %v", frames)
	}
}

// Past the per-spec limit bytes still go through, whole; the transcript
// says it stopped keeping them.
func TestProxyLimit(t *testing.T) {
	addr := upstream(t, func(c *net.TCPConn) {
		defer c.Close()
		io.Copy(c, c)
	})
	r := recorder(t, addr, Limits{SpecBytes: 1000})
	r.Begin()
	c := dial(t, r)
	msg := strings.Repeat("0123456789", 1000)
	go func() {
		io.WriteString(c, msg)
		c.CloseWrite()
	}()
	got, err := io.ReadAll(c)
	if err != nil || string(got) != msg {
		t.Fatalf("echo: %d bytes, %v", len(got), err)
	}
	frames := r.End(true)
	if !hasFrame(frames, Sent, KindNote, "[truncated") {
		t.Errorf("no truncation note in %v", frames)
	}
	var kept int
	for _, f := range frames {
		if f.Kind == KindRaw {
			kept += len(f.Text)
		}
	}
	if kept > 2000 {
		t.Errorf("kept %d bytes of text past a 1000-byte limit", kept)
	}
}

// Close ends live connections and returns once every goroutine of the
// proxy has.
func TestProxyClose(t *testing.T) {
	addr := upstream(t, func(c *net.TCPConn) {
		defer c.Close()
		io.Copy(io.Discard, c)
	})
	r, err := NewRecorder(addr, nil, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, r)
	io.WriteString(c, "x")
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Error("a connection outlived Close")
	}
	if _, err := net.Dial("tcp", r.Addr()); err == nil {
		t.Error("still listening after Close")
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
