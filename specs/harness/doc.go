// Package harness is everything the WCP/1 conformance specs (package specs)
// stand on but that is not a rule: which server they test (a URL, a
// command the suite starts, a container image it runs through
// testcontainers-go, or the embedded reference) and how it is
// started, restarted and stopped; the World each spec builds for itself;
// the HTTP, connect and message assertions, written once over package
// client and package wire; and the rule table (wcp-rules.json).
//
// It is a regular package so that the spec package, and whatever runs it
// (`go test`, `ginkgo`, a `wcp conform` command), can import it. It holds
// no Ginkgo nodes of its own: package specs declares the suite's setup and
// reporting nodes and calls CheckConfig, StartProcessTarget,
// AttachTargetLog and ReportRules from them. The assertions fail the
// running spec through Gomega, so they may only be called from a spec.
package harness
