package harness

import (
	"context"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/client"
)

// Actor is one user and a client that calls as that user.
type Actor struct {
	User wcp.User
	API  *client.Client
}

// World is what one spec builds for itself: an owner with a workspace and
// a chat, a member of that workspace, and an outsider. Nothing in it is
// shared with another spec, so specs can run in any order and in parallel.
// Its methods fail the spec (Gomega) when the server refuses what they
// need; every context they take bounds their calls.
type World struct {
	URL      string
	Anon     *client.Client // no token
	Owner    Actor
	Member   Actor
	Outsider Actor
	WS       wcp.Workspace
	Chat     wcp.Chat
}

// NewWorld builds a fresh world on this process's target.
func NewWorld(ctx context.Context) *World {
	GinkgoHelper()
	url := TargetURL()
	w := &World{URL: url, Anon: client.New(url, nil)}
	w.Owner = w.NewUser(ctx, "owner")
	w.Member = w.NewUser(ctx, "member")
	w.Outsider = w.NewUser(ctx, "outsider")
	var err error
	w.WS, err = w.Owner.API.CreateWorkspace(ctx, "specs")
	Expect(err).NotTo(HaveOccurred(), "owner creates a workspace")
	Expect(w.Owner.API.AddMember(ctx, w.WS.ID, w.Member.User.ID)).To(Succeed(), "owner adds a member")
	w.Chat = w.NewChat(ctx, "general")
	return w
}

// NewUser registers a user and returns it with its own client.
func (w *World) NewUser(ctx context.Context, name string) Actor {
	GinkgoHelper()
	u, err := w.Anon.CreateUser(ctx, name)
	Expect(err).NotTo(HaveOccurred(), "create user %q", name)
	Expect(u.Token).NotTo(BeEmpty(), "POST /users returns a token")
	return Actor{User: u, API: w.Anon.WithToken(u.Token)}
}

// NewChat creates another chat in the world's workspace, as the owner.
func (w *World) NewChat(ctx context.Context, title string) wcp.Chat {
	GinkgoHelper()
	c, err := w.Owner.API.CreateChat(ctx, w.WS.ID, title)
	Expect(err).NotTo(HaveOccurred(), "owner creates chat %q", title)
	return c
}

// OutsiderJoined makes the world's outsider a member (once) and returns
// it: some specs need a third participant.
func (w *World) OutsiderJoined(ctx context.Context) Actor {
	GinkgoHelper()
	Expect(w.Owner.API.AddMember(ctx, w.WS.ID, w.Outsider.User.ID)).To(Succeed())
	return w.Outsider
}

// ChatIDs lists the chat IDs of the world's workspace, as the owner sees it.
func (w *World) ChatIDs(ctx context.Context) []string {
	GinkgoHelper()
	chats, err := w.Owner.API.ListChats(ctx, w.WS.ID)
	Expect(err).NotTo(HaveOccurred())
	ids := make([]string, len(chats))
	for i, c := range chats {
		ids[i] = c.ID
	}
	return ids
}

// ConnString asks for a connection string as a; ttl 0 uses the default.
func (w *World) ConnString(ctx context.Context, a Actor, chatID string, ttl int) wcp.ConnectionString {
	GinkgoHelper()
	cs, err := a.API.ConnectionString(ctx, chatID, ttl)
	Expect(err).NotTo(HaveOccurred(), "connection string for chat %s", chatID)
	return cs
}

// Connect opens a session for a on chatID with a fresh connection string
// and closes it when the spec ends. after < 0 leaves `after` out.
func (w *World) Connect(ctx context.Context, a Actor, chatID string, after int64) *client.Session {
	GinkgoHelper()
	cs := w.ConnString(ctx, a, chatID, 0)
	auth := wcp.Auth{ChatID: chatID, ConnectionString: cs.ConnectionString}
	if after >= 0 {
		auth.After = &after
	}
	s, err := w.Dial(ctx, auth, nil)
	Expect(err).NotTo(HaveOccurred(), "connect to chat %s", chatID)
	return s
}

// Dial connects with auth as given; a session it opens is closed when the
// spec ends. It returns the refusal (a *wcp.Error) as an error. Without
// opts, the connect and every ack may take up to AnswerWithin.
func (w *World) Dial(ctx context.Context, auth wcp.Auth, opts *client.Options) (*client.Session, error) {
	return DialURL(ctx, w.URL, auth, opts)
}

// DialURL is Dial to a server at url, which may be a proxy of the target.
func DialURL(ctx context.Context, url string, auth wcp.Auth, opts *client.Options) (*client.Session, error) {
	if opts == nil {
		opts = &client.Options{ConnectTimeout: AnswerWithin, AckTimeout: AnswerWithin}
	}
	s, err := client.Connect(ctx, url, auth, opts)
	if err == nil {
		DeferCleanup(s.Close)
	}
	return s, err
}

// Send sends body on s and requires it to be accepted; it returns the ack.
func (w *World) Send(ctx context.Context, s *client.Session, body string) wcp.Ack {
	GinkgoHelper()
	ack, err := s.Send(ctx, body)
	Expect(err).NotTo(HaveOccurred(), "send %q", body)
	Expect(ack.OK).To(BeTrue(), "ack of %q", body)
	return ack
}

// Stored lists every stored message of the chat, as the owner sees it.
func (w *World) Stored(ctx context.Context, chatID string) []wcp.Message {
	GinkgoHelper()
	msgs, err := w.Owner.API.AllMessages(ctx, chatID, 0)
	Expect(err).NotTo(HaveOccurred(), "GET %s", wcp.MessagesPath(chatID))
	return msgs
}
