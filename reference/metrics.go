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
}

func newMetrics() *metrics {
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
	m.reg.MustRegister(m.sessionsOpen, m.accepted, m.refused, m.connectsRefused, m.ackLatency, m.batchSize,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}
