package main

import (
	"bytes"
	"context"
	"testing"
)

// A report as Ginkgo writes it: two Its (one failed), a BeforeSuite that
// passed and an AfterEach that timed out.
const report = `[{"SuiteDescription":"WCP/1 conformance","SpecReports":[
 {"ContainerHierarchyTexts":["Messages"],"LeafNodeText":"MSG-1: ok","LeafNodeType":"It","State":"passed"},
 {"ContainerHierarchyTexts":["Messages"],"LeafNodeText":"MSG-2: refused","LeafNodeType":"It","State":"failed","Failure":{"Message":"Expected\n  <int>: 1\nto equal\n  <int>: 2"}},
 {"LeafNodeText":"","LeafNodeType":"BeforeSuite","State":"passed"},
 {"ContainerHierarchyTexts":["Sessions"],"LeafNodeText":"","LeafNodeType":"AfterEach","State":"timedout","Failure":{"Message":"timed out"}},
 {"ContainerHierarchyTexts":["Messages"],"LeafNodeText":"MSG-3: restart","LeafNodeType":"It","State":"skipped"}
]}]`

func TestParseReport(t *testing.T) {
	specs, err := parseReport([]byte(report))
	if err != nil {
		t.Fatal(err)
	}
	var failed []string
	for _, s := range specs {
		if s.failed() {
			failed = append(failed, s.name())
		}
	}
	// Three Its and the failed AfterEach; the passing BeforeSuite is left out.
	if len(specs) != 4 {
		t.Errorf("%d specs read, want 4", len(specs))
	}
	if len(failed) != 2 || failed[0] != "Messages MSG-2: refused" || failed[1] != "Sessions" {
		t.Errorf("failed = %q, want the MSG-2 spec and the Sessions AfterEach", failed)
	}
	if _, err := parseReport([]byte("{")); err == nil {
		t.Error("a broken report parsed")
	}
	if got := firstLine("Expected\n  <int>: 1"); got != "Expected" {
		t.Errorf("firstLine = %q", got)
	}
}

func TestRefusesBadArguments(t *testing.T) {
	for _, args := range [][]string{{}, {"-n", "0", "reference"}, {"nosuchtarget"}} {
		var out, errOut bytes.Buffer
		if err := run(context.Background(), args, &out, &errOut); err == nil {
			t.Errorf("run %q: no error", args)
		}
	}
}
