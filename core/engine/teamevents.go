package engine

import (
	"context"
	"log/slog"
	"time"

	"github.com/ml-connector/ifs-cleo/core/events"
	"github.com/ml-connector/ifs-cleo/core/store"
)

// TeamEventsKept is how long the team database keeps relayed events; a desk
// away longer re-reads its screens from the store, which it does at start
// anyway.
const TeamEventsKept = 7 * 24 * time.Hour

// relayed are the event types the leader writes to the team database.
// RunProgress is left out: it fires per document, and the run's start and
// end plus each document's own change say the same to another desk.
const relayed = events.AllEvents &^ events.RunProgress

// RelayToTeam writes the events this process publishes on bus to the team
// database until ctx ends, so that every other desk sees them (FollowTeam).
// Only the leader relays; events that came from the team (Remote) are never
// relayed back. The engine publishes after its commits, so a relayed event
// never announces something another desk cannot read yet. It subscribes
// before it returns (so nothing published afterwards is missed) and relays
// in the background.
func RelayToTeam(ctx context.Context, bus *events.Bus, st *store.Store, origin string, log *slog.Logger) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	sub := bus.Subscribe(relayed, 0)
	go relay(ctx, sub, st, origin, log)
}

func relay(ctx context.Context, sub *events.Subscription, st *store.Store, origin string, log *slog.Logger) {
	defer sub.Unsubscribe()
	prune := time.NewTicker(time.Hour)
	defer prune.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-prune.C:
			if _, err := st.PruneTeamEvents(ctx, time.Now().Add(-TeamEventsKept)); err != nil && ctx.Err() == nil {
				log.Warn("prune team events", "err", err)
			}
		case ev, ok := <-sub.C():
			if !ok {
				return
			}
			if ev.Remote {
				continue
			}
			name, data, err := events.Encode(ev)
			if err != nil {
				log.Error("relay event", "type", ev.Type, "err", err)
				continue
			}
			if _, err := st.PublishTeamEvent(context.WithoutCancel(ctx), name, data, origin); err != nil {
				// The other desks miss a wake-up; their screens still re-read on
				// the next event or refresh. Not worth stopping the flows for.
				log.Warn("relay event to the team", "type", name, "err", err)
			}
		}
	}
}

// FollowTeam publishes on bus, marked Remote, every event the team's
// leader relays, from the newest at the call on, until ctx ends: the screens
// of a client desk update as the leader works. It wakes on the database's
// notification (PostgreSQL LISTEN) and polls every poll as a safety net;
// ready, when not nil, is closed once its starting point is read:
// every event published after that reaches bus.
func FollowTeam(ctx context.Context, bus *events.Bus, st *store.Store, poll time.Duration, log *slog.Logger, ready chan<- struct{}) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var last int64
	for {
		id, err := st.LastTeamEvent(ctx)
		if err == nil {
			last = id
			break
		}
		log.Warn("follow the team's events", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
	wake := st.ListenTeamEvents(ctx, poll)
	if ready != nil {
		close(ready)
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-wake:
		}
		for ctx.Err() == nil {
			evs, err := st.TeamEventsAfter(ctx, last, 500)
			if err != nil {
				log.Warn("read the team's events", "after", last, "err", err)
				break
			}
			for _, te := range evs {
				last = te.ID
				t, data, err := events.Decode(te.Type, te.Data)
				if err != nil {
					// A newer leader's event type: skip it, the screens re-read anyway.
					log.Warn("team event", "id", te.ID, "err", err)
					continue
				}
				bus.PublishRemote(t, data, te.At)
			}
			if len(evs) < 500 {
				break
			}
		}
	}
}
