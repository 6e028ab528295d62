package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
)

// Encode writes r as indented JSON.
func Encode(w io.Writer, r *Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("encode result: %w", err)
	}
	return nil
}

// Errors of Decode, for errors.Is.
var (
	// ErrNotResult: the input is not a JSON result.
	ErrNotResult = errors.New("not a load result")
	// ErrResultVersion: a result of a version this build does not read.
	ErrResultVersion = errors.New("unsupported result version")
)

// Decode reads one JSON result and checks its version. Its errors wrap
// ErrNotResult or ErrResultVersion.
func Decode(rd io.Reader) (*Result, error) {
	var r Result
	dec := json.NewDecoder(rd)
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("decode result: %w: %w", ErrNotResult, err)
	}
	if r.Version == 0 {
		return nil, fmt.Errorf("decode result: %w: no \"version\"", ErrNotResult)
	}
	if r.Version != ResultVersion {
		return nil, fmt.Errorf("decode result: %w: version %d, this build reads %d", ErrResultVersion, r.Version, ResultVersion)
	}
	if r.Histograms == nil {
		r.Histograms = map[string]*Hist{}
	}
	return &r, nil
}

// Merge combines the results of shards (or of separate runs) into one:
// counters and histograms add up, series add up second by second (by wall
// clock), rates are taken over the union of the sending windows, and the
// merged run is valid only if every part was. Shards of one run must not
// repeat: two results with the same run ID and shard index are an error.
// Config is the first result's: shards of one run all carry the whole
// run's settings. Server views are not added up: see MergeServers.
func Merge(rs ...*Result) (*Result, error) {
	if len(rs) == 0 {
		return nil, errors.New("merge: no results")
	}
	out := &Result{
		Version:    ResultVersion,
		Histograms: map[string]*Hist{},
		Config:     rs[0].Config,
	}
	seen := map[string]bool{}
	runIDs := map[string]bool{}
	secs := map[int64][]*Second{}
	for i, r := range rs {
		if r == nil {
			return nil, fmt.Errorf("merge: result %d is empty", i+1)
		}
		runIDs[r.RunID] = true
		for _, s := range r.Shards {
			k := fmt.Sprintf("%s/%d/%d", r.RunID, s.Index, s.Count)
			if seen[k] {
				return nil, fmt.Errorf("merge: shard %d/%d of run %q appears twice", s.Index, s.Count, r.RunID)
			}
			seen[k] = true
		}
		out.Shards = append(out.Shards, r.Shards...)
		out.SelfChecks = append(out.SelfChecks, r.SelfChecks...)
		out.Costs = append(out.Costs, r.Costs...)
		out.Notes = append(out.Notes, r.Notes...)
		out.Counts.Add(&r.Counts)
		for name, h := range r.Histograms {
			if h.Count() == 0 && out.Histograms[name] != nil {
				continue
			}
			if out.Histograms[name] == nil {
				out.Histograms[name] = NewHist()
			}
			out.Histograms[name].Merge(h)
		}
		for j := range r.Series {
			s := &r.Series[j]
			secs[s.T] = append(secs[s.T], s)
		}
		if i == 0 || (!r.Start.IsZero() && r.Start.Before(out.Start)) {
			out.Start = r.Start
		}
		if r.End.After(out.End) {
			out.End = r.End
		}
		if i == 0 || (!r.SendStart.IsZero() && r.SendStart.Before(out.SendStart)) {
			out.SendStart = r.SendStart
		}
		if r.SendEnd.After(out.SendEnd) {
			out.SendEnd = r.SendEnd
		}
		if r.LastAck.After(out.LastAck) {
			out.LastAck = r.LastAck
		}
	}
	out.Scenario = rs[0].Scenario
	out.Populations = mergePopulations(rs)
	out.Reconnects = mergeReconnects(rs)
	ids := make([]string, 0, len(runIDs))
	for id := range runIDs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	out.RunID = strings.Join(ids, "+")
	out.Servers = MergeServers(rs...)
	// One second at a time, frozen right after: a long series never has
	// more than one live per-second histogram.
	for t, parts := range secs {
		acc := Second{T: t}
		for _, s := range parts {
			acc.Add(s)
		}
		acc.freeze()
		out.Series = append(out.Series, acc)
	}
	slices.SortFunc(out.Series, func(a, b Second) int { return int(a.T - b.T) })
	sort.SliceStable(out.Shards, func(i, j int) bool { return out.Shards[i].Index < out.Shards[j].Index })
	out.Judge()
	return out, nil
}
