package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// rulesSchemaBase names the wcp-rules.json document kind; RulesSchema adds
// the major version, which the "version" field repeats as a number so that
// tools need not parse the URI. See doc.go for the schema.
const rulesSchemaBase = "https://github.com/wcp-project/wcp/conform/rules/v"

// RulesSchema is the "schema" of the wcp-rules.json this package writes.
const RulesSchema = rulesSchemaBase + "1"

// RulesFile is a wcp-rules.json document, as WriteRulesJSON writes it and
// ReadRulesJSON reads it back. doc.go describes every field.
type RulesFile struct {
	Schema          string        `json:"schema"`
	Version         int           `json:"version"`
	Target          string        `json:"target"`
	Started         time.Time     `json:"started"`
	DurationSeconds float64       `json:"duration_seconds"`
	WCPVersion      string        `json:"wcp_version"`
	ExitCode        int           `json:"exit_code"`
	Filters         []string      `json:"filters"`
	Baseline        string        `json:"baseline"`
	Summary         RulesSummary  `json:"summary"`
	Rules           []Rule        `json:"rules"`
	Failing         []FailingSpec `json:"failing"`
	Stale           []StaleEntry  `json:"stale"`
}

// RulesSummary counts the rules by verdict and the specs by state.
type RulesSummary struct {
	Rules Counts `json:"rules"`
	Specs Counts `json:"specs"`
}

// FailingSpec is a spec that failed, expectedly or not.
type FailingSpec struct {
	Spec     string   `json:"spec"`
	Rules    []string `json:"rules"`
	State    string   `json:"state"` // Failed or Expected
	Kind     string   `json:"kind"`  // failed, timedout, panicked, interrupted, aborted
	Message  string   `json:"message"`
	Location string   `json:"location"`
	Reason   string   `json:"reason,omitempty"` // an Expected failure's, from the baseline
	Link     string   `json:"link,omitempty"`   // likewise
}

// StaleEntry is a baseline entry that no longer matches a failure.
type StaleEntry struct {
	Entry  string `json:"entry"`
	Reason string `json:"reason"`
	Why    string `json:"why"`
}

// WriteRulesJSON writes run as wcp-rules.json.
func WriteRulesJSON(w io.Writer, run Run) error {
	if err := check(run); err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // a data file, never inlined in HTML: keep <, > and & readable
	if err := enc.Encode(rulesFile(run)); err != nil {
		return fmt.Errorf("wcp-rules.json: %w", err)
	}
	return nil
}

// rulesFile is run as wcp-rules.json holds it. Lists are empty rather than
// null, so that tools can iterate without a check.
func rulesFile(run Run) RulesFile {
	f := RulesFile{
		Schema:          RulesSchema,
		Version:         SchemaVersion,
		Target:          run.Target,
		Started:         run.Started.UTC().Truncate(time.Millisecond),
		DurationSeconds: seconds(run.Duration),
		WCPVersion:      run.WCPVersion,
		ExitCode:        run.ExitCode,
		Filters:         nonNil(run.Filters),
		Baseline:        run.Baseline,
		Summary:         RulesSummary{Rules: ruleCounts(run), Specs: specCounts(run)},
		Rules:           nonNil(run.Rules),
		Failing:         []FailingSpec{},
		Stale:           []StaleEntry{},
	}
	for _, s := range failing(run) {
		fs := FailingSpec{Spec: s.Name, Rules: nonNil(s.Rules), State: s.State}
		if s.Failure != nil {
			fs.Kind, fs.Message, fs.Location = s.Failure.Kind, s.Failure.Message, s.Failure.Location
		}
		if s.State == Expected {
			fs.Reason, fs.Link = s.Reason, s.Link
		}
		f.Failing = append(f.Failing, fs)
	}
	for _, st := range run.Stale {
		f.Stale = append(f.Stale, StaleEntry(st))
	}
	return f
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// FormatError says that a file is not a wcp-rules.json document at all.
type FormatError struct {
	Reason string
	Err    error // the JSON error beneath, if any
}

func (e *FormatError) Error() string {
	if e.Err != nil {
		return "not a wcp-rules.json document: " + e.Reason + ": " + e.Err.Error()
	}
	return "not a wcp-rules.json document: " + e.Reason
}

func (e *FormatError) Unwrap() error { return e.Err }

// VersionError says that a wcp-rules.json has a schema version this build
// cannot read: its fields may mean something else.
type VersionError struct {
	Version   int // the document's
	Supported int // SchemaVersion
}

func (e *VersionError) Error() string {
	if e.Version > e.Supported {
		return fmt.Sprintf("wcp-rules.json has schema version %d, written by a newer wcp; this one reads version %d only", e.Version, e.Supported)
	}
	return fmt.Sprintf("wcp-rules.json has schema version %d, which no wcp wrote; this one reads version %d only", e.Version, e.Supported)
}

// ReadRulesJSON reads a wcp-rules.json document. It refuses anything but
// schema version SchemaVersion with a *VersionError, and what is no such
// document with a *FormatError. Fields it does not know are ignored: a
// newer wcp may add some without changing the version.
func ReadRulesJSON(r io.Reader) (RulesFile, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return RulesFile{}, fmt.Errorf("read wcp-rules.json: %w", err)
	}
	switch trimmed := bytes.TrimSpace(data); {
	case len(trimmed) == 0:
		return RulesFile{}, &FormatError{Reason: "the file is empty"}
	case trimmed[0] == '[':
		return RulesFile{}, &FormatError{Reason: "a JSON array, the unversioned rule table the specs harness wrote before wcp conform; run wcp conform for a versioned one"}
	case trimmed[0] != '{':
		return RulesFile{}, &FormatError{Reason: "not a JSON object"}
	}
	var head struct {
		Schema  string          `json:"schema"`
		Version json.RawMessage `json:"version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return RulesFile{}, &FormatError{Reason: "unreadable JSON", Err: err}
	}
	if !strings.HasPrefix(head.Schema, rulesSchemaBase) {
		return RulesFile{}, &FormatError{Reason: fmt.Sprintf("schema is %q, want %q", head.Schema, RulesSchema)}
	}
	version, err := strconv.Atoi(string(head.Version))
	if err != nil {
		return RulesFile{}, &FormatError{Reason: fmt.Sprintf("version is %s, want an integer", orMissing(head.Version))}
	}
	if version != SchemaVersion {
		return RulesFile{}, &VersionError{Version: version, Supported: SchemaVersion}
	}
	if head.Schema != RulesSchema {
		return RulesFile{}, &FormatError{Reason: fmt.Sprintf("schema %q does not match version %d", head.Schema, version)}
	}
	var f RulesFile
	if err := json.Unmarshal(data, &f); err != nil {
		return RulesFile{}, &FormatError{Reason: "a field does not fit the schema", Err: err}
	}
	return f, nil
}

// orMissing quotes a raw JSON value for an error, or says it is missing.
func orMissing(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "missing"
	}
	return string(raw)
}
