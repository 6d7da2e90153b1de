package bridge

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ml-connector/ifs-cleo/core/cli"
	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/engine"
	"github.com/ml-connector/ifs-cleo/core/evidence"
	"github.com/ml-connector/ifs-cleo/core/locations"
	"github.com/ml-connector/ifs-cleo/core/money"
	"github.com/ml-connector/ifs-cleo/core/secrets"
	"github.com/ml-connector/ifs-cleo/core/store"
	"github.com/ml-connector/ifs-cleo/ui/connections"
	"github.com/ml-connector/ifs-cleo/ui/dashboard"
	"github.com/ml-connector/ifs-cleo/ui/documents"
	"github.com/ml-connector/ifs-cleo/ui/exceptions"
	"github.com/ml-connector/ifs-cleo/ui/mappings"
	"github.com/ml-connector/ifs-cleo/ui/schedules"
)

// Settings the desktop app adds beside the CLI's (never secrets).
const (
	SettingIFSProfile    = "ifs.resource_profile"
	SettingCleoTransport = "cleo.transport"
	SettingCleoHost      = "cleo.host"
	SettingCleoHostKey   = "cleo.host_key_fingerprint"
)

// ---- dashboard

type dashboardSource struct{ b *Bridge }

func (s *dashboardSource) Snapshot(ctx context.Context) (dashboard.Snapshot, error) {
	var snap dashboard.Snapshot
	st, loc := s.b.cfg.Store, s.b.cfg.Loc
	now := time.Now().In(loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	week := today.AddDate(0, 0, -int((today.Weekday()+6)%7)) // Monday
	count := func(since time.Time) (dashboard.Counts, error) {
		var c dashboard.Counts
		n := func(q store.DocumentQuery) int {
			q.From = since
			v, _ := st.CountDocuments(ctx, q)
			return v
		}
		c.Received = n(store.DocumentQuery{Direction: store.Inbound, Type: store.Type810})
		c.Posted = n(store.DocumentQuery{Direction: store.Inbound, Type: store.Type810, Statuses: []store.Status{store.StatusPosted}})
		c.Sent = n(store.DocumentQuery{Direction: store.Outbound, Type: store.Type850, Statuses: []store.Status{store.StatusSent, store.StatusAcknowledged}})
		c.Acknowledged = n(store.DocumentQuery{Direction: store.Outbound, Type: store.Type850, Statuses: []store.Status{store.StatusAcknowledged}})
		var err error
		c.Exceptions, err = st.CountExceptions(ctx, store.ExceptionQuery{AnyState: true, NewerThan: now.Sub(since), Now: now})
		return c, err
	}
	var err error
	if snap.Today, err = count(today); err != nil {
		return snap, err
	}
	if snap.Week, err = count(week); err != nil {
		return snap, err
	}
	reasons, err := st.ExceptionsByReason(ctx, store.ExceptionQuery{})
	if err != nil {
		return snap, err
	}
	for _, r := range reasons {
		snap.ByReason = append(snap.ByReason, dashboard.ReasonCount{Label: reasonLabel(r.Reason), Count: r.Count})
		if r.Reason == string(engine.ReasonAckOverdue) {
			snap.Overdue997 = r.Count
		}
	}
	from := today.AddDate(0, 0, -13)
	days, err := st.DocumentsPerDay(ctx, from, now, loc)
	if err != nil {
		return snap, err
	}
	byDay := map[string]*dashboard.DayCount{}
	for i := 0; i < 14; i++ {
		d := from.AddDate(0, 0, i)
		snap.PerDay = append(snap.PerDay, dashboard.DayCount{Day: d})
	}
	for i := range snap.PerDay {
		byDay[snap.PerDay[i].Day.Format("2006-01-02")] = &snap.PerDay[i]
	}
	for _, d := range days {
		if x := byDay[d.Day.In(loc).Format("2006-01-02")]; x != nil {
			if d.Direction == store.Outbound {
				x.Outbound += d.Count
			} else {
				x.Inbound += d.Count
			}
		}
	}
	snap.Flows, err = s.flows(ctx, now)
	return snap, err
}

func (s *dashboardSource) flows(ctx context.Context, now time.Time) ([]dashboard.FlowStatus, error) {
	st := s.b.cfg.Store
	hbs, err := st.Heartbeats(ctx)
	if err != nil {
		return nil, err
	}
	eng, sched, _ := s.b.engine()
	info := map[string]engine.ScheduleInfo{}
	if sched != nil {
		for _, i := range sched.Schedules() {
			info[i.Flow] = i
		}
	}
	running := map[string]bool{}
	if eng != nil {
		if fs, err := eng.FlowStatuses(ctx); err == nil {
			for _, f := range fs {
				running[f.Flow] = f.Running
			}
		}
	}
	var out []dashboard.FlowStatus
	for _, f := range engine.Flows {
		fs := dashboard.FlowStatus{Flow: f, Label: flowLabel(f), Running: running[f]}
		if r, err := st.LastRun(ctx, f); err == nil {
			fs.LastRun = r.StartedAt
			fs.LastOK = r.Error == ""
			fs.LastResult = runResult(r)
		}
		for _, h := range hbs {
			if h.Poller == f {
				fs.LastSuccess = h.LastSuccess
			}
		}
		if i, ok := info[f]; ok {
			fs.NextRun, fs.Paused = i.Next, i.Paused
			// Stale as the scheduler judges it: no success for two intervals plus grace.
			if next, err := engine.NextRuns(i.Spec, now, 2); err == nil && !i.Paused && !fs.LastSuccess.IsZero() {
				fs.Stale = now.Sub(fs.LastSuccess) > 2*next[1].Sub(next[0])+5*time.Minute
			}
		}
		out = append(out, fs)
	}
	return out, nil
}

func runResult(r store.SyncRun) string {
	if r.FinishedAt.IsZero() {
		return "running"
	}
	if r.Error != "" {
		return "failed: " + r.Error
	}
	var keys []string
	for k, v := range r.Counts {
		if v > 0 {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%d %s", r.Counts[k], k))
	}
	if len(parts) == 0 {
		return "nothing to do"
	}
	return strings.Join(parts, ", ")
}

// ---- exceptions

type exceptionSource struct{ b *Bridge }

var sortKeys = map[exceptions.SortKey]store.ExceptionSort{
	exceptions.ByReason: store.SortReason, exceptions.ByPartner: store.SortPartner, exceptions.BySupplier: store.SortSupplier,
	exceptions.ByAge: store.SortCreated, exceptions.ByAmount: store.SortAmount, exceptions.ByDocument: store.SortBusinessKey,
}

func query(f exceptions.Filter) store.ExceptionQuery {
	q := store.ExceptionQuery{Text: f.Text, Sort: sortKeys[f.Sort], Desc: f.Desc, HideHeld: true, Now: time.Now()}
	if f.Sort == exceptions.ByAge {
		q.Desc = !f.Desc // "age ascending" is youngest first: created descending
	}
	if f.Reason != "" {
		q.Reasons = []string{f.Reason}
	}
	return q
}

func (s *exceptionSource) Count(ctx context.Context, f exceptions.Filter) (int, error) {
	return s.b.cfg.Store.CountExceptions(ctx, query(f))
}

func (s *exceptionSource) Page(ctx context.Context, f exceptions.Filter, offset, limit int) ([]exceptions.Row, error) {
	q := query(f)
	q.Offset, q.Limit = offset, limit
	list, err := s.b.cfg.Store.Exceptions(ctx, q)
	if err != nil {
		return nil, err
	}
	out := make([]exceptions.Row, len(list))
	for i, x := range list {
		out[i] = row(x)
	}
	return out, nil
}

func row(x store.Exception) exceptions.Row {
	key := x.BusinessKey
	if key == "" {
		key = x.Subject
	}
	return exceptions.Row{ID: x.ID, DocumentID: x.DocumentID, Reason: x.Reason, ReasonLabel: reasonLabel(x.Reason),
		Partner: x.Partner, Supplier: x.SupplierID, BusinessKey: key, Received: x.CreatedAt, Amount: x.Amount, Currency: x.Currency}
}

func (s *exceptionSource) Reasons(ctx context.Context) ([]exceptions.ReasonCount, error) {
	rs, err := s.b.cfg.Store.ExceptionsByReason(ctx, store.ExceptionQuery{})
	if err != nil {
		return nil, err
	}
	out := make([]exceptions.ReasonCount, len(rs))
	for i, r := range rs {
		out[i] = exceptions.ReasonCount{Reason: r.Reason, Label: reasonLabel(r.Reason), Count: r.Count}
	}
	return out, nil
}

func (s *exceptionSource) Detail(ctx context.Context, id int64) (exceptions.Detail, error) {
	st := s.b.cfg.Store
	x, err := st.Exception(ctx, id)
	if err != nil {
		return exceptions.Detail{}, err
	}
	d := exceptions.Detail{Row: row(x), Message: x.Message, Fix: x.Fix}
	var inv *engine.Invoice
	if x.DocumentID != 0 {
		if doc, err := st.Document(ctx, x.DocumentID); err == nil {
			d.RawEDI = string(doc.RawEDI)
			d.Parsed = flatten(doc.Parsed)
			d.ParsedJSON = doc.Parsed
			inv = parsedInvoice(doc.Parsed)
		}
	}
	if inv != nil && inv.PONumber != "" && poMismatch[engine.Reason(x.Reason)] {
		d.ComparePO = inv.PONumber
		if e, _, err := s.b.engine(); err == nil {
			if us, err := e.UnitEquivalents(ctx, x.SupplierID); err == nil {
				for _, u := range us {
					d.Units = append(d.Units, exceptions.UnitEquivalent{InvoiceUnit: u.InvoiceUnit, POUnit: u.POUnit, Factor: u.Factor})
				}
			}
		}
		for _, l := range inv.Lines {
			d.InvoiceLines = append(d.InvoiceLines, exceptions.InvoiceLine{LineNo: l.LineNumber, BuyerPart: l.BuyerPart,
				VendorPart: l.VendorPart, Description: l.Description, Qty: l.Quantity, Unit: l.UOM, Price: l.UnitPrice})
		}
	}
	var c map[string]any
	_ = json.Unmarshal(x.Context, &c)
	if poMismatch[engine.Reason(x.Reason)] {
		var mc engine.MatchContext
		if json.Unmarshal(x.Context, &mc) == nil && mc.PO != "" {
			d.Lines = matchLines(engine.Reason(x.Reason), mc)
			d.Tolerance = toleranceText(mc)
		}
	}
	s.decisions(ctx, x, &d)
	if (x.Reason == string(engine.ReasonGLUnmapped) || x.Reason == string(engine.ReasonGLInvalid)) && x.SupplierID != "" {
		var cc engine.CodingContext
		if json.Unmarshal(x.Context, &cc) == nil && cc.Charge != "" && (x.Reason == string(engine.ReasonGLUnmapped) || cc.FromRule) {
			// The same fix in place for a missing rule and for a rule whose
			// account IFS refuses; a PO line's code string is fixed in IFS.
			d.GLFix = &exceptions.GLFix{SupplierID: x.SupplierID, ChargeCode: cc.Charge}
		}
	}
	if x.Reason == string(engine.ReasonPartnerNotMapped) {
		d.PartnerKey = x.Partner
		if p, ok := c["partner"].(string); ok && p != "" {
			d.PartnerKey = p
		}
		if sg, ok := c["suggestions"].([]any); ok {
			for _, v := range sg {
				m, _ := v.(map[string]any)
				d.Suggestions = append(d.Suggestions, exceptions.Suggestion{SupplierID: fmt.Sprint(m["supplier_id"]), Name: fmt.Sprint(m["supplier_name"]), Why: fmt.Sprint(m["why"])})
			}
		}
	}
	return d, nil
}

// poMismatch are the reasons whose fix needs the IFS PO beside the invoice.
var poMismatch = map[engine.Reason]bool{
	engine.ReasonPriceVariance: true, engine.ReasonQuantityOver: true, engine.ReasonPOLineNotFound: true,
	engine.ReasonCurrency: true, engine.ReasonPOSupplier: true, engine.ReasonPONotOpen: true,
	engine.ReasonAlreadyInvoiced: true, engine.ReasonAmountOver: true, engine.ReasonNotReceived: true,
	engine.ReasonReceiptUnknown: true, engine.ReasonUnitMismatch: true,
}

// poReference are the reasons a re-reference to another PO may fix.
var poReference = map[engine.Reason]bool{
	engine.ReasonPONotFound: true, engine.ReasonPONotOpen: true, engine.ReasonPOSupplier: true, engine.ReasonPOMissing: true,
	engine.ReasonPOLineNotFound: true, engine.ReasonPriceVariance: true, engine.ReasonQuantityOver: true,
	engine.ReasonAlreadyInvoiced: true, engine.ReasonAmountOver: true,
}

// matchLines is the comparison a match problem's typed context gives:
// what this invoice says against the PO line, and what came before.
func matchLines(r engine.Reason, mc engine.MatchContext) []exceptions.LineDiff {
	unit := func(v, u string) string {
		if v == "" {
			return ""
		}
		return strings.TrimSpace(v + " " + u)
	}
	ld := exceptions.LineDiff{Line: fmt.Sprintf("PO %s line %s", mc.PO, mc.POLine)}
	if mc.InvoicedPrice != "" {
		ld.Cells = append(ld.Cells, exceptions.Compare{Label: "Unit price", Invoice: mc.InvoicedPrice, PO: mc.POPrice, Differs: r == engine.ReasonPriceVariance})
	}
	if mc.InvoicedQty != "" {
		ld.Cells = append(ld.Cells, exceptions.Compare{Label: "Quantity", Invoice: unit(mc.InvoicedQty, mc.Unit), PO: unit(mc.POQty, mc.Unit),
			Differs: r == engine.ReasonQuantityOver || r == engine.ReasonAlreadyInvoiced || r == engine.ReasonNotReceived})
	}
	if mc.InvoiceUnit != "" && r == engine.ReasonUnitMismatch {
		ld.Cells = append(ld.Cells, exceptions.Compare{Label: "Unit", Invoice: mc.InvoiceUnit, PO: mc.Unit, Differs: true})
	}
	if mc.AlreadyInvoicedQty != "" || mc.IFSInvoicedQty != "" {
		prior := unit(firstNonEmpty(mc.AlreadyInvoicedQty, "0"), mc.Unit) + " by this connector"
		if mc.IFSInvoicedQty != "" {
			prior += ", " + unit(mc.IFSInvoicedQty, mc.Unit) + " in IFS"
		}
		ld.Cells = append(ld.Cells, exceptions.Compare{Label: "Invoiced before", Invoice: "", PO: prior, Differs: r == engine.ReasonAlreadyInvoiced})
	}
	if mc.ReceivedQty != "" {
		ld.Cells = append(ld.Cells, exceptions.Compare{Label: "Received", PO: unit(mc.ReceivedQty, mc.Unit), Differs: r == engine.ReasonNotReceived})
	}
	if mc.RemainingQty != "" {
		ld.Cells = append(ld.Cells, exceptions.Compare{Label: "Still to invoice", PO: unit(mc.RemainingQty, mc.Unit)})
	}
	return []exceptions.LineDiff{ld}
}

// toleranceText explains the tolerance in force and the variance.
func toleranceText(mc engine.MatchContext) string {
	if mc.Tolerance == nil {
		return ""
	}
	t := fmt.Sprintf("Tolerance in force: %s.", mc.Tolerance.String())
	if mc.VariancePct != "" {
		t += fmt.Sprintf(" This line differs by %s %% (%s).", mc.VariancePct, mc.VarianceAmount)
	}
	return strings.ToUpper(t[:1]) + t[1:]
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// decisions fills the decisions the current user may take on x, and the
// one already taken.
func (s *exceptionSource) decisions(ctx context.Context, x store.Exception, d *exceptions.Detail) {
	switch x.Decision {
	case store.DecisionHold:
		d.DecisionText = fmt.Sprintf("On hold until %s (%s): %s", x.HeldUntil.Local().Format("2006-01-02"), x.DecisionBy, x.DecisionNote)
	case store.DecisionDispute:
		d.DecisionText = fmt.Sprintf("Disputed with the supplier (%s, %s): %s", x.DecisionBy, x.DecidedAt.Local().Format("2006-01-02"), x.DecisionNote)
	}
	if x.DocumentID == 0 || x.DocType != store.Type810 || x.State != store.ExceptionOpen {
		return
	}
	e, _, err := s.b.engine()
	if err != nil {
		return
	}
	r := engine.Reason(x.Reason)
	if engine.Overridable(r) {
		if role, err := e.CurrentRole(ctx); err == nil && (role == engine.RoleApprover || role == engine.RoleAdmin) {
			d.Decisions = append(d.Decisions, exceptions.DecideOverride)
		}
	}
	d.Decisions = append(d.Decisions, exceptions.DecideHold, exceptions.DecideDispute)
	if poReference[r] {
		d.Decisions = append(d.Decisions, exceptions.DecideReReference)
	}
}

// Decide implements exceptions.Source over the engine's decisions.
func (s *exceptionSource) Decide(ctx context.Context, id int64, dec exceptions.Decision) (string, error) {
	e, _, err := s.b.engine()
	if err != nil {
		return "", err
	}
	outcome := func(r engine.ReplayResult) string {
		if r.Status == string(store.StatusException) {
			return fmt.Sprintf("%s: still not posted — %s", r.BusinessKey, r.Message)
		}
		return fmt.Sprintf("%s: %s", r.BusinessKey, r.Status)
	}
	switch dec.Kind {
	case exceptions.DecideOverride:
		r, err := e.AcceptWithOverride(ctx, id, dec.Comment)
		return outcome(r), err
	case exceptions.DecideReReference:
		r, err := e.ReReference(ctx, id, dec.PO, dec.Comment)
		return outcome(r), err
	case exceptions.DecideHold:
		if err := e.Hold(ctx, id, dec.Until, dec.Comment); err != nil {
			return "", err
		}
		return "On hold until " + dec.Until.Format("2006-01-02") + "; it leaves the queue until then.", nil
	case exceptions.DecideDispute:
		dr, err := e.Dispute(ctx, id, dec.Comment)
		if err != nil {
			return "", err
		}
		return "Dispute recorded. Draft to " + dr.To + " — " + dr.Subject + ":\n\n" + dr.Body, nil
	}
	return "", fmt.Errorf("unknown decision %q", dec.Kind)
}

// parsedInvoice reads the 810 out of the engine's parsed form (its
// "invoice" member is an engine.Invoice), nil when there is none.
func parsedInvoice(raw json.RawMessage) *engine.Invoice {
	var pf struct {
		Invoice *engine.Invoice `json:"invoice"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &pf) != nil {
		return nil
	}
	return pf.Invoice
}

// PurchaseOrder reads the PO through the engine (the GUI never calls IFS itself).
func (s *exceptionSource) PurchaseOrder(ctx context.Context, orderNo string) (domain.PurchaseOrder, error) {
	e, _, err := s.b.engine()
	if err != nil {
		return domain.PurchaseOrder{}, configErr{err} // the pane points to Connections
	}
	po, err := e.PurchaseOrder(ctx, orderNo)
	if err != nil {
		return domain.PurchaseOrder{}, fmt.Errorf("read purchase order %s: %w", orderNo, err)
	}
	return po, nil
}

// configErr classifies "no engine yet" as local configuration.
type configErr struct{ error }

func (e configErr) ErrorKind() domain.ErrorKind { return domain.KindConfig }
func (e configErr) Unwrap() error               { return e.error }

// flatten shows the engine's parsed JSON as labelled fields: nested objects
// become dotted names ("invoice.PONumber"), arrays of objects one line per
// element ("invoice.Lines 1": "Quantity 30, UOM EA, UnitPrice 4.00 …").
func flatten(raw json.RawMessage) []exceptions.Field {
	if len(raw) == 0 {
		return nil
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return []exceptions.Field{{Name: "Parsed", Value: string(raw)}}
	}
	var out []exceptions.Field
	var walk func(prefix string, v any, depth int)
	walk = func(prefix string, v any, depth int) {
		switch x := v.(type) {
		case map[string]any:
			if depth > 2 {
				out = append(out, exceptions.Field{Name: prefix, Value: inline(x)})
				return
			}
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				name := k
				if prefix != "" {
					name = prefix + "." + k
				}
				walk(name, x[k], depth+1)
			}
		case []any:
			for i, e := range x {
				if m, ok := e.(map[string]any); ok {
					out = append(out, exceptions.Field{Name: fmt.Sprintf("%s %d", prefix, i+1), Value: inline(m)})
				} else {
					out = append(out, exceptions.Field{Name: fmt.Sprintf("%s %d", prefix, i+1), Value: fmt.Sprint(e)})
				}
			}
		case nil:
		default:
			out = append(out, exceptions.Field{Name: prefix, Value: fmt.Sprint(x)})
		}
	}
	// A single wrapper object ({"invoice": {...}}) adds nothing but a prefix.
	if m, ok := v.(map[string]any); ok && len(m) == 1 {
		for _, inner := range m {
			if _, ok := inner.(map[string]any); ok {
				v = inner
			}
		}
	}
	walk("", v, 0)
	return out
}

// inline writes an object on one line, keys sorted, empty values left out.
func inline(m map[string]any) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		switch v := m[k].(type) {
		case nil, map[string]any, []any:
			continue
		case string:
			if v == "" {
				continue
			}
		}
		parts = append(parts, fmt.Sprintf("%s %v", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

func outcome(r engine.ReplayResult) string {
	if r.Err != "" {
		return "failed: " + r.Err
	}
	s := strings.ReplaceAll(r.Outcome, "_", " ")
	if r.Status != "" {
		s += " (now " + r.Status + ")"
	}
	if r.Outcome == "still_failing" && r.Message != "" {
		s += ": " + r.Message
	}
	return s
}

func (s *exceptionSource) Replay(ctx context.Context, id int64) (string, error) {
	e, _, err := s.b.engine()
	if err != nil {
		return "", err
	}
	r, err := e.Replay(ctx, id)
	if err != nil {
		return "", err
	}
	return outcome(r), nil
}

func (s *exceptionSource) PreviewReplayAll(ctx context.Context, reason string) (exceptions.Preview, error) {
	e, _, err := s.b.engine()
	if err != nil {
		return exceptions.Preview{}, err
	}
	rs, err := e.ReplayByReason(ctx, reason, true)
	if err != nil {
		return exceptions.Preview{}, err
	}
	pv := exceptions.Preview{Reason: reason}
	for _, r := range rs {
		o := strings.ReplaceAll(r.Outcome, "_", " ")
		if r.Message != "" {
			o += ": " + r.Message
		}
		pv.Items = append(pv.Items, exceptions.PreviewItem{ID: r.ExceptionID, BusinessKey: r.BusinessKey, Outcome: o})
	}
	return pv, nil
}

func (s *exceptionSource) ReplayAll(ctx context.Context, reason string) (int, error) {
	e, _, err := s.b.engine()
	if err != nil {
		return 0, err
	}
	rs, err := e.ReplayByReason(ctx, reason, false)
	return len(rs), err
}

func (s *exceptionSource) Ignore(ctx context.Context, id int64, comment string) error {
	e, _, err := s.b.engine()
	if err != nil {
		return err
	}
	return e.Ignore(ctx, id, comment)
}

func (s *exceptionSource) MapPartner(ctx context.Context, partnerKey, supplierID string) error {
	e, _, err := s.b.engine()
	if err != nil {
		return err
	}
	return e.SetPartnerSupplier(ctx, partnerKey, supplierID)
}

func (s *exceptionSource) AddGLRule(ctx context.Context, supplierID, charge, account, costCentre string) error {
	e, _, err := s.b.engine()
	if err != nil {
		return err
	}
	return e.SetGLRule(ctx, supplierID, charge, domain.CodeString{Account: account, CodeB: costCentre})
}

// ---- documents

type documentSource struct{ b *Bridge }

func docRow(d store.Document) documents.Row {
	return documents.Row{ID: d.ID, Type: string(d.Type), Direction: string(d.Direction), Partner: d.Partner,
		BusinessKey: d.BusinessKey, Status: string(d.Status), Reason: d.Reason, Time: d.CreatedAt}
}

func (s *documentSource) Search(ctx context.Context, q documents.Query, limit int) ([]documents.Row, error) {
	list, err := s.b.cfg.Store.Documents(ctx, store.DocumentQuery{Text: q.Text, Type: store.DocType(q.Type), From: q.From, To: q.To, Limit: limit})
	if err != nil {
		return nil, err
	}
	out := make([]documents.Row, len(list))
	for i, d := range list {
		out[i] = docRow(d)
	}
	return out, nil
}

func (s *documentSource) Document(ctx context.Context, id int64) (documents.Detail, error) {
	st := s.b.cfg.Store
	d, err := st.Document(ctx, id)
	if err != nil {
		return documents.Detail{}, err
	}
	evs, err := st.DocumentEvents(ctx, id)
	if err != nil {
		return documents.Detail{}, err
	}
	out := documents.Detail{Row: docRow(d), RawEDI: string(d.RawEDI), ParsedJSON: d.Parsed}
	for _, f := range flatten(d.Parsed) {
		out.Parsed = append(out.Parsed, documents.Field{Name: f.Name, Value: f.Value})
	}
	for _, e := range evs {
		detail := ""
		if b, ok := e.Detail.(json.RawMessage); ok && len(b) > 0 && string(b) != "null" {
			detail = string(b)
		}
		out.Timeline = append(out.Timeline, documents.Event{Time: e.At, Actor: e.Actor, Action: e.Action, Detail: detail})
	}
	if rep, err := st.VerifyChain(ctx); err == nil {
		out.ChainOK = rep.OK
	}
	return out, nil
}

// ExportEvidence writes the document's evidence pack into the data dir's
// exports folder with the same code as `audit export`, and returns its path.
func (s *documentSource) ExportEvidence(ctx context.Context, id int64) (string, error) {
	loc, err := locations.New(s.b.cfg.DataDir)
	if err != nil {
		return "", err
	}
	return evidence.Export(ctx, s.b.cfg.Store, id, evidence.DefaultPath(loc, id))
}

// ---- mappings

type mappingSource struct{ b *Bridge }

var kinds = map[string]store.MappingKind{mappings.GL: store.MappingGLRules, mappings.UoM: store.MappingUnits, mappings.Tolerances: store.MappingTolerances}

func (s *mappingSource) Partners(ctx context.Context) ([]mappings.PartnerMapping, error) {
	st := s.b.cfg.Store
	ps, err := st.Partners(ctx)
	if err != nil {
		return nil, err
	}
	maps, err := st.PartnerMappings(ctx)
	if err != nil {
		return nil, err
	}
	mapped := map[string]string{}
	for _, m := range maps {
		mapped[store.PartnerKey(m.ISAQualifier, m.ISAID)] = m.SupplierID
	}
	sugg := map[string][]mappings.Suggestion{}
	if e, _, err := s.b.engine(); err == nil {
		if ss, err := e.Suggestions(ctx); err == nil {
			for _, x := range ss {
				sugg[x.PartnerKey] = append(sugg[x.PartnerKey], mappings.Suggestion{SupplierID: x.SupplierID, Name: x.SupplierName, Why: x.Why})
			}
		}
	}
	var out []mappings.PartnerMapping
	for _, p := range ps {
		key := store.PartnerKey(p.ISAQualifier, p.ISAID)
		pm := mappings.PartnerMapping{PartnerKey: key, PartnerName: p.Alias, SupplierID: mapped[key], Suggestions: sugg[key]}
		if pm.SupplierID != "" {
			if sup, err := st.Supplier(ctx, pm.SupplierID); err == nil {
				pm.SupplierName = sup.Name
			}
		}
		out = append(out, pm)
	}
	return out, nil
}

func (s *mappingSource) MapPartner(ctx context.Context, key, supplierID string) error {
	e, _, err := s.b.engine()
	if err != nil {
		return err
	}
	return e.SetPartnerSupplier(ctx, key, supplierID)
}

func (s *mappingSource) ExportCSV(ctx context.Context, kind string) ([]byte, error) {
	k, ok := kinds[kind]
	if !ok {
		return nil, fmt.Errorf("unknown mapping %q", kind)
	}
	var b bytes.Buffer
	err := s.b.cfg.Store.ExportMappingsCSV(ctx, k, &b)
	return b.Bytes(), err
}

func (s *mappingSource) Table(ctx context.Context, kind string) ([]string, [][]string, error) {
	b, err := s.ExportCSV(ctx, kind)
	if err != nil {
		return nil, nil, err
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil || len(recs) == 0 {
		return nil, nil, err
	}
	return recs[0], recs[1:], nil
}

func (s *mappingSource) PreviewCSV(ctx context.Context, kind string, data []byte) (mappings.ImportPlan, error) {
	return s.importCSV(ctx, kind, data, true, 0)
}

func (s *mappingSource) ImportCSV(ctx context.Context, kind string, data []byte, confirmDeletes int) (int, error) {
	p, err := s.importCSV(ctx, kind, data, false, confirmDeletes)
	return len(p.Adds) + len(p.Changes) + p.Unchanged, err
}

// importCSV runs the engine's checked import (replacing the table) as a
// dry run or for real.
func (s *mappingSource) importCSV(ctx context.Context, kind string, data []byte, dryRun bool, confirmDeletes int) (mappings.ImportPlan, error) {
	k, ok := kinds[kind]
	if !ok {
		return mappings.ImportPlan{}, fmt.Errorf("unknown mapping %q", kind)
	}
	e, _, err := s.b.engine()
	if err != nil {
		return mappings.ImportPlan{}, err
	}
	res, err := e.ImportMappings(ctx, k, bytes.NewReader(data), true, dryRun, confirmDeletes)
	if err != nil {
		return mappings.ImportPlan{}, err
	}
	p := mappings.ImportPlan{Unchanged: res.Unchanged}
	for _, c := range res.Changes {
		switch c.Op {
		case "add":
			p.Adds = append(p.Adds, c.Key)
		case "change":
			p.Changes = append(p.Changes, c.Key)
		case "delete":
			p.Deletes = append(p.Deletes, c.Key)
		}
	}
	return p, nil
}

func (s *mappingSource) Reference(ctx context.Context) (mappings.Reference, error) {
	st := s.b.cfg.Store
	var r mappings.Reference
	sups, err := st.Suppliers(ctx)
	if err != nil {
		return r, err
	}
	for _, x := range sups {
		if x.State != "" && !strings.EqualFold(x.State, "Active") {
			continue
		}
		r.Suppliers = append(r.Suppliers, mappings.Option{Value: x.SupplierID, Label: x.SupplierID + " — " + x.Name})
	}
	company := ""
	if e, _, err := s.b.engine(); err == nil {
		company = e.Company()
	}
	now := time.Now()
	for _, part := range []struct {
		code string
		dst  *[]mappings.Option
	}{{"A", &r.Accounts}, {"B", &r.CostCentres}} {
		vals, err := st.CodePartValues(ctx, company, part.code)
		if err != nil {
			return r, err
		}
		for _, v := range vals {
			if v.Valid(now) {
				*part.dst = append(*part.dst, mappings.Option{Value: v.Value, Label: v.Value + " — " + v.Description})
			}
		}
	}
	return r, nil
}

func (s *mappingSource) SaveGLRule(ctx context.Context, r mappings.GLRule) error {
	e, _, err := s.b.engine()
	if err != nil {
		return err
	}
	if strings.TrimSpace(r.Account) == "" {
		return fmt.Errorf("a GL rule needs an account")
	}
	return e.SetGLRule(ctx, r.SupplierID, r.ChargeCode, domain.CodeString{Account: r.Account, CodeB: r.CostCentre})
}

func (s *mappingSource) DeleteGLRule(ctx context.Context, supplierID, chargeCode string) error {
	e, _, err := s.b.engine()
	if err != nil {
		return err
	}
	return e.SetGLRule(ctx, supplierID, chargeCode, domain.CodeString{}) // an empty account deletes
}

func (s *mappingSource) SaveTolerance(ctx context.Context, t mappings.Tolerance) error {
	e, _, err := s.b.engine()
	if err != nil {
		return err
	}
	var tol engine.Tolerance
	for _, f := range []struct {
		name string
		in   string
		dst  *money.Decimal
	}{{"price %", t.PricePct, &tol.PricePct}, {"quantity %", t.QtyPct, &tol.QtyPct}, {"amount per line", t.Absolute, &tol.Absolute}} {
		if strings.TrimSpace(f.in) == "" {
			continue
		}
		v, err := money.Parse(strings.TrimSpace(f.in))
		if err != nil || v.Sign() < 0 {
			return fmt.Errorf("%s %q is not a number of zero or more", f.name, f.in)
		}
		*f.dst = v
	}
	if t.ThreeWay {
		tol.Match = store.MatchThreeWay
	}
	return e.SetTolerance(ctx, t.SupplierID, tol)
}

func (s *mappingSource) History(ctx context.Context) ([]mappings.Change, error) {
	var out []mappings.Change
	for _, k := range store.MappingKinds {
		vs, err := s.b.cfg.Store.MappingHistory(ctx, k, "", 50)
		if err != nil {
			return nil, err
		}
		for _, v := range vs {
			out = append(out, change(v))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Time.After(out[j].Time) })
	return out, nil
}

// ---- connections

type connectionSource struct{ b *Bridge }

func (s *connectionSource) Load(ctx context.Context) (connections.Settings, error) {
	set, err := s.b.cfg.Store.Settings(ctx)
	if err != nil {
		return connections.Settings{}, err
	}
	return connections.Settings{
		IFS: connections.IFSSettings{URL: set[cli.SettingIFSURL], Realm: set[cli.SettingIFSRealm], ClientID: set[cli.SettingIFSClientID],
			Company: set[cli.SettingIFSCompany], ResourceProfile: set[SettingIFSProfile]},
		Cleo: connections.CleoSettings{Transport: set[SettingCleoTransport], URL: set[cli.SettingCleoURL], Host: set[SettingCleoHost],
			User: set[cli.SettingCleoUser], HostKeyFingerprint: set[SettingCleoHostKey]},
	}, nil
}

func (s *connectionSource) Save(ctx context.Context, c connections.Settings) error {
	actor := engine.OSUser()
	for k, v := range map[string]string{
		cli.SettingIFSURL: c.IFS.URL, cli.SettingIFSRealm: c.IFS.Realm, cli.SettingIFSClientID: c.IFS.ClientID,
		cli.SettingIFSCompany: c.IFS.Company, SettingIFSProfile: c.IFS.ResourceProfile,
		SettingCleoTransport: c.Cleo.Transport, cli.SettingCleoURL: c.Cleo.URL, SettingCleoHost: c.Cleo.Host,
		cli.SettingCleoUser: c.Cleo.User, SettingCleoHostKey: c.Cleo.HostKeyFingerprint,
	} {
		if err := s.b.cfg.Store.SetSetting(ctx, actor, k, v); err != nil {
			return fmt.Errorf("save %s: %w", k, err)
		}
	}
	return nil
}

func (s *connectionSource) SetSecret(ctx context.Context, name, value string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	err := s.b.cfg.Secrets.Set(ctx, name, value)
	if errors.Is(err, secrets.ErrUnavailable) {
		// Never a plain file behind the admin's back: say what to do.
		return fmt.Errorf("%s (%w)", secrets.NoKeychainAdvice, err)
	}
	return err
}

func (s *connectionSource) Secrets(ctx context.Context) (map[string]connections.SecretState, error) {
	out := map[string]connections.SecretState{}
	for _, n := range []string{connections.SecretIFSClient, connections.SecretCleoPassword, connections.SecretCleoKey} {
		gctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		v, err := s.b.cfg.Secrets.Get(gctx, n)
		cancel()
		out[n] = connections.SecretState{Set: err == nil && v != ""}
	}
	return out, nil
}

func (s *connectionSource) SecretStore() string { return s.b.cfg.SecretLabel }

// Test rebuilds the engine from what was just saved, then runs its
// step-by-step connection test; a working engine starts its schedules.
func (s *connectionSource) Test(ctx context.Context, target string) (domain.TestReport, error) {
	wasRunning := s.b.Configured()
	if err := s.b.rebuild(ctx); err != nil {
		return domain.TestReport{}, err
	}
	e, sched, err := s.b.engine()
	if err != nil {
		return domain.TestReport{}, err
	}
	tctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	reps := e.TestConnections(tctx)
	want := "IFS"
	if target == connections.Cleo {
		want = "Cleo"
	}
	allOK := true
	for _, r := range reps {
		allOK = allOK && r.OK()
	}
	if allOK && !wasRunning {
		sched.SyncNow() // first working setup: show results now, not at the next cron tick
	}
	for _, r := range reps {
		if strings.HasPrefix(r.Target, want) {
			return r, nil
		}
	}
	return domain.TestReport{}, fmt.Errorf("no %s report from the engine", want)
}

// ---- schedules

type scheduleSource struct{ b *Bridge }

func (s *scheduleSource) List(context.Context) ([]schedules.Schedule, error) {
	_, sched, err := s.b.engine()
	if err != nil {
		return nil, err
	}
	var out []schedules.Schedule
	for _, i := range sched.Schedules() {
		out = append(out, schedules.Schedule{Flow: i.Flow, Label: flowLabel(i.Flow), Spec: i.Spec, Paused: i.Paused})
	}
	return out, nil
}

func (s *scheduleSource) SetSpec(ctx context.Context, flow, spec string) error {
	_, sched, err := s.b.engine()
	if err != nil {
		return err
	}
	return sched.SetSchedule(ctx, flow, spec)
}

func (s *scheduleSource) SetPaused(ctx context.Context, flow string, paused bool) error {
	_, sched, err := s.b.engine()
	if err != nil {
		return err
	}
	return sched.SetPaused(ctx, flow, paused)
}

// change words one mapping version: "partner ZZ:ACME01: supplier_id → S1001".
func change(v store.MappingVersion) mappings.Change {
	op := "changed"
	var c struct {
		Op     string `json:"op"`
		Fields map[string]struct {
			From any `json:"from"`
			To   any `json:"to"`
		} `json:"fields"`
	}
	if json.Unmarshal(v.Change, &c) == nil && c.Op != "" {
		op = c.Op + "d"
	}
	var parts []string
	for k, f := range c.Fields {
		parts = append(parts, fmt.Sprintf("%s %v → %v", k, orNone(f.From), orNone(f.To)))
	}
	sort.Strings(parts)
	what := fmt.Sprintf("%s %s %s", strings.ReplaceAll(string(v.Kind), "_", " "), v.Key, op)
	if len(parts) > 0 {
		what += ": " + strings.Join(parts, ", ")
	}
	return mappings.Change{Time: v.ChangedAt, Actor: v.ChangedBy, What: what}
}

func orNone(v any) any {
	if v == nil || v == "" {
		return "none"
	}
	return v
}
