package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/wcp-project/wcp"
)

// BenchmarkAppend is the group commit's storage cost: one op is one message,
// committed in batches of the given size across 20 chats.
func BenchmarkAppend(b *testing.B) {
	for _, db := range []string{"memory", "file"} {
		for _, batch := range []int{1, 16, 256} {
			b.Run(fmt.Sprintf("db=%s/batch=%d", db, batch), func(b *testing.B) {
				path := ":memory:"
				if db == "file" {
					path = filepath.Join(b.TempDir(), "wcp.db")
				}
				d := open(b, path)
				chats := seedB(b, d, 20)
				// The writer's commits run under a timeout, as here.
				ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
				defer cancel()
				seq := map[string]int64{}
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i += batch {
					msgs := make([]wcp.Message, 0, batch)
					for j := 0; j < batch; j++ {
						c := chats[(i+j)%len(chats)]
						seq[c]++
						msgs = append(msgs, wcp.Message{ID: fmt.Sprint("m", i+j), ChatID: c, Seq: seq[c], UserID: "u1", Body: "benchmark body of a typical length", SentAt: "2026-01-01T00:00:00.000Z"})
					}
					if _, err := d.AppendMessages(ctx, msgs); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
