package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ml-connector/ifs-cleo/core/events"
	"github.com/ml-connector/ifs-cleo/core/store"
)

func (e *Engine) startRun(ctx context.Context, flow string) (int64, error) {
	return e.st.StartRun(ctx, flow)
}

func (e *Engine) finishRun(ctx context.Context, r *run) {
	st := store.RunOK
	msg := ""
	if r.res.Err != nil {
		st, msg = store.RunFailed, r.res.Err.Error()
		if errors.Is(r.res.Err, context.Canceled) || errors.Is(r.res.Err, ErrStopping) {
			st = store.RunCancelled
		}
	}
	counts := map[string]int{"ok": r.res.OK, "exceptions": r.res.Failed, "skipped": r.res.Skipped, "total": r.total}
	if err := e.st.FinishRun(ctx, r.res.RunID, st, counts, msg); err != nil {
		e.log.Error("record run end", "flow", r.res.Flow, "err", err)
	}
	if r.res.Failed > 0 {
		e.notify("ml-connector", fmt.Sprintf("%d new exception(s) in %s", r.res.Failed, r.res.Flow))
	}
}

// heartbeat records the poller's attempt and resolves its stale exception
// on success.
func (e *Engine) heartbeat(ctx context.Context, flow string, err error) {
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	if berr := e.st.Beat(ctx, flow, msg); berr != nil {
		e.log.Error("heartbeat", "flow", flow, "err", berr)
	}
	if err == nil {
		var n int
		uerr := e.st.Update(ctx, func(tx *store.Tx) error {
			var err error
			n, err = tx.ResolveSubjectExceptions("poller:"+flow, string(ReasonHeartbeatStale), store.SystemActor, "poller succeeded again")
			if err != nil {
				return err
			}
			m, err := tx.ResolveSubjectExceptions("flow:"+flow, string(ReasonInternal), store.SystemActor, "the next run succeeded")
			n += m
			return err
		})
		switch {
		case uerr != nil:
			e.log.Error("resolve stale-poller exception", "flow", flow, "err", uerr)
		case n > 0:
			// After the commit, so the screens never see a resolution
			// that was rolled back.
			e.bus.Publish(events.ExceptionResolved, events.ExceptionData{Reason: string(ReasonHeartbeatStale), Resolution: "resolved"})
		}
	}
}

// CheckHeartbeats raises a HEARTBEAT_STALE exception for every flow whose
// last success is older than its allowed age (maxAge per flow; flows not
// listed are not checked). It returns the stale pollers.
func (e *Engine) CheckHeartbeats(ctx context.Context, maxAge map[string]time.Duration) ([]string, error) {
	hbs, err := e.st.Heartbeats(ctx)
	if err != nil {
		return nil, err
	}
	last := map[string]store.Heartbeat{}
	for _, h := range hbs {
		last[h.Poller] = h
	}
	now := e.clock.Now()
	var stale []string
	for _, flow := range sortedKeys(maxAge) {
		h, ok := last[flow]
		if !ok {
			continue // never run yet: nothing to be stale about
		}
		ref := h.LastSuccess
		if ref.IsZero() {
			ref = h.LastAttempt
		}
		if now.Sub(ref) <= maxAge[flow] {
			continue
		}
		stale = append(stale, flow)
		since := "never succeeded"
		if !h.LastSuccess.IsZero() {
			since = "last success " + h.LastSuccess.Format("2006-01-02 15:04 MST")
		}
		msg := fmt.Sprintf("The %s poller has not succeeded for %s (%s)", flow, now.Sub(ref).Round(time.Minute), since)
		if h.LastError != "" {
			msg += ": " + h.LastError
		}
		exc, created, err := e.st.RaiseException(ctx, store.Exception{Subject: "poller:" + flow, Reason: string(ReasonHeartbeatStale),
			Message: msg, Fix: fixHeartbeat}, store.SystemActor)
		if err != nil {
			return stale, err
		}
		e.bus.Publish(events.HeartbeatStale, events.HeartbeatData{Poller: flow, LastSuccess: h.LastSuccess, StaleFor: now.Sub(ref)})
		if created {
			e.bus.Publish(events.ExceptionRaised, events.ExceptionData{ExceptionID: exc.ID, Reason: exc.Reason, Message: exc.Message})
			e.notify("ml-connector: poller stale", msg)
		}
	}
	return stale, nil
}

// Reconcile runs on start, before any flow: runs left "running" by a crash
// are closed as failed, and documents in an intermediate state are left in
// their queues, where the next flow run resumes them (an invoice in posting
// is looked up in IFS before any create; an upload in sending is repeated
// under the same name, which Cleo recognises).
//
// Only the first call of an engine does anything: later runs of the same
// process must not close runs still going in other flows.
func (e *Engine) Reconcile(ctx context.Context) error {
	var err error
	e.reconcileOnce.Do(func() {
		_, err = e.st.AbandonRunningRuns(ctx, "the connector stopped during this run")
	})
	return err
}
