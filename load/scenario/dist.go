package scenario

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Kind names a distribution.
type Kind string

// The distributions a scenario can draw from.
const (
	Constant    Kind = "constant"    // always Value
	Uniform     Kind = "uniform"     // evenly in [Min, Max]
	Exponential Kind = "exponential" // mean Value: the gaps of a Poisson process
)

// Dist is a distribution of non-negative numbers: seconds for think
// times, bytes for bodies.
type Dist struct {
	Kind     Kind
	Value    float64 // Constant: the value; Exponential: the mean
	Min, Max float64 // Uniform
}

// Mean is the distribution's mean.
func (d *Dist) Mean() float64 {
	if d.Kind == Uniform {
		return (d.Min + d.Max) / 2
	}
	return d.Value
}

// Sample draws one value with r; it never returns a negative number.
func (d *Dist) Sample(r *rand.Rand) float64 {
	switch d.Kind {
	case Uniform:
		return d.Min + r.Float64()*(d.Max-d.Min)
	case Exponential:
		return r.ExpFloat64() * d.Value
	}
	return d.Value
}

// Scaled returns d with every parameter multiplied by f.
func (d Dist) Scaled(f float64) *Dist {
	d.Value *= f
	d.Min *= f
	d.Max *= f
	return &d
}

// check says what is wrong with d, for values that must lie in [lo, hi].
func (d *Dist) check(lo, hi float64, unit func(float64) string) []string {
	in := func(v float64) bool { return !math.IsNaN(v) && v >= lo && v <= hi }
	var bad []string
	switch d.Kind {
	case Constant, Exponential:
		if !in(d.Value) || (d.Kind == Exponential && d.Value <= 0) {
			bad = append(bad, fmt.Sprintf("%s must be in %s..%s, got %s", valueKey(d.Kind), unit(lo), unit(hi), unit(d.Value)))
		}
	case Uniform:
		if !in(d.Min) || !in(d.Max) {
			bad = append(bad, fmt.Sprintf("min and max must be in %s..%s, got %s and %s", unit(lo), unit(hi), unit(d.Min), unit(d.Max)))
		} else if d.Min > d.Max {
			bad = append(bad, fmt.Sprintf("min (%s) exceeds max (%s)", unit(d.Min), unit(d.Max)))
		}
	default:
		bad = append(bad, fmt.Sprintf("unknown dist %q, want constant, uniform or exponential", d.Kind))
	}
	return bad
}

func valueKey(k Kind) string {
	if k == Exponential {
		return "mean"
	}
	return "value"
}
