package load

import (
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestParseShard(t *testing.T) {
	if s, err := ParseShard("2/5"); err != nil || s != (Shard{2, 5}) {
		t.Errorf("ParseShard(2/5) = %v, %v", s, err)
	}
	for in, frag := range map[string]string{
		"3/2": "0..1", "2/2": "0..1", "-1/2": "0..1", "0/0": "at least 1",
		"a/2": "integers", "1": "want i/n", "": "want i/n", "1/2/3": "integers",
	} {
		if _, err := ParseShard(in); err == nil || !strings.Contains(err.Error(), frag) {
			t.Errorf("ParseShard(%q) error = %v, want one mentioning %q", in, err, frag)
		}
	}
}

// Every sender lands in exactly one shard, in its own chat, and the
// shares add up to one; the same arguments always give the same plan.
func TestSplitCoversEverySenderOnce(t *testing.T) {
	for _, tc := range []struct{ senders, chats, n int }{
		{10, 3, 1}, {10, 3, 3}, {200, 20, 3}, {1000, 100, 7}, {7, 7, 7},
	} {
		owner := map[int]int{}
		share := 0.0
		for i := 0; i < tc.n; i++ {
			p, err := Split(tc.senders, tc.chats, Shard{i, tc.n})
			if err != nil {
				t.Fatalf("%+v shard %d: %v", tc, i, err)
			}
			again, _ := Split(tc.senders, tc.chats, Shard{i, tc.n})
			if !reflect.DeepEqual(p, again) {
				t.Fatalf("%+v shard %d: Split is not deterministic", tc, i)
			}
			share += p.Share
			n := 0
			for k, c := range p.Chats {
				if c%tc.n != i {
					t.Errorf("%+v: chat %d in shard %d", tc, c, i)
				}
				for _, s := range p.Senders[k] {
					if s%tc.chats != c {
						t.Errorf("%+v: sender %d placed in chat %d", tc, s, c)
					}
					if prev, dup := owner[s]; dup {
						t.Errorf("%+v: sender %d in shards %d and %d", tc, s, prev, i)
					}
					owner[s] = i
					n++
				}
			}
			if n != p.NumSenders {
				t.Errorf("%+v shard %d: NumSenders %d, counted %d", tc, i, p.NumSenders, n)
			}
			if p.Sessions() != n {
				t.Errorf("%+v shard %d: Sessions() %d, counted %d", tc, i, p.Sessions(), n)
			}
		}
		if len(owner) != tc.senders {
			t.Errorf("%+v: %d senders placed, want %d", tc, len(owner), tc.senders)
		}
		if math.Abs(share-1) > 1e-9 {
			t.Errorf("%+v: shares add to %v, want 1", tc, share)
		}
	}
}

func TestSplitRefuses(t *testing.T) {
	for _, tc := range []struct {
		senders, chats int
		s              Shard
		frag           string
	}{
		{10, 2, Shard{0, 3}, "need at least 3 chats"},
		{2, 5, Shard{0, 1}, "leave chats empty"},
		{0, 1, Shard{0, 1}, "at least one"},
	} {
		if _, err := Split(tc.senders, tc.chats, tc.s); err == nil || !strings.Contains(err.Error(), tc.frag) {
			t.Errorf("Split(%d,%d,%v) error = %v, want %q", tc.senders, tc.chats, tc.s, err, tc.frag)
		}
	}
}
