package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/ml-connector/ifs-cleo/core/engine"
	"github.com/ml-connector/ifs-cleo/core/events"
	"github.com/ml-connector/ifs-cleo/core/store"
)

// askWaitDefault is how long an action on a client desk waits for the team's
// leader to execute it before it reports the request as queued.
const askWaitDefault = 60 * time.Second

// asClient reports whether actions must go to the team's leader as
// requests: a team database this desk does not lead.
func (b *Bridge) asClient() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.team() && !b.leading
}

// ask writes a clerk's action to the team database as a request carrying
// this desk's person and host, announces it as queued on this desk's bus,
// and waits for the leader's outcome (heard as a RequestChanged event from
// the team, with a slow re-read as a safety net). The leader checks the
// person's role; a refusal is ErrRequestRefused with the engine's words. A
// request the leader has not finished within b.askWait stays queued and is
// reported as such: the leader will still execute it. Roles are the
// engine's business (it may refuse); this desk hides nothing itself.
func (b *Bridge) ask(ctx context.Context, kind, target string, args map[string]string) (string, error) {
	req := store.Request{Kind: kind, Target: target, Actor: engine.OSUser(), Host: store.ThisNode("", "").Host}
	if len(args) > 0 {
		j, _ := json.Marshal(args)
		req.Args = string(j)
	}
	sub := b.cfg.Bus.Subscribe(events.RequestChanged, 64)
	defer sub.Unsubscribe()
	r, err := b.cfg.Store.EnqueueRequest(ctx, req)
	if err != nil {
		return "", err
	}
	b.cfg.Bus.Publish(events.RequestChanged, engine.RequestQueued(r))
	deadline := time.NewTimer(b.askWait)
	defer deadline.Stop()
	reread := time.NewTicker(2 * time.Second)
	defer reread.Stop()
	for !r.State.Final() {
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("request %d (%s) stays %s: %w", r.ID, kind, r.State, ctx.Err())
		case <-deadline.C:
			return fmt.Sprintf("request %d queued for the team's engine (at %s); it runs when the engine gets to it",
				r.ID, b.cfg.Store.DescribeLeader(ctx)), nil
		case ev, ok := <-sub.C():
			if d, isReq := ev.Data.(events.RequestData); ok && isReq && d.RequestID == r.ID && store.RequestState(d.State).Final() {
				r.State, r.Result = store.RequestState(d.State), d.Result
			}
		case <-reread.C:
			if got, err := b.cfg.Store.Request(ctx, r.ID); err == nil {
				r = got
			}
		}
	}
	switch r.State {
	case store.RequestRefused:
		return "", fmt.Errorf("the team's engine refused request %d: %s: %w", r.ID, r.Result, store.ErrForbidden)
	case store.RequestFailed:
		return "", fmt.Errorf("request %d (%s %s) failed in the team's engine: %s", r.ID, kind, target, r.Result)
	}
	return r.Result, nil
}

// askJSON is ask for a request the leader answers with JSON (a read of
// IFS, a re-coding's result), decoded into out. A request still queued
// when the wait ends is reported as an error in its own words: there is
// nothing to show yet.
func (b *Bridge) askJSON(ctx context.Context, kind, target string, args map[string]string, out any) error {
	res, err := b.ask(ctx, kind, target, args)
	if err != nil {
		return err
	}
	if err := json.Unmarshal([]byte(res), out); err != nil {
		return errors.New(res)
	}
	return nil
}

// askID is ask for an action on one exception.
func (b *Bridge) askID(ctx context.Context, kind string, id int64, args map[string]string) (string, error) {
	return b.ask(ctx, kind, strconv.FormatInt(id, 10), args)
}

// replayedCount reads the count back from a replay_reason result
// ("3 exceptions with reason … replayed, …").
func replayedCount(result string) int {
	var n int
	if _, err := fmt.Sscanf(result, "%d exceptions", &n); err != nil {
		return 0
	}
	return n
}
