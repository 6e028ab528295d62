package specs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/client"
)

// expectServesEndToEnd is ROB-1's "keeps serving everyone else": a brand
// new user goes through every step, HTTP and socket, within a few seconds.
func expectServesEndToEnd() {
	GinkgoHelper()
	By("a fresh user is still served end to end")
	w := newWorld()
	Expect(healthz(w.ctx, &http.Client{Timeout: answerWithin}, w.url)).To(Succeed())
	s := w.connect(w.member, w.chat.ID, -1)
	obs := w.connect(w.owner, w.chat.ID, -1)
	ack := w.send(s, "still serving")
	Eventually(receivedSeqs(obs)).WithTimeout(deliverWithin).Should(Equal([]int64{ack.Seq}))
	Expect(w.stored(w.chat.ID)).To(HaveLen(1))
}

// postBodies are the POST calls with a JSON body, as path builders.
func postBodies(w *world) map[string]string {
	return map[string]string{
		"/users":                       "/users",
		"/workspaces":                  "/workspaces",
		"/chat":                        "/chat",
		"/workspaces/{id}/members":     "/workspaces/" + esc(w.ws.ID) + "/members",
		"/chat/{id}/connection-string": "/chat/" + esc(w.chat.ID) + "/connection-string",
	}
}

var _ = Describe("Robustness over HTTP (ROB-1, ROB-2)", func() {
	It("ROB-2: malformed JSON and wrong types are 400 bad_request on every POST", Label("ROB-2", "ROB-1"), func() {
		w := newWorld()
		for name, path := range postBodies(w) {
			for _, body := range []string{`{`, `{"name":`, `[]`, `"x"`, `42`, `{"name":"a"}{"name":"b"}x`, "\x00\x01"} {
				expectHTTPError(w.call(w.owner.API, http.MethodPost, path, []byte(body)), http.StatusBadRequest, wcp.CodeBadRequest, "POST %s %q", name, body)
			}
		}
		for _, body := range []string{`{}`, `{"name":7}`, `{"name":""}`, `{"name":null}`, `{"name":["a"]}`, `{"name":"` + strings.Repeat("n", wcp.MaxNameLen+1) + `"}`} {
			expectHTTPError(w.call(w.anon, http.MethodPost, "/users", []byte(body)), http.StatusBadRequest, wcp.CodeBadRequest, "POST /users %q", body)
			expectHTTPError(w.call(w.owner.API, http.MethodPost, "/workspaces", []byte(body)), http.StatusBadRequest, wcp.CodeBadRequest, "POST /workspaces %q", body)
		}
		for _, body := range []string{`{}`, `{"user_id":7}`, `{"user_id":null}`} {
			expectHTTPError(w.call(w.owner.API, http.MethodPost, "/workspaces/"+esc(w.ws.ID)+"/members", []byte(body)), http.StatusBadRequest, wcp.CodeBadRequest, "POST members %q", body)
		}
		// names are counted in characters: 100 two-byte characters are fine
		expectStatus(w.call(w.anon, http.MethodPost, "/users", []byte(`{"name":"`+strings.Repeat("é", wcp.MaxNameLen)+`"}`)), http.StatusCreated)
		expectServesEndToEnd()
	})

	It("ROB-2: a body over 64 KiB is 413 payload_too_large before it is parsed", Label("ROB-2", "ROB-1"), func() {
		w := newWorld()
		over := wcp.MaxHTTPBody + 1
		malformed := bytes.Repeat([]byte("{"), over) // would be a 400 if it were parsed
		padded := []byte(`{"name":"big"` + strings.Repeat(" ", over-len(`{"name":"big"}`)) + `}`)
		Expect(padded).To(HaveLen(over))
		for name, path := range postBodies(w) {
			expectHTTPError(w.call(w.owner.API, http.MethodPost, path, malformed), http.StatusRequestEntityTooLarge, wcp.CodePayloadTooLarge, "POST %s, malformed", name)
			expectHTTPError(w.call(w.owner.API, http.MethodPost, path, padded), http.StatusRequestEntityTooLarge, wcp.CodePayloadTooLarge, "POST %s, valid JSON", name)
		}
		// without a Content-Length, too
		resp := chunkedPost(w.ctx, w.url+"/users", malformed)
		expectHTTPError(resp, http.StatusRequestEntityTooLarge, wcp.CodePayloadTooLarge)
		// exactly 64 KiB is not over the limit
		exact := []byte(`{"name":"big"` + strings.Repeat(" ", wcp.MaxHTTPBody-len(`{"name":"big"}`)) + `}`)
		expectStatus(w.call(w.anon, http.MethodPost, "/users", exact), http.StatusCreated)
		expectServesEndToEnd()
	})

	It("ROB-1: deeply nested JSON is a 400, not a crash", Label("ROB-1", "ROB-2"), func() {
		w := newWorld()
		const depth = 30000 // 60 KB: under the size limit, over any sane depth limit
		nested := `{"name":` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + `}`
		expectHTTPError(w.call(w.anon, http.MethodPost, "/users", []byte(nested)), http.StatusBadRequest, wcp.CodeBadRequest)
		objects := strings.Repeat(`{"a":`, 10000) + "1" + strings.Repeat("}", 10000)
		expectHTTPError(w.call(w.owner.API, http.MethodPost, "/workspaces", []byte(objects)), http.StatusBadRequest, wcp.CodeBadRequest)
		expectServesEndToEnd()
	})

	It("ROB-2: a bad Authorization header is 401 unauthenticated", Label("ROB-2"), func() {
		w := newWorld()
		for _, h := range []string{"", "Bearer", "Bearer ", "Basic " + w.owner.User.Token, w.owner.User.Token, "Bearer " + w.owner.User.Token + "x", "Bearer x" + w.owner.User.Token} {
			resp, err := w.anon.Do(w.ctx, http.MethodGet, "/workspaces/"+esc(w.ws.ID), nil, http.Header{"Authorization": {h}})
			Expect(err).NotTo(HaveOccurred())
			expectHTTPError(resp, http.StatusUnauthorized, wcp.CodeUnauthenticated, "Authorization %q", h)
		}
	})

	It("ROB-2: a wrong method is 405 method_not_allowed and an unknown path 404 not_found", Label("ROB-2"), func() {
		w := newWorld()
		for _, c := range [][2]string{
			{http.MethodGet, "/users"},
			{http.MethodPut, "/workspaces/" + esc(w.ws.ID)},
			{http.MethodPatch, "/chat/" + esc(w.chat.ID)},
			{http.MethodPut, "/chat/" + esc(w.chat.ID) + "/messages"},
			{http.MethodGet, "/chat"},
		} {
			expectHTTPError(w.call(w.owner.API, c[0], c[1], nil), http.StatusMethodNotAllowed, wcp.CodeMethodNotAllowed, "%s %s", c[0], c[1])
		}
		expectHTTPError(w.call(w.owner.API, http.MethodGet, "/no/such/thing", nil), http.StatusNotFound, wcp.CodeNotFound)
	})

	It("ROB-2: out-of-range paging is 400 bad_request", Label("ROB-2"), func() {
		w := newWorld()
		for _, q := range []string{"after=-1", "after=x", "after=1.5", "limit=0", "limit=1001", "limit=-5", "limit=x"} {
			expectHTTPError(w.call(w.member.API, http.MethodGet, "/chat/"+esc(w.chat.ID)+"/messages?"+q, nil), http.StatusBadRequest, wcp.CodeBadRequest, q)
		}
	})
})

