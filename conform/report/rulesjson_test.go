package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func writeRulesJSON(t *testing.T, run Run) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteRulesJSON(&buf, run); err != nil {
		t.Fatalf("WriteRulesJSON: %v", err)
	}
	return buf.Bytes()
}

// asJSON is s as encoding/json carries it: each byte of invalid UTF-8
// becomes U+FFFD, as converting to runes does.
func asJSON(s string) string { return string([]rune(s)) }

func TestRulesJSONRoundTrip(t *testing.T) {
	run := fixtureRun()
	f, err := ReadRulesJSON(bytes.NewReader(writeRulesJSON(t, run)))
	if err != nil {
		t.Fatalf("ReadRulesJSON: %v", err)
	}
	if f.Schema != RulesSchema || f.Version != SchemaVersion {
		t.Errorf("schema %q version %d", f.Schema, f.Version)
	}
	if f.Target != run.Target || f.WCPVersion != run.WCPVersion || f.ExitCode != 1 || f.Baseline != run.Baseline || f.DurationSeconds != 4.213 {
		t.Errorf("header: %+v", f)
	}
	if want := run.Started.Truncate(time.Millisecond); !f.Started.Equal(want) {
		t.Errorf("started %v, want %v", f.Started, want)
	}
	if !slices.Equal(f.Filters, run.Filters) {
		t.Errorf("filters %q", f.Filters)
	}
	if !reflect.DeepEqual(f.Rules, run.Rules) {
		t.Errorf("rules differ:\n got %+v\nwant %+v", f.Rules, run.Rules)
	}
	wantSummary := RulesSummary{
		Rules: Counts{Total: 21, Passed: 14, Failed: 3, Expected: 2, Skipped: 1, NotRun: 1},
		Specs: Counts{Total: 8, Passed: 3, Failed: 2, Expected: 2, Skipped: 1},
	}
	if f.Summary != wantSummary {
		t.Errorf("summary %+v, want %+v", f.Summary, wantSummary)
	}

	// Failed first, then expected; each in suite order.
	var names []string
	for _, fs := range f.Failing {
		names = append(names, fs.Spec)
	}
	if want := []string{specFailed, asJSON(specNasty), specExpected, specExpJS}; !slices.Equal(names, want) {
		t.Errorf("failing %q, want %q", names, want)
	}
	first := f.Failing[0]
	if !slices.Equal(first.Rules, []string{"OWN-1", "OWN-2"}) || first.State != Failed || first.Kind != "failed" ||
		first.Location != "specs/03_own1_creating_chats.go:57" || !strings.HasPrefix(first.Message, "POST /workspaces") ||
		first.Reason != "" || first.Link != "" {
		t.Errorf("failing[0]: %+v", first)
	}
	// Texts are kept as they are, control characters included; only
	// invalid UTF-8 is replaced.
	nastyMsg := run.Specs[2].Failure.Message
	if f.Failing[1].Message != asJSON(nastyMsg) || !strings.Contains(f.Failing[1].Message, "\x00\x01\b\v\f\x1b[31m") {
		t.Errorf("nasty message not kept: %q", f.Failing[1].Message[:80])
	}
	exp := f.Failing[2]
	if exp.State != Expected || exp.Kind != "timedout" || exp.Reason != run.Specs[3].Reason || exp.Link != run.Specs[3].Link {
		t.Errorf("expected failure: %+v", exp)
	}
	if len(f.Stale) != 2 || f.Stale[0] != StaleEntry(run.Stale[0]) || f.Stale[1].Entry != asJSON(run.Stale[1].Entry) {
		t.Errorf("stale %+v", f.Stale)
	}
}

func TestRulesJSONFields(t *testing.T) {
	data := writeRulesJSON(t, Run{Started: time.Date(2025, 1, 2, 3, 4, 5, 678_900_000, time.FixedZone("CEST", 2*3600))})
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range doc {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"baseline", "duration_seconds", "exit_code", "failing", "filters", "rules", "schema", "stale", "started", "summary", "target", "version", "wcp_version"}
	if !slices.Equal(keys, want) {
		t.Errorf("keys %q, want %q", keys, want)
	}
	// Lists of an empty run are empty lists, not null.
	for _, k := range []string{"filters", "rules", "failing", "stale"} {
		if string(doc[k]) != "[]" {
			t.Errorf("%s is %s, want []", k, doc[k])
		}
	}
	if got := string(doc["started"]); got != `"2025-01-02T01:04:05.678Z"` {
		t.Errorf("started %s, want UTC with milliseconds", got)
	}
	if got := string(doc["schema"]); got != `"https://github.com/wcp-project/wcp/conform/rules/v1"` {
		t.Errorf("schema %s", got)
	}
}

func TestReadRulesJSONRefuses(t *testing.T) {
	good := writeRulesJSON(t, fixtureRun())
	replace := func(old, new string) string {
		s := strings.Replace(string(good), old, new, 1)
		if s == string(good) {
			t.Fatalf("fixture lacks %q", old)
		}
		return s
	}
	for _, c := range []struct {
		name, in string
		version  int    // a *VersionError with this version (when says is ""), else a *FormatError
		says     string // what the *FormatError says
	}{
		{"newer major", replace(`"version": 1`, `"version": 2`), 2, ""},
		{"newer major in both", replace(`rules/v1",`, `rules/v2",`), 0, "does not match version 1"},
		{"newer schema and version", strings.Replace(replace(`rules/v1",`, `rules/v2",`), `"version": 1`, `"version": 2`, 1), 2, ""},
		{"version zero", replace(`"version": 1`, `"version": 0`), 0, ""},
		{"no version", replace(`"version": 1,`, ``), 0, "version is missing"},
		{"version a string", replace(`"version": 1`, `"version": "1"`), 0, `version is "1"`},
		{"other schema", replace(`wcp-project/wcp/conform/rules/v1`, `example.com/other`), 0, "schema is"},
		{"no schema", `{"version": 1}`, 0, `schema is ""`},
		{"old harness array", `[{"rule": "OWN-1", "result": "passed"}]`, 0, "unversioned rule table"},
		{"empty", "  \n", 0, "empty"},
		{"not an object", `"rules"`, 0, "not a JSON object"},
		{"broken", `{"schema": `, 0, "unreadable JSON"},
		{"wrong type", replace(`"exit_code": 1`, `"exit_code": "one"`), 0, "does not fit the schema"},
	} {
		_, err := ReadRulesJSON(strings.NewReader(c.in))
		var ve *VersionError
		var fe *FormatError
		switch {
		case c.says == "":
			if !errors.As(err, &ve) || ve.Version != c.version || ve.Supported != SchemaVersion {
				t.Errorf("%s: error %v, want a *VersionError for version %d", c.name, err, c.version)
			} else if c.version > SchemaVersion && !strings.Contains(err.Error(), "newer wcp") {
				t.Errorf("%s: %q does not say a newer wcp wrote it", c.name, err)
			}
		case !errors.As(err, &fe) || !strings.Contains(err.Error(), c.says):
			t.Errorf("%s: error %v, want a *FormatError saying %q", c.name, err, c.says)
		}
	}
}

func TestReadRulesJSONIgnoresNewFields(t *testing.T) {
	in := strings.Replace(string(writeRulesJSON(t, fixtureRun())), `"version": 1,`, `"version": 1, "added_later": {"x": [1, 2]},`, 1)
	f, err := ReadRulesJSON(strings.NewReader(in))
	if err != nil || len(f.Rules) != 21 {
		t.Fatalf("ReadRulesJSON with a new field: %d rules, %v", len(f.Rules), err)
	}
}
