package harness

import (
	"errors"
	"fmt"
	"net"
	"net/url"

	. "github.com/onsi/ginkgo/v2"

	"github.com/wcp-project/wcp/specs/transcript"
)

// recordedTarget is the process's target seen through a transcript
// recorder (Config.Transcripts): specs talk to the recorder, which
// forwards every connection to the target unchanged. Restart and Log reach
// the target itself; its address stays the same across restarts, so the
// recorder's does too.
type recordedTarget struct {
	Target
	rec *transcript.Recorder
	url string
}

// recordTarget puts a recorder in front of t. A target the recorder cannot
// stand in front of (https: it would record ciphertext and break the
// certificate's name) is returned as it is, with no transcripts. When the
// recorder cannot start, t is stopped and the error returned.
func recordTarget(t Target) (Target, error) {
	u, err := url.Parse(t.URL())
	if err != nil || u.Scheme != "http" || u.Host == "" {
		fmt.Fprintf(GinkgoWriter, "transcripts are off: the recorder only stands in front of an http:// target, not %s\n", t.URL())
		return t, nil
	}
	upstream := u.Host
	if u.Port() == "" {
		upstream = net.JoinHostPort(u.Hostname(), "80")
	}
	rec, err := transcript.NewRecorder(upstream, nil, transcript.Limits{})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("start the transcript recorder: %w", err), t.Stop())
	}
	u.Host = rec.Addr()
	return &recordedTarget{Target: t, rec: rec, url: u.String()}, nil
}

func (t *recordedTarget) URL() string { return t.url }

// Stop stops the target, then the recorder (which learns what is left).
func (t *recordedTarget) Stop() error {
	err := t.Target.Stop()
	return errors.Join(err, t.rec.Close())
}

// unwrapTarget is the target behind a recorder, or t.
func unwrapTarget(t Target) Target {
	if r, ok := t.(*recordedTarget); ok {
		return r.Target
	}
	return t
}

// recordTranscript, run before each spec with the target log's hook,
// starts the spec's transcript and, if the spec fails, attaches it
// (redacted) as the report entry transcript.EntryName. A passing spec's
// traffic is parsed too: the Redactor learns every secret that crossed.
func recordTranscript() {
	rt, ok := current.(*recordedTarget)
	if !ok {
		return
	}
	rt.rec.Begin()
	DeferCleanup(func() {
		failed := CurrentSpecReport().Failed()
		if frames := rt.rec.End(failed); failed && len(frames) > 0 {
			AddReportEntry(transcript.EntryName, transcript.Transcript(frames), ReportEntryVisibilityFailureOrVerbose)
		}
	})
}

// Redactor is this process's Redactor: what its recorder learned from the
// wire. It is nil when transcripts are off, and a nil Redactor still
// hides secrets it can recognise by their field or header.
func Redactor() *transcript.Redactor {
	if rt, ok := current.(*recordedTarget); ok {
		return rt.rec.Redactor()
	}
	return nil
}

// RedactJSON hides every secret this process has seen (see Redactor) in a
// JSON document, a Ginkgo report say; the result is valid JSON. A document
// that is not JSON is redacted as text.
func RedactJSON(b []byte) []byte {
	red := Redactor()
	out, err := red.RedactJSON(b)
	if err != nil {
		return []byte(red.Redact(string(b)))
	}
	return out
}
