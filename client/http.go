package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/wcp-project/wcp"
)

// Client calls a WCP server's HTTP API, as one user when Token is set.
// It is safe for concurrent use; WithToken returns a copy for another user.
type Client struct {
	base    string
	token   string
	http    *http.Client
	maxBody int // MaxResponseBytes; smaller in tests
}

// New returns a Client for the server at baseURL (e.g. http://127.0.0.1:8080).
// A nil hc uses a client with a 10 s timeout.
func New(baseURL string, hc *http.Client) *Client {
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	return &Client{base: strings.TrimRight(baseURL, "/"), http: hc, maxBody: MaxResponseBytes}
}

// WithToken returns a copy of c that authenticates with token.
func (c *Client) WithToken(token string) *Client {
	cp := *c
	cp.token = token
	return &cp
}

// BaseURL is the server address the client talks to.
func (c *Client) BaseURL() string { return c.base }

// Token is the bearer token the client sends ("" for none).
func (c *Client) Token() string { return c.token }

// ProtocolError is an answer that breaks the contract itself: an unexpected
// status, a body that is not the JSON the contract promises.
type ProtocolError struct {
	Op     string // the call, e.g. "POST /chat"
	Status int
	Body   string // at most 512 bytes of what came back
	Reason string
}

func (e *ProtocolError) Error() string {
	return fmt.Sprintf("%s: %s (status %d, body %q)", e.Op, e.Reason, e.Status, e.Body)
}

// Response is a raw HTTP answer, for callers that check the wire itself.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends method path with a raw body (nil for none) and returns the answer
// as it came, whatever its status. Headers in hdr are added (a nil map adds
// none); the bearer token is sent when the client has one and hdr does not
// set Authorization itself.
func (c *Client) Do(ctx context.Context, method, path string, body []byte, hdr http.Header) (*Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for k, vs := range hdr {
		req.Header.Del(k)
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, int64(c.maxBody)+1))
	if err != nil {
		return nil, fmt.Errorf("%s %s: read body: %w", method, path, err)
	}
	if len(data) > c.maxBody {
		return nil, &ProtocolError{Op: method + " " + path, Reason: fmt.Sprintf("answer over %d bytes, more than the largest the contract allows", c.maxBody)}
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: data}, nil
}

// call sends in as JSON (nil for no body), expects status want, and decodes
// the answer into out (nil to expect no body). Any other status becomes a
// *wcp.Error when the body is the contract's error body, else a ProtocolError.
func (c *Client) call(ctx context.Context, method, path string, in any, want int, out any) error {
	op := method + " " + path
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return fmt.Errorf("%s: encode: %w", op, err)
		}
	}
	resp, err := c.Do(ctx, method, path, body, nil)
	if err != nil {
		return err
	}
	if resp.Status != want {
		return fmt.Errorf("%s: %w", op, ResponseError(op, resp))
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(resp.Body, out); err != nil {
		return &ProtocolError{Op: op, Status: resp.Status, Body: clip(resp.Body), Reason: "answer is not the JSON the contract promises: " + err.Error()}
	}
	return nil
}

// ResponseError turns a non-success answer into a *wcp.Error (Status set)
// when its body is the contract's error body, or a *ProtocolError otherwise.
func ResponseError(op string, resp *Response) error {
	var eb wcp.ErrorBody
	if err := json.Unmarshal(resp.Body, &eb); err != nil || eb.Error == nil || eb.Error.Code == "" {
		return &ProtocolError{Op: op, Status: resp.Status, Body: clip(resp.Body), Reason: "error answer without the contract's error body"}
	}
	eb.Error.Status = resp.Status
	return eb.Error
}

func clip(b []byte) string {
	if len(b) > 512 {
		b = b[:512]
	}
	return string(b)
}

// IsStatus reports whether err is a refusal with the given HTTP status.
func IsStatus(err error, status int) bool {
	var e *wcp.Error
	return errors.As(err, &e) && e.Status == status
}

// MaxResponseBytes bounds an HTTP answer the client reads. The contract
// caps request bodies, not answers; its largest legal answer is a page of
// wcp.MaxPageLimit messages whose bodies are wcp.MaxBodyBytes of control
// characters, each escaped as \u00XX (6 bytes) in JSON, plus the fields
// around them: about 99 MB. Anything longer breaks the contract.
const MaxResponseBytes = wcp.MaxPageLimit * (6*wcp.MaxBodyBytes + 1024)
