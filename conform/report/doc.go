// Package report writes the reports of `wcp conform` from one Run (see
// model.go): a JUnit XML file for CI (WriteJUnit), the rule table as
// versioned JSON for tools (WriteRulesJSON, read back by ReadRulesJSON),
// and one self-contained HTML page for people (WriteHTML).
//
// Every writer refuses a Run whose verdicts or states the model does not
// know (*RunError) and otherwise renders any text, however hostile: the XML
// and HTML reports make each text valid and visible first (invalid UTF-8
// becomes U+FFFD, forbidden control characters their control pictures),
// then escape it; the HTML page has no script and loads nothing.
//
// # wcp-rules.json
//
// The rule table is one JSON object. "schema" names the document kind and
// its major version, "version" repeats that version as a number; both
// change only when a field changes meaning or goes away. Fields added
// later keep the version, so readers must ignore fields they do not know.
// ReadRulesJSON refuses any other version with a *VersionError.
//
//	{
//	  "schema": "https://github.com/wcp-project/wcp/conform/rules/v1",
//	  "version": 1,
//	  "target": "http://127.0.0.1:9000",    // what was checked, no secret in it
//	  "started": "2025-06-01T12:00:00.123Z", // RFC 3339, UTC, at most milliseconds
//	  "duration_seconds": 4.213,
//	  "wcp_version": "v0.4.0",               // the harness's version
//	  "exit_code": 1,                        // what wcp conform exits with: 0 passed, 1 failed
//	  "filters": ["OWN-*"],                  // the rule patterns selected; [] for all rules
//	  "baseline": ".wcp-baseline",           // the baseline file; "" for none
//	  "summary": {
//	    "rules": {"total": 21, "passed": 17, "failed": 1, "expected": 1, "skipped": 1, "not_run": 1},
//	    "specs": {"total": 142, "passed": 138, "failed": 2, "expected": 1, "skipped": 1}
//	  },
//	  "rules": [                              // every WCP/1 rule, in PROTOCOL.md's order
//	    {"rule": "OWN-1", "level": "MUST", "section": 3,
//	     "link": "https://github.com/wcp-project/wcp/blob/main/PROTOCOL.md#3-users-workspaces-chats-http",
//	     "summary": "POST /chat checks token (401), ...",
//	     "result": "failed",                 // passed, failed, expected, skipped, not-run
//	     "passed": 9, "failed": 1, "expected": 0, "skipped": 0}
//	  ],
//	  "failing": [                            // failed specs in suite order, then expected ones
//	    {"spec": "Creating chats (OWN-1) OWN-1: the token is checked before the body",
//	     "rules": ["OWN-1"],
//	     "state": "failed",                   // failed, or expected (the baseline lists it)
//	     "kind": "failed",                    // failed, timedout, panicked, interrupted, aborted
//	     "message": "POST /chat: status 400, want 401",
//	     "location": "specs/03_own1_creating_chats.go:21",
//	     "reason": "...", "link": "..."}      // expected only: the baseline's reason and link
//	  ],
//	  "stale": [                              // baseline entries no failure matches any more
//	    {"entry": "EXP-4", "reason": "clock skew on CI", "why": "its 2 specs ran and passed"}
//	  ]
//	}
//
// A rule's "result" is "failed" when a spec of it failed and the baseline
// does not list that failure, "expected" when every failure of it is
// listed, "passed" when some of its specs passed and none failed, "skipped" when it was selected
// but none of its specs ran, and "not-run" when the filters left it out.
// Its counts are of specs; a spec of several rules counts for each. Lists
// are never null. Texts are as the harness recorded them (already
// redacted), with invalid UTF-8 replaced by U+FFFD; transcripts and logs
// are in the HTML and JUnit reports only.
package report
