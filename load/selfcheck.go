package load

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/wcp-project/wcp/load/report"
)

// Self-check limits: past these the generator, not the server, is taken to
// be the bottleneck and the run is marked invalid.
const (
	// selfCPULimit is the share of GOMAXPROCS the process may use on
	// average. Above it, goroutines queue for a CPU and every latency the
	// generator measures includes its own queueing.
	selfCPULimit = 0.90
	// selfSchedP99 is the largest tolerated p99 lateness of a 10 ms ticker.
	selfSchedP99 = 20 * time.Millisecond
	// selfDispatchP99 is the largest tolerated p99 lateness of the pacer
	// dispatching against its own schedule.
	selfDispatchP99 = 50 * time.Millisecond
	schedInterval   = 10 * time.Millisecond
)

// memNow samples the resident set (Linux /proc; 0 elsewhere) and the Go
// heap plus goroutine stacks in use.
func memNow() (rss, heap uint64) {
	if b, err := os.ReadFile("/proc/self/statm"); err == nil {
		f := strings.Fields(string(b))
		if len(f) > 1 {
			if pages, err := strconv.ParseUint(f[1], 10, 64); err == nil {
				rss = pages * uint64(os.Getpagesize())
			}
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return rss, ms.HeapInuse + ms.StackInuse
}

// cpuTime is the process's user + system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// watchSched ticks every schedInterval until ctx ends and records how late
// each tick was: a starved scheduler shows here before anywhere else.
func watchSched(ctx context.Context, m *report.Metrics) {
	t := time.NewTimer(schedInterval)
	defer t.Stop()
	next := time.Now().Add(schedInterval)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := time.Now()
		m.RecordSchedLag(max(now.Sub(next), 0))
		next = now.Add(schedInterval)
		t.Reset(schedInterval)
	}
}

// judgeSelf fills the verdict: utilization from the CPU time over the
// sending phase (cpu, wall), cost per message from the CPU time up to the
// end of the drain (cpuAll), which includes the last acks and deliveries.
func judgeSelf(sc *report.SelfCheck, cpu, cpuAll, wall time.Duration, sent int64, sched, dispatch *report.Hist) {
	sc.GOMAXPROCS = runtime.GOMAXPROCS(0)
	sc.CPUSeconds = cpu.Seconds()
	sc.WallSeconds = wall.Seconds()
	if wall > 0 {
		sc.CPUUtil = cpu.Seconds() / (wall.Seconds() * float64(sc.GOMAXPROCS))
	}
	if sent > 0 {
		sc.CPUPerMessageUS = float64(cpuAll.Microseconds()) / float64(sent)
	}
	sc.SchedLagP99MS = ms(sched.Quantile(99))
	sc.SchedLagMaxMS = ms(sched.Max())
	sc.DispatchLagP99MS = ms(dispatch.Quantile(99))
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	sc.HeapMiB = float64(ms.HeapInuse) / (1 << 20)
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		sc.MaxRSSMiB = float64(ru.Maxrss) / 1024 // kilobytes on Linux
	}
	sc.Valid = true
	if !sc.SharedWithServer && sc.CPUUtil > selfCPULimit {
		sc.Reasons = append(sc.Reasons, fmt.Sprintf("generator used %.0f%% of its %d CPUs (limit %.0f%%)", 100*sc.CPUUtil, sc.GOMAXPROCS, 100*selfCPULimit))
	}
	if p := sched.Quantile(99); p > selfSchedP99 {
		sc.Reasons = append(sc.Reasons, fmt.Sprintf("generator's scheduler lagged: p99 %v late on a %v ticker (limit %v)", p, schedInterval, selfSchedP99))
	}
	if p := dispatch.Quantile(99); p > selfDispatchP99 {
		sc.Reasons = append(sc.Reasons, fmt.Sprintf("pacer fell behind its own schedule: p99 %v (limit %v)", p, selfDispatchP99))
	}
	sc.Valid = len(sc.Reasons) == 0
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
