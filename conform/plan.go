package conform

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/conform/report"
)

// planned is one spec of the suite, as the dry run lists it.
type planned struct {
	Name  string   // full text: what Ginkgo focuses on and baselines name
	Rules []string // its rule IDs, in the order the spec lists them
}

// listSpecs reads a dry run's report: every It, in suite order, with the
// labels that are rule IDs.
func listSpecs(r types.Report) []planned {
	var out []planned
	for _, sr := range r.SpecReports {
		if sr.LeafNodeType != types.NodeTypeIt {
			continue
		}
		out = append(out, planned{Name: sr.FullText(), Rules: report.RuleLabels(sr)})
	}
	return out
}

// ParseRules checks --rules patterns: rule IDs with shell-style wildcards
// ("OWN-*", "MSG-3"), case-insensitive. A malformed pattern is an error; a
// pattern that matches no rule of WCP/1 is an error wrapping
// ErrNothingToRun (nothing would run for it), so a typo in a CI file fails
// loudly instead of leaving a rule unchecked.
func ParseRules(patterns []string) ([]string, error) {
	var out []string
	for _, p := range patterns {
		p = strings.ToUpper(strings.TrimSpace(p))
		if p == "" {
			continue
		}
		matched := false
		for _, r := range wcp.Rules() {
			ok, err := path.Match(p, r.ID)
			if err != nil {
				return nil, fmt.Errorf("--rules %q: %w", p, err)
			}
			matched = matched || ok
		}
		if !matched {
			return nil, fmt.Errorf("%w: --rules %q matches no WCP/1 rule (OWN-1..5, EXP-1..4, CON-1..5, MSG-1..5, ROB-1..2)", ErrNothingToRun, p)
		}
		out = append(out, p)
	}
	return out, nil
}

// ruleSelected says whether rule id matches a pattern (every rule does
// when there are none).
func ruleSelected(patterns []string, id string) bool {
	if len(patterns) == 0 {
		return true
	}
	for _, p := range patterns {
		if ok, _ := path.Match(p, id); ok {
			return true
		}
	}
	return false
}

// selectSpecs keeps the specs one of whose rules the patterns match; with
// no patterns, every spec (also those that check the API's shape and name
// no rule).
func selectSpecs(all []planned, patterns []string) []planned {
	if len(patterns) == 0 {
		return all
	}
	var out []planned
	for _, p := range all {
		if slices.ContainsFunc(p.Rules, func(id string) bool { return ruleSelected(patterns, id) }) {
			out = append(out, p)
		}
	}
	return out
}

// shard deals specs out to at most n shards, round robin in suite order so
// each shard gets a share of every section (the slow restarts of MSG-3 and
// the quick HTTP checks alike). Specs that share a full text go to the same
// shard: Ginkgo focuses on text, so a shard that names one runs them all.
func shard(specs []planned, n int) [][]string {
	var names []string
	seen := map[string]bool{}
	for _, p := range specs {
		if !seen[p.Name] {
			seen[p.Name] = true
			names = append(names, p.Name)
		}
	}
	n = max(1, min(n, len(names)))
	out := make([][]string, n)
	for i, name := range names {
		out[i%n] = append(out[i%n], name)
	}
	if len(names) == 0 {
		return nil
	}
	return out
}
