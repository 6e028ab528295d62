package transcript

import "strings"

// Hiding by pattern catches what learning cannot: a secret the Redactor
// never saw on the wire (another process's, or one cut short by a failure
// message) still sits next to its field name. It recognises, in any text,
//
//   - a secret JSON field, as JSON ("token": "v") or as JSON inside a JSON
//     string ({\"token\":\"v\"});
//   - the same field as Gomega and %#v print a Go struct (Token: "v");
//   - a bearer credential (Bearer v), as in an Authorization header, when
//     it looks like one (8 bytes or more, not a lowercase word).
//
// A value that runs to the end of the text (clipped) is hidden to the end.

// redactPatterns applies every pattern to s.
func redactPatterns(s string) string {
	for _, f := range secretFields() {
		s = redactJSONField(s, f)
	}
	for _, f := range [][2]string{{"Token", "token"}, {"ConnectionString", "connection_string"}, {"MessageKey", "message_key"}, {"MessageString", "message_string"}} {
		s = redactGoField(s, f[0], f[1])
	}
	return redactBearer(s)
}

// redactJSONField hides the string values of field in s.
func redactJSONField(s, field string) string {
	if !strings.Contains(s, field) {
		return s
	}
	var b strings.Builder
	done := 0 // s[:done] is in b
	for from := 0; ; {
		i := strings.Index(s[from:], field)
		if i < 0 {
			break
		}
		p := from + i
		from = p + len(field)
		var q string // the quote around the key and the value: " or \"
		switch {
		case p >= 2 && s[p-2:p] == `\"` && strings.HasPrefix(s[from:], `\"`):
			q = `\"`
		case p >= 1 && s[p-1] == '"' && (p < 2 || s[p-2] != '\\') && strings.HasPrefix(s[from:], `"`):
			q = `"`
		default:
			continue
		}
		j := skipSpace(s, from+len(q))
		if j >= len(s) || s[j] != ':' {
			continue
		}
		j = skipSpace(s, j+1)
		if !strings.HasPrefix(s[j:], q) {
			continue
		}
		v := j + len(q)
		end := valueEnd(s, v, q == `\"`)
		if end == v || strings.HasPrefix(s[v:], "[redacted ") {
			continue
		}
		b.WriteString(s[done:v])
		b.WriteString(label(field))
		done, from = end, end
	}
	if done == 0 {
		return s
	}
	b.WriteString(s[done:])
	return b.String()
}

// redactGoField hides the quoted values of a Go struct field named name.
func redactGoField(s, name, field string) string {
	marker := name + `: "`
	if !strings.Contains(s, marker) {
		return s
	}
	var b strings.Builder
	done := 0
	for from := 0; ; {
		i := strings.Index(s[from:], marker)
		if i < 0 {
			break
		}
		p := from + i
		from = p + len(marker)
		if p > 0 && isWordByte(s[p-1]) {
			continue
		}
		v := from
		end := valueEnd(s, v, false)
		if end == v || strings.HasPrefix(s[v:], "[redacted ") {
			continue
		}
		b.WriteString(s[done:v])
		b.WriteString(label(field))
		done, from = end, end
	}
	if done == 0 {
		return s
	}
	b.WriteString(s[done:])
	return b.String()
}

// redactBearer hides the credential after every "Bearer " (any case).
func redactBearer(s string) string {
	const word = "bearer"
	var b strings.Builder
	done := 0
	for i := 0; i+len(word) < len(s); i++ {
		if !strings.EqualFold(s[i:i+len(word)], word) || (i > 0 && isWordByte(s[i-1])) {
			continue
		}
		v := i + len(word)
		for v < len(s) && (s[v] == ' ' || s[v] == '\t') {
			v++
		}
		if v == i+len(word) {
			continue
		}
		end := v
		for end < len(s) && isToken68(s[end]) {
			end++
		}
		for end < len(s) && s[end] == '=' {
			end++
		}
		if !credentialLike(s[v:end]) {
			continue // "missing or malformed bearer token" is prose
		}
		b.WriteString(s[done:v])
		b.WriteString(label("token"))
		done, i = end, end-1
	}
	if done == 0 {
		return s
	}
	b.WriteString(s[done:])
	return b.String()
}

// valueEnd is where the string value starting at v ends: at its closing
// quote, or at the end of s. In plain JSON a quote after an even run of
// backslashes closes it. In JSON inside a JSON string (escaped), the
// closing quote is \" and the value's own quotes are \\\" : a run of
// backslashes of length 1 mod 4 before a quote closes it, 3 mod 4 does
// not; a bare quote ends the enclosing string, and so the value, in both.
func valueEnd(s string, v int, escaped bool) int {
	for i := v; i < len(s); {
		switch {
		case s[i] == '"':
			return i
		case s[i] != '\\':
			i++
			continue
		}
		n := 0
		for i+n < len(s) && s[i+n] == '\\' {
			n++
		}
		if i+n == len(s) || s[i+n] != '"' {
			i += n
			continue
		}
		switch {
		case !escaped && n%2 == 0:
			return i + n
		case escaped && n%4 == 1:
			return i + n - 1
		case escaped && n%2 == 0:
			return i + n
		}
		i += n + 1
	}
	return len(s)
}

// credentialLike says whether a word after "Bearer" is a credential rather
// than prose: as long as a learned value, and not all lowercase letters.
func credentialLike(w string) bool {
	if len(w) < minValue {
		return false
	}
	for i := 0; i < len(w); i++ {
		if w[i] < 'a' || w[i] > 'z' {
			return true
		}
	}
	return false
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// isToken68 says whether c may be part of a bearer credential (RFC 6750's
// b64token, without its trailing '=').
func isToken68(c byte) bool {
	return isWordByte(c) || c == '-' || c == '.' || c == '~' || c == '+' || c == '/'
}
