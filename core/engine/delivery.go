package engine

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/store"
)

// deliveries returns the delivery port when the Cleo transport can follow
// a file after Send.
func (e *Engine) deliveries() (Deliveries, bool) {
	d, ok := e.p.Cleo.(Deliveries)
	if !ok || !d.TracksDelivery() {
		return nil, false
	}
	return d, true
}

// deliveryLimit is how long a file to p may stay pending.
func (e *Engine) deliveryLimit(p *PartnerInfo) time.Duration {
	if p != nil && p.DeliveryLimit > 0 {
		return p.DeliveryLimit
	}
	return e.p.DeliveryLimit
}

// handedOver is the delivery record of a document just handed to the
// network, written in the transaction that marks it sent.
func (e *Engine) handedOver(ctx context.Context, docID int64) (*store.Delivery, error) {
	if _, ok := e.deliveries(); !ok {
		return nil, nil
	}
	attempts := 1
	prev, err := e.st.Delivery(ctx, docID)
	switch {
	case err == nil:
		attempts = prev.Attempts + 1
	case !errors.Is(err, store.ErrNotFound):
		return nil, err
	}
	return &store.Delivery{DocumentID: docID, State: store.DeliveryPending, Attempts: attempts, HandedAt: e.clock.Now()}, nil
}