// chunkedPost posts body with chunked transfer encoding (no Content-Length).
func chunkedPost(ctx context.Context, url string, body []byte) *client.Response {
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

var _ = Describe("Robustness on the socket (ROB-1)", func() {
	// CON-5: "an auth that is not a JSON object at all may instead end the
	// connection without a CONNECT_ERROR". Auth that is JSON reaches the
	// server's own check, so it is refused (bad_request) or the connection
	// ends, promptly.
	It("ROB-1: an auth that is not an object gets no session", Label("ROB-1", "CON-5"), func() {
		w := newWorld()
		for _, raw := range []string{`"str"`, `42`, `[1]`, `null`, `true`, ``} {
			out, err := rawConnect(w.ctx, w.url, raw)
			Expect(err).NotTo(HaveOccurred(), "auth %s", raw)
			Expect(out.Accepted).To(BeFalse(), "no session for auth %s", raw)
			if !out.Closed {
				Expect(out.Code).To(Equal(wcp.CodeBadRequest), "a CONNECT_ERROR for auth %s says bad_request", raw)
			}
		}
		expectServesEndToEnd()
	})

	// A CONNECT whose payload is not JSON at all is a packet the server's
	// Socket.IO layer may not even decode: a stock python-socketio server
	// drops it and leaves the transport open without a session. The
	// contract asks for no session (CON-5) and for the server to keep
	// serving (ROB-1), so a CONNECT_ERROR bad_request, the end of the
	// connection and silence are all correct; a session is not, nor is a
	// server that stops serving others while such connections hang open.
	It("ROB-1: a CONNECT whose auth is not JSON at all gets no session, and the server keeps serving", Label("ROB-1", "CON-5"), func() {
		w := newWorld()
		raws := []string{`{"chat_id":`, `{"chat_id":"` + w.chat.ID + `","connection_string":`, `"`, `{"a":1}}`}
		outs := make([]connectOutcome, len(raws))
		conns := make([]*client.RawConn, len(raws))
		errs := make([]error, len(raws))
		var wg sync.WaitGroup
		for i, raw := range raws {
			wg.Add(1)
			go func() {
				defer wg.Done()
				outs[i], conns[i], errs[i] = rawConnectHeld(w.ctx, w.url, raw, silenceBound)
			}()
		}
		wg.Wait()
		for i, raw := range raws {
			if conns[i] != nil {
				DeferCleanup(conns[i].Close)
			}
			Expect(errs[i]).NotTo(HaveOccurred(), "auth %s", raw)
			Expect(outs[i].Accepted).To(BeFalse(), "no session for auth %s", raw)
			if !outs[i].Closed && !outs[i].Silent {
				Expect(outs[i].Code).To(Equal(wcp.CodeBadRequest), "a CONNECT_ERROR for auth %s says bad_request", raw)
			}
			GinkgoWriter.Printf("auth %s: %s\n", raw, outs[i])
		}
		// The connections the server left open stay open while others are
		// served.
		expectServesEndToEnd()
	})

	It("ROB-1: garbage frames and abrupt hang-ups leave the server serving", Label("ROB-1"), func() {
		w := newWorld()
		for _, frames := range [][]string{{"42["}, {"4x"}, {"zzz"}, {"40{}", "42[\"message\""}, {"40", "41"}, {"2probe", "5"}} {
			c, err := client.DialRaw(w.ctx, w.url)
			Expect(err).NotTo(HaveOccurred())
			for _, f := range frames {
				_ = c.WriteFrame(f)
			}
			c.Close()
		}
		expectServesEndToEnd()
	})

	It("ROB-1: a flood of malformed messages is refused one by one and stalls nobody", Label("ROB-1", "MSG-2"), func() {
		w := newWorld()
		obs := w.connect(w.owner, w.chat.ID, -1)
		other := w.connect(w.outsiderJoined(), w.chat.ID, -1)
		raw, info := w.rawSession(w.member, w.chat.ID)

		bad := []string{
			`["message","x"]`, `["message",42]`, `["message",null]`, `["message",[1,2]]`, `["message",{}]`,
			`["message",{"chat_id":"` + w.chat.ID + `","nonce":1,"body":"b","message_string":"00"}]`,
			`["message",{"chat_id":` + strings.Repeat("[", 500) + strings.Repeat("]", 500) + `}]`,
		}
		const rounds = 40
		id := uint64(0)
		for range rounds {
			for _, b := range bad {
				id++
				Expect(raw.Emit(b, &id)).To(Succeed())
			}
			// No ack asked for these: with no payload, Socket.IO servers
			// hand the ack callback to the handler as the payload.
			Expect(raw.Emit(`["no-such-event",{}]`, nil)).To(Succeed())
			Expect(raw.Emit(`["message"]`, nil)).To(Succeed())
		}
		// Everyone else in the chat is served while the flood is processed...
		ack := w.send(other, "after the flood")
		Eventually(receivedSeqs(obs)).WithTimeout(deliverWithin).Should(Equal([]int64{ack.Seq}))
		// ...every malformed message is refused...
		acks := w.readAcks(raw, id)
		for i, a := range acks {
			Expect(a.OK).To(BeFalse(), "ack %d accepted a malformed message", i+1)
		}
		// ...and the flooding session itself goes on.
		sig, err := wcp.Sign(info.MessageKey, w.chat.ID, info.SessionID, 1, "flooder")
		Expect(err).NotTo(HaveOccurred())
		id++
		Expect(raw.Emit(fmt.Sprintf(`["message",{"chat_id":%q,"nonce":1,"body":"flooder","message_string":%q}]`, w.chat.ID, sig), &id)).To(Succeed())
		last := w.readAcks(raw, 1)
		Expect(last[0].OK).To(BeTrue(), "the flooding session's valid message: %+v", last[0].Error)
		Expect(w.stored(w.chat.ID)).To(HaveLen(2), "only the two valid messages are stored")
		expectServesEndToEnd()
	})
})

// rawSession connects a raw Engine.IO socket as a and returns it with the
// `session` payload, so a spec can sign what it sends by hand.
func (w *world) rawSession(a actor, chatID string) (*client.RawConn, wcp.Session) {
	GinkgoHelper()
	cs := w.connString(a, chatID, 0)
	c, err := client.DialRaw(w.ctx, w.url)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(c.Close)
	auth, _ := json.Marshal(authMap(chatID, cs.ConnectionString))
	ctx, cancel := context.WithTimeout(w.ctx, answerWithin)
	defer cancel()
	p, err := c.Connect(ctx, string(auth))
	Expect(err).NotTo(HaveOccurred())
	Expect(p.Type).To(Equal(byte(client.PacketConnect)), "connected: %s", p.Data)
	for {
		p, err := c.Read(ctx)
		Expect(err).NotTo(HaveOccurred(), "waiting for the session event")
		var ev []json.RawMessage
		if p.Type != client.PacketEvent || json.Unmarshal(p.Data, &ev) != nil || len(ev) < 2 {
			continue
		}
		var name string
		var info wcp.Session
		if json.Unmarshal(ev[0], &name) == nil && name == wcp.EventSession {
			Expect(json.Unmarshal(ev[1], &info)).To(Succeed())
			return c, info
		}
	}
}

// readAcks reads until n acks have come (ids are not checked: the raw
// socket asked for them in order) and returns them, parsed.
func (w *world) readAcks(c *client.RawConn, n uint64) []wcp.Ack {
	GinkgoHelper()
	ctx, cancel := context.WithTimeout(w.ctx, answerWithin)
	defer cancel()
	var acks []wcp.Ack
	for uint64(len(acks)) < n {
		p, err := c.Read(ctx)
		Expect(err).NotTo(HaveOccurred(), "after %d of %d acks", len(acks), n)
		if p.Type != client.PacketAck {
			continue
		}
		var args []wcp.Ack
		Expect(json.Unmarshal(p.Data, &args)).To(Succeed(), "ack %s", p.Data)
		Expect(args).NotTo(BeEmpty())
		acks = append(acks, args[0])
	}
	return acks
}
