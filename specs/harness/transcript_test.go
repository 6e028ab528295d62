package harness

import (
	"context"
	"net"
	"net/url"
	"testing"
)

// stubTarget is a Target that only counts its stops.
type stubTarget struct {
	url   string
	stops int
}

func (s *stubTarget) URL() string                   { return s.url }
func (s *stubTarget) Restart(context.Context) error { return nil }
func (s *stubTarget) Log() *LogTail                 { return nil }
func (s *stubTarget) Stop() error                   { s.stops++; return nil }

func TestRecordTarget(t *testing.T) {
	inner := &stubTarget{url: "http://127.0.0.1:9/base"}
	got, err := recordTarget(inner)
	if err != nil {
		t.Fatal(err)
	}
	rt, ok := got.(*recordedTarget)
	if !ok {
		t.Fatalf("recordTarget returned %T", got)
	}
	u, err := url.Parse(rt.URL())
	if err != nil || u.Scheme != "http" || u.Path != "/base" || u.Host != rt.rec.Addr() {
		t.Errorf("URL %q: want the recorder's address with the target's path", rt.URL())
	}
	if unwrapTarget(got) != Target(inner) || unwrapTarget(inner) != Target(inner) {
		t.Error("unwrapTarget does not find the target behind the recorder")
	}
	if err := got.Stop(); err != nil || inner.stops != 1 {
		t.Errorf("Stop: %v, the target stopped %d times", err, inner.stops)
	}
	if c, err := net.Dial("tcp", rt.rec.Addr()); err == nil {
		c.Close()
		t.Error("the recorder still listens after Stop")
	}
}

// A recorder in front of TLS would record ciphertext and break the
// certificate's name: the target stays as it is.
func TestRecordTargetLeavesHTTPSAlone(t *testing.T) {
	for _, u := range []string{"https://wcp.example", "not a url\x7f"} {
		inner := &stubTarget{url: u}
		if got, err := recordTarget(inner); err != nil || got != Target(inner) {
			t.Errorf("%q: %v, %v; want the target itself", u, got, err)
		}
	}
}

// A nil Redactor (transcripts off) still hides secret fields.
func TestRedactJSONWithoutTranscripts(t *testing.T) {
	if Redactor() != nil {
		t.Skip("this process has a recorded target")
	}
	got := string(RedactJSON([]byte(`{"m":"{\"token\":\"abc\"}"}`)))
	if got != `{"m":"{\"token\":\"[redacted token]\"}"}` {
		t.Errorf("RedactJSON = %s", got)
	}
	if got := string(RedactJSON([]byte(`not json "token":"abc"`))); got != `not json "token":"[redacted token]"` {
		t.Errorf("RedactJSON of text = %s", got)
	}
}