// trackDeliveries asks the network about every outbound document of typ
// whose delivery is not settled (pending, stuck, or failed: a partner's
// server may come back and Cleo's own schedule deliver it): delivered
// clears a delivery exception, a failed transfer becomes DELIVERY_FAILED
// with Cleo's words, and a transfer pending beyond the partner's limit
// DELIVERY_STUCK. Each flow tracks its own type, so two flows never judge
// one document at once.
func (e *Engine) trackDeliveries(ctx context.Context, r *run, typ store.DocType) error {
	tracker, ok := e.deliveries()
	if !ok {
		return nil
	}
	cfg, err := e.loadConfig(ctx)
	if err != nil {
		return err
	}
	type item struct {
		d  store.Document
		dl store.Delivery
	}
	// A page of open deliveries at a time: after a backlog there may be
	// tens of thousands, and each needs its document read.
	var logged func(partnerID, alias string, sent domain.SendResult) (domain.DeliveryReport, bool)
	logTried := false
	for after := int64(0); ; {
		open, err := e.st.DeliveriesAfter(ctx, after, trackPage, store.DeliveryPending, store.DeliveryStuck, store.DeliveryFailed)
		if err != nil || len(open) == 0 {
			return err
		}
		after = open[len(open)-1].DocumentID
		var items []item
		for _, dl := range open {
			d, err := e.st.Document(ctx, dl.DocumentID)
			if err != nil {
				return err
			}
			if d.Type == typ && d.Direction == store.Outbound {
				d.RawEDI = nil // not needed to ask about it
				items = append(items, item{d, dl})
			}
		}
		// Many files: the network's send log is read once (from the
		// earliest hand-over of this page, which holds the oldest
		// documents) and answers for every file it shows delivered; the
		// rest are asked about one by one. A large or unreadable log
		// costs nothing but the attempt.
		if !logTried && len(items) >= sendLogMin {
			logTried = true
			if dlog, ok := tracker.(DeliveryLog); ok {
				since := items[0].dl.HandedAt
				for _, it := range items {
					if it.dl.HandedAt.Before(since) {
						since = it.dl.HandedAt
					}
				}
				var err error
				if logged, err = dlog.DeliveredSince(ctx, since.Add(-sendLogSlack), sendLogMax); err != nil {
					if fatal(err) {
						return err
					}
					if !errors.Is(err, errors.ErrUnsupported) {
						e.log.Info("delivery checks go file by file", "reason", err)
					}
					logged = nil
				}
			}
		}
		// Each file is one question to the network about that file alone,
		// and its answer settles that document alone: files side by side,
		// even a partner's (order matters when sending, not when asking).
		err = forEachByKey(ctx, e.cleoWorkers(), items, func(it item) string { return strconv.FormatInt(it.d.ID, 10) }, func(ctx context.Context, it item) error {
			if err := e.halt(ctx); err != nil {
				return err
			}
			if err := e.trackOne(ctx, r, tracker, logged, cfg, it.d, it.dl); err != nil {
				if fatal(err) {
					return err
				}
				e.log.Warn("delivery check left for the next run", "document", it.d.ID, "name", it.d.CleoName, "err", err)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
}

// trackPage is how many open deliveries trackDeliveries reads at once.
// sendLogMin is the fewest files of a page for which the send log is read
// instead of asking file by file (a listing of sendLogMax records at most,
// from sendLogSlack before the earliest hand-over).
const (
	trackPage    = 256
	sendLogMin   = 16
	sendLogMax   = 2000
	sendLogSlack = 15 * time.Minute
)

// deliveryReasons are the exception reasons delivery tracking owns.
func deliveryReason(reason string) bool {
	return reason == string(ReasonDeliveryFailed) || reason == string(ReasonDeliveryStuck)
}

// trackOne settles one document's delivery; logged, when set, answers
// from the network's send log for a file it shows delivered.
func (e *Engine) trackOne(ctx context.Context, r *run, tracker Deliveries, logged func(string, string, domain.SendResult) (domain.DeliveryReport, bool),
	cfg *config, d store.Document, dl store.Delivery) error {
	now := e.clock.Now()
	switch d.Status {
	case store.StatusAcknowledged, store.StatusRejected:
		// The partner's 997 answered it: it arrived, whatever the log says.
		dl.State, dl.NetworkStatus, dl.Detail, dl.SettledAt, dl.CheckedAt = store.DeliveryDelivered, "997 received", "the partner acknowledged it", now, now
		return e.st.PutDelivery(ctx, dl)
	case store.StatusIgnored:
		return nil
	}
	p := cfg.partnerByKey(d.Partner)
	if p == nil {
		return nil // the partner left Cleo; nothing to ask
	}
	sent := domain.SendResult{ID: d.CleoID, Name: d.CleoName}
	rep, ok := domain.DeliveryReport{}, false
	if logged != nil {
		rep, ok = logged(p.ID, p.Alias, sent)
	}
	if !ok {
		var err error
		if rep, err = tracker.Delivery(ctx, p.ID, p.Alias, sent); err != nil {
			return err
		}
	}
	dl.TransferID, dl.NetworkStatus, dl.Detail, dl.CheckedAt = rep.TransferID, rep.Status, rep.Detail, now
	inDeliveryException := d.Status == store.StatusException && deliveryReason(d.Reason)
	switch rep.State {
	case domain.DeliveryDelivered:
		dl.State, dl.SettledAt = store.DeliveryDelivered, now
		var out store.Document
		err := e.st.Update(ctx, func(tx *store.Tx) error {
			if err := tx.PutDelivery(dl); err != nil {
				return err
			}
			if !inDeliveryException {
				return nil
			}
			var err error
			out, err = tx.Transition(d.ID, store.Transition{From: []store.Status{store.StatusException}, To: store.StatusSent,
				Action: "delivery.recovered", Comment: fmt.Sprintf("Cleo delivered it (%s, transfer %s)", rep.Status, rep.TransferID)})
			return err
		})
		if err == nil && inDeliveryException {
			e.publishDoc(out)
		}
		return err
	case domain.DeliveryFailed:
		if dl.State == store.DeliveryFailed && inDeliveryException {
			return e.st.PutDelivery(ctx, dl) // known; only the words may have changed
		}
		dl.State, dl.SettledAt = store.DeliveryFailed, now
		msg := fmt.Sprintf("Cleo could not deliver %s (file %s) to %s: %s — %s", docLabel(d), d.CleoName, p.Alias,
			firstNonEmpty(rep.Status, "failed"), firstNonEmpty(rep.Detail, "no reason given"))
		if rep.TransferID != "" {
			msg += fmt.Sprintf(" (transfer %s)", rep.TransferID)
		}
		return e.deliveryException(ctx, r, d, dl, newProblem(ReasonDeliveryFailed, fixDeliveryFailed, "%s", msg))
	default:
		since := dl.HandedAt
		if !rep.Since.IsZero() && rep.Since.After(since) {
			since = rep.Since
		}
		limit := e.deliveryLimit(p)
		if now.Sub(since) <= limit || dl.State == store.DeliveryStuck {
			if dl.State != store.DeliveryStuck {
				dl.State = store.DeliveryPending
			}
			return e.st.PutDelivery(ctx, dl)
		}
		dl.State = store.DeliveryStuck
		msg := fmt.Sprintf("Cleo has shown %s (file %s) to %s as %q since %s, longer than the %s allowed for this partner",
			docLabel(d), d.CleoName, p.Alias, firstNonEmpty(rep.Status, "pending"), since.UTC().Format("2006-01-02 15:04 MST"), limitWords(limit))
		if rep.Detail != "" {
			msg += ": " + rep.Detail
		}
		return e.deliveryException(ctx, r, d, dl, newProblem(ReasonDeliveryStuck, fixDeliveryStuck, "%s", msg))
	}
}

// deliveryException records the delivery and raises the exception on the
// document together. A document whose 997 already settled it, or that is
// in another exception, keeps its status: the delivery record still says.
func (e *Engine) deliveryException(ctx context.Context, r *run, d store.Document, dl store.Delivery, p *problem) error {
	var out store.Document
	raised := false
	err := e.st.Update(ctx, func(tx *store.Tx) error {
		if err := tx.PutDelivery(dl); err != nil {
			return err
		}
		if d.Status != store.StatusSent && d.Status != store.StatusOverdue && !(d.Status == store.StatusException && deliveryReason(d.Reason)) {
			return nil
		}
		var err error
		out, err = tx.Transition(d.ID, store.Transition{To: store.StatusException, Reason: string(p.Reason), Message: p.Message, Fix: p.Fix,
			Action: "delivery." + string(dl.State), Context: map[string]any{"transfer_id": dl.TransferID, "network_status": dl.NetworkStatus}})
		raised = err == nil
		return err
	})
	if err != nil {
		return err
	}
	if raised {
		e.publishDoc(out)
		r.mu.Lock()
		r.res.Failed++
		r.mu.Unlock()
	}
	return nil
}

func limitWords(d time.Duration) string {
	if d%time.Hour == 0 {
		if d == time.Hour {
			return "1 hour"
		}
		return fmt.Sprintf("%d hours", d/time.Hour)
	}
	return fmt.Sprintf("%d minutes", d/time.Minute)
}

// replayDelivery is the replay of DELIVERY_FAILED and DELIVERY_STUCK: ask
// Cleo again, and send again under the same name only when Cleo confirms
// the earlier attempt did not go out (Redeliver decides that). Delivered
// or re-sent, the document is sent again with a fresh 997 deadline; still
// failing or still pending, the exception stays with the network's words.
func (e *Engine) replayDelivery(ctx context.Context, cfg *config, d store.Document, pv Preview, actor string, audit map[string]any) (ReplayResult, error) {
	res := ReplayResult{Preview: pv}
	tracker, ok := e.deliveries()
	p := cfg.partnerByKey(d.Partner)
	if !ok || p == nil {
		return res, fmt.Errorf("replay delivery of %s: the Cleo transport cannot follow deliveries or the partner is gone: %w", d.CleoName, ErrNotReplayable)
	}
	dl, err := e.st.Delivery(ctx, d.ID)
	if err != nil {
		return res, err
	}
	if _, err := e.st.AppendEvent(ctx, store.Event{DocumentID: d.ID, Actor: actor, Action: "exception.replayed", Detail: audit}); err != nil {
		return res, fmt.Errorf("audit the replay of %s: %w", d.CleoName, err)
	}
	before := dl.State
	rep, rerr := tracker.Redeliver(ctx, p.ID, p.Alias, domain.SendResult{ID: d.CleoID, Name: d.CleoName}, d.RawEDI)
	now := e.clock.Now()
	if rerr != nil {
		if fatal(rerr) {
			return res, rerr
		}
		res.Status, res.Outcome, res.Err = string(d.Status), "still_failing", rerr.Error()
		res.Message = "Cleo could not send it again: " + rerr.Error()
		return res, nil
	}
	dl.TransferID, dl.NetworkStatus, dl.Detail, dl.CheckedAt = rep.TransferID, rep.Status, rep.Detail, now
	// Redeliver sends only what failed: a failure that is no longer one
	// was handed over again, a new attempt.
	resent := before == store.DeliveryFailed && rep.State != domain.DeliveryFailed
	if resent {
		dl.Attempts++
	}
	switch {
	case rep.State == domain.DeliveryDelivered:
		dl.State, dl.SettledAt = store.DeliveryDelivered, now
	case resent:
		// Handed over again and on its way: pending from now.
		dl.State, dl.HandedAt, dl.SettledAt = store.DeliveryPending, now, time.Time{}
	default:
		if err := e.st.PutDelivery(ctx, dl); err != nil {
			return res, err
		}
		res.Status, res.Outcome = string(d.Status), "still_failing"
		res.Message = fmt.Sprintf("Cleo still shows %s as %q: %s", d.CleoName, firstNonEmpty(rep.Status, string(rep.State)), firstNonEmpty(rep.Detail, "no further detail"))
		return res, nil
	}
	deadline := e.p.AckDeadline
	if p.AckDeadline > 0 {
		deadline = p.AckDeadline
	}
	due := now.Add(deadline)
	var out store.Document
	err = e.st.Update(ctx, func(tx *store.Tx) error {
		if err := tx.PutDelivery(dl); err != nil {
			return err
		}
		var err error
		out, err = tx.Transition(d.ID, store.Transition{From: []store.Status{store.StatusException}, To: store.StatusSent, Actor: actor,
			Action: "replay", Comment: strings.TrimSpace("replayed; " + string(dl.State)), Detail: audit, Patch: store.DocumentPatch{DueAt: &due}})
		return err
	})
	if err != nil {
		return res, err
	}
	e.publishDoc(out)
	res.Status = string(out.Status)
	return res, nil
}
