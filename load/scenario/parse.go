package scenario

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Problem is one mistake in a scenario: where (line, 0 when unknown) and
// which field (a path such as populations[1].share).
type Problem struct {
	Line    int
	Field   string
	Message string
}

// Error is every problem found in a scenario, in file order. Its text has
// one line per problem: "file:line: field: message".
type Error struct {
	File     string
	Problems []Problem
}

func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		var where string
		switch {
		case e.File != "" && p.Line > 0:
			where = fmt.Sprintf("%s:%d: ", e.File, p.Line)
		case e.File != "":
			where = e.File + ": "
		case p.Line > 0:
			where = fmt.Sprintf("line %d: ", p.Line)
		}
		lines[i] = where + p.Field + ": " + p.Message
	}
	return strings.Join(lines, "\n")
}

// Parse reads a scenario in YAML; file names it in errors. Its error is
// an *Error listing every problem, each with its line and field, not only
// the first.
func Parse(file string, data []byte) (*Scenario, error) {
	p := &parser{lines: map[string]int{}}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		line := 0
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			// yaml.v3 puts "line N" in its syntax errors' text.
			_, _ = fmt.Sscanf(strings.TrimPrefix(err.Error(), "yaml: "), "line %d", &line)
		}
		return nil, &Error{File: file, Problems: []Problem{{Line: line, Field: "(file)", Message: "not YAML: " + err.Error()}}}
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	s := &Scenario{}
	p.scenario(root, s)
	probs := append(p.probs, s.check(p.lines)...)
	if len(probs) > 0 {
		sort.SliceStable(probs, func(i, j int) bool { return probs[i].Line < probs[j].Line })
		return nil, &Error{File: file, Problems: probs}
	}
	return s, nil
}

// Validate checks a scenario built by hand; its error is an *Error.
func (s *Scenario) Validate() error {
	if probs := s.check(nil); len(probs) > 0 {
		return &Error{Problems: probs}
	}
	return nil
}

// parser walks the YAML tree, recording where every field was.
type parser struct {
	probs []Problem
	lines map[string]int // field path → line of its value
}

func (p *parser) bad(n *yaml.Node, field, f string, a ...any) {
	p.probs = append(p.probs, Problem{Line: n.Line, Field: field, Message: fmt.Sprintf(f, a...)})
}

// fields calls set for each key of the mapping n, and reports unknown
// keys and missing required ones.
func (p *parser) fields(n *yaml.Node, path string, known []string, required []string, set func(key string, v *yaml.Node, field string)) {
	if n.Kind != yaml.MappingNode {
		p.bad(n, orRoot(path), "want a mapping of %s, got %s", strings.Join(known, ", "), kindName(n))
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		field := join(path, k.Value)
		if seen[k.Value] {
			p.bad(k, field, "given twice")
			continue
		}
		seen[k.Value] = true
		if !contains(known, k.Value) {
			p.bad(k, field, "unknown field (known: %s)", strings.Join(known, ", "))
			continue
		}
		p.lines[field] = k.Line
		set(k.Value, v, field)
	}
	for _, r := range required {
		if !seen[r] {
			p.bad(n, join(path, r), "required")
		}
	}
}

func (p *parser) scenario(n *yaml.Node, s *Scenario) {
	known := []string{"name", "duration", "users", "seed", "chats", "populations", "churn", "storms"}
	p.fields(n, "", known, []string{"duration", "users", "chats", "populations"}, func(k string, v *yaml.Node, f string) {
		switch k {
		case "name":
			s.Name = p.str(v, f)
		case "duration":
			s.Duration = p.duration(v, f)
		case "users":
			s.Users = p.integer(v, f)
		case "seed":
			s.Seed = int64(p.integer(v, f))
		case "chats":
			p.list(v, f, func(e *yaml.Node, f string) {
				var g ChatGroup
				p.fields(e, f, []string{"name", "count", "share"}, []string{"count", "share"}, func(k string, v *yaml.Node, f string) {
					switch k {
					case "name":
						g.Name = p.str(v, f)
					case "count":
						g.Count = p.integer(v, f)
					case "share":
						g.Share = p.number(v, f)
					}
				})
				s.Chats = append(s.Chats, g)
			})
		case "populations":
			p.list(v, f, func(e *yaml.Node, f string) { s.Populations = append(s.Populations, p.population(e, f)) })
		case "churn":
			p.fields(v, f, []string{"rate", "down"}, []string{"rate"}, func(k string, v *yaml.Node, f string) {
				switch k {
				case "rate":
					s.Churn.Rate = p.number(v, f)
				case "down":
					s.Churn.Down = p.duration(v, f)
				}
			})
		case "storms":
			p.list(v, f, func(e *yaml.Node, f string) {
				var st Storm
				p.fields(e, f, []string{"at", "sessions", "window"}, []string{"at", "sessions"}, func(k string, v *yaml.Node, f string) {
					switch k {
					case "at":
						st.At = p.duration(v, f)
					case "sessions":
						st.Sessions = p.integer(v, f)
					case "window":
						st.Window = p.duration(v, f)
					}
				})
				s.Storms = append(s.Storms, st)
			})
		}
	})
}

