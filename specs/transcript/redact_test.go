package transcript

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
)

const (
	tok = "tok_0123456789abcdefghij"
	cs  = "v1.c_1.u_1.1735790000.Zm9vYmFyYmF6cXV4"
	key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
	sig = "99a2c2ae06b402a5feb72f0cc7fb695d79b15e371122f018aef2602a8d93aeff"
)

// learned is a Redactor that has seen the constants above on the wire.
func learned() *Redactor {
	r := NewRedactor()
	r.scrub(`{"id":"u_1","token":"` + tok + `"}`)
	r.scrub(`{"chat_id":"c_1","connection_string":"` + cs + `"}`)
	r.scrub(`42["session",{"message_key":"` + key + `"}]`)
	r.scrub(`420["message",{"nonce":1,"body":"hi","message_string":"` + sig + `"}]`)
	return r
}

func TestScrub(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"HTTP body", `{"id":"u_1","token":"abc"}`, `{"id":"u_1","token":"[redacted token]"}`},
		{"nested", `{"a":[{"b":{"connection_string":"x"}}]}`, `{"a":[{"b":{"connection_string":"[redacted connection_string]"}}]}`},
		{"not a string", `{"token":12,"message_key":null}`, `{"token":12,"message_key":null}`},
		{"key in an array", `["token","abc"]`, `["token","abc"]`},
		{"CONNECT", `40{"chat_id":"c","connection_string":"s"}`, `40{"chat_id":"c","connection_string":"[redacted connection_string]"}`},
		{"CONNECT to a namespace", `40/admin,{"connection_string":"s"}`, `40/admin,{"connection_string":"[redacted connection_string]"}`},
		{"EVENT with an ack id", `4212["message",{"message_string":"s"}]`, `4212["message",{"message_string":"[redacted message_string]"}]`},
		{"session event", `42["session",{"message_key":"k"}]`, `42["session",{"message_key":"[redacted message_key]"}]`},
		{"polling payload", "40{\"connection_string\":\"s\"}\x1e2\x1e42[\"session\",{\"message_key\":\"k\"}]", "40{\"connection_string\":\"[redacted connection_string]\"}\x1e2\x1e42[\"session\",{\"message_key\":\"[redacted message_key]\"}]"},
		{"escaped value", `{"token":"a\"b\u0041"}`, `{"token":"[redacted token]"}`},
		{"spaced", "{ \"token\" :\n \"abc\" }", "{ \"token\" :\n \"[redacted token]\" }"},
		{"ping", `2`, `2`},
		{"not JSON", `{"token":"abc"`, `{"token":"abc"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := NewRedactor().scrub(c.in); got != c.want {
				t.Errorf("scrub(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func TestRedactByValue(t *testing.T) {
	r := learned()
	jsonEscaped := strings.ReplaceAll(`{"connection_string":"`+cs+`"}`, `"`, `\"`)
	cases := []struct{ name, in, want string }{
		{"token in prose", "user " + tok + " failed", "user [redacted token] failed"},
		{"all four", cs + key + sig, "[redacted connection_string][redacted message_key][redacted message_string]"},
		{"JSON in a JSON string", jsonEscaped, `{\"connection_string\":\"[redacted connection_string]\"}`},
		{"Go struct", `wcp.Session{MessageKey: "` + key + `"}`, `wcp.Session{MessageKey: "[redacted message_key]"}`},
		{"bearer", "Authorization: Bearer " + tok, "Authorization: Bearer [redacted token]"},
		{"unrelated", "nothing here", "nothing here"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := r.Redact(c.in); got != c.want {
				t.Errorf("Redact(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

// A value is hidden by value in every spelling it takes: as is, inside a
// JSON string (with Go's HTML escaping or without) and Go-quoted.
func TestRedactSpellings(t *testing.T) {
	v := `x<y>&"z"\w` + "\t\u2028end"
	r := NewRedactor()
	r.Learn("connection_string", v)
	htmlEscaped, _ := json.Marshal(v)
	for _, form := range []string{v, string(htmlEscaped), jsonString(v), fmt.Sprintf("%q", v)} {
		got := r.Redact("before " + form + " after")
		if strings.Contains(got, "z") || strings.Contains(got, "end") {
			t.Errorf("spelling %s not hidden: %q", form, got)
		}
	}
}

// The longest value wins: a connection string and its truncated copy (a
// near-copy a spec sends on purpose) are both hidden whole.
func TestRedactLongestFirst(t *testing.T) {
	r := NewRedactor()
	r.Learn("connection_string", cs[:20]) // learned first
	r.Learn("connection_string", cs)
	r.Learn("connection_string", cs[:len(cs)-1]+"X") // one character changed
	for _, in := range []string{cs, cs[:20], cs[:len(cs)-1] + "X"} {
		if got := r.Redact("[" + in + "]"); got != "[[redacted connection_string]]" {
			t.Errorf("Redact(%q) = %q", in, got)
		}
	}
}

// Short values are hidden only where their field says what they are.
func TestShortValuesStructuralOnly(t *testing.T) {
	r := NewRedactor()
	if got := r.scrub(`{"token":"abc"}`); got != `{"token":"[redacted token]"}` {
		t.Errorf("structural: %q", got)
	}
	if got := r.Redact("abc and abcd"); got != "abc and abcd" {
		t.Errorf("a short value was hidden by value: %q", got)
	}
	if r.Len() != 0 {
		t.Errorf("learned %d values", r.Len())
	}
}

func TestRedactPatterns(t *testing.T) {
	var r *Redactor // knows nothing, still recognises fields
	cases := []struct{ in, want string }{
		{`{"token":"never-seen"}`, `{"token":"[redacted token]"}`},
		{`{"message_string": "abc\"def"}`, `{"message_string": "[redacted message_string]"}`},
		{`{\"connection_string\":\"abc\",\"x\":1}`, `{\"connection_string\":\"[redacted connection_string]\",\"x\":1}`},
		{`{\"token\":\"a\\\"b\"}`, `{\"token\":\"[redacted token]\"}`},
		{`{"token":"clipped...`, `{"token":"[redacted token]`},
		{`{"token":""}`, `{"token":""}`},
		{`Token: "abc", MessageString: "def"`, `Token: "[redacted token]", MessageString: "[redacted message_string]"`},
		{`MyToken: "abc"`, `MyToken: "abc"`},
		{"bearer abc.def-ghi=", "bearer [redacted token]"},
		{"BEARER\tx1234567 y", "BEARER\t[redacted token] y"},
		{"missing or malformed bearer token", "missing or malformed bearer token"},
		{"Bearer authorization", "Bearer authorization"},
		{"Bearer short1", "Bearer short1"},
		{"unbearer x", "unbearer x"},
		{"Bearer", "Bearer"},
		{`"token"`, `"token"`},
	}
	for _, c := range cases {
		if got := r.Redact(c.in); got != c.want {
			t.Errorf("Redact(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestRedactJSON(t *testing.T) {
	r := learned()
	entry, _ := json.Marshal(Transcript{{Conn: 1, Kind: KindRaw, Text: "leak " + tok}})
	doc := map[string]any{
		"Failure":  map[string]any{"Message": "Expected <string>: " + cs + "\nto equal " + key},
		"Entries":  []any{map[string]any{"Name": EntryName, "AsJSON": string(entry)}},
		"body":     `{"token":"not-learned-token"}`,
		"token":    "short",
		"Nested":   map[string]any{"message_string": sig, "ok": true, "n": 1.5},
		tok:        "a key that is a secret",
		"Unicode":  "héllo <&> \u2028",
		"Learned2": "sig=" + sig,
	}
	in, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	out, err := r.RedactJSON(in)
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(out) {
		t.Fatalf("not JSON: %s", out)
	}
	for _, secret := range []string{tok, cs, key, sig, "not-learned-token", "short"} {
		if strings.Contains(string(out), secret) {
			t.Errorf("%q left in %s", secret, out)
		}
	}
	var back map[string]any
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatal(err)
	}
	if back["Unicode"] != doc["Unicode"] {
		t.Errorf("an unrelated string changed: %q", back["Unicode"])
	}
	// The entry's AsJSON is still a transcript.
	asJSON := back["Entries"].([]any)[0].(map[string]any)["AsJSON"].(string)
	var frames []Frame
	if err := json.Unmarshal([]byte(asJSON), &frames); err != nil || frames[0].Text != "leak [redacted token]" {
		t.Errorf("AsJSON after redaction: %q (%v)", asJSON, err)
	}
	if _, err := r.RedactJSON([]byte(`{"a":`)); err != ErrNotJSON {
		t.Errorf("invalid JSON: %v, want ErrNotJSON", err)
	}
}

// A learned value that spans JSON structure (quotes in it) cannot break a
// document: values are replaced inside strings only.
func TestRedactJSONValueWithQuotes(t *testing.T) {
	r := NewRedactor()
	r.Learn("token", `abcdef","x`)
	in := []byte(`{"a":"abcdef","x":"abcdef\",\"x"}`)
	out, err := r.RedactJSON(in)
	if err != nil || !json.Valid(out) {
		t.Fatalf("RedactJSON = %s, %v", out, err)
	}
	if string(out) != `{"a":"abcdef","x":"[redacted token]"}` {
		t.Errorf("got %s", out)
	}
}

func TestRedactorConcurrentUse(t *testing.T) {
	r := NewRedactor()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 50 {
				v := fmt.Sprintf("secret-%02d-%03d", i, j)
				r.Learn("token", v)
				if got := r.Redact("x " + v); got != "x [redacted token]" {
					t.Errorf("Redact after Learn: %q", got)
				}
				_, _ = r.RedactJSON([]byte(`{"a":"` + v + `"}`))
			}
		}()
	}
	wg.Wait()
}

func TestPrintableAndClip(t *testing.T) {
	cases := []struct{ in, want string }{
		{"plain\ttext\n", "plain\ttext\n"},
		{"a\r\n\x1eb\x00", `a\r` + "\n" + `\x1eb\x00`},
		{"bad \xff\xfe utf8", `bad \xff\xfe utf8`},
		{"zero\u200bwidth", `zero\u200bwidth`},
		{"héllo 🙂", "héllo 🙂"},
	}
	for _, c := range cases {
		if got := printable(c.in); got != c.want {
			t.Errorf("printable(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if got, want := display(strings.Repeat("\x00", 100), 20), strings.Repeat(`\x00`, 5)+"… [clipped: 95 more bytes]"; got != want {
		t.Errorf("display cuts as it escapes: %q, want %q", got, want)
	}
	if got := display("short", 10); got != "short" {
		t.Errorf("display(short) = %q", got)
	}
	if got := clip("héllo", 2); got != "h… [clipped: 5 more bytes]" {
		t.Errorf("clip on a rune boundary: %q", got)
	}
	if got := clip("short", 10); got != "short" {
		t.Errorf("clip(short) = %q", got)
	}
}
