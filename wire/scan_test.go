package wire

import (
	"strconv"
	"testing"
)

func TestSocketPacket(t *testing.T) {
	cases := []struct {
		in   string
		typ  byte
		rest string
		ok   bool
	}{
		{`42["message",{}]`, Event, `["message",{}]`, true},
		{`437[{"ok":true}]`, Ack, `7[{"ok":true}]`, true},
		{`41`, Disconnect, ``, true},
		{`4`, 0, ``, false},
		{`2`, 0, ``, false},
		{`3probe`, 0, ``, false},
		{``, 0, ``, false},
	}
	for _, c := range cases {
		typ, rest, ok := SocketPacket([]byte(c.in))
		if typ != c.typ || string(rest) != c.rest || ok != c.ok {
			t.Errorf("SocketPacket(%q) = %q %q %v, want %q %q %v", c.in, typ, rest, ok, c.typ, c.rest, c.ok)
		}
		// It agrees with ParsePacket on the type.
		if ok {
			if p, err := ParsePacket(c.in[1:]); err != nil || p.Type != typ {
				t.Errorf("ParsePacket(%q) = %v %v, SocketPacket says type %q", c.in[1:], p.Type, err, typ)
			}
		}
	}
}

func TestCutID(t *testing.T) {
	cases := []struct {
		in   string
		id   uint64
		rest string
		ok   bool
	}{
		{`7[{"ok":true}]`, 7, `[{"ok":true}]`, true},
		{`18446744073709551615[]`, 18446744073709551615, `[]`, true},
		{`18446744073709551616[]`, 0, `18446744073709551616[]`, false},
		{`12`, 12, ``, true},
		{`[1]`, 0, `[1]`, false},
		{``, 0, ``, false},
	}
	for _, c := range cases {
		id, rest, ok := CutID([]byte(c.in))
		if id != c.id || string(rest) != c.rest || ok != c.ok {
			t.Errorf("CutID(%q) = %d %q %v, want %d %q %v", c.in, id, rest, ok, c.id, c.rest, c.ok)
		}
	}
}

// AppendEventHead plus the array is EventFrame, and ParsePacket reads the
// id back.
func TestAppendEventHeadIsEventFrame(t *testing.T) {
	for _, id := range []uint64{0, 1, 42, 18446744073709551615} {
		const arr = `["message",{"body":"x"}]`
		got := string(append(AppendEventHead(nil, id), arr...))
		if want := EventFrame(arr, &id); got != want {
			t.Errorf("AppendEventHead(%d) + array = %q, want %q", id, got, want)
		}
		p, err := ParsePacket(got[1:])
		if err != nil || p.ID == nil || *p.ID != id {
			t.Errorf("ParsePacket(%q) = %+v %v, want id %d", got[1:], p, err, id)
		}
	}
}

func TestScanDoesNotAllocate(t *testing.T) {
	frame := []byte(`4312[{"ok":true,"seq":3}]`)
	buf := make([]byte, 0, 64)
	allocs := testing.AllocsPerRun(100, func() {
		_, rest, _ := SocketPacket(frame)
		_, _, _ = CutID(rest)
		buf = AppendEventHead(buf[:0], 12345)
	})
	if allocs != 0 {
		t.Errorf("%v allocations per frame, want 0", allocs)
	}
}

// CutID agrees with ParsePacket's reading of an id on any input.
func FuzzCutID(f *testing.F) {
	for _, s := range []string{"7[1]", "18446744073709551616", "", "x", "0012{"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, rest, ok := CutID([]byte(s))
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		want, err := strconv.ParseUint(s[:i], 10, 64)
		if ok != (err == nil) || (ok && (id != want || string(rest) != s[i:])) {
			t.Errorf("CutID(%q) = %d %q %v; ParseUint of its digits: %d %v", s, id, rest, ok, want, err)
		}
	})
}
