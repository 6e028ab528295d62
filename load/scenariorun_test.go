package load

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/wcp-project/wcp/internal/fault"
	"github.com/wcp-project/wcp/load/report"
	"github.com/wcp-project/wcp/load/scenario"
	"github.com/wcp-project/wcp/reference"
)

func readScenario(t *testing.T, name string) *scenario.Scenario {
	t.Helper()
	data, err := os.ReadFile("../testdata/scenarios/" + name)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := scenario.Parse(name, data)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// smallFour is the four-population example at 1/20 of its size, sending
// for 6 s (its storm of 2,000 sessions becomes 100 at 3 s, reconnecting
// over 1 s), with more churn than the scaled-down 0.25 sessions/s.
func smallFour(t *testing.T) *scenario.Scenario {
	sc := readScenario(t, "four-populations.yaml").Scaled(0.05).Compressed(6 * time.Second)
	sc.Churn.Rate, sc.Churn.Down = 3, 500*time.Millisecond
	return sc
}

func popByName(res *report.Result, name string) *report.Population {
	for i := range res.Populations {
		if res.Populations[i].Name == name {
			return &res.Populations[i]
		}
	}
	return &report.Population{}
}

func reconnectsByName(res *report.Result, name string) *report.Reconnects {
	for i := range res.Reconnects {
		if res.Reconnects[i].Name == name {
			return &res.Reconnects[i]
		}
	}
	return &report.Reconnects{Resume: report.NewHist()}
}

// The four-population example against the reference: every population
// does what it was configured to, the storm and the churn happen, every
// reconnect resumes, and across every seam nothing is lost or repeated.
func TestScenarioFourPopulations(t *testing.T) {
	if testing.Short() {
		t.Skip("integration")
	}
	url := startReference(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sc := smallFour(t)
	// Strings live 4 s: issued before sending starts, every one is about
	// to expire at the storm (3 s in), so each storm reconnect renews it.
	res, err := Run(ctx, Config{Target: url, Embedded: true, Scenario: sc, TTL: 4, Grace: 5 * time.Second, AckTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	_ = report.WriteText(&text, res)
	t.Logf("\n%s", text.String())
	c := res.Counts
	if res.Scenario != "four-populations" || len(res.Populations) != 4 {
		t.Fatalf("scenario %q with %d populations", res.Scenario, len(res.Populations))
	}
	// 120 users: 72 listeners in 2 chats each, 30 occasional, 6 heavy, 12 slow readers.
	wantUsers := map[string]int64{"listeners": 72, "occasional": 30, "heavy": 6, "slow-readers": 12}
	for _, p := range res.Populations {
		wantSessions := wantUsers[p.Name]
		if p.Name == "listeners" {
			wantSessions *= 2
		}
		// A shared machine may make a connect fail now and then: that is
		// counted, not fatal, and not what this test is about.
		if p.Users != wantUsers[p.Name] || p.Sessions > wantSessions || p.Sessions < wantSessions*9/10 {
			t.Errorf("%s: %d users, %d sessions; want %d, %d", p.Name, p.Users, p.Sessions, wantUsers[p.Name], wantSessions)
		}
		if p.Counts.Delivered == 0 || p.Delivery.Count() != p.Counts.Delivered {
			t.Errorf("%s: delivered %d (histogram %d), want some", p.Name, p.Counts.Delivered, p.Delivery.Count())
		}
		if p.Counts.Lost != 0 || p.Counts.Duplicated != 0 || p.Counts.OutOfOrder != 0 {
			t.Errorf("%s: lost %d dup %d ooo %d", p.Name, p.Counts.Lost, p.Counts.Duplicated, p.Counts.OutOfOrder)
		}
	}
	if l := popByName(res, "listeners"); l.Counts.Sent != 0 || l.Counts.Unsent != 0 {
		t.Errorf("listeners sent %d (unsent %d), want nothing", l.Counts.Sent, l.Counts.Unsent)
	}
	// Heavy: one a second each, from a random phase: exactly 6 due per sender in 6 s.
	if h := popByName(res, "heavy"); h.Counts.Sent+h.Counts.Unsent != 36 || h.Counts.Acked == 0 || h.Ack.Count() != h.Counts.Acked {
		t.Errorf("heavy: sent %d + unsent %d, want 36 due; acked %d (histogram %d)", h.Counts.Sent, h.Counts.Unsent, h.Counts.Acked, h.Ack.Count())
	}
	for _, name := range []string{"occasional", "slow-readers"} {
		if p := popByName(res, name); p.Counts.Sent == 0 || p.Counts.Acked == 0 {
			t.Errorf("%s: sent %d, acked %d, want some", name, p.Counts.Sent, p.Counts.Acked)
		}
	}
	var popSent int64
	for _, p := range res.Populations {
		popSent += p.Counts.Sent
	}
	if popSent != c.Sent {
		t.Errorf("populations sent %d in all, the run %d", popSent, c.Sent)
	}
	storm := reconnectsByName(res, "storm 1")
	if storm.Dropped < 90 || storm.Reconnected != storm.Dropped || storm.Resumed == 0 || storm.Resume.Count() != storm.Resumed {
		t.Errorf("storm: dropped %d reconnected %d resumed %d (histogram %d), want ~100 all back", storm.Dropped, storm.Reconnected, storm.Resumed, storm.Resume.Count())
	}
	// (A session the churn bounced just before the storm may hold a fresh one.)
	if storm.Reopen.Count() != storm.Reconnected {
		t.Errorf("storm: %d reopen times for %d reconnects", storm.Reopen.Count(), storm.Reconnected)
	}
	if storm.Renewed < storm.Reconnected*9/10 {
		t.Errorf("storm: %d connection strings renewed for %d reconnects, want nearly one each (TTL 4 s)", storm.Renewed, storm.Reconnected)
	}
	churn := reconnectsByName(res, "churn")
	if churn.Dropped == 0 || churn.Reconnected != churn.Dropped {
		t.Errorf("churn: dropped %d reconnected %d", churn.Dropped, churn.Reconnected)
	}
	if storm.Replayed+churn.Replayed == 0 || storm.ReplayRate() <= 0 {
		t.Errorf("nothing replayed: storm %d (%.0f/s), churn %d", storm.Replayed, storm.ReplayRate(), churn.Replayed)
	}
	for _, x := range res.Reconnects {
		if x.SeamLost != 0 || x.SeamDuplicated != 0 || len(x.Failed) != 0 {
			t.Errorf("%s: seam lost %d dup %d, failed %v", x.Name, x.SeamLost, x.SeamDuplicated, x.Failed)
		}
	}
	if c.Lost != 0 || c.Duplicated != 0 || c.OutOfOrder != 0 || len(c.ConnectErrors) != 0 {
		t.Errorf("lost %d dup %d ooo %d connect errors %v", c.Lost, c.Duplicated, c.OutOfOrder, c.ConnectErrors)
	}
	if res.Failed() {
		t.Errorf("run failed: %v", res.Failures)
	}
}

// A storm finds a server whose replay skips a message (CON-2): the seams
// lose acknowledged messages and the run fails.
func TestStormFindsReplayGap(t *testing.T) {
	if testing.Short() {
		t.Skip("integration")
	}
	srv, err := reference.Open(context.Background(), reference.Config{Fault: fault.ReplayGap, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	sc := &scenario.Scenario{
		Name: "gap", Duration: 3 * time.Second, Users: 20,
		Chats:       []scenario.ChatGroup{{Count: 2, Share: 1}},
		Populations: []scenario.Population{{Name: "senders", Share: 1, Think: &scenario.Dist{Kind: scenario.Constant, Value: 0.25}}},
		Storms:      []scenario.Storm{{At: time.Second, Sessions: 10, Window: time.Second}},
	}
	res, err := Run(context.Background(), Config{Target: srv.URL(), Scenario: sc, Grace: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	storm := reconnectsByName(res, "storm 1")
	t.Logf("storm %+v; failures %v", *storm, res.Failures)
	if storm.Reconnected == 0 || storm.SeamLost == 0 || res.Counts.Lost < storm.SeamLost || !res.Failed() {
		t.Errorf("against %s: reconnected %d, seam lost %d, lost %d, failures %v; want losses found", fault.ReplayGap, storm.Reconnected, storm.SeamLost, res.Counts.Lost, res.Failures)
	}
}

// A session the server ends while a scenario sends is reconnected, as a
// client would, and reported under "server drops".
func TestServerDropIsRevived(t *testing.T) {
	if testing.Short() {
		t.Skip("integration")
	}
	url := startReference(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sc := &scenario.Scenario{Name: "revive", Duration: time.Minute, Users: 3,
		Chats: []scenario.ChatGroup{{Count: 1, Share: 1}}, Populations: []scenario.Population{{Name: "listeners", Share: 1}}}
	r, err := newRunner(Config{Target: url, Scenario: sc}.WithDefaults())
	if err != nil {
		t.Fatal(err)
	}
	api, release := apiClient(&r.cfg)
	defer release()
	w, err := r.setup(ctx, api)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.connect(ctx, w); err != nil {
		t.Fatal(err)
	}
	defer r.closeAll()
	r.crew.start = time.Now()
	sendCtx, stopSending := context.WithCancel(ctx)
	reconnected := r.disrupt(sendCtx, ctx)
	s := r.sessions[0]
	old := s.link.Load()
	old.w.close() // to its reader, the server hung up
	<-old.dead    // the reader has handed the session to the reviver
	stopSending()
	reconnected()
	if !s.alive.Load() || s.link.Load() == old {
		t.Fatalf("the session is alive %v, on a new link %v", s.alive.Load(), s.link.Load() != old)
	}
	got := r.reconnects()
	if len(got) != 1 || got[0].Name != "server drops" || got[0].Dropped != 1 || got[0].Reconnected != 1 || r.crew.disconnects.Load() != 1 {
		t.Errorf("reconnects %+v, disconnects %d; want one server drop, reconnected", got, r.crew.disconnects.Load())
	}
}

// Two shards of one scenario run: each takes its chats with their
// sessions and its share of the storm, and their merge covers the whole.
func TestScenarioShardsMerge(t *testing.T) {
	if testing.Short() {
		t.Skip("integration")
	}
	url := startReference(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sc := &scenario.Scenario{Name: "sharded", Duration: 3 * time.Second, Users: 24,
		Chats: []scenario.ChatGroup{{Count: 4, Share: 1}},
		Populations: []scenario.Population{
			{Name: "senders", Share: 0.5, Think: &scenario.Dist{Kind: scenario.Constant, Value: 0.5}},
			{Name: "listeners", Share: 0.5},
		},
		Storms: []scenario.Storm{{At: time.Second, Sessions: 8, Window: 500 * time.Millisecond}},
	}
	results, m := runShards(t, ctx, Config{Target: url, Scenario: sc, RunID: "scen-shards", Grace: 3 * time.Second}, 2)
	var sent, dropped int64
	for _, r := range results {
		sent += r.Counts.Sent
		dropped += reconnectsByName(r, "storm 1").Dropped
	}
	snd, lst := popByName(m, "senders"), popByName(m, "listeners")
	if snd.Users != 12 || lst.Users != 12 || snd.Sessions+lst.Sessions != 24 || snd.Counts.Sent != sent || m.Counts.Sent != sent {
		t.Errorf("merged populations: senders %d users %d sessions sent %d; listeners %d users; shards sent %d",
			snd.Users, snd.Sessions, snd.Counts.Sent, lst.Users, sent)
	}
	if storm := reconnectsByName(m, "storm 1"); storm.Dropped != dropped || storm.Dropped != 8 || storm.Reconnected != 8 {
		t.Errorf("merged storm: dropped %d (shards %d) reconnected %d, want 8", storm.Dropped, dropped, storm.Reconnected)
	}
	if m.Failed() {
		t.Errorf("merged run failed: %v", m.Failures)
	}
}

// A scenario shard opens a session per user and chat: the open-file check
// counts those, not users, so a user in two chats counts twice.
func TestSplitLayoutCountsSessions(t *testing.T) {
	l := &scenario.Layout{Chats: [][]int{{0, 1}, {0, 2}, {1, 2}}}
	p := splitLayout(l, Shard{Index: 0, Count: 1})
	if p.NumSenders != 3 || p.Sessions() != 6 {
		t.Errorf("users in two chats each: NumSenders %d, Sessions() %d, want 3 and 6", p.NumSenders, p.Sessions())
	}
}
