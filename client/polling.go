package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wcp-project/wcp/wire"
)

// maxPollBody bounds one long-polling response: far above any payload a
// WCP server sends (a message is at most 16 KiB of body), far below what
// would hurt the process that runs the specs.
const maxPollBody = 16 << 20

// pollTransport is Engine.IO over HTTP long-polling: a GET waits for the
// server's packets, a POST carries the client's. Both send whole bodies
// with a Content-Length: python-engineio drops chunked POST bodies.
type pollTransport struct {
	url    string // the endpoint with this session's sid
	hc     *http.Client
	ctx    context.Context // ended by close, which cancels a waiting GET
	cancel context.CancelFunc
	closed atomic.Bool
	seq    atomic.Uint64 // for cacheBuster

	pending []string // packets of the last GET not yet returned (reader only)

	wmu sync.Mutex // Engine.IO servers refuse overlapping POSTs
}

func dialPolling(ctx context.Context, endpoint string) (*pollTransport, wire.Open, error) {
	// A transport of its own, so that close releases its connections and
	// no goroutine outlives the session.
	hc := &http.Client{Transport: &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		MaxIdleConnsPerHost: 2, // one GET waiting, one POST
		DisableCompression:  true,
	}}
	bg, cancel := context.WithCancel(context.Background())
	t := &pollTransport{url: endpoint, hc: hc, ctx: bg, cancel: cancel}
	body, err := t.get(ctx, time.Time{})
	if err != nil {
		t.close()
		return nil, wire.Open{}, fmt.Errorf("polling handshake: %w", err)
	}
	packets := wire.SplitPayload(body)
	open, err := wire.ParseOpen(packets[0])
	if err != nil {
		t.close()
		return nil, wire.Open{}, err
	}
	t.pending = packets[1:]
	u, err := url.Parse(endpoint)
	if err != nil {
		t.close()
		return nil, wire.Open{}, err
	}
	q := u.Query()
	q.Set("sid", open.SID)
	u.RawQuery = q.Encode()
	t.url = u.String()
	return t, open, nil
}

func (t *pollTransport) next(deadline time.Time) (string, error) {
	for len(t.pending) == 0 {
		body, err := t.get(t.ctx, deadline)
		if err != nil {
			return "", err
		}
		t.pending = wire.SplitPayload(body)
	}
	p := t.pending[0]
	t.pending = t.pending[1:]
	return p, nil
}

// get makes one long-polling GET, bounded by ctx (the caller's during the
// handshake, t.ctx after it) and deadline, and returns its body. A refusal (Engine.IO servers answer 400 for a session they
// ended) reads as the end of the connection.
func (t *pollTransport) get(ctx context.Context, deadline time.Time) (string, error) {
	if !deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}
	if t.closed.Load() {
		return "", fmt.Errorf("%w: closed", ErrRawClosed)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.url+"&t="+t.cacheBuster(), nil)
	if err != nil {
		return "", err
	}
	resp, err := t.hc.Do(req)
	if err != nil {
		return "", t.requestErr(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxPollBody+1))
	if err != nil {
		return "", t.requestErr(err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%w: polling GET answered %s: %q", ErrRawClosed, resp.Status, wire.Clip(string(body)))
	}
	if len(body) > maxPollBody {
		return "", fmt.Errorf("polling GET: body over %d bytes", maxPollBody)
	}
	return string(body), nil
}

func (t *pollTransport) send(packets ...string) error {
	if len(packets) == 0 {
		return nil
	}
	t.wmu.Lock()
	defer t.wmu.Unlock()
	if t.closed.Load() {
		return fmt.Errorf("%w: closed", ErrRawClosed)
	}
	return t.post(t.ctx, packets)
}

func (t *pollTransport) post(ctx context.Context, packets []string) error {
	ctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url+"&t="+t.cacheBuster(), strings.NewReader(wire.JoinPayload(packets)))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	resp, err := t.hc.Do(req)
	if err != nil {
		return t.requestErr(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: polling POST answered %s: %q", ErrRawClosed, resp.Status, wire.Clip(string(body)))
	}
	return nil
}

// close tells the server (best effort, briefly) and then ends the waiting
// GET and every idle connection.
func (t *pollTransport) close() error {
	if t.closed.Swap(true) {
		return nil
	}
	t.wmu.Lock()
	ctx, cancel := context.WithTimeout(t.ctx, time.Second)
	_ = t.post(ctx, []string{wire.CloseFrame})
	cancel()
	t.wmu.Unlock()
	t.cancel()
	t.hc.CloseIdleConnections()
	return nil
}

// requestErr reads a failed request after close as the end of the
// connection, and keeps a timeout a timeout.
func (t *pollTransport) requestErr(err error) error {
	if t.closed.Load() || errors.Is(err, context.Canceled) {
		return fmt.Errorf("%w: %v", ErrRawClosed, err)
	}
	return closedErr(err)
}

// cacheBuster makes every polling URL unique, as Engine.IO clients do, so
// that no cache between client and server answers a GET twice.
func (t *pollTransport) cacheBuster() string { return strconv.FormatUint(t.seq.Add(1), 36) }
