package report

import (
	"fmt"
	"strings"
)

// Cost is what one generator process spent on its part of a run: the
// figures that size a run of many processes (sessions per process under
// the open-file limit, memory per session, CPU per message). Memory is
// read after the connect phase, with every session open and idle; CPU
// from the start of sending to the end of the drain.
type Cost struct {
	Shard int `json:"shard"`
	// SharedWithServer: the target ran in this process, so every figure
	// covers both sides of each session.
	SharedWithServer bool `json:"shared_with_server"`
	// Sessions open after the connect phase.
	Sessions int `json:"sessions"`
	// OpenFiles is the process's open file descriptors after the connect
	// phase, FileLimit the most it may open (RLIMIT_NOFILE); 0: unknown.
	OpenFiles int `json:"open_files,omitempty"`
	FileLimit int `json:"file_limit,omitempty"`
	// RSSMiB and HeapMiB are the process's resident set and Go heap +
	// stacks after the connect phase; SessionRSSKiB and SessionHeapKiB
	// what the connect phase grew them by, per session.
	RSSMiB         float64 `json:"rss_mib"`
	HeapMiB        float64 `json:"heap_mib"`
	SessionRSSKiB  float64 `json:"session_rss_kib"`
	SessionHeapKiB float64 `json:"session_heap_kib"`
	// CPUSeconds is the process's CPU time (user + system) from the start
	// of sending to the end of the drain, Messages the messages it sent
	// then, CPUPerMessageUS the one over the other: every ack and
	// delivery of a message is in its cost.
	CPUSeconds      float64 `json:"cpu_seconds"`
	Messages        int64   `json:"messages"`
	CPUPerMessageUS float64 `json:"cpu_per_message_us"`
}

// costLine is the text report's line for c.
func costLine(c *Cost) string {
	who := "generator"
	if c.SharedWithServer {
		who = "generator + embedded server"
	}
	files := ""
	if c.FileLimit > 0 {
		files = fmt.Sprintf(" (%d open files of %d allowed)", c.OpenFiles, c.FileLimit)
	}
	return fmt.Sprintf("cost shard %d (%s): %d sessions held%s; after connect RSS %.0f MiB, heap+stack %.0f MiB: %.1f KiB RSS, %.1f KiB heap+stack per session; CPU %.2fs for %d messages: %.1f µs per message",
		c.Shard, who, c.Sessions, files, c.RSSMiB, c.HeapMiB, c.SessionRSSKiB, c.SessionHeapKiB, c.CPUSeconds, c.Messages, c.CPUPerMessageUS)
}

// writeCosts adds a line per generator process to a text report.
func writeCosts(b *strings.Builder, r *Result) {
	for i := range r.Costs {
		b.WriteString(costLine(&r.Costs[i]))
		b.WriteByte('\n')
	}
}
