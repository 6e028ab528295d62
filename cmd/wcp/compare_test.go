package main

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wcp-project/wcp/load/report"
)

// writeSynthetic writes a result of n seconds with ack latency lat (and
// no noise: every second alike) and returns its path.
func writeSynthetic(t *testing.T, dir, name string, n int, lat time.Duration) string {
	t.Helper()
	r := &report.Result{Version: report.ResultVersion, RunID: name, Valid: true, Failures: []string{},
		Histograms: map[string]*report.Hist{report.HistAck: report.NewHist()}}
	start := time.Unix(2_000_000, 0)
	for i := range n {
		s := report.Second{T: start.Unix() + int64(i), Acked: 100, Ack: report.NewHist()}
		for j := range 100 {
			d := lat + time.Duration(j)*time.Microsecond
			s.Ack.Record(d)
			r.Histograms[report.HistAck].Record(d)
		}
		r.Counts.Acked += s.Acked
		r.Series = append(r.Series, s)
	}
	r.SendStart, r.SendEnd = start, start.Add(time.Duration(n)*time.Second)
	path := filepath.Join(dir, name+".json")
	if err := writeFile(path, func(w io.Writer) error { return report.Encode(w, r) }); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadCompare(t *testing.T) {
	dir := t.TempDir()
	base := writeSynthetic(t, dir, "base", 10, 10*time.Millisecond)
	slow := writeSynthetic(t, dir, "slow", 10, 15*time.Millisecond)
	short := writeSynthetic(t, dir, "short", 3, 15*time.Millisecond)
	notResult := filepath.Join(dir, "other.json")
	if err := os.WriteFile(notResult, []byte(`{"hello":"world"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	garbage := filepath.Join(dir, "garbage.json")
	if err := os.WriteFile(garbage, []byte(`not json`), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		code int      // 0, 1 or 2
		want []string // fragments of the output (code 0, 2) or the error (code 1)
	}{
		{"slower, no threshold", []string{base, slow}, 0, []string{"ack_p99", "slower", "+49.5%"}},
		{"same", []string{base, base}, 0, []string{"no significant change"}},
		{"faster", []string{slow, base}, 0, []string{"faster"}},
		{"short", []string{base, short}, 0, []string{"too few seconds"}},
		{"threshold broken", []string{base, slow, "--threshold", "ack_p99:+10%"}, 2, []string{"ack_p99:+10%"}},
		{"threshold holds", []string{base, slow, "--threshold", "ack_p99:+60%"}, 0, []string{"thresholds: all 1 hold"}},
		{"short breaks nothing", []string{base, short, "--threshold", "ack_p99:+1%"}, 0, []string{"no verdict"}},
		{"unknown metric", []string{base, slow, "--threshold", "ack_p98:+10%"}, 1, []string{"unknown metric"}},
		{"malformed threshold", []string{base, slow, "--threshold", "ack_p99<10ms"}, 1, []string{"malformed change threshold"}},
		{"wrong sign", []string{base, slow, "--threshold", "acks_per_s:+5%"}, 1, []string{"gets worse when it drops"}},
		{"missing file", []string{base, filepath.Join(dir, "missing.json")}, 1, []string{"missing.json"}},
		{"not a result", []string{notResult, base}, 1, []string{"not a load result"}},
		{"not json", []string{base, garbage}, 1, []string{"not a load result"}},
		{"one file", []string{base}, 1, []string{"accepts 2 arg"}},
		{"bad format", []string{base, slow, "--format", "xml"}, 1, []string{"want text or json"}},
		{"under the minimum effect", []string{base, slow, "--min-effect", "60"}, 0, []string{"minimum effect of 60%"}},
		{"negative minimum effect", []string{base, slow, "--min-effect", "-1"}, 1, []string{"--min-effect -1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := runArgs(t, append([]string{"load", "compare"}, c.args...)...)
			code := 0
			if err != nil {
				code = 1
				var ee *exitError
				if errors.As(err, &ee) {
					code = ee.code
				}
				out += err.Error()
			}
			if code != c.code {
				t.Errorf("exit code %d, want %d: %v\n%s", code, c.code, err, out)
			}
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestLoadCompareJSON(t *testing.T) {
	dir := t.TempDir()
	base := writeSynthetic(t, dir, "base", 10, 10*time.Millisecond)
	slow := writeSynthetic(t, dir, "slow", 10, 15*time.Millisecond)
	file := filepath.Join(dir, "out", "cmp.json")
	page := filepath.Join(dir, "cmp.html")
	out, err := runArgs(t, "load", "compare", base, slow, "--format", "json", "--json", file, "--html", page)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(page); err != nil || !strings.Contains(string(b), `<td class="fail">slower</td>`) {
		t.Errorf("html: %v\n%s", err, b)
	}
	fromFile, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range [][]byte{[]byte(out), fromFile} {
		var c report.Comparison
		if err := json.Unmarshal(b, &c); err != nil {
			t.Fatalf("%v:\n%s", err, b)
		}
		if c.Version != 1 || c.Base.RunID != "base" || c.New.RunID != "slow" {
			t.Errorf("comparison %+v", c)
		}
		for _, ch := range c.Changes {
			if ch.Metric == "ack_p99" && ch.Verdict != report.Slower {
				t.Errorf("ack_p99: %q, want slower", ch.Verdict)
			}
		}
	}
}

func TestLoadCompareHelp(t *testing.T) {
	out, err := runArgs(t, "load", "compare", "--help")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"Mann-Whitney", "--threshold", "--format", "--json", "--html", "--alpha", "--min-seconds", "--min-effect", "Exit status", "acks_per_s", "no significant change"} {
		if !strings.Contains(out, f) {
			t.Errorf("compare --help does not mention %s", f)
		}
	}
}

// Two short runs of the embedded reference compare without error; a run
// compared with a copy of itself changes in nothing. Nothing here depends
// on how the two runs' timings differ.
func TestLoadCompareEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("integration")
	}
	dir := t.TempDir()
	t.Setenv("TMPDIR", t.TempDir())
	a, b := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	// 8 s of sending spans at least 8 wall-clock seconds: 6 once the
	// partial first and last are left out of the rates (5 are needed).
	for _, run := range []struct{ out, dur string }{{a, "8s"}, {b, "2s"}} {
		if out, err := runArgs(t, "load", "--senders", "40", "--chats", "4", "--inflight", "1", "--duration", run.dur,
			"--progress", "none", "--out", run.out); err != nil {
			t.Fatalf("load: %v\n%s", err, out)
		}
	}
	if out, err := runArgs(t, "load", "compare", a, b); err != nil {
		t.Errorf("compare two runs: %v\n%s", err, out)
	}
	raw, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	cp := filepath.Join(dir, "copy.json")
	if err := os.WriteFile(cp, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	cmp := filepath.Join(dir, "cmp.json")
	if out, err := runArgs(t, "load", "compare", a, cp, "--json", cmp, "--threshold", "ack_p99:+0%,acks_per_s:-0%"); err != nil {
		t.Fatalf("compare with a copy: %v\n%s", err, out)
	}
	fh, err := os.Open(cmp)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	var c report.Comparison
	if err := json.NewDecoder(fh).Decode(&c); err != nil {
		t.Fatal(err)
	}
	for _, ch := range c.Changes {
		want := report.NoChange
		if ch.Metric == "connect_p99" || ch.Metric == "cpu_per_msg_us" {
			want = report.NoVerdict // one value per run
		}
		if ch.Verdict != want || (ch.DeltaPct != nil && *ch.DeltaPct != 0) {
			t.Errorf("%s against itself: %q (%s), change %v; want %q", ch.Metric, ch.Verdict, ch.Note, ch.DeltaPct, want)
		}
	}
}
