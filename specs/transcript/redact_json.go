package transcript

import (
	"bytes"
	"encoding/json"
	"errors"
)

// ErrNotJSON is what RedactJSON returns for a document that is not JSON.
var ErrNotJSON = errors.New("transcript: not a JSON document")

// maxNesting bounds how deep RedactJSON follows JSON kept as a string
// inside JSON (a Ginkgo report entry's AsJSON is one level).
const maxNesting = 4

// RedactJSON hides every secret in a whole JSON document (a Ginkgo report,
// say): the values of the secret fields become their labels, and every
// other string (keys included) goes through Redact. A string that is
// itself a JSON document is redacted as one, so it stays valid JSON too.
// Only string contents change; the result is valid JSON, with the same
// structure. It returns ErrNotJSON, and nil, when b is not JSON.
func (r *Redactor) RedactJSON(b []byte) ([]byte, error) {
	if !json.Valid(b) {
		return nil, ErrNotJSON
	}
	return r.redactJSON(b, 0), nil
}

func (r *Redactor) redactJSON(b []byte, depth int) []byte {
	return rewriteStrings(b, func(key string, isKey bool, s string) (string, bool) {
		if !isKey && secretField(key) {
			return label(key), true
		}
		if depth < maxNesting && len(s) > 1 && (s[0] == '{' || s[0] == '[') && json.Valid([]byte(s)) {
			out := string(r.redactJSON([]byte(s), depth+1))
			return out, out != s
		}
		out := r.Redact(s)
		return out, out != s
	})
}

// learnJSON learns the values of the secret fields of the JSON document b
// and returns b with them replaced by their labels (structural redaction);
// b is returned as it is when it is not JSON.
func (r *Redactor) learnJSON(b []byte) []byte {
	if !json.Valid(b) {
		return b
	}
	return rewriteStrings(b, func(key string, isKey bool, s string) (string, bool) {
		if isKey || !secretField(key) {
			return "", false
		}
		r.Learn(key, s)
		return label(key), true
	})
}

// rewriteStrings calls f on every string of the valid JSON document b, in
// order: isKey for an object's keys; key is the key of the member the
// string is the value of ("" in arrays and at the top). Strings f changes
// are encoded again; every other byte is copied as it is.
func rewriteStrings(b []byte, f func(key string, isKey bool, s string) (string, bool)) []byte {
	var out bytes.Buffer
	out.Grow(len(b))
	// member is the key whose value comes next, until that value starts;
	// a value that is an object or an array starts a new scope.
	member, expectValue := "", false
	done := 0 // b[:done] is in out
	for i := 0; i < len(b); {
		c := b[i]
		if c != '"' {
			switch c {
			case ' ', '\t', '\n', '\r', ':', ',':
			default: // a value that is not a string starts, or a scope ends
				expectValue = false
			}
			i++
			continue
		}
		end := stringEnd(b, i)
		lit := b[i:end]
		isKey := bytes.HasPrefix(b[skipSpaceBytes(b, end):], []byte(":"))
		s := decodeString(lit)
		key := ""
		if !isKey && expectValue {
			key = member
		}
		if repl, ok := f(key, isKey, s); ok {
			out.Write(b[done:i])
			out.WriteString(jsonString(repl))
			done = end
		}
		if isKey {
			member, expectValue = s, true
		} else {
			expectValue = false
		}
		i = end
	}
	if done == 0 {
		return b
	}
	out.Write(b[done:])
	return out.Bytes()
}

// stringEnd is the index just past the string literal that starts at
// b[i] (a quote), or len(b) if it never ends.
func stringEnd(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(b)
}

func skipSpaceBytes(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// decodeString is the content of a JSON string literal. Without escapes it
// is the bytes as they are (even invalid UTF-8, which a secret compared
// byte for byte must keep).
func decodeString(lit []byte) string {
	if len(lit) < 2 {
		return ""
	}
	inner := lit[1 : len(lit)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return string(inner)
	}
	var s string
	if err := json.Unmarshal(lit, &s); err != nil {
		return string(inner)
	}
	return s
}

// jsonString encodes s as a JSON string without Go's HTML escaping (the
// reports are not HTML, and <, > and & read better as they are).
func jsonString(s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return `""` // a string always encodes
	}
	return string(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}
