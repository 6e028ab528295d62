package scenario

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseExamples(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"minimal.yaml", "four-populations.yaml"} {
		data, err := os.ReadFile("../../testdata/scenarios/" + name)
		if err != nil {
			t.Fatal(err)
		}
		s, err := Parse(name, data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := s.Validate(); err != nil {
			t.Errorf("%s: parsed but not valid: %v", name, err)
		}
	}
	data, _ := os.ReadFile("../../testdata/scenarios/four-populations.yaml")
	s, _ := Parse("four", data)
	if len(s.Populations) != 4 || len(s.Storms) != 1 || s.Storms[0].Sessions != 2000 || s.Churn.Rate != 5 {
		t.Errorf("four-populations: %+v", s)
	}
	heavy := s.Populations[2]
	if heavy.Think.Kind != Constant || heavy.Think.Value != 1 || heavy.Body.Value != 1024 {
		t.Errorf("heavy: think %+v body %+v", heavy.Think, heavy.Body)
	}
	if slow := s.Populations[3]; slow.ReadEvery != 50*time.Millisecond {
		t.Errorf("slow readers read every %v, want 50ms", slow.ReadEvery)
	}
	if s.Populations[0].Sends() {
		t.Errorf("listeners send")
	}
}

const good = `duration: 10s
users: 10
chats:
  - count: 2
    share: 1
populations:
  - name: a
    share: 1
    rate: 1
`

// Every bad file's error names the line and the field of each mistake,
// all of them, not only the first.
func TestParseErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		yaml string
		want []string // each must appear
	}{
		{"share too big", strings.Replace(good, "share: 1\n    rate", "share: 1.5\n    rate", 1),
			[]string{"s.yaml:8: populations[0].share: must be in (0,1], got 1.5"}},
		{"several at once", `duration: -1s
users: 0
chats:
  - count: 0
    share: 0.5
populations:
  - name: a
    share: 0.5
    rate: -2
    colour: red
`, []string{
			"s.yaml:1: duration: must be positive",
			"s.yaml:2: users: must be at least 1, got 0",
			"s.yaml:4: chats[0].count: must be at least 1, got 0",
			"s.yaml:3: chats: shares must add up to 1, got 0.5",
			"s.yaml:9: populations[0].rate: must be positive",
			"s.yaml:10: populations[0].colour: unknown field",
			"s.yaml:6: populations: shares must add up to 1, got 0.5",
		}},
		{"missing fields", "users: 3\n", []string{
			"s.yaml:1: duration: required", "s.yaml:1: chats: required", "s.yaml:1: populations: required"}},
		{"not a number", strings.Replace(good, "users: 10", "users: many", 1),
			[]string{`s.yaml:2: users: want an integer, got "many"`}},
		{"bad duration", strings.Replace(good, "duration: 10s", "duration: ten", 1),
			[]string{`s.yaml:1: duration: want a duration such as 500ms or 2m, got "ten"`}},
		{"rate and think", strings.Replace(good, "rate: 1", "rate: 1\n    think: 2s", 1),
			[]string{"s.yaml:10: populations[0].think: rate and think exclude each other"}},
		{"bad dist", strings.Replace(good, "rate: 1", "think: {dist: gaussian, mean: 1s}", 1),
			[]string{`s.yaml:9: populations[0].think: unknown dist "gaussian"`}},
		{"uniform upside down", strings.Replace(good, "rate: 1", "body: {dist: uniform, min: 500, max: 100}", 1),
			[]string{"s.yaml:9: populations[0].body: min (500) exceeds max (100)"}},
		{"body too small", strings.Replace(good, "rate: 1", "body: 10", 1),
			[]string{"s.yaml:9: populations[0].body: value must be in 23..16384, got 10"}},
		{"too many chats per user", strings.Replace(good, "rate: 1", "chats: 3", 1),
			[]string{"s.yaml:9: populations[0].chats: must be in 1..2"}},
		{"duplicate names", strings.Replace(good, "share: 1\n    rate: 1", "share: 0.5\n  - name: a\n    share: 0.5", 1),
			[]string{`s.yaml:9: populations[1].name: "a" names two populations`}},
		{"storm after the end", good + "storms:\n  - at: 9s\n    sessions: 5\n    window: 2s\n",
			[]string{"s.yaml:11: storms[0].at: the storm (at 9s, window 2s) must end before sending does (10s)"}},
		{"churn", good + "churn: {rate: -1, down: 1s}\n", []string{"s.yaml:10: churn.rate: must not be negative"}},
		{"read both", strings.Replace(good, "rate: 1", "read: {delay: 1s, rate: 3}", 1),
			[]string{"s.yaml:9: populations[0].read.rate: delay and rate exclude each other"}},
		{"not a mapping", "- 1\n- 2\n", []string{"s.yaml:1: (top level): want a mapping"}},
		{"not yaml", "duration: [\n", []string{"s.yaml:", "(file): not YAML"}},
		{"twice", good + "users: 3\n", []string{"s.yaml:10: users: given twice"}},
		{"list wanted", strings.Replace(good, "chats:\n  - count: 2\n    share: 1", "chats: 4", 1),
			[]string{`s.yaml:3: chats: want a list, got "4"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("s.yaml", []byte(tc.yaml))
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("error %v (%T), want *Error", err, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if n := len(se.Problems); n < len(tc.want) && tc.name != "not yaml" {
				t.Errorf("%d problems, want at least %d", n, len(tc.want))
			}
		})
	}
}

func TestLayout(t *testing.T) {
	t.Parallel()
	data, _ := os.ReadFile("../../testdata/scenarios/four-populations.yaml")
	s, err := Parse("four", data)
	if err != nil {
		t.Fatal(err)
	}
	l := s.Layout()
	if len(l.UserPop) != 2400 || len(l.Chats) != 204 {
		t.Fatalf("%d users in %d chats, want 2400 in 204", len(l.UserPop), len(l.Chats))
	}
	perPop := make([]int, 4)
	for _, p := range l.UserPop {
		perPop[p]++
	}
	if want := []int{1440, 600, 120, 240}; !equal(perPop, want) {
		t.Errorf("users per population %v, want %v", perPop, want)
	}
	if n, want := l.Sessions(), 1440*2+960; n != want {
		t.Errorf("%d sessions, want %d", n, want)
	}
	rooms := 0
	for c, us := range l.Chats {
		seen := map[int]bool{}
		for _, u := range us {
			if seen[u] {
				t.Fatalf("user %d twice in chat %d", u, c)
			}
			seen[u] = true
		}
		if l.Group[c] == 0 {
			rooms += len(us)
		}
	}
	if share := float64(rooms) / float64(l.Sessions()); share < 0.39 || share > 0.41 {
		t.Errorf("rooms hold %.3f of the sessions, want 0.4", share)
	}
	// Scaled down, the shape stays.
	small := s.Scaled(0.05).Compressed(6 * time.Second)
	if err := small.Validate(); err != nil {
		t.Fatal(err)
	}
	if small.Users != 120 || small.Storms[0].Sessions != 100 || small.Storms[0].At != 3*time.Second || small.Duration != 6*time.Second {
		t.Errorf("scaled: %+v", small)
	}
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