func (p *parser) population(n *yaml.Node, path string) Population {
	var pop Population
	known := []string{"name", "share", "chats", "rate", "think", "body", "read"}
	var rateNode *yaml.Node
	p.fields(n, path, known, []string{"name", "share"}, func(k string, v *yaml.Node, f string) {
		switch k {
		case "name":
			pop.Name = p.str(v, f)
		case "share":
			pop.Share = p.number(v, f)
		case "chats":
			pop.Chats = p.integer(v, f)
		case "rate":
			rateNode = v
			r := p.number(v, f)
			switch {
			case pop.Think != nil:
				p.bad(v, f, "rate and think exclude each other")
			case r <= 0 || math.IsInf(r, 0):
				p.bad(v, f, "must be positive (messages per second per sender), got %s", v.Value)
			default:
				pop.Think = &Dist{Kind: Constant, Value: 1 / r}
			}
		case "think":
			if rateNode != nil {
				p.bad(v, f, "rate and think exclude each other")
				return
			}
			pop.Think = p.dist(v, f, true)
		case "body":
			pop.Body = p.dist(v, f, false)
		case "read":
			p.fields(v, f, []string{"delay", "rate"}, nil, func(k string, v *yaml.Node, f string) {
				switch {
				case pop.ReadEvery != 0:
					p.bad(v, f, "delay and rate exclude each other")
				case k == "delay":
					if pop.ReadEvery = p.duration(v, f); pop.ReadEvery <= 0 {
						p.bad(v, f, "must be positive, got %s", v.Value)
					}
				case k == "rate":
					if r := p.number(v, f); r > 0 && !math.IsInf(r, 0) {
						pop.ReadEvery = time.Duration(float64(time.Second) / r)
					} else {
						p.bad(v, f, "must be positive (messages per second), got %s", v.Value)
					}
				}
			})
		}
	})
	return pop
}

// dist reads a distribution: a scalar is a constant; a mapping names its
// dist and parameters. Think times are durations (kept in seconds), body
// sizes integers.
func (p *parser) dist(n *yaml.Node, path string, dur bool) *Dist {
	val := func(v *yaml.Node, f string) float64 {
		if dur {
			return p.duration(v, f).Seconds()
		}
		return float64(p.integer(v, f))
	}
	if n.Kind == yaml.ScalarNode {
		return &Dist{Kind: Constant, Value: val(n, path)}
	}
	d := &Dist{}
	p.fields(n, path, []string{"dist", "value", "mean", "min", "max"}, []string{"dist"}, func(k string, v *yaml.Node, f string) {
		switch k {
		case "dist":
			d.Kind = Kind(p.str(v, f))
		case "value", "mean":
			d.Value = val(v, f)
		case "min":
			d.Min = val(v, f)
		case "max":
			d.Max = val(v, f)
		}
	})
	return d
}

func (p *parser) list(n *yaml.Node, path string, each func(e *yaml.Node, field string)) {
	if n.Kind != yaml.SequenceNode {
		p.bad(n, path, "want a list, got %s", kindName(n))
		return
	}
	for i, e := range n.Content {
		f := fmt.Sprintf("%s[%d]", path, i)
		p.lines[f] = e.Line
		each(e, f)
	}
}

func (p *parser) scalar(n *yaml.Node, field, want string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		p.bad(n, field, "want %s, got %s", want, kindName(n))
		return "", false
	}
	return n.Value, true
}

func (p *parser) str(n *yaml.Node, field string) string {
	s, _ := p.scalar(n, field, "a string")
	return s
}

// Bad numbers become NaN or -1 after their problem is reported, so that
// the checks that follow do not report them again.
func (p *parser) number(n *yaml.Node, field string) float64 {
	s, ok := p.scalar(n, field, "a number")
	if !ok {
		return math.NaN()
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) {
		p.bad(n, field, "want a number, got %q", s)
		return math.NaN()
	}
	return v
}

func (p *parser) integer(n *yaml.Node, field string) int {
	s, ok := p.scalar(n, field, "an integer")
	if !ok {
		return badInt
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		p.bad(n, field, "want an integer, got %q", s)
		return badInt
	}
	return v
}

func (p *parser) duration(n *yaml.Node, field string) time.Duration {
	s, ok := p.scalar(n, field, "a duration")
	if !ok {
		return badDur
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		p.bad(n, field, "want a duration such as 500ms or 2m, got %q", s)
		return badDur
	}
	return v
}

// Markers of values already reported as malformed.
const (
	badInt = math.MinInt
	badDur = time.Duration(math.MinInt64)
)

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "nothing"
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func orRoot(path string) string {
	if path == "" {
		return "(top level)"
	}
	return path
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}
