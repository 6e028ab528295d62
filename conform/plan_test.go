package conform

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/conform/report"
)

func TestParseRules(t *testing.T) {
	got, err := ParseRules([]string{" own-* ", "MSG-3", ""})
	if err != nil || !reflect.DeepEqual(got, []string{"OWN-*", "MSG-3"}) {
		t.Fatalf("got %v, %v", got, err)
	}
	for _, bad := range []string{"OWN-9", "NOPE-*", "OWN"} {
		if _, err := ParseRules([]string{"OWN-1", bad}); !errors.Is(err, ErrNothingToRun) {
			t.Errorf("%q: %v, want ErrNothingToRun", bad, err)
		}
	}
	if _, err := ParseRules([]string{"["}); err == nil || errors.Is(err, ErrNothingToRun) {
		t.Errorf("a malformed pattern: %v", err)
	}
	if got, err := ParseRules(nil); err != nil || got != nil {
		t.Errorf("no patterns: %v, %v", got, err)
	}
}

func TestSelectSpecs(t *testing.T) {
	names := func(ps []planned) string {
		var s []string
		for _, p := range ps {
			s = append(s, p.Name)
		}
		return strings.Join(s, "|")
	}
	suite := append(append([]planned(nil), suite...), planned{Name: "API f"})
	for pats, want := range map[string]string{
		"":            "OWN-2 a|OWN-2 b|OWN-2 EXP-1 c|CON-4 d|MSG-3 e|API f",
		"EXP-1":       "OWN-2 EXP-1 c",
		"CON-*":       "CON-4 d",
		"MSG-3,CON-4": "CON-4 d|MSG-3 e",
		"ROB-*":       "",
	} {
		var p []string
		if pats != "" {
			p = strings.Split(pats, ",")
		}
		if got := names(selectSpecs(suite, p)); got != want {
			t.Errorf("%q selected %q, want %q", pats, got, want)
		}
	}
}

func TestShardDealsEverySpecOnce(t *testing.T) {
	specs := append(append([]planned(nil), suite...), planned{Name: "OWN-2 a", Rules: []string{"OWN-2"}}) // a duplicate name
	for n := 1; n <= 8; n++ {
		shards := shard(specs, n)
		if want := min(n, 5); len(shards) != want {
			t.Errorf("n=%d: %d shards, want %d", n, len(shards), want)
		}
		seen := map[string]int{}
		for _, s := range shards {
			if len(s) == 0 {
				t.Errorf("n=%d: an empty shard", n)
			}
			for _, name := range s {
				seen[name]++
			}
		}
		for _, p := range suite {
			if seen[p.Name] != 1 {
				t.Errorf("n=%d: %q dealt %d times", n, p.Name, seen[p.Name])
			}
		}
	}
	if shard(nil, 3) != nil {
		t.Error("no specs, yet shards")
	}
}

func TestFocusStringsMatchExactly(t *testing.T) {
	fs := focusStrings("WCP/1 conformance", []string{"OWN-2 a (with [brackets] and .*)"})
	if len(fs) != 1 || !strings.HasPrefix(fs[0], "^") || !strings.Contains(fs[0], `\[brackets\]`) {
		t.Errorf("focus %q", fs)
	}
}

func TestTally(t *testing.T) {
	specs := outcome(report.Passed, report.Failed, report.Expected, report.Skipped, "")
	pats := []string{"OWN-*", "CON-4"}
	rules := report.Tally(specs, func(id string) bool { return ruleSelected(pats, id) }, func(r wcp.Rule) string { return "#" + r.Anchor })
	by := map[string]report.Rule{}
	for _, r := range rules {
		by[r.ID] = r
	}
	if len(rules) != len(wcp.Rules()) {
		t.Fatalf("%d rows, want one per rule", len(rules))
	}
	for id, want := range map[string]string{"OWN-2": report.Failed, "EXP-1": report.Expected, "CON-4": report.Skipped, "OWN-1": report.Skipped, "MSG-3": report.NotRun} {
		if by[id].Verdict != want {
			t.Errorf("%s: %s, want %s", id, by[id].Verdict, want)
		}
	}
	if r := by["OWN-2"]; r.Passed != 1 || r.Failed != 1 || r.Expected != 1 || r.Link != "#3-users-workspaces-chats-http" || r.Level != "MUST" {
		t.Errorf("OWN-2 row %+v", r)
	}
}

func TestExitCode(t *testing.T) {
	if got := ExitCode(report.Run{}, ErrNothingToRun); got != ExitNothingToRun {
		t.Errorf("nothing to run: %d", got)
	}
	if got := ExitCode(report.Run{}, &HarnessError{Msg: "x"}); got != ExitHarness {
		t.Errorf("harness: %d", got)
	}
	if got := ExitCode(report.Run{}, errors.New("other")); got != ExitHarness {
		t.Errorf("other error: %d", got)
	}
	if got := ExitCode(report.Run{ExitCode: ExitFailed}, nil); got != ExitFailed {
		t.Errorf("failed: %d", got)
	}
}
