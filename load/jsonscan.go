package load

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// A tiny allocation-free JSON scanner for the few frames the generator
// reads on its hot path (acks and deliveries). It finds top-level fields of
// an object without building maps; anything it does not understand makes
// the caller fall back to "malformed", never to a panic.

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// scanString returns the index just past the string starting at b[i]=='"'.
// It jumps from quote to quote (IndexByte is vectorized) and counts the
// backslashes before each to tell an escaped quote from the closing one.
func scanString(b []byte, i int) (int, bool) {
	if i >= len(b) || b[i] != '"' {
		return 0, false
	}
	j := i + 1
	for {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return 0, false
		}
		q := j + k
		n := 0
		for p := q - 1; p > i && b[p] == '\\'; p-- {
			n++
		}
		if n%2 == 0 {
			return q + 1, true
		}
		j = q + 1
	}
}

// skipValue returns the index just past the value starting at b[i].
func skipValue(b []byte, i int) (int, bool) {
	i = skipWS(b, i)
	if i >= len(b) {
		return 0, false
	}
	switch b[i] {
	case '"':
		return scanString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				e, ok := scanString(b, i)
				if !ok {
					return 0, false
				}
				i = e
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, true
				}
			}
			i++
		}
		return 0, false
	default:
		j := i
		for j < len(b) {
			c := b[j]
			if c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\n' || c == '\r' {
				break
			}
			j++
		}
		if j == i {
			return 0, false
		}
		return j, true
	}
}

// fields calls fn with each top-level key (raw, with quotes) and raw value
// of the object starting at b[i]; it returns the index past the object.
func fields(b []byte, i int, fn func(key, val []byte)) (int, bool) {
	i = skipWS(b, i)
	if i >= len(b) || b[i] != '{' {
		return 0, false
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, true
	}
	for {
		ks := i
		ke, ok := scanString(b, i)
		if !ok {
			return 0, false
		}
		i = skipWS(b, ke)
		if i >= len(b) || b[i] != ':' {
			return 0, false
		}
		vs := skipWS(b, i+1)
		ve, ok := skipValue(b, vs)
		if !ok {
			return 0, false
		}
		fn(b[ks:ke], b[vs:ve])
		i = skipWS(b, ve)
		if i >= len(b) {
			return 0, false
		}
		if b[i] == '}' {
			return i + 1, true
		}
		if b[i] != ',' {
			return 0, false
		}
		i = skipWS(b, i+1)
	}
}

// rawString returns the contents of a raw JSON string value, unescaping
// only when it must.
func rawString(v []byte) (string, bool) {
	if len(v) < 2 || v[0] != '"' {
		return "", false
	}
	if bytes.IndexByte(v, '\\') < 0 {
		return string(v[1 : len(v)-1]), true
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", false
	}
	return s, true
}

// rawInt parses an integer JSON value.
func rawInt(v []byte) (int64, bool) {
	n, err := strconv.ParseInt(string(v), 10, 64)
	return n, err == nil
}

// Field keys with their quotes, compared against raw keys.
var (
	keySeq   = []byte(`"seq"`)
	keyBody  = []byte(`"body"`)
	keyOK    = []byte(`"ok"`)
	keyError = []byte(`"error"`)
	keyCode  = []byte(`"code"`)
	keyChat  = []byte(`"chat_id"`)
)

// delivery is what the generator needs from a `message` event.
type delivery struct {
	seq    int64
	chatID []byte
	body   []byte // raw, still quoted
}

// parseDelivery parses the object of a `message` event. ok means an
// object with a string body; seq is 0 when missing or not a positive
// integer (the caller counts that as malformed).
func parseDelivery(b []byte, i int) (delivery, bool) {
	var d delivery
	_, ok := fields(b, i, func(k, v []byte) {
		switch {
		case bytes.Equal(k, keySeq):
			if n, ok := rawInt(v); ok && n > 0 {
				d.seq = n
			}
		case bytes.Equal(k, keyBody):
			d.body = v
		case bytes.Equal(k, keyChat):
			d.chatID = v
		}
	})
	return d, ok && len(d.body) >= 2 && d.body[0] == '"'
}

// ackInfo is what the generator needs from a `message` ack.
type ackInfo struct {
	ok   bool
	seq  int64
	code string
}

// parseAck parses the ack object at b[i].
func parseAck(b []byte, i int) (ackInfo, bool) {
	var a ackInfo
	haveOK, haveSeq, bad := false, false, false
	_, ok := fields(b, i, func(k, v []byte) {
		switch {
		case bytes.Equal(k, keyOK):
			switch string(v) {
			case "true":
				a.ok, haveOK = true, true
			case "false":
				haveOK = true
			default:
				bad = true
			}
		case bytes.Equal(k, keySeq):
			a.seq, haveSeq = rawInt(v)
		case bytes.Equal(k, keyError):
			fields(v, 0, func(k, v []byte) {
				if bytes.Equal(k, keyCode) {
					a.code, _ = rawString(v)
				}
			})
		}
	})
	if !ok || !haveOK || bad {
		return a, false
	}
	if a.ok {
		return a, haveSeq && a.seq > 0
	}
	return a, a.code != ""
}
