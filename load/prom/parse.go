package prom

import (
	"fmt"
	"io"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Parse reads the Prometheus text exposition format. A body that does not
// parse, or holds no metric at all, is an error wrapping ErrNotMetrics.
func Parse(r io.Reader) (map[string]*dto.MetricFamily, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotMetrics, err)
	}
	if len(fams) == 0 {
		return nil, fmt.Errorf("%w: no metrics in the body", ErrNotMetrics)
	}
	return fams, nil
}
