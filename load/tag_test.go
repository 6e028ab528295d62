package load

import "testing"

func TestTagRoundTrip(t *testing.T) {
	for _, at := range []int64{0, 1, 123456789, 1<<62 + 5} {
		for _, forged := range []bool{false, true} {
			b := appendTag(nil, at, forged)
			if len(b) > minBody {
				t.Fatalf("tag %q longer than minBody %d", b, minBody)
			}
			gotAt, gotF, ok := parseTag(append(b, "...."...))
			if !ok || gotAt != at || gotF != forged {
				t.Errorf("parseTag(%q) = %d %v %v", b, gotAt, gotF, ok)
			}
		}
	}
	for _, bad := range []string{"", "L", "LF0;", "X12F0;", "L12F0", "L12G0;"} {
		if _, _, ok := parseTag([]byte(bad)); ok {
			t.Errorf("parseTag(%q) accepted", bad)
		}
	}
}
