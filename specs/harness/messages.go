package harness

import (
	"fmt"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/client"
)

// bodyCounter makes message bodies unique within the process, so a body
// found twice is a duplicate and not a coincidence.
var bodyCounter atomic.Int64

// UniqueBody is a message body no other spec of this run sends.
func UniqueBody(prefix string) string {
	return fmt.Sprintf("%s #%d/%d", prefix, GinkgoParallelProcess(), bodyCounter.Add(1))
}

// Seqs returns the seq of every message, in order.
func Seqs(msgs []wcp.Message) []int64 {
	out := make([]int64, len(msgs))
	for i, m := range msgs {
		out[i] = m.Seq
	}
	return out
}

// SeqRange is from..to inclusive (empty when to < from).
func SeqRange(from, to int64) []int64 {
	out := []int64{}
	for s := from; s <= to; s++ {
		out = append(out, s)
	}
	return out
}

// ReceivedSeqs polls a session's delivered seqs, for Eventually.
func ReceivedSeqs(s *client.Session) func() []int64 {
	return func() []int64 { return Seqs(s.Received()) }
}

// LastSeq is the highest seq among msgs (0 for none).
func LastSeq(msgs []wcp.Message) int64 {
	var m int64
	for _, x := range msgs {
		m = max(m, x.Seq)
	}
	return m
}

// Canon returns a copy of msgs with every sent_at spelled one way.
// PROTOCOL.md §1 allows `Z` and `+00:00` alike, and nothing asks a server to spell the
// same instant the same way on the socket and over HTTP, so "the same
// message" compares instants, not spellings. A sent_at that does not parse
// is left as it is (and then differs from a parsed one).
func Canon(msgs []wcp.Message) []wcp.Message {
	out := make([]wcp.Message, len(msgs))
	for i, m := range msgs {
		m.SentAt = canonTime(m.SentAt)
		out[i] = m
	}
	return out
}

// Received polls a session's delivered messages, in canon form, for
// Eventually; compare with Canon(stored).
func Received(s *client.Session) func() []wcp.Message {
	return func() []wcp.Message { return Canon(s.Received()) }
}

// CanonChats is Canon for chats: created_at compared as an instant.
func CanonChats(chats ...wcp.Chat) []wcp.Chat {
	out := make([]wcp.Chat, len(chats))
	for i, c := range chats {
		c.CreatedAt = canonTime(c.CreatedAt)
		out[i] = c
	}
	return out
}

func canonTime(s string) string {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC().Format(time.RFC3339Nano)
	}
	return s
}

// ParseWireTime parses a time in the protocol's form (PROTOCOL.md §1: RFC 3339,
// UTC, milliseconds) and fails the spec if it is not in that form.
func ParseWireTime(s string) time.Time {
	GinkgoHelper()
	Expect(s).To(MatchRegexp(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|\+00:00)$`), "RFC 3339, UTC, milliseconds")
	t, err := time.Parse(time.RFC3339Nano, s)
	Expect(err).NotTo(HaveOccurred())
	return t
}
