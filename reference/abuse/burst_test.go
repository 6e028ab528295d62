package abuse

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/client"
)

// burstSenders is how many sessions send one message of ltBody each, all at
// once, in TestBurstFastReader: 64 of about 96 KiB encoded is 6 MiB, six
// times --session-buffer and under --session-burst.
const burstSenders = 64

// defaultSocketLimits put the limits that can end a session back to wcp
// serve's defaults, over testLimits.
var defaultSocketLimits = []string{
	"--session-buffer=1048576",
	"--session-burst=8388608",
	"--burst-grace=2s",
	"--slow-after=15s",
	"--write-timeout=10s",
	"--writer-queue=10000",
}

// TestBurstFastReader: 64 sessions of a chat each send one message of 16 KiB
// of '<' at the same moment, so the chat's deliverer publishes about
// 6 MiB to every session of the chat at once, faster than any transport
// drains it. With the send buffer as a hard limit (over --session-buffer:
// ended at once), such a burst ended every session of the chat however
// fast it read; at the default limits the queue may stay over the buffer
// for --burst-grace, and an honest client that reads is not ended and
// gets all 64, in order. (With --session-burst at --session-buffer, the
// old rule, the reader was ended after 9 of them.)
//
// The reader is a RawConn that takes each message's seq from its text: a
// client.Session under the race detector took 0.3 to 1.6 s to decode the
// 1 MiB burst of reference.TestBurstFastReader on this shared machine, at
// the slow end too slow a reader for 6 MiB within a 2 s grace. The senders send over
// long-polling and never poll again, so the server writes them nothing:
// had they read their acks, or everything, this one test process would
// have had up to 65 x 6 MiB to read within the grace, and on this shared
// machine it read a fraction of that in 2 s and most sessions were ended,
// the reader among them. (A burst costs the chat's fan-out its size times
// its sessions, all of it to be written and read within the grace.) A
// sender that never polls is a slow receiver once the grace has passed;
// the senders are closed as soon as the reader has everything, and their
// ends, if any, are logged, not held against the server. The reader's
// messages are the proof that every sender's was accepted.
func TestBurstFastReader(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	w := newWorld(t, ctx, startServer(t, defaultSocketLimits...))
	underAttack(t, ctx, target{w: w}, burstFastReader, budget{rss: 128 << 20, goroutines: 300, settled: 60})
}

func burstFastReader(t testing.TB, ctx context.Context, tg target) {
	w, srv := tg.w, tg.w.srv
	chat := w.chat(t, ctx, "burst")
	before := sessionsOpen(t, ctx, srv)
	ended := refusals(t, ctx, srv, slowReceiver...)

	rd, _ := w.rawSession(t, ctx, nil, chat.ID)
	defer rd.Close()

	// Each sender's message signed and encoded ahead, so that they leave
	// together.
	errs := make([]error, burstSenders)
	conns := make([]*client.RawConn, burstSenders)
	events := make([]string, burstSenders)
	for i := range conns {
		rc, info := w.rawSessionOver(t, ctx, client.TransportPolling, nil, chat.ID)
		defer rc.Close()
		signer, err := wcp.NewSignerFromKey(info.MessageKey)
		if err != nil {
			t.Fatal(err)
		}
		conns[i] = rc
		events[i] = encodeMessage(wcp.OutgoingMessage{ChatID: chat.ID, Nonce: 1, Body: ltBody,
			MessageString: signer.Sign(chat.ID, info.SessionID, 1, ltBody)})
	}
	go1 := make(chan struct{})
	var wg sync.WaitGroup
	for i, rc := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-go1
			id := uint64(1)
			errs[i] = rc.Emit(events[i], &id)
		}()
	}
	// The reader: every `message` event, as fast as it comes.
	var seqs []int64
	var readErr error
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		for len(seqs) < burstSenders {
			p, err := rd.Read(ctx)
			if err != nil {
				readErr = err
				return
			}
			if p.Type != client.PacketEvent || !bytes.HasPrefix(p.Data, []byte(`["message",`)) {
				continue
			}
			seq, err := seqOf(p.Data)
			if err != nil {
				readErr = err
				return
			}
			seqs = append(seqs, seq)
		}
	}()
	start := time.Now()
	close(go1)
	<-readerDone
	took := time.Since(start)
	if readErr != nil {
		t.Errorf("the reader's session ended after %d of %d messages, %v after the burst: %v", len(seqs), burstSenders, took.Round(time.Millisecond), readErr)
	}
	wg.Wait()
	for _, rc := range conns {
		rc.Close()
	}
	for i, err := range errs {
		if err != nil {
			t.Errorf("sender %d: %v", i, err)
		}
	}
	enc, _ := json.Marshal(ltBody) // the body as the server writes it: '<' is \u003c
	t.Logf("%d messages of %d bytes of '<' (a body of %d bytes encoded, %.1f MiB together) sent at once: the reader had all of them %v after",
		burstSenders, len(ltBody), len(enc), float64(burstSenders*len(enc))/(1<<20), took.Round(time.Millisecond))
	for i, seq := range seqs {
		if seq != int64(i+1) {
			t.Errorf("the reader's message %d has seq %d, want %d", i, seq, i+1)
		}
	}
	t.Logf("senders that never read ended as slow receivers before they closed: %v", refusals(t, ctx, srv, slowReceiver...)-ended)
	// Gone before the next attack counts sessions.
	rd.Close()
	waitSessions(t, ctx, srv, before, 10*time.Second)
}

// seqOf is the seq of a `message` event's data, read off its text: a
// message's fields are the server's, only its body is the sender's, and a
// body's '"' is escaped, so the first "seq": is the message's.
func seqOf(data []byte) (int64, error) {
	const key = `"seq":`
	i := bytes.Index(data, []byte(key))
	if i < 0 {
		return 0, fmt.Errorf("a message without a seq: %.80s", data)
	}
	rest := data[i+len(key):]
	j := bytes.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
	if j < 0 {
		j = len(rest)
	}
	return strconv.ParseInt(string(rest[:j]), 10, 64)
}
