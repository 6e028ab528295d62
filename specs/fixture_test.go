package specs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/client"
)

// How long the specs wait for what the contract promises without a
// deadline of its own. Only CON-4 (1 s) and EXP-2 (1 s of tolerance) put a
// number on time; everything else (an ack, a delivery, a replay, an answer
// to CONNECT) must merely come. These bounds only decide when "not yet"
// becomes "never": a correct server never waits them out, so they are set
// for a slow one (a Python server that fsyncs every message, a
// single-threaded Node server under parallel specs), not for the reference.
const (
	// deliverWithin bounds the wait for a delivery, replay or revocation
	// side effect the contract promises without a deadline.
	deliverWithin = 10 * time.Second
	// answerWithin bounds the wait for an answer the contract requires:
	// an ack, a CONNECT's CONNECT/CONNECT_ERROR, a `session` event.
	answerWithin = 10 * time.Second
	// quietFor is how long a spec watches for something that must not
	// happen (a message that must not be delivered, a revocation that must
	// not come). Longer only makes such a spec stricter.
	quietFor = 500 * time.Millisecond
	// silenceBound is how long a CONNECT that is not JSON at all may go
	// unanswered: the contract asks only that no session results and that
	// the server keeps serving (CON-5, ROB-1).
	silenceBound = 3 * time.Second
)

// actor is one user and a client that calls as that user.
type actor struct {
	User wcp.User
	API  *client.Client
}

// world is what one spec builds for itself: an owner with a workspace and
// a chat, a member of that workspace, and an outsider. Nothing in it is
// shared with another spec, so specs can run in any order and in parallel.
type world struct {
	ctx      context.Context
	url      string
	anon     *client.Client // no token
	owner    actor
	member   actor
	outsider actor
	ws       wcp.Workspace
	chat     wcp.Chat
}

// newWorld builds a fresh world on the suite's target.
func newWorld() *world {
	GinkgoHelper()
	ctx := specContext()
	url := suiteTarget.URL()
	w := &world{ctx: ctx, url: url, anon: client.New(url, nil)}
	w.owner = w.newUser("owner")
	w.member = w.newUser("member")
	w.outsider = w.newUser("outsider")
	var err error
	w.ws, err = w.owner.API.CreateWorkspace(ctx, "specs")
	Expect(err).NotTo(HaveOccurred(), "owner creates a workspace")
	Expect(w.owner.API.AddMember(ctx, w.ws.ID, w.member.User.ID)).To(Succeed(), "owner adds a member")
	w.chat = w.newChat("general")
	return w
}

// newUser registers a user and returns it with its own client.
func (w *world) newUser(name string) actor {
	GinkgoHelper()
	u, err := w.anon.CreateUser(w.ctx, name)
	Expect(err).NotTo(HaveOccurred(), "create user %q", name)
	Expect(u.Token).NotTo(BeEmpty(), "POST /users returns a token")
	return actor{User: u, API: w.anon.WithToken(u.Token)}
}

// newChat creates another chat in the world's workspace, as the owner.
func (w *world) newChat(title string) wcp.Chat {
	GinkgoHelper()
	c, err := w.owner.API.CreateChat(w.ctx, w.ws.ID, title)
	Expect(err).NotTo(HaveOccurred(), "owner creates chat %q", title)
	return c
}

// connString asks for a connection string as a; ttl 0 uses the default.
func (w *world) connString(a actor, chatID string, ttl int) wcp.ConnectionString {
	GinkgoHelper()
	cs, err := a.API.ConnectionString(w.ctx, chatID, ttl)
	Expect(err).NotTo(HaveOccurred(), "connection string for chat %s", chatID)
	return cs
}

// connect opens a session for a on chatID with a fresh connection string
// and closes it when the spec ends. after < 0 leaves `after` out.
func (w *world) connect(a actor, chatID string, after int64) *client.Session {
	GinkgoHelper()
	cs := w.connString(a, chatID, 0)
	auth := wcp.Auth{ChatID: chatID, ConnectionString: cs.ConnectionString}
	if after >= 0 {
		auth.After = &after
	}
	s, err := w.dial(auth, nil)
	Expect(err).NotTo(HaveOccurred(), "connect to chat %s", chatID)
	return s
}

// dial connects with auth as given; a session it opens is closed when the
// spec ends. It returns the refusal (a *wcp.Error) as an error. Without
// opts, the connect and every ack may take up to answerWithin.
func (w *world) dial(auth wcp.Auth, opts *client.Options) (*client.Session, error) {
	if opts == nil {
		opts = &client.Options{ConnectTimeout: answerWithin, AckTimeout: answerWithin}
	}
	s, err := client.Connect(w.ctx, w.url, auth, opts)
	if err == nil {
		DeferCleanup(s.Close)
	}
	return s, err
}

