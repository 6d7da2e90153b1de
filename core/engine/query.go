package engine

import (
	"context"
	"encoding/json"
	"sort"
	"time"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/events"
	"github.com/ml-connector/ifs-cleo/core/store"
)

// Exceptions returns one page of the queue and the total matching q.
func (e *Engine) Exceptions(ctx context.Context, q store.ExceptionQuery) ([]store.Exception, int, error) {
	if q.Now.IsZero() {
		q.Now = e.clock.Now()
	}
	list, err := e.st.Exceptions(ctx, q)
	if err != nil {
		return nil, 0, err
	}
	n, err := e.st.CountExceptions(ctx, q)
	return list, n, err
}

// Documents returns one page of documents and the total matching q.
func (e *Engine) Documents(ctx context.Context, q store.DocumentQuery) ([]store.Document, int, error) {
	list, err := e.st.Documents(ctx, q)
	if err != nil {
		return nil, 0, err
	}
	n, err := e.st.CountDocuments(ctx, q)
	return list, n, err
}

// DocumentDetail is everything the detail pane and the evidence pack show.
type DocumentDetail struct {
	Document  store.Document
	Parsed    json.RawMessage // the engine's parsed form (set, invoice, would-be IFS payload …)
	Timeline  []store.Event   // oldest first
	Exception *store.Exception
	Related   []store.Document // the 997 for an 850, the 850 a 997 acknowledges, sets of the same file
}

// Document returns one document with its audit timeline.
func (e *Engine) Document(ctx context.Context, id int64) (DocumentDetail, error) {
	var dd DocumentDetail
	d, err := e.st.Document(ctx, id)
	if err != nil {
		return dd, err
	}
	dd.Document, dd.Parsed = d, d.Parsed
	ev, err := e.st.DocumentEvents(ctx, id)
	if err != nil {
		return dd, err
	}
	dd.Timeline = ev
	if x, err := e.st.OpenExceptionOf(ctx, id); err == nil {
		dd.Exception = &x
	}
	if d.RelatedID != 0 {
		if r, err := e.st.Document(ctx, d.RelatedID); err == nil {
			r.RawEDI, r.Parsed = nil, nil
			dd.Related = append(dd.Related, r)
		}
	}
	if rel, err := e.st.Documents(ctx, store.DocumentQuery{RelatedID: id, Limit: 50}); err == nil {
		dd.Related = append(dd.Related, rel...)
	}
	return dd, nil
}

// Counts are the dashboard figures for a period.
type Counts struct {
	Since              time.Time
	Received           int // inbound 810s
	Posted             int
	Skipped            int
	Sent               int // 850s sent (incl. acknowledged later)
	Acknowledged       int
	OpenExceptions     int
	ExceptionsByReason []store.ReasonCount
	AcksOverdue        int
	TestReviewed       int
	// DeliveriesFailed and DeliveriesStuck are outbound files now failed
	// or stuck in the network (whenever they were sent).
	DeliveriesFailed int
	DeliveriesStuck  int
}

// Counts returns the dashboard counts for documents created since t.
func (e *Engine) Counts(ctx context.Context, since time.Time) (Counts, error) {
	c := Counts{Since: since}
	count := func(q store.DocumentQuery) int {
		if err := ctx.Err(); err != nil {
			return 0
		}
		q.From = since
		n, _ := e.st.CountDocuments(ctx, q)
		return n
	}
	c.Received = count(store.DocumentQuery{Direction: store.Inbound, Type: store.Type810})
	c.Posted = count(store.DocumentQuery{Direction: store.Inbound, Type: store.Type810, Statuses: []store.Status{store.StatusPosted}})
	c.Skipped = count(store.DocumentQuery{Direction: store.Inbound, Type: store.Type810, Statuses: []store.Status{store.StatusSkippedDuplicate}})
	c.Sent = count(store.DocumentQuery{Direction: store.Outbound, Type: store.Type850, Statuses: []store.Status{store.StatusSent, store.StatusAcknowledged}})
	c.Acknowledged = count(store.DocumentQuery{Direction: store.Outbound, Type: store.Type850, Statuses: []store.Status{store.StatusAcknowledged}})
	c.TestReviewed = count(store.DocumentQuery{Statuses: []store.Status{store.StatusTestReviewed}})
	var err error
	if c.OpenExceptions, err = e.st.CountExceptions(ctx, store.ExceptionQuery{}); err != nil {
		return c, err
	}
	if c.ExceptionsByReason, err = e.st.ExceptionsByReason(ctx, store.ExceptionQuery{}); err != nil {
		return c, err
	}
	for _, rc := range c.ExceptionsByReason {
		if rc.Reason == string(ReasonAckOverdue) {
			c.AcksOverdue = rc.Count
		}
	}
	dc, err := e.st.DeliveryCounts(ctx)
	if err != nil {
		return c, err
	}
	c.DeliveriesFailed, c.DeliveriesStuck = dc[store.DeliveryFailed], dc[store.DeliveryStuck]
	return c, ctx.Err()
}

// FlowStatus is the dashboard line of one flow.
type FlowStatus struct {
	Flow      string
	LastRun   *store.SyncRun
	Heartbeat *store.Heartbeat
	Running   bool
}

// FlowStatuses returns the last run and heartbeat of every flow.
func (e *Engine) FlowStatuses(ctx context.Context) ([]FlowStatus, error) {
	hbs, err := e.st.Heartbeats(ctx)
	if err != nil {
		return nil, err
	}
	var out []FlowStatus
	for _, f := range Flows {
		fs := FlowStatus{Flow: f}
		if r, err := e.st.LastRun(ctx, f); err == nil {
			fs.LastRun = &r
		}
		for i := range hbs {
			if hbs[i].Poller == f {
				fs.Heartbeat = &hbs[i]
			}
		}
		if mu := e.flowMu[f]; mu.TryLock() {
			mu.Unlock()
		} else {
			fs.Running = true
		}
		out = append(out, fs)
	}
	return out, nil
}

func sortEventsDesc(ev []store.Event) {
	sort.Slice(ev, func(i, j int) bool { return ev[i].ID > ev[j].ID })
}

// TestConnections checks both connections step by step.
func (e *Engine) TestConnections(ctx context.Context) []domain.TestReport {
	ifsRep := e.p.IFS.TestConnection(ctx)
	cleoRep := e.p.Cleo.TestConnection(ctx)
	for _, r := range []domain.TestReport{ifsRep, cleoRep} {
		detail := "ok"
		if !r.OK() {
			detail = "failed"
		}
		e.bus.Publish(events.ConnectionStatus, events.ConnectionData{Connection: r.Target, OK: r.OK(), Detail: detail})
	}
	return []domain.TestReport{ifsRep, cleoRep}
}

// PurchaseOrder reads an order with its lines from IFS, for the detail
// pane's side-by-side comparison (the GUI never calls IFS itself).
func (e *Engine) PurchaseOrder(ctx context.Context, orderNo string) (domain.PurchaseOrder, error) {
	return e.p.IFS.PurchaseOrder(ctx, orderNo)
}
