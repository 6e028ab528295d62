package harness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/client"
)

// AuthMap is the handshake auth of CON-5 as a map, to break on purpose.
func AuthMap(chatID, connString string) map[string]any {
	return map[string]any{"chat_id": chatID, "connection_string": connString}
}

// RefusalCode is the code of a refused socket connect or message, "" when
// err is nil, and a failure when the server refused without a code.
func RefusalCode(err error) wcp.Code {
	GinkgoHelper()
	if err == nil {
		return ""
	}
	var e *wcp.Error
	Expect(errors.As(err, &e)).To(BeTrue(), "a refusal with a code, got: %v", err)
	return e.Code
}

// ConnectOutcome is what a raw CONNECT came back with.
type ConnectOutcome struct {
	Accepted bool     // the server sent CONNECT: a session exists
	Code     wcp.Code // from CONNECT_ERROR's data.code ("" if none)
	Closed   bool     // the server hung up without CONNECT_ERROR
	Silent   bool     // no answer within the wait (RawConnectHeld only)
}

func (o ConnectOutcome) String() string {
	switch {
	case o.Accepted:
		return "accepted (CONNECT)"
	case o.Closed:
		return "connection ended"
	case o.Silent:
		return "no answer"
	}
	return fmt.Sprintf("CONNECT_ERROR %q", o.Code)
}

// RawConnect sends a Socket.IO CONNECT whose auth payload is rawAuth,
// verbatim, and reports the outcome. It is cheaper than a full client
// session, which matters for the specs that try hundreds of strings. The
// server must answer within AnswerWithin (ROB-1: no hang); no answer is an
// error.
func RawConnect(ctx context.Context, url, rawAuth string) (ConnectOutcome, error) {
	out, c, err := RawConnectHeld(ctx, url, rawAuth, AnswerWithin)
	if c != nil {
		c.Close()
	}
	if err == nil && out.Silent {
		err = fmt.Errorf("no answer to CONNECT %s within %v", Clipped([]byte(rawAuth)), AnswerWithin)
	}
	return out, err
}

// RawConnectHeld is RawConnect that waits at most wait for the answer,
// reports silence as Silent rather than as an error, and hands back the
// connection, still open when the server left it open, for the caller to
// close.
func RawConnectHeld(ctx context.Context, url, rawAuth string, wait time.Duration) (ConnectOutcome, *client.RawConn, error) {
	c, err := client.DialRaw(ctx, url)
	if err != nil {
		return ConnectOutcome{}, nil, err
	}
	rctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	p, err := c.Connect(rctx, rawAuth)
	if err != nil {
		if errors.Is(err, client.ErrRawClosed) {
			return ConnectOutcome{Closed: true}, c, nil
		}
		if ctx.Err() != nil {
			return ConnectOutcome{}, c, err
		}
		if rctx.Err() != nil || isTimeout(err) {
			return ConnectOutcome{Silent: true}, c, nil
		}
		// A reset or EOF is a hang-up too.
		return ConnectOutcome{Closed: true}, c, nil
	}
	switch p.Type {
	case client.PacketConnect:
		return ConnectOutcome{Accepted: true}, c, nil
	case client.PacketDisconnect:
		return ConnectOutcome{Closed: true}, c, nil
	}
	return ConnectOutcome{Code: wcp.ErrorCode(client.ParseConnectError(p.Data))}, c, nil
}

// RawConnectAuth is RawConnect with an auth value marshalled to JSON.
func RawConnectAuth(ctx context.Context, url string, auth any) (ConnectOutcome, error) {
	b, err := json.Marshal(auth)
	if err != nil {
		return ConnectOutcome{}, err
	}
	return RawConnect(ctx, url, string(b))
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// RawConnectAll tries every auth with a raw CONNECT, four at a time, and
// returns the outcomes in the same order.
func RawConnectAll(ctx context.Context, url string, auths []any) []ConnectOutcome {
	GinkgoHelper()
	out := make([]ConnectOutcome, len(auths))
	errs := make([]error, len(auths))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i, a := range auths {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer GinkgoRecover()
			defer wg.Done()
			defer func() { <-sem }()
			out[i], errs[i] = RawConnectAuth(ctx, url, a)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		Expect(err).NotTo(HaveOccurred(), "raw connect %d", i)
	}
	return out
}

// ExpectRefused connects raw with auth (any JSON value) and requires a
// CONNECT_ERROR with code.
func (w *World) ExpectRefused(ctx context.Context, auth any, code wcp.Code, why string) {
	GinkgoHelper()
	out, err := RawConnectAuth(ctx, w.URL, auth)
	Expect(err).NotTo(HaveOccurred(), why)
	Expect(out.Accepted).To(BeFalse(), "%s: accepted", why)
	Expect(out.Code).To(Equal(code), "%s: %+v", why, out)
}

// ExpectAccepted connects raw with auth and requires a session.
func (w *World) ExpectAccepted(ctx context.Context, auth any) {
	GinkgoHelper()
	out, err := RawConnectAuth(ctx, w.URL, auth)
	Expect(err).NotTo(HaveOccurred())
	Expect(out.Accepted).To(BeTrue(), "refused: %+v", out)
}

// Tweak returns a different printable character of the same class, so
// the changed string keeps the original's format and only its content
// differs (the hardest change for a server to notice).
func Tweak(c byte) byte {
	switch {
	case c >= 'a' && c <= 'z':
		return 'a' + (c-'a'+1)%26
	case c >= 'A' && c <= 'Z':
		return 'A' + (c-'A'+1)%26
	case c >= '0' && c <= '9':
		return '0' + (c-'0'+1)%10
	case c == '-':
		return '_'
	}
	return '-'
}

// Tampered changes the string's middle character (see Tweak).
func Tampered(s string) string {
	b := []byte(s)
	b[len(b)/2] = Tweak(b[len(b)/2])
	return string(b)
}
