package load

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"syscall"
	"time"

	"golang.org/x/time/rate"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/client"
)

// world is what setup built for one shard: an owner, a workspace, the
// shard's chats and one member user per sender.
type world struct {
	workspace wcp.Workspace
	chats     []wcp.Chat   // parallel to plan.Chats
	users     [][]wcp.User // users[k][j] sends in chats[k]
	clients   [][]*client.Client
}

// forEach runs fn(i) for i in [0,n) on conc goroutines and returns the
// first error; after an error no new calls start.
func forEach(ctx context.Context, n, conc int, fn func(ctx context.Context, i int) error) error {
	if conc < 1 {
		conc = 1
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(conc, n) {
		wg.Go(func() {
			for i := range next {
				if err := fn(ctx, i); err != nil {
					cancel(err)
				}
			}
		})
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return ctx.Err()
}

// setup creates the shard's world over HTTP, concurrently, reporting
// progress per step.
func setup(ctx context.Context, cfg *Config, plan Plan, api *client.Client) (*world, error) {
	tag := fmt.Sprintf("load %s %s", cfg.RunID, plan.Shard)
	owner, err := api.CreateUser(ctx, clipName(tag+" owner"))
	if err != nil {
		return nil, fmt.Errorf("setup: create owner: %w", err)
	}
	oc := api.WithToken(owner.Token)
	ws, err := oc.CreateWorkspace(ctx, clipName(tag))
	if err != nil {
		return nil, fmt.Errorf("setup: create workspace: %w", err)
	}
	w := &world{
		workspace: ws,
		chats:     make([]wcp.Chat, len(plan.Chats)),
		users:     make([][]wcp.User, len(plan.Chats)),
		clients:   make([][]*client.Client, len(plan.Chats)),
	}
	step := cfg.Progress.Begin("chats", len(plan.Chats))
	err = forEach(ctx, len(plan.Chats), cfg.SetupConcurrency, func(ctx context.Context, k int) error {
		c, err := oc.CreateChat(ctx, ws.ID, fmt.Sprintf("chat %d of run %s", plan.Chats[k], cfg.RunID))
		if err != nil {
			return fmt.Errorf("setup: create chat %d: %w", plan.Chats[k], err)
		}
		w.chats[k] = c
		w.users[k] = make([]wcp.User, len(plan.Senders[k]))
		w.clients[k] = make([]*client.Client, len(plan.Senders[k]))
		step(1)
		return nil
	})
	if err != nil {
		return nil, err
	}
	// One user per distinct index: in a scenario a user may sit in
	// several chats.
	var ids []int
	at := map[int]int{}
	for _, ss := range plan.Senders {
		for _, g := range ss {
			if _, ok := at[g]; !ok {
				at[g] = len(ids)
				ids = append(ids, g)
			}
		}
	}
	users := make([]wcp.User, len(ids))
	step = cfg.Progress.Begin("users", len(ids))
	err = forEach(ctx, len(ids), cfg.SetupConcurrency, func(ctx context.Context, i int) error {
		g := ids[i]
		u, err := api.CreateUser(ctx, clipName(fmt.Sprintf("%s sender %d", tag, g)))
		if err != nil {
			return fmt.Errorf("setup: create user for sender %d: %w", g, err)
		}
		if err := oc.AddMember(ctx, ws.ID, u.ID); err != nil {
			return fmt.Errorf("setup: add sender %d as member: %w", g, err)
		}
		users[i] = u
		step(1)
		return nil
	})
	if err != nil {
		return nil, err
	}
	for k, ss := range plan.Senders {
		for j, g := range ss {
			u := users[at[g]]
			w.users[k][j] = u
			w.clients[k][j] = api.WithToken(u.Token)
		}
	}
	return w, nil
}

func clipName(s string) string {
	if len(s) > wcp.MaxNameLen {
		return s[:wcp.MaxNameLen]
	}
	return s
}

// connectAll fetches a connection string for every sender and connects it,
// timing both, at most cfg.ConnectRate per second. Refusals are counted,
// not fatal: the run goes on with the sessions that opened.
func (r *runner) connectAll(ctx context.Context, w *world) error {
	plan := r.plan
	m := r.crew.m
	var lim *rate.Limiter
	if r.cfg.ConnectRate > 0 {
		lim = rate.NewLimiter(rate.Limit(r.cfg.ConnectRate), 1)
	}
	type slot struct{ k, j int }
	var slots []slot
	for k, ss := range plan.Senders {
		for j := range ss {
			slots = append(slots, slot{k, j})
		}
	}
	sessions := make([]*session, len(slots))
	step := r.cfg.Progress.Begin("connect", len(slots))
	err := forEach(ctx, len(slots), r.cfg.ConnectConcurrency, func(ctx context.Context, i int) error {
		if lim != nil {
			if err := lim.Wait(ctx); err != nil {
				return err
			}
		}
		defer step(1)
		sl := slots[i]
		chat := w.chats[sl.k]
		t0 := time.Now()
		cs, err := w.clients[sl.k][sl.j].ConnectionString(ctx, chat.ID, r.cfg.TTL)
		m.RecordConnString(i, time.Since(t0), codeOf(err))
		if err != nil {
			r.note(fmt.Sprintf("connection string for sender %d: %v", plan.Senders[sl.k][sl.j], err))
			return ctx.Err()
		}
		t1 := time.Now()
		wr, info, err := dial(ctx, r.wsURL, wcp.Auth{ChatID: chat.ID, ConnectionString: cs.ConnectionString}, r.cfg.ConnectTimeout)
		if err != nil {
			m.RecordConnect(i, time.Since(t1), codeOf(err))
			r.note(fmt.Sprintf("connect sender %d: %v", plan.Senders[sl.k][sl.j], err))
			return ctx.Err()
		}
		signer, err := wcp.NewSignerFromKey(info.MessageKey)
		if err != nil {
			wr.close()
			m.RecordConnect(i, time.Since(t1), "bad_session")
			r.note(fmt.Sprintf("connect sender %d: %v", plan.Senders[sl.k][sl.j], err))
			return ctx.Err()
		}
		m.RecordConnect(i, time.Since(t1), "")
		s := &session{crew: r.crew, key: i, chatID: chat.ID, book: r.books[sl.k], api: w.clients[sl.k][sl.j]}
		s.setConnString(cs)
		if r.layout != nil {
			s.pop = r.pops[r.layout.UserPop[plan.Senders[sl.k][sl.j]]]
			s.rng = rand.New(rand.NewPCG(uint64(r.cfg.Scenario.Seed), uint64(plan.Senders[sl.k][sl.j])<<20|uint64(i)))
		}
		l := newLink(wr, info, signer)
		s.link.Store(l)
		s.alive.Store(true)
		sessions[i] = s
		go s.read(l)
		return nil
	})
	for _, s := range sessions {
		if s != nil {
			r.sessions = append(r.sessions, s)
		}
	}
	return err
}

// codeOf names a failure for the counters: the protocol code,
// "too_many_open_files" when this process ran out of file descriptors, or
// "transport" when the server never said why.
func codeOf(err error) string {
	if err == nil {
		return ""
	}
	if c := wcp.ErrorCode(err); c != "" {
		return string(c)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timeout"
	}
	if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
		return "too_many_open_files"
	}
	return "transport"
}
