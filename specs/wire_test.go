package specs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/client"
)

// expectHTTPError checks an HTTP error answer against section 2 (ROB-2):
// the status, a JSON content type, and the body
// {"error":{"code":..., "message":...}} with the code paired to the status.
func expectHTTPError(resp *client.Response, status int, code wcp.Code, why ...any) {
	GinkgoHelper()
	Expect(resp.Status).To(Equal(status), "%sstatus; body %q", prefix(why), clipped(resp.Body))
	ct, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	Expect(err).NotTo(HaveOccurred(), "Content-Type %q", resp.Header.Get("Content-Type"))
	Expect(ct).To(Equal("application/json"), "%serror bodies are JSON", prefix(why))
	var body struct {
		Error *struct {
			Code    *string `json:"code"`
			Message *string `json:"message"`
		} `json:"error"`
	}
	Expect(json.Unmarshal(resp.Body, &body)).To(Succeed(), "error body %q is JSON", clipped(resp.Body))
	Expect(body.Error).NotTo(BeNil(), "error body %q has an error object", clipped(resp.Body))
	Expect(body.Error.Code).NotTo(BeNil(), "error body %q has a code", clipped(resp.Body))
	Expect(body.Error.Message).NotTo(BeNil(), "error body %q has a message", clipped(resp.Body))
	Expect(wcp.Code(*body.Error.Code)).To(Equal(code), "%serror code; body %q", prefix(why), clipped(resp.Body))
}

// prefix renders an optional description for a failure message.
func prefix(why []any) string {
	if len(why) == 0 {
		return ""
	}
	if f, ok := why[0].(string); ok {
		return fmt.Sprintf(f, why[1:]...) + ": "
	}
	return fmt.Sprint(why...) + ": "
}

// expectStatus checks a success answer's status and that it is JSON when
// it has a body.
func expectStatus(resp *client.Response, status int, why ...any) {
	GinkgoHelper()
	Expect(resp.Status).To(Equal(status), "%sstatus; body %q", prefix(why), clipped(resp.Body))
	if len(resp.Body) > 0 {
		Expect(json.Valid(resp.Body)).To(BeTrue(), "%sbody %q is JSON", prefix(why), clipped(resp.Body))
		ct, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
		Expect(err).NotTo(HaveOccurred(), "%sContent-Type %q", prefix(why), resp.Header.Get("Content-Type"))
		Expect(ct).To(Equal("application/json"), "%sbodies are JSON", prefix(why))
	}
}

func clipped(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "..."
	}
	return string(b)
}

// refusalCode is the code of a refused socket connect or message, "" when
// err is nil, and a failure when the server refused without a code.
func refusalCode(err error) wcp.Code {
	GinkgoHelper()
	if err == nil {
		return ""
	}
	var e *wcp.Error
	Expect(errors.As(err, &e)).To(BeTrue(), "a refusal with a code, got: %v", err)
	return e.Code
}

// connectOutcome is what a raw CONNECT came back with.
type connectOutcome struct {
	Accepted bool     // the server sent CONNECT: a session exists
	Code     wcp.Code // from CONNECT_ERROR's data.code ("" if none)
	Closed   bool     // the server hung up without CONNECT_ERROR
	Silent   bool     // no answer within the wait (rawConnectHeld only)
}

func (o connectOutcome) String() string {
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

// rawConnect sends a Socket.IO CONNECT whose auth payload is rawAuth,
// verbatim, and reports the outcome. It is cheaper than a full client
// session, which matters for the specs that try hundreds of strings. The
// server must answer within answerWithin (ROB-1: no hang); no answer is an
// error.
func rawConnect(ctx context.Context, url, rawAuth string) (connectOutcome, error) {
	out, c, err := rawConnectHeld(ctx, url, rawAuth, answerWithin)
	if c != nil {
		c.Close()
	}
	if err == nil && out.Silent {
		err = fmt.Errorf("no answer to CONNECT %s within %v", clipped([]byte(rawAuth)), answerWithin)
	}
	return out, err
}

// rawConnectHeld is rawConnect that waits at most wait for the answer,
// reports silence as Silent rather than as an error, and hands back the
// connection, still open when the server left it open, for the caller to
// close.
func rawConnectHeld(ctx context.Context, url, rawAuth string, wait time.Duration) (connectOutcome, *client.RawConn, error) {
	c, err := client.DialRaw(ctx, url)
	if err != nil {
		return connectOutcome{}, nil, err
	}
	rctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	p, err := c.Connect(rctx, rawAuth)
	if err != nil {
		if errors.Is(err, client.ErrRawClosed) {
			return connectOutcome{Closed: true}, c, nil
		}
		if ctx.Err() != nil {
			return connectOutcome{}, c, err
		}
		if rctx.Err() != nil || isTimeout(err) {
			return connectOutcome{Silent: true}, c, nil
		}
		// A reset or EOF is a hang-up too.
		return connectOutcome{Closed: true}, c, nil
	}
	switch p.Type {
	case client.PacketConnect:
		return connectOutcome{Accepted: true}, c, nil
	case client.PacketDisconnect:
		return connectOutcome{Closed: true}, c, nil
	}
	return connectOutcome{Code: wcp.ErrorCode(client.ParseConnectError(p.Data))}, c, nil
}

// rawConnectAuth is rawConnect with an auth value marshalled to JSON.
func rawConnectAuth(ctx context.Context, url string, auth any) (connectOutcome, error) {
	b, err := json.Marshal(auth)
	if err != nil {
		return connectOutcome{}, err
	}
	return rawConnect(ctx, url, string(b))
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// authMap is the handshake auth of CON-5 as a map, to break on purpose.
func authMap(chatID, connString string) map[string]any {
	return map[string]any{"chat_id": chatID, "connection_string": connString}
}
