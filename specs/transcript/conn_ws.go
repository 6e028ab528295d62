package transcript

import "fmt"

// The websocket side of a connection, after a 101: frames, unmasked;
// data messages put together from their fragments (control frames may
// come between them) and scrubbed as Engine.IO packets.

// stepWS reads a websocket frame off s.
func (p *connParser) stepWS(s *side) bool {
	f, err := readWSFrame(s.pend)
	switch err {
	case nil:
	case errIncomplete:
		return false
	default:
		s.mode = modeRaw
		return true
	}
	at := s.timeAt(0)
	s.consume(f.n)
	switch {
	case f.op > opBinary: // control frames, and the reserved opcodes
		p.emit(s, at, KindWebSocket, describeControl(f))
	case f.op == opContinuation:
		if s.msg == nil {
			p.emit(s, at, KindWebSocket, fmt.Sprintf("[continuation frame with no message to continue, %d bytes] %s", len(f.payload), f.payload))
			break
		}
		s.msg.data = append(s.msg.data, f.payload...)
		s.msg.fragments++
		if f.fin {
			p.emitMessage(s, *s.msg)
			s.msg = nil
		}
	default:
		if s.msg != nil {
			p.emit(s, s.msg.at, KindWebSocket, s.msg.unfinished("left unfinished"))
		}
		m := wsMessage{at: at, op: f.op, compressed: f.compressed, data: f.payload, fragments: 1}
		if f.fin {
			s.msg = nil
			p.emitMessage(s, m)
		} else {
			s.msg = &m
		}
	}
	return true
}

// emitMessage shows a whole data message: a text one as the Engine.IO
// packet it carries (scrubbed), a binary one as its bytes.
func (p *connParser) emitMessage(s *side, m wsMessage) {
	data, note := string(m.data), ""
	if m.compressed {
		inflated, ok := inflate(m.data)
		if !ok {
			p.emit(s, m.at, KindWebSocket, fmt.Sprintf("[a compressed message of %d bytes that does not inflate on its own (context takeover)]", len(m.data)))
			return
		}
		data, note = inflated, "\n[permessage-deflate]"
	}
	if m.fragments > 1 {
		note += fmt.Sprintf("\n[reassembled from %d fragments]", m.fragments)
	}
	text := p.red.scrub(data)
	if m.op != opText {
		text = fmt.Sprintf("[binary, %d bytes] %s", len(data), data)
	}
	p.emit(s, m.at, KindWebSocket, text+note)
}

// unfinished shows a message whose last fragment has not come (yet): its
// data so far, unless compressed (deflate's literals are no text to show).
func (m *wsMessage) unfinished(state string) string {
	head := fmt.Sprintf("[a message %s: %d fragments, %d bytes]", state, m.fragments, len(m.data))
	if m.compressed {
		return head
	}
	return head + " " + string(m.data)
}
