package reference

import (
	"strings"
	"testing"
	"time"
)

func testClaims() connClaims {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 678e6, time.UTC)
	return connClaims{UserID: "u_abcDEF012_-", ChatID: "c_XYZ789", Issued: t0, Expires: t0.Add(300 * time.Second)}
}

func TestConnStringRoundTrip(t *testing.T) {
	t.Parallel()
	k := connKey{secret: []byte("0123456789abcdef0123456789abcdef")}
	want := testClaims()
	s := k.issue(want)
	if len(s) > 512 {
		t.Fatalf("length %d", len(s))
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			t.Fatalf("not printable ASCII at %d: %q", i, s)
		}
	}
	got, ok, err := k.parse(s)
	if err != nil || !ok {
		t.Fatalf("parse: ok=%v err=%v", ok, err)
	}
	if got.UserID != want.UserID || got.ChatID != want.ChatID || !got.Issued.Equal(want.Issued) || !got.Expires.Equal(want.Expires) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	// Another secret does not accept it.
	if _, ok, _ := (connKey{secret: []byte("other")}).parse(s); ok {
		t.Fatal("verified under another secret")
	}
	// Longest IDs still fit in 512 bytes.
	long := want
	long.UserID, long.ChatID = strings.Repeat("u", 64), strings.Repeat("c", 64)
	if n := len(k.issue(long)); n > 512 {
		t.Fatalf("longest string is %d bytes", n)
	}
}

// TestConnStringEverySingleChange changes each character of a valid string
// to every other printable ASCII character: none may verify (EXP-1). The
// last character matters most: base64's unused low bits.
func TestConnStringEverySingleChange(t *testing.T) {
	t.Parallel()
	k := connKey{secret: []byte("secret")}
	for _, ids := range [][2]string{{"u_1", "c_1"}, {"u_12", "c_123"}, {"u_123", "c_12345"}} {
		c := testClaims()
		c.UserID, c.ChatID = ids[0], ids[1]
		s := k.issue(c)
		b := []byte(s)
		for i := range b {
			orig := b[i]
			for ch := byte(0x20); ch < 0x7f; ch++ {
				if ch == orig {
					continue
				}
				b[i] = ch
				if _, ok, _ := k.parse(string(b)); ok {
					t.Fatalf("changed char %d of %q to %q and it still verifies", i, s, ch)
				}
			}
			b[i] = orig
		}
		// Truncated and extended strings fail too.
		for _, bad := range []string{s[:len(s)-1], s + "A", s[1:], "", strings.Repeat("A", 600)} {
			if _, ok, _ := k.parse(bad); ok {
				t.Fatalf("%q verifies", bad)
			}
		}
	}
}

func TestConnStringExpiryBoundary(t *testing.T) {
	t.Parallel()
	c := testClaims()
	tests := []struct {
		at   time.Time
		want bool
	}{
		{c.Expires.Add(-time.Millisecond), false},
		{c.Expires, true},
		{c.Expires.Add(time.Millisecond), true},
		{c.Issued, false},
	}
	for _, tt := range tests {
		if got := c.expired(tt.at); got != tt.want {
			t.Errorf("expired at %v = %v, want %v", tt.at, got, tt.want)
		}
	}
}
