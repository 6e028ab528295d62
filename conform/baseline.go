package conform

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/wcp-project/wcp"
)

// Baseline lists the failures a team accepts while it works on them. A
// listed failure does not fail the run; a listed entry that no longer
// fails does (it is stale), so the list only ever shrinks.
//
// The file is YAML or JSON (JSON is YAML):
//
//	version: 1
//	expected:
//	  - rule: CON-4                 # every spec of a rule...
//	    reason: revocation lands in 2.3
//	    link: https://tracker.example/issue/123
//	  - spec: "MSG-3 an acknowledged message survives kill -9 ..."   # ...or one spec, by its full name
//	    reason: durability is being reworked
type Baseline struct {
	Version  int             `yaml:"version" json:"version"`
	Expected []BaselineEntry `yaml:"expected" json:"expected"`
}

// BaselineEntry is one accepted failure: a rule ID or a spec's full name
// (exactly one of them), why it is accepted, and where to read more.
type BaselineEntry struct {
	Rule   string `yaml:"rule,omitempty" json:"rule,omitempty"`
	Spec   string `yaml:"spec,omitempty" json:"spec,omitempty"`
	Reason string `yaml:"reason" json:"reason"`
	Link   string `yaml:"link,omitempty" json:"link,omitempty"`
}

// BaselineVersion is the version of the baseline format this build reads.
const BaselineVersion = 1

// Name is what the entry lists: its rule ID or spec name.
func (e BaselineEntry) Name() string {
	if e.Rule != "" {
		return e.Rule
	}
	return e.Spec
}

// matches says whether a failure of spec p is accepted by e.
func (e BaselineEntry) matches(p planned) bool {
	if e.Spec != "" {
		return e.Spec == p.Name
	}
	for _, r := range p.Rules {
		if r == e.Rule {
			return true
		}
	}
	return false
}

// ReadBaseline reads and checks a baseline file. Unknown fields, a
// missing reason, an entry with both or neither of rule and spec, and a
// rule ID that WCP/1 does not have are errors: a baseline that silently
// accepted less (or more) than its author meant would be worse than none.
func ReadBaseline(path string) (*Baseline, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	var b Baseline
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&b); err != nil {
		return nil, fmt.Errorf("baseline %s: %w", path, err)
	}
	if err := b.validate(); err != nil {
		return nil, fmt.Errorf("baseline %s: %w", path, err)
	}
	return &b, nil
}

func (b *Baseline) validate() error {
	if b.Version != BaselineVersion {
		return fmt.Errorf("version %d: this wcp reads version %d (write `version: %d`)", b.Version, BaselineVersion, BaselineVersion)
	}
	var errs []error
	seen := map[string]bool{}
	for i, e := range b.Expected {
		at := fmt.Sprintf("expected[%d]", i)
		switch {
		case (e.Rule == "") == (e.Spec == ""):
			errs = append(errs, fmt.Errorf("%s: give exactly one of rule and spec", at))
			continue
		case e.Rule != "":
			if _, ok := wcp.RuleByID(e.Rule); !ok {
				errs = append(errs, fmt.Errorf("%s: %q is not a WCP/1 rule ID", at, e.Rule))
			}
		}
		if strings.TrimSpace(e.Reason) == "" {
			errs = append(errs, fmt.Errorf("%s (%s): a reason is required", at, e.Name()))
		}
		if seen[e.Name()] {
			errs = append(errs, fmt.Errorf("%s: %q is listed twice", at, e.Name()))
		}
		seen[e.Name()] = true
	}
	return errors.Join(errs...)
}

// entryFor returns the entry accepting a failure of p, preferring one that
// names the spec over one that names a rule.
func (b *Baseline) entryFor(p planned) (BaselineEntry, bool) {
	if b == nil {
		return BaselineEntry{}, false
	}
	var byRule *BaselineEntry
	for i, e := range b.Expected {
		if !e.matches(p) {
			continue
		}
		if e.Spec != "" {
			return e, true
		}
		if byRule == nil {
			byRule = &b.Expected[i]
		}
	}
	if byRule != nil {
		return *byRule, true
	}
	return BaselineEntry{}, false
}

// NewBaseline records failed specs as a starting baseline: one entry per
// spec (not per rule, so that a new failure in a rule that already fails
// is still caught), each with a reason to be edited.
func NewBaseline(failed []string, at time.Time) *Baseline {
	names := append([]string(nil), failed...)
	sort.Strings(names)
	b := &Baseline{Version: BaselineVersion}
	for _, n := range names {
		b.Expected = append(b.Expected, BaselineEntry{
			Spec:   n,
			Reason: "failing when this baseline was recorded on " + at.UTC().Format("2006-01-02") + "; say why it is accepted",
		})
	}
	return b
}

// Write writes b as YAML to path (mode 0644: a baseline is meant to be
// committed), with a header saying what the file is.
func (b *Baseline) Write(path string) error {
	var buf bytes.Buffer
	buf.WriteString("# wcp conform baseline: failures this server accepts for now.\n" +
		"# A listed failure does not fail the run; an entry that no longer fails does,\n" +
		"# so remove entries as they are fixed. Entries name a spec or a rule ID.\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(b); err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	return nil
}
