package conform

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wcp-project/wcp/conform/report"
)

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadBaselineYAMLAndJSON(t *testing.T) {
	yamlFile := writeFile(t, "b.yaml", `
version: 1
expected:
  - rule: CON-4
    reason: revocation lands in 2.3
    link: https://tracker.example/123
  - spec: "MSG-3 survives kill -9"
    reason: durability rework
`)
	jsonFile := writeFile(t, "b.json", `{"version":1,"expected":[{"rule":"CON-4","reason":"revocation lands in 2.3","link":"https://tracker.example/123"},{"spec":"MSG-3 survives kill -9","reason":"durability rework"}]}`)
	for _, p := range []string{yamlFile, jsonFile} {
		b, err := ReadBaseline(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if len(b.Expected) != 2 || b.Expected[0].Rule != "CON-4" || b.Expected[0].Link == "" || b.Expected[1].Spec != "MSG-3 survives kill -9" {
			t.Errorf("%s: read %+v", p, b)
		}
	}
}

func TestReadBaselineRefusesWhatItCannotHonour(t *testing.T) {
	for name, tc := range map[string]struct{ body, want string }{
		"wrong version":  {"version: 2\nexpected: []\n", "version 2"},
		"no version":     {"expected: []\n", "version 0"},
		"unknown field":  {"version: 1\nexpected:\n  - rule: CON-4\n    reason: x\n    ticket: 12\n", "ticket"},
		"both":           {"version: 1\nexpected:\n  - rule: CON-4\n    spec: s\n    reason: x\n", "exactly one"},
		"neither":        {"version: 1\nexpected:\n  - reason: x\n", "exactly one"},
		"no reason":      {"version: 1\nexpected:\n  - rule: CON-4\n", "reason is required"},
		"unknown rule":   {"version: 1\nexpected:\n  - rule: CON-9\n    reason: x\n", `"CON-9" is not a WCP/1 rule`},
		"listed twice":   {"version: 1\nexpected:\n  - rule: CON-4\n    reason: x\n  - rule: CON-4\n    reason: y\n", "listed twice"},
		"not YAML":       {"version: [1\n", "baseline"},
		"not a document": {"- 1\n- 2\n", "baseline"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ReadBaseline(writeFile(t, "b.yaml", tc.body))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
	if _, err := ReadBaseline(filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Error("a missing file was read")
	}
}

func TestWrittenBaselineReadsBack(t *testing.T) {
	p := filepath.Join(t.TempDir(), "b.yaml")
	at := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	if err := NewBaseline([]string{"OWN-2 z spec", "CON-4 a spec: with \"quotes\""}, at).Write(p); err != nil {
		t.Fatal(err)
	}
	b, err := ReadBaseline(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Expected) != 2 || b.Expected[0].Spec != `CON-4 a spec: with "quotes"` || b.Expected[1].Spec != "OWN-2 z spec" {
		t.Errorf("read back %+v", b.Expected)
	}
	if !strings.Contains(b.Expected[0].Reason, "2026-11-30") {
		t.Errorf("reason %q does not say when it was recorded", b.Expected[0].Reason)
	}
}

// suite is a small suite for the verdict tests: two OWN-2 specs, one
// OWN-2+EXP-1 spec, one CON-4 spec and one MSG-3 spec.
var suite = []planned{
	{Name: "OWN-2 a", Rules: []string{"OWN-2"}},
	{Name: "OWN-2 b", Rules: []string{"OWN-2"}},
	{Name: "OWN-2 EXP-1 c", Rules: []string{"OWN-2", "EXP-1"}},
	{Name: "CON-4 d", Rules: []string{"CON-4"}},
	{Name: "MSG-3 e", Rules: []string{"MSG-3"}},
}

func outcome(states ...string) []report.Spec {
	var out []report.Spec
	for i, s := range states {
		if s == "" {
			continue // not selected
		}
		out = append(out, report.Spec{Name: suite[i].Name, Rules: suite[i].Rules, State: s})
	}
	return out
}

func TestBaselineVerdicts(t *testing.T) {
	P, F, S := report.Passed, report.Failed, report.Skipped
	for name, tc := range map[string]struct {
		entries []BaselineEntry
		states  []string
		want    int
		stale   []string
	}{
		"no baseline, all pass":       {nil, []string{P, P, P, P, S}, ExitPassed, nil},
		"no baseline, one fails":      {nil, []string{P, F, P, P, P}, ExitFailed, nil},
		"rule entry covers failures":  {[]BaselineEntry{{Rule: "OWN-2", Reason: "r"}}, []string{F, F, P, P, P}, ExitPassed, nil},
		"rule entry, partly failing":  {[]BaselineEntry{{Rule: "OWN-2", Reason: "r"}}, []string{F, P, P, P, P}, ExitPassed, nil},
		"spec entry covers its spec":  {[]BaselineEntry{{Spec: "OWN-2 b", Reason: "r"}}, []string{P, F, P, P, P}, ExitPassed, nil},
		"spec entry, another fails":   {[]BaselineEntry{{Spec: "OWN-2 b", Reason: "r"}}, []string{F, F, P, P, P}, ExitFailed, nil},
		"second rule label counts":    {[]BaselineEntry{{Rule: "EXP-1", Reason: "r"}}, []string{P, P, F, P, P}, ExitPassed, nil},
		"fixed rule entry is stale":   {[]BaselineEntry{{Rule: "CON-4", Reason: "r"}}, []string{P, P, P, P, P}, ExitFailed, []string{"CON-4"}},
		"fixed spec entry is stale":   {[]BaselineEntry{{Spec: "OWN-2 a", Reason: "r"}}, []string{P, P, P, P, P}, ExitFailed, []string{"OWN-2 a"}},
		"unknown spec entry is stale": {[]BaselineEntry{{Spec: "gone", Reason: "r"}}, []string{P, P, P, P, P}, ExitFailed, []string{"gone"}},
		"filtered out is not stale":   {[]BaselineEntry{{Rule: "CON-4", Reason: "r"}}, []string{P, P, P, "", ""}, ExitPassed, nil},
		"skipped is not stale":        {[]BaselineEntry{{Rule: "MSG-3", Reason: "r"}}, []string{P, P, P, P, S}, ExitPassed, nil},
	} {
		t.Run(name, func(t *testing.T) {
			var b *Baseline
			if tc.entries != nil {
				b = &Baseline{Version: 1, Expected: tc.entries}
			}
			specs := outcome(tc.states...)
			stale := applyBaseline(b, suite, specs)
			if got := exitCode(specs, stale); got != tc.want {
				t.Errorf("exit code %d, want %d (specs %+v, stale %+v)", got, tc.want, specs, stale)
			}
			var names []string
			for _, s := range stale {
				names = append(names, s.Entry)
				if s.Why == "" || s.Reason != "r" {
					t.Errorf("stale entry %+v lacks why or reason", s)
				}
			}
			if strings.Join(names, ",") != strings.Join(tc.stale, ",") {
				t.Errorf("stale %v, want %v", names, tc.stale)
			}
			for _, s := range specs {
				if s.State == report.Expected && s.Reason != "r" {
					t.Errorf("expected failure %q has reason %q", s.Name, s.Reason)
				}
			}
		})
	}
}

func TestSpecEntryWinsOverRuleEntry(t *testing.T) {
	b := &Baseline{Version: 1, Expected: []BaselineEntry{{Rule: "OWN-2", Reason: "rule"}, {Spec: "OWN-2 b", Reason: "spec", Link: "l"}}}
	e, ok := b.entryFor(suite[1])
	if !ok || e.Reason != "spec" {
		t.Errorf("entry %+v, want the spec's", e)
	}
}
