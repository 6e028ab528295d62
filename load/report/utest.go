package report

import (
	"math"
	"slices"
)

// uTest is the two-sided Mann-Whitney U test of samples a and b, as
// benchstat uses for Go benchmarks: it compares ranks, not means, so it
// assumes no distribution (per-second latency percentiles are skewed and
// a stalled second is an outlier a t-test would chase). It returns the p
// value and the sign of the shift: +1 when b tends to be larger than a,
// -1 when smaller, 0 when neither.
//
// Without ties and with few values (n1·n2 ≤ 2500) the p value is exact,
// from the distribution of U over all arrangements; otherwise it is the
// normal approximation with tie and continuity corrections. Samples whose
// values are all equal give p = 1.
func uTest(a, b []float64) (p float64, shift int) {
	n1, n2 := len(a), len(b)
	if n1 == 0 || n2 == 0 {
		return 1, 0
	}
	type obs struct {
		v     float64
		fromB bool
	}
	all := make([]obs, 0, n1+n2)
	for _, v := range a {
		all = append(all, obs{v, false})
	}
	for _, v := range b {
		all = append(all, obs{v, true})
	}
	slices.SortFunc(all, func(x, y obs) int {
		switch {
		case x.v < y.v:
			return -1
		case x.v > y.v:
			return 1
		}
		return 0
	})
	// Mid-ranks for ties, and the tie term of the variance.
	var rankB, tieTerm float64
	ties := false
	for i := 0; i < len(all); {
		j := i
		for j < len(all) && all[j].v == all[i].v {
			j++
		}
		mid := float64(i+j+1) / 2 // ranks i+1..j
		for k := i; k < j; k++ {
			if all[k].fromB {
				rankB += mid
			}
		}
		if t := float64(j - i); t > 1 {
			ties = true
			tieTerm += t*t*t - t
		}
		i = j
	}
	f1, f2 := float64(n1), float64(n2)
	uB := rankB - f2*(f2+1)/2 // pairs (a, b) with b > a, ties counting one half
	mean := f1 * f2 / 2
	switch {
	case uB > mean:
		shift = 1
	case uB < mean:
		shift = -1
	}
	if !ties && n1*n2 <= 2500 {
		return exactU(n1, n2, uB), shift
	}
	n := f1 + f2
	variance := f1 * f2 / 12 * ((n + 1) - tieTerm/(n*(n-1)))
	if variance <= 0 {
		return 1, 0
	}
	z := (math.Abs(uB-mean) - 0.5) / math.Sqrt(variance)
	if z < 0 {
		z = 0
	}
	return math.Min(1, math.Erfc(z/math.Sqrt2)), shift
}

// exactU is the two-sided p value of U = u for samples of n1 and n2
// values without ties: the share of the C(n1+n2, n1) arrangements whose U
// is at least as far from its mean.
func exactU(n1, n2 int, u float64) float64 {
	maxU := n1 * n2
	// dist[i][u]: arrangements of i values of the first sample and j of
	// the second with statistic u, built up over j.
	prev := make([][]float64, n1+1)
	for i := range prev {
		prev[i] = make([]float64, maxU+1)
		prev[i][0] = 1 // j = 0
	}
	for j := 1; j <= n2; j++ {
		cur := make([][]float64, n1+1)
		for i := range cur {
			cur[i] = make([]float64, maxU+1)
			for v := 0; v <= i*j; v++ {
				// The largest value is from the second sample (it beats
				// all i of the first) or from the first (it beats none).
				if v >= i {
					cur[i][v] += prev[i][v-i]
				}
				if i > 0 {
					cur[i][v] += cur[i-1][v]
				}
			}
		}
		prev = cur
	}
	dist := prev[n1]
	var total, tail float64
	dev := math.Abs(u - float64(maxU)/2)
	for v, c := range dist {
		total += c
		if math.Abs(float64(v)-float64(maxU)/2) >= dev-1e-9 {
			tail += c
		}
	}
	return math.Min(1, tail/total)
}
