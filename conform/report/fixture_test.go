package report

import (
	"strings"
	"time"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/specs/transcript"
)

// nasty is text no report may trust: markup, a CDATA end, C0 controls an
// XML document cannot carry, an ANSI colour sequence, invalid UTF-8, a
// non-character, quotes and an ampersand.
const nasty = "<script>alert('x')</script> ]]> \x00\x01\x08\x0b\x0c\x1b[31mred\x1b[0m \xff\xfe\xc3 bad\uFFFE & \"q\" </pre></details><!--"

// longLine is one line longer than any screen.
func longLine() string { return strings.Repeat("0123456789abcdef", 1500) }

// The fixture's spec names, for the tests' assertions.
const (
	specPassed   = "Creating chats (OWN-1) OWN-1: the token is checked before the body"
	specFailed   = "Creating chats (OWN-1) OWN-1: only the owner creates, and a refused create leaves no chat"
	specNasty    = "Robustness (ROB-1) ROB-1: a broken frame " + nasty
	specExpected = "Revocation (CON-4) CON-4: removing a member ends its sessions within 1 s"
	specExpJS    = "Connect checks (CON-5) CON-5: an expired string is refused with connection_string_expired"
	specSkipped  = "Durability (MSG-3) MSG-3: an acknowledged message survives kill -9"
)

