package transcript

import "strings"

// The HTTP/1.1 side of a connection: requests one after another on the
// client's side (keep-alive), their answers on the server's, paired in
// order; an upgrade request holds the client's side until its answer says
// whether websocket frames follow.

// stepRequest reads a request off the client's side.
func (p *connParser) stepRequest(s *side) bool {
	m, err := readRequest(s.pend)
	switch err {
	case nil:
	case errIncomplete:
		return false
	default:
		s.mode = modeRaw
		return true
	}
	p.emit(s, s.timeAt(0), KindHTTPRequest, p.httpText(m))
	s.consume(m.n)
	p.reqs = append(p.reqs, request{method: m.method, upgrade: m.upgrade})
	if m.upgrade {
		s.mode = modeAwaitUpgrade
	}
	return true
}

// stepResponse reads an answer off the server's side, to the oldest
// request not yet answered, and switches both sides to websocket on a 101.
func (p *connParser) stepResponse(s *side) bool {
	var req request
	if len(p.reqs) > 0 {
		req = p.reqs[0]
	}
	m, err := readResponse(s.pend, req.method, s.ended)
	switch err {
	case nil:
	case errIncomplete:
		return false
	default:
		s.mode = modeRaw
		return true
	}
	p.emit(s, s.timeAt(0), KindHTTPResponse, p.httpText(m))
	s.consume(m.n)
	if m.status >= 100 && m.status < 200 && !m.upgrade {
		return true // 100 Continue and the like: the final answer follows
	}
	if len(p.reqs) > 0 {
		p.reqs = p.reqs[1:]
	}
	client := &p.sides[0]
	switch {
	case m.upgrade:
		s.mode = modeWS
		if client.mode == modeHTTP || client.mode == modeAwaitUpgrade {
			client.mode = modeWS
		}
	case req.upgrade && client.mode == modeAwaitUpgrade:
		client.mode = modeHTTP // refused: the client may go on with HTTP
	}
	return true
}

// httpText is a message's header section, with credentials learned and
// hidden, and its body, decoded and scrubbed.
func (p *connParser) httpText(m httpMessage) string {
	head := p.redactHead(m.head)
	if len(m.body) == 0 {
		return head
	}
	return head + "\n\n" + p.red.scrub(string(m.body))
}

// redactHead learns and hides the credentials of Authorization headers.
func (p *connParser) redactHead(head string) string {
	lines := strings.Split(head, "\n")
	for i, line := range lines {
		name, value, ok := strings.Cut(line, ":")
		if !ok || !strings.EqualFold(strings.TrimSpace(name), "Authorization") && !strings.EqualFold(strings.TrimSpace(name), "Proxy-Authorization") {
			continue
		}
		value = strings.TrimSpace(value)
		scheme, cred, hasScheme := strings.Cut(value, " ")
		if !hasScheme {
			scheme, cred = "", value
		}
		cred = strings.TrimSpace(cred)
		if cred == "" {
			continue
		}
		p.red.Learn("token", cred)
		lines[i] = strings.TrimSpace(name) + ": " + strings.TrimSpace(scheme+" "+label("token"))
	}
	return strings.Join(lines, "\n")
}
