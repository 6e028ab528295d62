package load

import "github.com/wcp-project/wcp/load/report"

// cost is this process's report.Cost: what connecting the shard's
// sessions took (mem, read after the connect phase) and what sending
// took (s, up to the end of the drain).
func (r *runner) cost(res *report.Result, s sending, mem memGrowth) report.Cost {
	c := report.Cost{
		Shard:            r.cfg.Shard.Index,
		SharedWithServer: r.cfg.Embedded,
		Sessions:         len(r.sessions),
		OpenFiles:        mem.files,
		FileLimit:        fileLimit(),
		RSSMiB:           float64(mem.rssAfter) / (1 << 20),
		HeapMiB:          float64(mem.heapAfter) / (1 << 20),
		CPUSeconds:       s.cpuAll.Seconds(),
		Messages:         res.Counts.Sent,
	}
	if n := float64(c.Sessions); n > 0 {
		c.SessionRSSKiB = mem.rss / n / 1024
		c.SessionHeapKiB = mem.heap / n / 1024
	}
	if c.Messages > 0 {
		c.CPUPerMessageUS = float64(s.cpuAll.Microseconds()) / float64(c.Messages)
	}
	return c
}
