package harness

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/client"
)

// Call sends a raw request with c (w.Anon for no token) and returns the
// answer, whatever its status.
func (w *World) Call(ctx context.Context, c *client.Client, method, path string, body []byte) *client.Response {
	GinkgoHelper()
	resp, err := c.Do(ctx, method, path, body, nil)
	Expect(err).NotTo(HaveOccurred(), "%s %s", method, path)
	return resp
}

// BadToken is a client with a token no server issued.
func (w *World) BadToken() *client.Client {
	return w.Anon.WithToken("not-a-token-0123456789abcdef")
}

// UniqueID is a well-formed ID (PROTOCOL.md §1) that no server has issued.
func UniqueID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// ExpectHTTPError checks an HTTP error answer against PROTOCOL.md §2 (ROB-2):
// the status, a JSON content type, and the body
// {"error":{"code":..., "message":...}} with the code paired to the status.
// why, when given, is a format and its arguments naming the call.
func ExpectHTTPError(resp *client.Response, status int, code wcp.Code, why ...any) {
	GinkgoHelper()
	Expect(resp.Status).To(Equal(status), "%sstatus; body %q", prefix(why), Clipped(resp.Body))
	ct, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	Expect(err).NotTo(HaveOccurred(), "Content-Type %q", resp.Header.Get("Content-Type"))
	Expect(ct).To(Equal("application/json"), "%serror bodies are JSON", prefix(why))
	var body struct {
		Error *struct {
			Code    *string `json:"code"`
			Message *string `json:"message"`
		} `json:"error"`
	}
	Expect(json.Unmarshal(resp.Body, &body)).To(Succeed(), "error body %q is JSON", Clipped(resp.Body))
	Expect(body.Error).NotTo(BeNil(), "error body %q has an error object", Clipped(resp.Body))
	Expect(body.Error.Code).NotTo(BeNil(), "error body %q has a code", Clipped(resp.Body))
	Expect(body.Error.Message).NotTo(BeNil(), "error body %q has a message", Clipped(resp.Body))
	Expect(wcp.Code(*body.Error.Code)).To(Equal(code), "%serror code; body %q", prefix(why), Clipped(resp.Body))
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

// ExpectStatus checks a success answer's status and that it is JSON when
// it has a body.
func ExpectStatus(resp *client.Response, status int, why ...any) {
	GinkgoHelper()
	Expect(resp.Status).To(Equal(status), "%sstatus; body %q", prefix(why), Clipped(resp.Body))
	if len(resp.Body) > 0 {
		Expect(json.Valid(resp.Body)).To(BeTrue(), "%sbody %q is JSON", prefix(why), Clipped(resp.Body))
		ct, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
		Expect(err).NotTo(HaveOccurred(), "%sContent-Type %q", prefix(why), resp.Header.Get("Content-Type"))
		Expect(ct).To(Equal("application/json"), "%sbodies are JSON", prefix(why))
	}
}

// IsForbidden says whether err is a refusal with code forbidden.
func IsForbidden(err error) bool {
	return err != nil && wcp.ErrorCode(err) == wcp.CodeForbidden
}

// Clipped shortens a body for a failure message.
func Clipped(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "..."
	}
	return string(b)
}

// ChunkedPost posts body to url with chunked transfer encoding (no
// Content-Length), which the client never does.
func ChunkedPost(ctx context.Context, url string, body []byte) *client.Response {
	GinkgoHelper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, io.MultiReader(bytes.NewReader(body)))
	Expect(err).NotTo(HaveOccurred())
	req.Header.Set("Content-Type", "application/json")
	Expect(req.ContentLength).To(BeZero(), "sent chunked")
	resp, err := http.DefaultClient.Do(req)
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	return &client.Response{Status: resp.StatusCode, Header: resp.Header, Body: data}
}
