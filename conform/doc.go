// Package conform runs the WCP/1 conformance specs (package specs) against
// one server and turns the outcome into a verdict a CI job can act on: the
// specs selected by rule, run by parallel workers that each start their own
// target, known failures accepted through a baseline, and a report.Run that
// package conform/report writes as JUnit, JSON and HTML.
//
// A run has three steps, each a separate process of the same program (the
// wcp binary re-executes itself, see Options.Worker), because Ginkgo runs
// one suite once per process:
//
//  1. plan: one worker walks the suite without running it (a dry run) and
//     lists every spec with its rule labels; the rule filter picks specs
//     from that list, and the picked specs are dealt out to N shards;
//  2. run: N workers, each running its shard serially against a target of
//     its own (started and stopped by the harness: a command, a container,
//     the embedded reference; or one shared URL), each writing its Ginkgo
//     report, redacted, to a private file;
//  3. verdict: the reports are merged, the baseline applied, the rules
//     tallied, and the exit code decided (see ExitCode).
//
// Ginkgo's own parallel mode needs its CLI's coordinating server, which is
// not a public API; dealing whole specs out to independent serial workers
// needs none and gives the same isolation (each worker has its own target,
// as each Ginkgo process does under `ginkgo -p`).
package conform
