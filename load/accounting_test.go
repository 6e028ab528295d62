package load

import (
	"math/rand/v2"
	"testing"
)

func TestSeqSet(t *testing.T) {
	var s seqSet
	ref := map[int64]bool{}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 5000 {
		v := int64(rng.IntN(800) + 1)
		if got, want := s.add(v), !ref[v]; got != want {
			t.Fatalf("add(%d) = %v, want %v", v, got, want)
		}
		ref[v] = true
	}
	if s.len() != int64(len(ref)) {
		t.Fatalf("len = %d, want %d", s.len(), len(ref))
	}
	for v := int64(0); v <= 801; v++ {
		if s.has(v) != ref[v] {
			t.Fatalf("has(%d) = %v, want %v", v, s.has(v), ref[v])
		}
	}
	for i := 1; i < len(s.iv); i++ {
		if s.iv[i].lo <= s.iv[i-1].hi+1 {
			t.Fatalf("intervals %v and %v overlap or touch", s.iv[i-1], s.iv[i])
		}
	}
}

// In-order arrival keeps one interval: memory does not grow with seqs.
func TestSeqSetInOrderIsOneInterval(t *testing.T) {
	var s seqSet
	for v := int64(1); v <= 100000; v++ {
		s.add(v)
	}
	if len(s.iv) != 1 {
		t.Fatalf("%d intervals for a contiguous range, want 1", len(s.iv))
	}
}

func set(vs ...int64) *seqSet {
	var s seqSet
	for _, v := range vs {
		s.add(v)
	}
	return &s
}

func TestInboxAudit(t *testing.T) {
	acked := set(1, 2, 3, 4, 5, 6, 7, 8, 10) // 9 was never acked (timed out)
	cases := []struct {
		name     string
		arrivals []int64
		alive    bool
		want     Audit
	}{
		{"all in order, with the unacked 9", []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, true, Audit{Expected: 9}},
		{"all in order, 9 never came", []int64{1, 2, 3, 4, 5, 6, 7, 8, 10}, true, Audit{Expected: 9}},
		{"3 and 7 lost", []int64{1, 2, 4, 5, 6, 8, 10}, true, Audit{Expected: 9, Lost: 2}},
		{"2 twice", []int64{1, 2, 2, 3, 4, 5, 6, 7, 8, 10}, true, Audit{Expected: 9, Duplicated: 1}},
		{"5 after 6", []int64{1, 2, 3, 4, 6, 5, 7, 8, 10}, true, Audit{Expected: 9, OutOfOrder: 1}},
		{"tail lost", []int64{1, 2, 3}, true, Audit{Expected: 9, Lost: 6}},
		{"ended after 4, 3 lost before", []int64{1, 2, 4}, false, Audit{Expected: 4, Lost: 1, AfterDisconnect: 5}},
		{"nothing at all", nil, true, Audit{Expected: 9, Lost: 9}},
	}
	for _, c := range cases {
		var in inbox
		for _, s := range c.arrivals {
			in.receive(s)
		}
		if got := in.audit(acked, c.alive); got != c.want {
			t.Errorf("%s: audit = %+v, want %+v", c.name, got, c.want)
		}
	}
}

func TestCountMissing(t *testing.T) {
	got := set(1, 2, 3, 7, 8, 20)
	want := set(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20, 21)
	if n := got.countMissing(want, 100); n != 6 {
		t.Errorf("missing = %d, want 6 (4,5,6,9,10,21)", n)
	}
	if n := got.countMissing(want, 8); n != 3 {
		t.Errorf("missing up to 8 = %d, want 3", n)
	}
}

func TestSeqHoles(t *testing.T) {
	if n := seqHoles([]*seqSet{set(1, 2, 5), set(3, 7), set()}); n != 2 {
		t.Errorf("holes = %d, want 2 (4 and 6)", n)
	}
	if n := seqHoles([]*seqSet{set(1, 2, 3), set(2, 3, 4)}); n != 0 {
		t.Errorf("holes = %d, want 0", n)
	}
	if n := seqHoles(nil); n != 0 {
		t.Errorf("holes of nothing = %d", n)
	}
}