// send sends body on s and requires it to be accepted; it returns the ack.
func (w *world) send(s *client.Session, body string) wcp.Ack {
	GinkgoHelper()
	ack, err := s.Send(w.ctx, body)
	Expect(err).NotTo(HaveOccurred(), "send %q", body)
	Expect(ack.OK).To(BeTrue(), "ack of %q", body)
	return ack
}

// stored lists every stored message of the chat, as the owner sees it.
func (w *world) stored(chatID string) []wcp.Message {
	GinkgoHelper()
	msgs, err := w.owner.API.AllMessages(w.ctx, chatID, 0)
	Expect(err).NotTo(HaveOccurred(), "GET /chat/%s/messages", chatID)
	return msgs
}

// bodyCounter makes message bodies unique within the process, so a body
// found twice is a duplicate and not a coincidence.
var bodyCounter atomic.Int64

func uniqueBody(prefix string) string {
	return fmt.Sprintf("%s #%d/%d", prefix, GinkgoParallelProcess(), bodyCounter.Add(1))
}

// seqs returns the seq of every message, in order.
func seqs(msgs []wcp.Message) []int64 {
	out := make([]int64, len(msgs))
	for i, m := range msgs {
		out[i] = m.Seq
	}
	return out
}

// seqRange is from..to inclusive (empty when to < from).
func seqRange(from, to int64) []int64 {
	out := []int64{}
	for s := from; s <= to; s++ {
		out = append(out, s)
	}
	return out
}

// receivedSeqs polls a session's delivered seqs, for Eventually.
func receivedSeqs(s *client.Session) func() []int64 {
	return func() []int64 { return seqs(s.Received()) }
}

// lastSeq is the highest seq among msgs (0 for none).
func lastSeq(msgs []wcp.Message) int64 {
	var m int64
	for _, x := range msgs {
		m = max(m, x.Seq)
	}
	return m
}

// call sends a raw request with c (w.anon for no token) and returns the
// answer, whatever its status.
func (w *world) call(c *client.Client, method, path string, body []byte) *client.Response {
	GinkgoHelper()
	resp, err := c.Do(w.ctx, method, path, body, nil)
	Expect(err).NotTo(HaveOccurred(), "%s %s", method, path)
	return resp
}

// badToken is a client with a token no server issued.
func (w *world) badToken() *client.Client {
	return w.anon.WithToken("not-a-token-0123456789abcdef")
}

// uniqueID is a well-formed ID (section 1) that no server has issued.
func uniqueID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// sender sends messages back to back on one session in the background,
// each after the previous one's ack, until stopped or n are sent.
type sender struct {
	stop chan struct{}
	done chan struct{}
	acks []wcp.Ack
	err  error
}

func startSender(w *world, s *client.Session, n int) *sender {
	sd := &sender{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(sd.done)
		for range n {
			select {
			case <-sd.stop:
				return
			default:
			}
			ack, err := s.Send(w.ctx, uniqueBody("traffic"))
			if err != nil {
				sd.err = err
				return
			}
			sd.acks = append(sd.acks, ack)
		}
	}()
	DeferCleanup(sd.Stop) // a spec that fails early must not leave it running
	return sd
}

// Wait waits for the sender to finish its n messages and returns the acks.
func (sd *sender) Wait() []wcp.Ack {
	GinkgoHelper()
	<-sd.done
	Expect(sd.err).NotTo(HaveOccurred(), "background sender")
	return sd.acks
}

// Stop ends the sender early and returns the acks it got.
func (sd *sender) Stop() []wcp.Ack {
	GinkgoHelper()
	select {
	case <-sd.stop:
	default:
		close(sd.stop)
	}
	return sd.Wait()
}

// canon returns a copy of msgs with every sent_at spelled one way. Section
// 1 allows `Z` and `+00:00` alike, and nothing asks a server to spell the
// same instant the same way on the socket and over HTTP, so "the same
// message" compares instants, not spellings. A sent_at that does not parse
// is left as it is (and then differs from a parsed one).
func canon(msgs []wcp.Message) []wcp.Message {
	out := make([]wcp.Message, len(msgs))
	for i, m := range msgs {
		if t, err := time.Parse(time.RFC3339Nano, m.SentAt); err == nil {
			m.SentAt = t.UTC().Format(time.RFC3339Nano)
		}
		out[i] = m
	}
	return out
}

// received polls a session's delivered messages, in canon form, for
// Eventually; compare with canon(stored).
func received(s *client.Session) func() []wcp.Message {
	return func() []wcp.Message { return canon(s.Received()) }
}

// canonChats is canon for chats: created_at compared as an instant.
func canonChats(chats ...wcp.Chat) []wcp.Chat {
	out := make([]wcp.Chat, len(chats))
	for i, c := range chats {
		if t, err := time.Parse(time.RFC3339Nano, c.CreatedAt); err == nil {
			c.CreatedAt = t.UTC().Format(time.RFC3339Nano)
		}
		out[i] = c
	}
	return out
}
