package reference

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/wcp-project/wcp"
)

// A page of GET /chat/{id}/messages is streamed rather than built: limit
// may be 1000 and a message 16 KiB, which JSON can make six times larger
// (`<` is \u003c), so a page built in memory could take 100 MB, held until
// the client has read it. Streamed, a request holds one stored message,
// one encoded message (at most about 96 KiB) and a pageBuffer of output,
// whatever limit is and however slowly the client reads.
//
// The bytes are those json.Marshal gives for the whole wcp.MessagePage,
// plus the newline writeJSON adds. A page that fits in the buffer goes out
// in one write with a Content-Length, exactly as before; a larger one goes
// out as the buffer fills, chunked. Whatever is found wrong before the first
// byte is sent (the checks, the first database read) still gets the JSON
// error body of PROTOCOL.md section 2. Past it the status is out, so a later
// failure ends the connection, the chunked body unfinished, which no client
// takes for a whole page.
//
// The database is read while the buffer fills and never while the client
// is written to: a read stops at the first message that does not fit, the
// buffer goes out, and the next read starts after the last seq taken. A
// slow client so holds no database connection (there are four, and one for
// ":memory:"). Seqs are never reused or changed and a chat's are committed
// in order without gaps, so the page is still the first messages after
// `after`, in seq order, and next_after the seq of its last one
// (PROTOCOL.md section 9, item 5). If the chat is deleted meanwhile, the
// page ends where its messages did.
const pageBuffer = 64 << 10 // bytes of output held before they are sent

// messageScanner is a Store that can hand over messages one at a time
// (sqlite.DB.ScanMessages). Stores without it (the NotDurable fault's, test
// doubles) are read pageRead messages at a time instead.
type messageScanner interface {
	ScanMessages(ctx context.Context, chatID string, after int64, limit int, fn func(wcp.Message) bool) error
}

// pageRead is how many messages a read takes from a Store that cannot scan.
const pageRead = 16

// scanMessages is ScanMessages for any Store.
func (s *Server) scanMessages(ctx context.Context, chatID string, after int64, limit int, fn func(wcp.Message) bool) error {
	if sc, ok := s.store.(messageScanner); ok {
		return sc.ScanMessages(ctx, chatID, after, limit, fn)
	}
	for limit > 0 {
		msgs, err := s.store.Messages(ctx, chatID, after, min(limit, pageRead))
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if !fn(m) {
				return nil
			}
		}
		if len(msgs) < min(limit, pageRead) {
			return nil
		}
		after, limit = msgs[len(msgs)-1].Seq, limit-len(msgs)
	}
	return nil
}

// writeMessagePage streams the page of chatID's messages after after, at
// most limit of them. Its error is for writeError: only one found before
// anything was sent is returned.
func (s *Server) writeMessagePage(ctx context.Context, w http.ResponseWriter, chatID string, after int64, limit int) error {
	out := &pageWriter{w: w, buf: make([]byte, 0, pageBuffer)}
	var one bytes.Buffer // the message last read, encoded
	enc := json.NewEncoder(&one)
	out.write([]byte(`{"messages":[`))
	next, taken := after, 0
	for taken < limit && out.err == nil {
		var encErr error
		held, more := false, false // a message waits for the buffer to go out; the read stopped for it
		err := s.scanMessages(ctx, chatID, next, limit-taken, func(m wcp.Message) bool {
			one.Reset()
			if taken > 0 {
				one.WriteByte(',')
			}
			if encErr = enc.Encode(m); encErr != nil {
				return false
			}
			one.Truncate(one.Len() - 1) // Encode ends each value with a newline
			next, taken = m.Seq, taken+1
			if !out.fits(one.Len()) {
				held, more = true, taken < limit
				return false
			}
			out.write(one.Bytes())
			return true
		})
		if err == nil && encErr != nil {
			err = fmt.Errorf("encode message: %w", encErr)
		}
		if err != nil {
			return out.fail(ctx, s.log, err)
		}
		if !held {
			break // the messages ran out, or limit was reached
		}
		out.flush()
		out.write(one.Bytes())
		if !more {
			break
		}
	}
	out.write([]byte(`],"next_after":` + strconv.FormatInt(next, 10) + "}\n"))
	out.finish()
	return nil
}

// pageWriter holds up to cap(buf) bytes of a 200 application/json answer
// before sending them.
type pageWriter struct {
	w    http.ResponseWriter
	buf  []byte
	sent bool  // the header and some of the body are out
	err  error // the first write error: the client is gone or ran out of WriteTimeout
}

// fits reports whether n more bytes fit in the buffer as it is.
func (p *pageWriter) fits(n int) bool { return len(p.buf)+n <= cap(p.buf) }

// write buffers b, sending the buffer first if b does not fit, and b
// itself at once if it is larger than the whole buffer.
func (p *pageWriter) write(b []byte) {
	if !p.fits(len(b)) {
		p.flush()
	}
	if len(b) > cap(p.buf) {
		p.send(b)
		return
	}
	p.buf = append(p.buf, b...)
}

// flush sends what is buffered.
func (p *pageWriter) flush() {
	p.send(p.buf)
	p.buf = p.buf[:0]
}

func (p *pageWriter) send(b []byte) {
	if p.err != nil || len(b) == 0 {
		return
	}
	if !p.sent {
		p.w.Header().Set("Content-Type", "application/json")
		p.w.WriteHeader(http.StatusOK)
		p.sent = true
	}
	_, p.err = p.w.Write(b)
}

// finish sends the rest: the whole page, with its length, if nothing went
// out yet.
func (p *pageWriter) finish() {
	if !p.sent {
		p.w.Header().Set("Content-Length", strconv.Itoa(len(p.buf)))
	}
	p.flush()
}

// fail ends the page because of err: as an error answer if nothing was
// sent yet, otherwise by cutting the connection (logged, since the client
// only sees the cut, unless the client is gone already: ctx is done).
func (p *pageWriter) fail(ctx context.Context, log *slog.Logger, err error) error {
	if !p.sent {
		return err
	}
	if p.err == nil && ctx.Err() == nil {
		log.Error("message page failed after its start; connection cut", "err", err)
	}
	abort(p.w)
	return nil
}
