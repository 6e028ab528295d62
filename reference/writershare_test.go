package reference

import (
	"fmt"
	"testing"
)

// fill admits messages of ss in chat until one is refused, and returns how
// many were admitted and the bound that refused the next.
func fill(f *fairShare, chat string, ss *session) (int, string) {
	for n := 0; ; n++ {
		if bound := f.admit(chat, ss); bound != "" {
			return n, bound
		}
	}
}

// A lone session may fill half the queue, no more: the other half is
// there for other chats and for the other members of its own.
func TestFairShareLoneFlooder(t *testing.T) {
	f := newFairShare(100)
	flooder, member, other := &session{}, &session{}, &session{}
	n, bound := fill(f, "c_flooded", flooder)
	if n != 50 || bound != boundShare {
		t.Fatalf("a lone flooder held %d and was refused by %q, want 50 and %q", n, bound, boundShare)
	}
	if bound := f.admit("c_other", other); bound != "" {
		t.Errorf("a session of another chat was refused (%s)", bound)
	}
	if bound := f.admit("c_flooded", member); bound != "" {
		t.Errorf("another member of the flooded chat was refused (%s)", bound)
	}
}

// Below half the limit nothing is refused, however the messages are
// spread: a busy chat, or many messages in flight per session, is not
// pushed back while the server has room.
func TestFairShareNoRefusalBelowHalf(t *testing.T) {
	f := newFairShare(1000)
	sessions := make([]*session, 200)
	for i := range sessions {
		sessions[i] = &session{}
	}
	for i := range 499 {
		if bound := f.admit("c_one", sessions[i%len(sessions)]); bound != "" {
			t.Fatalf("message %d refused (%s) with the queue under half full", i, bound)
		}
	}
}

// Flooders in k chats, from many sessions each, leave a chat that has
// nothing queued room for far more than one message, and never fill the
// queue; the total bound holds whatever they do.
func TestFairShareManyFloodedChats(t *testing.T) {
	for _, k := range []int{1, 2, 5, 20} {
		t.Run(fmt.Sprintf("chats=%d", k), func(t *testing.T) {
			const limit = 1000
			f := newFairShare(limit)
			type flooder struct {
				chat string
				ss   *session
			}
			var floods []flooder
			for c := range k {
				for range 4 {
					floods = append(floods, flooder{fmt.Sprintf("c_flood%d", c), &session{}})
				}
			}
			// Round after round, every flooder sends until nobody gets a
			// message in.
			for admitted := true; admitted; {
				admitted = false
				for _, fl := range floods {
					if f.admit(fl.chat, fl.ss) == "" {
						admitted = true
					}
				}
			}
			if f.held >= limit {
				t.Fatalf("the flooders filled the queue: %d held", f.held)
			}
			honest := &session{}
			n, bound := fill(f, "c_honest", honest)
			if want := limit / (k + 2) / 2; n < want {
				t.Errorf("an honest chat got %d messages in (refused by %q), want at least %d", n, bound, want)
			}
			if f.held > limit {
				t.Errorf("%d held, over the limit %d", f.held, limit)
			}
		})
	}
}

// At the limit every message is refused, by the queue bound.
func TestFairShareQueueBound(t *testing.T) {
	f := newFairShare(10)
	for i := range 10 {
		// Ten chats, one message each: no chat is over its share.
		if bound := f.admit(fmt.Sprintf("c_%d", i), &session{}); bound != "" {
			t.Fatalf("message %d refused (%s)", i, bound)
		}
	}
	if bound := f.admit("c_new", &session{}); bound != boundQueue {
		t.Errorf("with the queue full: refused by %q, want %q", bound, boundQueue)
	}
}

// Releasing every admitted message leaves nothing counted, so idle chats
// and ended sessions are not remembered.
func TestFairShareReleaseForgets(t *testing.T) {
	f := newFairShare(100)
	type held struct {
		chat string
		ss   *session
	}
	var all []held
	for c := range 5 {
		for range 3 {
			ss := &session{}
			for range 7 {
				chat := fmt.Sprintf("c_%d", c)
				if f.admit(chat, ss) == "" {
					all = append(all, held{chat, ss})
				}
			}
		}
	}
	for _, h := range all {
		f.release(h.chat, h.ss)
	}
	if f.held != 0 || len(f.chats) != 0 {
		t.Errorf("after releasing everything: %d held, %d chats remembered", f.held, len(f.chats))
	}
	f.release("c_never", &session{}) // a release without an admit counts nothing
	if f.held != 0 {
		t.Errorf("a release without an admit changed the count to %d", f.held)
	}
}
