package reference

// fairShare counts what the writer holds (messages accepted and not yet
// through a deliverer) in total, by chat, and by session within each chat,
// and decides which new message it may take. Its caller holds the writer's
// lock.
//
// The rule. Below half of the limit every message is taken: a queue that
// is mostly empty has no one to be fair to, so a single busy chat, or a
// load test with many messages in flight per session, is never refused
// while the server has room. From half the limit on, a chat's share is
// limit/(n+1), n being the number of chats holding messages, itself
// included (a chat holding none counts itself in): the +1 keeps a share
// free for a chat that has nothing queued yet. A session's share of its
// chat's is, likewise, the chat's share divided by one more than the
// chat's sessions holding messages. A message is refused when its chat
// holds its share and its session holds the session's share too: so a
// member of a chat that another member floods still gets its own share
// through. At the limit nothing is taken.
//
// What it buys. A member who floods its chats cannot take the whole queue
// from the others: with k flooded chats, each holds at most about
// limit/(k+1) once the queue is half full, which leaves another chat about
// limit/(k+1) before the server is full, far more than an honest chat has
// in flight; and a flooder cannot shut the other members of its own chat
// out either, whatever the number of its sessions (m of them hold at most
// about m/(m+1) of the chat's share, plus what they took below half).
// Fairness stops where the attacker can create as many chats, or open as
// many sessions, as the queue has slots: then every share is one message,
// and only the total bound is left (a rate limit per user would be the
// next step; the protocol has no place to say so).
type fairShare struct {
	limit int
	held  int
	chats map[string]*chatHeld
	// spare are emptied chatHeld kept for reuse: with one message in
	// flight per session a chat's count drops to zero and back with
	// nearly every commit, and allocating its record and map each time
	// was a measurable part of the accept path.
	spare []*chatHeld
}

// maxSpare bounds fairShare.spare.
const maxSpare = 256

// chatHeld is what the writer holds of one chat.
type chatHeld struct {
	held     int
	sessions map[*session]int
}

func newFairShare(limit int) *fairShare {
	return &fairShare{limit: limit, chats: make(map[string]*chatHeld)}
}

// Why admit refused a message: the bound that was reached.
const (
	boundQueue = "queue" // the server's whole queue
	boundShare = "share" // the chat's share of it, and the session's of the chat's
)

// admit counts a message of ss in chat as held and returns "", or returns
// the bound that refuses it and counts nothing.
func (f *fairShare) admit(chat string, ss *session) string {
	if f.held >= f.limit {
		return boundQueue
	}
	c := f.chats[chat]
	if f.held >= f.limit/2 && c != nil { // a chat holding nothing is under its share
		chats := len(f.chats)
		share := max(1, f.limit/(chats+1))
		mine := c.sessions[ss]
		sessions := len(c.sessions)
		if mine == 0 {
			sessions++
		}
		if c.held >= share && mine >= max(1, share/(sessions+1)) {
			return boundShare
		}
	}
	if c == nil {
		if n := len(f.spare); n > 0 {
			c, f.spare = f.spare[n-1], f.spare[:n-1]
		} else {
			c = &chatHeld{sessions: make(map[*session]int, 1)}
		}
		f.chats[chat] = c
	}
	f.held++
	c.held++
	c.sessions[ss]++
	return ""
}

// release ends the hold of one message admitted for ss in chat.
func (f *fairShare) release(chat string, ss *session) {
	c := f.chats[chat]
	if c == nil {
		return // never admitted: a caller's bug, but no count may go negative
	}
	f.held--
	c.held--
	if c.sessions[ss]--; c.sessions[ss] <= 0 {
		delete(c.sessions, ss)
	}
	if c.held <= 0 {
		delete(f.chats, chat)
		if len(f.spare) < maxSpare {
			c.held = 0
			clear(c.sessions)
			f.spare = append(f.spare, c)
		}
	}
}
