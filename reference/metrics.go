package reference

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the server's Prometheus series, in a registry of its own so
// that several servers in one process (tests) do not collide.
type metrics struct {
	reg             *prometheus.Registry
	sessionsOpen    prometheus.Gauge
	accepted        prometheus.Counter
	refused         *prometheus.CounterVec
	connectsRefused *prometheus.CounterVec
	ackLatency      prometheus.Histogram
	batchSize       prometheus.Histogram
	limitRefusals   *prometheus.CounterVec
}

// Limit names, the label of wcp_limit and wcp_limit_refusals_total.
const (
	limitConns      = "conns"
	limitHandshakes = "pending_handshakes"
	limitSession    = "session_buffer"
	limitWriter     = "writer_queue"
	limitRead       = "read_timeout"
	limitWrite      = "write_timeout"
	// A Socket.IO connection closed for having no session within the
	// handshake timeout (refused handshakes count as limitHandshakes).
	limitHandshakeTime = "handshake_timeout"
)

func newMetrics(l Limits) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		sessionsOpen: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "wcp_sessions_open", Help: "Socket.IO sessions currently open.",
		}),
		accepted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "wcp_messages_accepted_total", Help: "Messages stored and acknowledged.",
		}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wcp_messages_refused_total", Help: "Messages refused, by code.",
		}, []string{"code"}),
		connectsRefused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wcp_connects_refused_total", Help: "Socket.IO connects refused, by code.",
		}, []string{"code"}),
		ackLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "wcp_ack_latency_seconds",
			Help:    "From receipt of a message to its acknowledgement.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16),
		}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "wcp_commit_batch_messages",
			Help:    "Messages per group commit.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 12),
		}),
	}
	m.limitRefusals = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wcp_limit_refusals_total", Help: "Connections, sessions, requests and messages refused or ended because of a limit, by limit.",
	}, []string{"limit"})
	limits := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "wcp_limit", Help: "The server's limits (counts, bytes or seconds), by limit.",
	}, []string{"limit"})
	for name, v := range map[string]float64{
		limitConns: float64(l.MaxConns), limitHandshakes: float64(l.MaxPendingHandshakes),
		"handshake_timeout_seconds": l.HandshakeTimeout.Seconds(), "read_timeout_seconds": l.ReadTimeout.Seconds(),
		"write_timeout_seconds": l.WriteTimeout.Seconds(), "session_buffer_bytes": float64(l.SessionBuffer),
		"session_burst_bytes": float64(l.SessionBurst), "burst_grace_seconds": l.BurstGrace.Seconds(),
		"slow_after_seconds": l.SlowAfter.Seconds(), "replay_page": float64(l.ReplayPage), limitWriter: float64(l.WriterQueue),
	} {
		limits.WithLabelValues(name).Set(v)
	}
	m.reg.MustRegister(m.limitRefusals, limits)
	m.reg.MustRegister(m.sessionsOpen, m.accepted, m.refused, m.connectsRefused, m.ackLatency, m.batchSize,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}