// fixtureRun is a realistic run: every WCP/1 rule, the filters leaving
// ROB-2 out, passing specs, two unexpected failures (one with a transcript
// of HTTP and websocket frames and a server log, one full of nasty text
// and oversized frames), two expected failures (one with a link that is
// not safe), a skipped spec and two stale baseline entries.
func fixtureRun() Run {
	at := func(ms float64) time.Duration { return time.Duration(ms * float64(time.Millisecond)) }
	owner := []transcript.Frame{
		{Conn: 1, At: at(0.4), Dir: transcript.Sent, Kind: transcript.KindHTTPRequest,
			Text: "POST /workspaces/ws_8fK2/chats HTTP/1.1\r\nHost: 127.0.0.1:41877\r\nAuthorization: Bearer [redacted]\r\nContent-Type: application/json\r\n\r\n{\"title\":\"member's chat\"}"},
		{Conn: 1, At: at(3.2), Dir: transcript.Received, Kind: transcript.KindHTTPResponse,
			Text: "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 61\r\n\r\n{\"id\":\"ch_Qm3x\",\"workspace_id\":\"ws_8fK2\",\"title\":\"member's chat\"}"},
		{Conn: 2, At: at(4.9), Dir: transcript.Sent, Kind: transcript.KindHTTPRequest,
			Text: "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1:41877\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"},
		{Conn: 2, At: at(5.6), Dir: transcript.Received, Kind: transcript.KindHTTPResponse,
			Text: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"},
		{Conn: 2, At: at(5.9), Dir: transcript.Received, Kind: transcript.KindWebSocket,
			Text: `0{"sid":"Zx0-2Q","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`},
		{Conn: 2, At: at(6.3), Dir: transcript.Sent, Kind: transcript.KindWebSocket,
			Text: `40{"connection_string":"[redacted]","after":0}`},
		{Conn: 2, At: at(8.1), Dir: transcript.Received, Kind: transcript.KindWebSocket,
			Text: `40{"sid":"q1sE9_"}`},
		{Conn: 2, At: at(8.4), Dir: transcript.Received, Kind: transcript.KindWebSocket,
			Text: `42["session",{"session_id":"s_7Tq","message_key":"[redacted]"}]`},
		{Conn: 2, At: at(1003.7), Dir: transcript.Received, Kind: transcript.KindClose, Text: "close 1000 (normal)"},
	}
	nastyFrames := []transcript.Frame{
		{Conn: 1, At: at(0.2), Dir: transcript.Sent, Kind: transcript.KindRaw, Text: "GET /\x00\x01 HTTP/1.1\r\nX: " + nasty + "\r\n\r\n"},
		{Conn: 1, At: at(0.9), Dir: transcript.Received, Kind: transcript.KindHTTPResponse, Text: "HTTP/1.1 400 Bad Request\r\n\r\n" + longLine()},
		{Conn: 1, At: at(1.1), Dir: transcript.Sent, Kind: transcript.KindWebSocket, Text: strings.Repeat("42[\"message\",\"é\"]", 10000)},
		{Conn: 1, At: at(2.0), Dir: transcript.Received, Kind: transcript.KindClose},
	}
	link := func(r wcp.Rule) string {
		return "https://github.com/wcp-project/wcp/blob/main/PROTOCOL.md#" + r.Anchor
	}
	var rules []Rule
	for _, r := range wcp.Rules() {
		row := Rule{ID: r.ID, Level: r.Level, Section: r.Section, Link: link(r), Summary: r.Summary, Verdict: Passed, Passed: 3}
		switch r.ID {
		case "OWN-1":
			row.Verdict, row.Passed, row.Failed = Failed, 1, 1
		case "OWN-2":
			row.Verdict, row.Passed, row.Failed = Failed, 2, 1
		case "ROB-1":
			row.Verdict, row.Passed, row.Failed = Failed, 6, 1
		case "CON-4":
			row.Verdict, row.Passed, row.Expected = Expected, 2, 1
		case "CON-5":
			row.Verdict, row.Passed, row.Expected = Expected, 5, 1
		case "MSG-3":
			row.Verdict, row.Passed, row.Skipped = Skipped, 0, 1
		case "ROB-2":
			row.Verdict, row.Passed = NotRun, 0
		}
		rules = append(rules, row)
	}
	return Run{
		Target:     "http://127.0.0.1:41877 (WCP_TARGET_CMD ./myserver --port {port})",
		Started:    time.Date(2025, 6, 1, 12, 0, 0, 123_456_789, time.UTC),
		Duration:   4213 * time.Millisecond,
		WCPVersion: "v0.4.0",
		Rules:      rules,
		Specs: []Spec{
			{Name: specPassed, Rules: []string{"OWN-1"}, State: Passed, Duration: 12 * time.Millisecond},
			{Name: specFailed, Rules: []string{"OWN-1", "OWN-2"}, State: Failed, Duration: 1012 * time.Millisecond,
				Failure: &Failure{
					Kind:       "failed",
					Message:    "POST /workspaces/ws_8fK2/chats as a member: status 201, want 403 forbidden\nExpected\n    <int>: 201\nto equal\n    <int>: 403",
					Location:   "specs/03_own1_creating_chats.go:57",
					Transcript: owner,
					TargetLog:  "time=2025-06-01T12:00:00.124Z level=INFO msg=\"chat created\" chat=ch_Qm3x by=u_member\n\x1b[33mWARN\x1b[0m owner check skipped (WCP_REFERENCE_FAULT=owner)\n",
				}},
			{Name: specNasty, Rules: []string{"ROB-1"}, State: Failed, Duration: 2 * time.Millisecond,
				Failure: &Failure{
					Kind:       "panicked",
					Message:    nasty + "\n" + longLine(),
					Location:   "specs/02_socket_robustness.go:88 " + nasty,
					Transcript: nastyFrames,
					TargetLog:  strings.Repeat("log line "+nasty+"\n", 500),
				}},
			{Name: specExpected, Rules: []string{"CON-4"}, State: Expected, Duration: 2100 * time.Millisecond,
				Reason: "revocation is polled every 2 s; fix planned for 1.3",
				Link:   "https://github.com/example/wcp-server/issues/42",
				Failure: &Failure{
					Kind:     "timedout",
					Message:  "session s_7Tq got no revoked event within 1s of the member's removal",
					Location: "specs/05_con4_revocation.go:41",
					Transcript: []transcript.Frame{
						{Conn: 1, At: at(1.0), Dir: transcript.Sent, Kind: transcript.KindHTTPRequest, Text: "DELETE /workspaces/ws_1/members/u_2 HTTP/1.1\r\n\r\n"},
						{Conn: 1, At: at(2.5), Dir: transcript.Received, Kind: transcript.KindHTTPResponse, Text: "HTTP/1.1 204 No Content\r\n\r\n"},
					},
				}},
			{Name: specExpJS, Rules: []string{"CON-5"}, State: Expected, Duration: 30 * time.Millisecond,
				Reason: "reason with " + nasty, Link: "javascript:alert(1)",
				Failure: &Failure{Kind: "failed", Message: "connect with an expired string: code connection_string_invalid, want connection_string_expired"}},
			{Name: specSkipped, Rules: []string{"MSG-3"}, State: Skipped},
			{Name: "Sending (MSG-1) MSG-1: seq numbers have no gaps", Rules: []string{"MSG-1"}, State: Passed, Duration: 40 * time.Millisecond},
			{Name: "Connection strings (EXP-2) EXP-2: a string works until expires_at", Rules: []string{"EXP-2"}, State: Passed, Duration: 1500 * time.Millisecond},
		},
		Filters:  []string{"OWN-*", "EXP-*", "CON-*", "MSG-*", "ROB-1"},
		Baseline: "testdata/wcp-baseline.yaml",
		Stale: []Stale{
			{Entry: "EXP-4", Reason: "clock skew on CI", Why: "its 2 spec(s) ran and passed: the failure is fixed, delete the entry"},
			{Entry: "Gone (OWN-9) " + nasty, Reason: nasty, Why: "it names no spec of this suite (renamed or removed?): delete the entry"},
		},
		ExitCode: 1,
	}
}
