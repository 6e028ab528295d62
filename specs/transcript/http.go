package transcript

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"errors"
	"io"
	"net/http"
	"strings"
)

// errIncomplete says that the bytes so far are the beginning of a message
// that has not all arrived; errMalformed that they are not one at all.
var (
	errIncomplete = errors.New("incomplete")
	errMalformed  = errors.New("malformed")
)

// httpMessage is one HTTP/1.1 request or response read off a stream.
type httpMessage struct {
	head   string // start line and header fields as they were sent, lines ending in \n
	body   []byte // decoded (no chunk framing)
	n      int    // bytes of the stream it took
	method string // a request's
	status int    // a response's
	// upgrade is a request for websocket, or a response switching to it.
	upgrade bool
}

// readRequest reads the request at the front of b with net/http's parser.
func readRequest(b []byte) (httpMessage, error) {
	if err := headArrived(b, Sent); err != nil {
		return httpMessage{}, err
	}
	br, src := reader(b)
	req, err := http.ReadRequest(br)
	if err != nil {
		return httpMessage{}, classify(err)
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return httpMessage{}, classify(err)
	}
	m := httpMessage{
		body:    decodeBody(req.Header, body),
		n:       len(b) - src.Len() - br.Buffered(),
		method:  req.Method,
		upgrade: headerHas(req.Header, "Upgrade", "websocket"),
	}
	m.head = headOf(b[:m.n])
	return m, nil
}

// readResponse reads the response at the front of b to a request with
// method ("" when none is known). A response that ends with the
// connection is only complete once the stream has ended.
func readResponse(b []byte, method string, ended bool) (httpMessage, error) {
	if err := headArrived(b, Received); err != nil {
		return httpMessage{}, err
	}
	br, src := reader(b)
	var req *http.Request
	if method != "" {
		req = &http.Request{Method: method}
	}
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		return httpMessage{}, classify(err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return httpMessage{}, classify(err)
	}
	untilClose := resp.ContentLength < 0 && len(resp.TransferEncoding) == 0 && resp.Body != http.NoBody
	if untilClose && !ended {
		return httpMessage{}, errIncomplete
	}
	m := httpMessage{
		body:    decodeBody(resp.Header, body),
		n:       len(b) - src.Len() - br.Buffered(),
		status:  resp.StatusCode,
		upgrade: resp.StatusCode == http.StatusSwitchingProtocols,
	}
	m.head = headOf(b[:m.n])
	return m, nil
}

// maxHead is the longest header section taken as one still arriving.
const maxHead = 1 << 20

// headArrived says whether b holds a whole header section: net/http's
// parser takes a header line cut by the end of its input for a whole (and
// broken) one. A first line that is not a request or status line is
// broken whatever follows.
func headArrived(b []byte, dir Dir) error {
	if bytes.Contains(b, []byte("\r\n\r\n")) || bytes.Contains(b, []byte("\n\n")) {
		return nil
	}
	if bytes.IndexByte(b, '\n') >= 0 && !startsHTTP(b, dir) || len(b) > maxHead {
		return errMalformed
	}
	return errIncomplete
}

// decodeBody undoes a gzip or deflate Content-Encoding, so that what the
// body says can be read, and its secrets learned; a body that does not
// decode is left as it came.
func decodeBody(h http.Header, body []byte) []byte {
	var r io.ReadCloser
	switch strings.ToLower(strings.TrimSpace(h.Get("Content-Encoding"))) {
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return body
		}
		r = zr
	case "deflate":
		r = flate.NewReader(bytes.NewReader(body))
	default:
		return body
	}
	defer r.Close()
	out, err := io.ReadAll(io.LimitReader(r, maxInflated))
	if err != nil {
		return body
	}
	return out
}

func reader(b []byte) (*bufio.Reader, *bytes.Reader) {
	src := bytes.NewReader(b)
	return bufio.NewReader(src), src
}

// classify tells a message cut short by the end of the bytes so far from
// one that is broken.
func classify(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errIncomplete
	}
	return errMalformed
}

// headOf is the header section at the front of a message's bytes, up to
// the empty line that ends it, with CRLFs made LFs.
func headOf(msg []byte) string {
	end := len(msg)
	if i := bytes.Index(msg, []byte("\r\n\r\n")); i >= 0 {
		end = i
	}
	if i := bytes.Index(msg, []byte("\n\n")); i >= 0 && i < end {
		end = i
	}
	return strings.ReplaceAll(string(msg[:end]), "\r\n", "\n")
}

func headerHas(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for _, part := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(part), token) {
				return true
			}
		}
	}
	return false
}
