package load

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/client"
	"github.com/wcp-project/wcp/load/report"
)

// benchTarget is the server the benchmarks drive: $WCP_LOAD_TARGET, or
// `wcp serve` in a process of its own (so that this process's CPU and memory
// are the generator's alone).
func benchTarget(b *testing.B) string {
	b.Helper()
	if t := os.Getenv("WCP_LOAD_TARGET"); t != "" {
		return t
	}
	dir := b.TempDir()
	bin := filepath.Join(dir, "wcp")
	build := exec.Command("go", "build", "-o", bin, "github.com/wcp-project/wcp/cmd/wcp")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("build wcp: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--db", filepath.Join(dir, "wcp.db"), "--log-level", "error")
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	})
	const prefix = "wcp: serving WCP/1 on "
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if url, ok := strings.CutPrefix(sc.Text(), prefix); ok {
			go io.Copy(io.Discard, out) // keep the pipe drained
			return url
		}
	}
	b.Fatalf("wcp serve ended without saying where it listens: %v", sc.Err())
	return ""
}

// BenchmarkIdleSessionMemory connects b.N idle senders (10 per chat) and
// reports what each costs this process: resident set and Go heap+stacks.
//
//	go test ./load -run - -bench IdleSessionMemory -benchtime 2000x
func BenchmarkIdleSessionMemory(b *testing.B) {
	target := benchTarget(b)
	n := b.N
	chats := max(n/10, 1)
	cfg := Config{Target: target, Senders: n, Chats: chats, Inflight: 1, Duration: time.Second}.WithDefaults()
	if err := cfg.Validate(); err != nil {
		b.Fatal(err)
	}
	plan, err := Split(cfg.Senders, cfg.Chats, cfg.Shard)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	w, err := setup(ctx, &cfg, plan, client.New(target, nil))
	if err != nil {
		b.Fatal(err)
	}
	r, err := newRunner(cfg)
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	rss0, heap0 := memNow()
	g0 := runtime.NumGoroutine()
	b.ResetTimer()
	if err := r.connectAll(ctx, w); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	time.Sleep(200 * time.Millisecond) // let dial goroutines finish
	runtime.GC()
	rss1, heap1 := memNow()
	g1 := runtime.NumGoroutine()
	if len(r.sessions) != n {
		b.Fatalf("%d of %d sessions connected", len(r.sessions), n)
	}
	b.ReportMetric((float64(rss1)-float64(rss0))/float64(n)/1024, "rss-KiB/session")
	b.ReportMetric((float64(heap1)-float64(heap0))/float64(n)/1024, "heap-KiB/session")
	b.ReportMetric(float64(g1-g0)/float64(n), "goroutines/session")
	r.closeAll()
}

// BenchmarkMessageCPU runs the closed-loop profile (200 senders, 20 chats,
// one message in flight each) for 5 s and reports this process's CPU time
// per signed message, its ~10 deliveries included.
//
//	go test ./load -run - -bench MessageCPU -benchtime 1x
func BenchmarkMessageCPU(b *testing.B) {
	target := benchTarget(b)
	for range b.N {
		res, err := Run(context.Background(), Config{Target: target, Senders: 200, Chats: 20, Inflight: 1, Duration: 5 * time.Second})
		if err != nil {
			b.Fatal(err)
		}
		sc := res.SelfChecks[0]
		b.ReportMetric(sc.CPUPerMessageUS, "cpu-µs/msg")
		b.ReportMetric(res.AckRate(), "acks/s")
		b.ReportMetric(res.DeliveryRate(), "deliveries/s")
		b.ReportMetric(float64(res.Hist(report.HistAck).Quantile(99))/1e6, "ack-p99-ms")
		if res.Failed() {
			b.Fatalf("run failed: %v", res.Failures)
		}
	}
}

// BenchmarkClientSessionCPU drives the same closed-loop profile as
// BenchmarkMessageCPU through the shared client.Session (a general
// Socket.IO client that decodes every event's JSON) instead of the
// generator's own wire, to show what the purpose-built sender saves.
//
//	go test ./load -run - -bench 'MessageCPU|ClientSessionCPU' -benchtime 1x
func BenchmarkClientSessionCPU(b *testing.B) {
	target := benchTarget(b)
	ctx := context.Background()
	for range b.N {
		cfg := Config{Target: target, Senders: 200, Chats: 20, Inflight: 1, Duration: 5 * time.Second}.WithDefaults()
		if err := cfg.Validate(); err != nil {
			b.Fatal(err)
		}
		plan, _ := Split(cfg.Senders, cfg.Chats, cfg.Shard)
		w, err := setup(ctx, &cfg, plan, client.New(target, nil))
		if err != nil {
			b.Fatal(err)
		}
		var delivered atomic.Int64
		var sessions []*client.Session
		for k := range w.chats {
			for j := range w.users[k] {
				cs, err := w.clients[k][j].ConnectionString(ctx, w.chats[k].ID, 0)
				if err != nil {
					b.Fatal(err)
				}
				s, err := client.Connect(ctx, target, wcp.Auth{ChatID: w.chats[k].ID, ConnectionString: cs.ConnectionString},
					&client.Options{OnMessage: func(wcp.Message, time.Time) { delivered.Add(1) }})
				if err != nil {
					b.Fatal(err)
				}
				sessions = append(sessions, s)
			}
		}
		body := strings.Repeat(".", 64)
		var sent atomic.Int64
		cpu0, t0 := cpuTime(), time.Now()
		deadline := t0.Add(cfg.Duration)
		var wg sync.WaitGroup
		for _, s := range sessions {
			wg.Go(func() {
				for time.Now().Before(deadline) {
					if _, err := s.Send(ctx, body); err != nil {
						return
					}
					sent.Add(1)
				}
			})
		}
		wg.Wait()
		cpu, wall := cpuTime()-cpu0, time.Since(t0)
		for _, s := range sessions {
			s.Close()
		}
		n := sent.Load()
		b.ReportMetric(float64(cpu.Microseconds())/float64(n), "cpu-µs/msg")
		b.ReportMetric(float64(n)/wall.Seconds(), "acks/s")
		b.ReportMetric(float64(delivered.Load())/wall.Seconds(), "deliveries/s")
	}
}
