package load

import (
	"testing"
)

func TestParseDelivery(t *testing.T) {
	cases := []struct {
		in   string
		seq  int64
		body string
		ok   bool
	}{
		{`{"id":"m1","chat_id":"c","seq":42,"user_id":"u","body":"L123F0;...","sent_at":"x"}`, 42, `"L123F0;..."`, true},
		{`{ "body" : "a\"b\\" , "seq" : 7 , "x" : {"seq": 9, "s": "}"}, "y": [1,{"z":"]"}] }`, 7, `"a\"b\\"`, true},
		{`{"seq":"7","body":"x"}`, 0, `"x"`, true},
		{`{"seq":7}`, 0, "", false},
		{`{"seq":0,"body":"x"}`, 0, `"x"`, true},
		{`{"seq":3,"body":5}`, 0, "", false},
		{`{"seq":7,"body":"x"`, 0, "", false},
		{`[1,2]`, 0, "", false},
		{``, 0, "", false},
	}
	for _, c := range cases {
		d, ok := parseDelivery([]byte(c.in), 0)
		// seq 0 stands for "missing or invalid".
		if ok != c.ok || (ok && (d.seq != c.seq || string(d.body) != c.body)) {
			t.Errorf("parseDelivery(%s) = %d %q %v, want %d %q %v", c.in, d.seq, d.body, ok, c.seq, c.body, c.ok)
		}
	}
}

func TestParseAck(t *testing.T) {
	cases := []struct {
		in   string
		want ackInfo
		ok   bool
	}{
		{`{"ok":true,"id":"m","seq":3}`, ackInfo{ok: true, seq: 3}, true},
		{`{"ok":false,"error":{"code":"invalid_message_string","message":"no"}}`, ackInfo{code: "invalid_message_string"}, true},
		{`{"ok":false}`, ackInfo{}, false},
		{`{"ok":true}`, ackInfo{ok: true}, false},
		{`{"ok":"yes","seq":1}`, ackInfo{}, false},
		{`{"seq":1}`, ackInfo{}, false},
	}
	for _, c := range cases {
		a, ok := parseAck([]byte(c.in), 0)
		if ok != c.ok || (ok && a != c.want) {
			t.Errorf("parseAck(%s) = %+v %v, want %+v %v", c.in, a, ok, c.want, c.ok)
		}
	}
}

// The hot-path parsers read what servers send: they must never panic.
func FuzzParseFrames(f *testing.F) {
	for _, s := range []string{
		`{"id":"m1","chat_id":"c","seq":42,"user_id":"u","body":"L123F0;...","sent_at":"x"}`,
		`{"ok":false,"error":{"code":"invalid_message_string","message":"no"}}`,
		`{"a":[{"b":"\"}"}],"seq":1}`, `L12F1;`, `{`, `"\`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		parseDelivery(b, 0)
		parseAck(b, 0)
		parseTag(b)
		skipValue(b, 0)
	})
}
