package transcript

import (
	"cmp"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Redactor hides the secrets of WCP/1 (section 3's bearer tokens, section
// 4's connection strings, section 5's message keys, section 6's message
// strings) in what a report shows. It learns them from the wire (see
// Learn), replaces the values of the JSON fields and headers that carry
// them wherever it sees those fields (structurally), and replaces every
// learned value wherever else it shows up (by value): in a failure
// message, a log line, a body that is not JSON.
//
// A nil *Redactor knows no value but still hides by pattern (the fields and
// the bearer header in any text). Its methods are safe for concurrent use.
type Redactor struct {
	mu     sync.Mutex
	labels map[string]string // every spelling of every learned value -> what replaces it
	repl   *strings.Replacer // over labels, longest first; nil when labels changed since
}

// Values shorter than minValue are hidden only where their field or header
// says what they are: by value, fewer than eight bytes would also hit
// ordinary words, IDs and numbers. Values longer than maxValue (specs
// sending oversize strings on purpose) are not secrets worth a replacer's
// memory.
const (
	minValue = 8
	maxValue = 16 << 10
)

// NewRedactor returns a Redactor that knows no value yet.
func NewRedactor() *Redactor {
	return &Redactor{labels: map[string]string{}}
}

// secretFields are the JSON fields whose string values are secrets; a
// secret's label names its field.
func secretFields() []string {
	return []string{"token", "connection_string", "message_key", "message_string"}
}

func secretField(key string) bool { return slices.Contains(secretFields(), key) }

// label is what replaces a secret of field.
func label(field string) string { return "[redacted " + field + "]" }

// Learn records value as a secret of field (a JSON field name such as
// "token"), to be hidden by value from now on. Values shorter than 8 bytes
// are ignored (they are hidden only structurally). Specs send near-copies
// of real values on purpose (one character changed, truncated); they are
// learned like any other, as they arrive in the same fields.
func (r *Redactor) Learn(field, value string) {
	if r == nil || len(value) < minValue || len(value) > maxValue {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.labels[value]; ok {
		return
	}
	l := label(field)
	for _, s := range spellings(value) {
		if _, ok := r.labels[s]; !ok {
			r.labels[s] = l
		}
	}
	r.repl = nil
}

// spellings are the forms a value takes in reports: as is, inside a JSON
// string (with and without Go's HTML escaping) and inside a Go-quoted
// string (%q, as Gomega and error messages print).
func spellings(v string) []string {
	out := []string{v}
	add := func(s string) {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	if b, err := json.Marshal(v); err == nil {
		add(string(b[1 : len(b)-1]))
	}
	plain := jsonString(v)
	add(plain[1 : len(plain)-1])
	q := strconv.Quote(v)
	add(q[1 : len(q)-1])
	return out
}

// Len is how many values the Redactor has learned (counting each spelling).
func (r *Redactor) Len() int {
	if r == nil {
		return 0
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.labels)
}

// Redact hides every learned value in s, and every value of a secret JSON
// field or bearer header it can recognise in s.
func (r *Redactor) Redact(s string) string {
	if repl := r.replacer(); repl != nil {
		s = repl.Replace(s)
	}
	return redactPatterns(s)
}

// replacer is the by-value replacer, built again after Learn: longest
// first, so that a value that contains another (a connection string and
// its truncated copy) is hidden whole. strings.Replacer picks, at each
// position, the earliest of its pairs that matches.
func (r *Redactor) replacer() *strings.Replacer {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.repl != nil || len(r.labels) == 0 {
		return r.repl
	}
	keys := make([]string, 0, len(r.labels))
	for k := range r.labels {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		return cmp.Or(cmp.Compare(len(b), len(a)), strings.Compare(a, b))
	})
	pairs := make([]string, 0, 2*len(keys))
	for _, k := range keys {
		pairs = append(pairs, k, r.labels[k])
	}
	r.repl = strings.NewReplacer(pairs...)
	return r.repl
}
