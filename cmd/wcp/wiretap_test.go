package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/gorilla/websocket"
)

// wiretap is the redaction test's independent witness: an HTTP and
// websocket relay in front of a server that keeps, in the clear, every
// secret that crossed it: tokens (responses and Authorization headers),
// connection strings, message keys and message strings. It shares no code
// with the harness's own recorder, so a blind spot there is not one here.
type wiretap struct {
	t       *testing.T
	backend string // http://host:port
	srv     *httptest.Server

	mu      sync.Mutex
	secrets map[string]string // value -> the field it came from
}

// secretFields are the JSON keys whose string values WCP/1 treats as
// secrets.
var secretFields = map[string]bool{"token": true, "connection_string": true, "message_key": true, "message_string": true}

func newWiretap(t *testing.T, backend string) *wiretap {
	w := &wiretap{t: t, backend: backend, secrets: map[string]string{}}
	w.srv = httptest.NewServer(http.HandlerFunc(w.serve))
	t.Cleanup(w.srv.Close)
	return w
}

func (w *wiretap) URL() string { return w.srv.URL }

// Secrets returns what was seen, by field.
func (w *wiretap) Secrets() map[string]string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := map[string]string{}
	for k, v := range w.secrets {
		out[k] = v
	}
	return out
}

func (w *wiretap) serve(rw http.ResponseWriter, r *http.Request) {
	if auth, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		w.learn("token", auth)
	}
	if websocket.IsWebSocketUpgrade(r) {
		w.relayWebSocket(rw, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	w.scan(body)
	req, err := http.NewRequestWithContext(r.Context(), r.Method, w.backend+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		http.Error(rw, err.Error(), http.StatusBadGateway)
		return
	}
	req.Header = r.Header.Clone()
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		http.Error(rw, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	w.scan(out)
	for k, vs := range resp.Header {
		for _, v := range vs {
			rw.Header().Add(k, v)
		}
	}
	rw.WriteHeader(resp.StatusCode)
	_, _ = rw.Write(out)
}

func (w *wiretap) relayWebSocket(rw http.ResponseWriter, r *http.Request) {
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	front, err := up.Upgrade(rw, r, nil)
	if err != nil {
		return
	}
	defer front.Close()
	back, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(w.backend, "http")+r.URL.RequestURI(), nil)
	if err != nil {
		return
	}
	defer back.Close()
	done := make(chan struct{}, 2)
	pump := func(from, to *websocket.Conn) {
		defer func() { done <- struct{}{} }()
		for {
			typ, data, err := from.ReadMessage()
			if err != nil {
				_ = to.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
				return
			}
			w.scan(data)
			if err := to.WriteMessage(typ, data); err != nil {
				return
			}
		}
	}
	go pump(front, back)
	go pump(back, front)
	<-done
}

// scan learns secrets from a body or frame: JSON, or Engine.IO/Socket.IO
// packets (a type prefix, then JSON), possibly several separated by \x1e.
func (w *wiretap) scan(data []byte) {
	for _, part := range bytes.Split(data, []byte{0x1e}) {
		if i := bytes.IndexAny(part, "[{"); i >= 0 {
			var v any
			if json.Unmarshal(part[i:], &v) == nil {
				w.walk(v)
			}
		}
	}
}

func (w *wiretap) walk(v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok && secretFields[k] {
				w.learn(k, s)
			}
			w.walk(x)
		}
	case []any:
		for _, x := range v {
			w.walk(x)
		}
	}
}

// learn keeps values long enough to be a secret rather than a short test
// input ("", "x"), which the reports may legitimately show.
func (w *wiretap) learn(field, value string) {
	if len(value) < 8 {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.secrets[value] = field
}
