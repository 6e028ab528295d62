package transcript_test

import (
	"encoding/json"
	"strings"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
	. "github.com/onsi/gomega"

	"github.com/wcp-project/wcp/specs/harness"
	"github.com/wcp-project/wcp/specs/transcript"
)

// A small suite on the harness with transcripts on, against the embedded
// reference: a spec that fails on purpose gets its transcript, one that
// passes does not, and the whole report, redacted, gives no secret away.
// (Ginkgo runs one suite per process: this is the package's only one.)

// seen are the secrets the failing spec had; suiteReport is the suite's
// report. The spec goroutine writes them before the test reads them.
var (
	seen        []string
	suiteReport types.Report
)

var _ = SynchronizedBeforeSuite(func(ctx SpecContext) []byte {
	return harness.CheckConfig(ctx, harness.Config{Transcripts: true}, nil)
}, harness.StartProcessTarget)

var _ = BeforeEach(harness.AttachTargetLog)

var _ = Describe("transcripts", func() {
	It("fails after some traffic", func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		s := w.Connect(ctx, w.Member, w.Chat.ID, -1)
		m := s.Next("hello")
		_, err := s.SendMessage(ctx, m)
		Expect(err).NotTo(HaveOccurred())
		seen = []string{w.Owner.User.Token, w.Member.User.Token, s.Info().MessageKey, m.MessageString}
		Fail("on purpose, with a secret in the message: " + w.Member.User.Token)
	})
	It("passes", func(ctx SpecContext) {
		harness.NewWorld(ctx)
	})
})

var _ = ReportAfterSuite("keep the report", func(r Report) { suiteReport = r })

// quietT takes the suite's failure (on purpose) without failing the test.
type quietT struct{ failed bool }

func (q *quietT) Fail() { q.failed = true }

func TestHarnessAttachesTranscripts(t *testing.T) {
	RegisterFailHandler(Fail)
	q := &quietT{}
	sc, rc := GinkgoConfiguration()
	rc.Succinct = true
	RunSpecs(q, "transcript harness", sc, rc)
	if !q.failed {
		t.Fatal("the failing spec passed")
	}

	var failing, passing *types.SpecReport
	for i, sr := range suiteReport.SpecReports {
		switch sr.LeafNodeText {
		case "fails after some traffic":
			failing = &suiteReport.SpecReports[i]
		case "passes":
			passing = &suiteReport.SpecReports[i]
		}
	}
	if failing == nil || passing == nil || failing.State != types.SpecStateFailed || passing.State != types.SpecStatePassed {
		t.Fatalf("spec reports: %+v, %+v", failing, passing)
	}
	for _, e := range passing.ReportEntries {
		if e.Name == transcript.EntryName {
			t.Error("a passing spec has a transcript")
		}
	}
	if len(seen) != 4 {
		t.Fatalf("the failing spec did not get to its secrets: %v", seen)
	}

	// In this process, and after the report's trip through JSON.
	inProcess := entryFrames(t, failing.ReportEntries)
	raw, err := json.Marshal(suiteReport)
	if err != nil {
		t.Fatal(err)
	}
	var back types.Report
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	var backFailing types.SpecReport
	for _, sr := range back.SpecReports {
		if sr.LeafNodeText == "fails after some traffic" {
			backFailing = sr
		}
	}
	decoded := entryFrames(t, backFailing.ReportEntries)
	if len(decoded) != len(inProcess) || decoded[0] != inProcess[0] || decoded[len(decoded)-1] != inProcess[len(inProcess)-1] {
		t.Errorf("the transcript changed on its way through JSON: %d frames, then %d", len(inProcess), len(decoded))
	}
	var sawSession bool
	for _, f := range decoded {
		sawSession = sawSession || strings.Contains(f.Text, `"message_key":"[redacted message_key]"`)
	}
	if !sawSession {
		t.Errorf("no session event in the transcript:\n%s", transcript.Transcript(decoded))
	}

	// The failure message holds a token; the redacted report does not.
	if !strings.Contains(string(raw), seen[1]) {
		t.Fatal("the report was expected to hold the token before redaction")
	}
	if harness.Redactor() == nil {
		t.Fatal("no Redactor with transcripts on")
	}
	redacted := harness.RedactJSON(raw)
	if !json.Valid(redacted) {
		t.Fatal("the redacted report is not JSON")
	}
	for _, s := range seen {
		if strings.Contains(string(redacted), s) {
			t.Errorf("%q is in the redacted report", s)
		}
	}
	if err := json.Unmarshal(redacted, &back); err != nil {
		t.Fatalf("the redacted report does not decode: %v", err)
	}
}

func entryFrames(t *testing.T, entries types.ReportEntries) []transcript.Frame {
	t.Helper()
	for _, e := range entries {
		if frames, ok := transcript.FromReportEntry(e); ok {
			if len(frames) == 0 {
				t.Fatal("an empty transcript")
			}
			return frames
		}
	}
	t.Fatalf("no %q entry", transcript.EntryName)
	return nil
}
