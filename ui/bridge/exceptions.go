package bridge

// The exception queue's source: pages, details with the engine's typed
// contexts, replays, decisions and the IFS purchase order beside an invoice.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/engine"
	"github.com/ml-connector/ifs-cleo/core/store"
	"github.com/ml-connector/ifs-cleo/ui/exceptions"
	"github.com/ml-connector/ifs-cleo/ui/mappings"
)

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

func (s *exceptionSource) Totals(ctx context.Context, f exceptions.Filter) ([]exceptions.Total, error) {
	ts, err := s.b.cfg.Store.ExceptionTotals(ctx, query(f))
	if err != nil {
		return nil, err
	}
	out := make([]exceptions.Total, len(ts))
	for i, t := range ts {
		out[i] = exceptions.Total{Currency: t.Currency, Amount: t.Amount}
	}
	return out, nil
}

func (s *exceptionSource) Page(ctx context.Context, f exceptions.Filter, offset, limit int) ([]exceptions.Row, error) {
	q := query(f)
	q.Offset, q.Limit = offset, limit
	list, err := s.b.cfg.Store.Exceptions(ctx, q)
	if err != nil {
		return nil, err
	}
	out := make([]exceptions.Row, len(list))
	names, err := s.names(ctx)
	if err != nil {
		return nil, err
	}
	for i, x := range list {
		out[i] = row(x)
		if err := names.fill(ctx, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// rowNames fills a page's rows with what the clerk reads: partner and
// supplier names, and the PO, date and due date of the invoice each
// exception is about. Names are looked up once per page.
type rowNames struct {
	st        *store.Store
	partners  map[string]string // key QUAL:ID → alias
	suppliers map[string]string // id → name ("" when IFS does not know it)
}

func (s *exceptionSource) names(ctx context.Context) (*rowNames, error) {
	ps, err := s.b.cfg.Store.Partners(ctx)
	if err != nil {
		return nil, err
	}
	n := &rowNames{st: s.b.cfg.Store, partners: map[string]string{}, suppliers: map[string]string{}}
	for _, p := range ps {
		n.partners[strings.TrimSpace(p.ISAQualifier)+":"+strings.TrimSpace(p.ISAID)] = p.Alias
	}
	return n, nil
}

func (n *rowNames) fill(ctx context.Context, r *exceptions.Row) error {
	r.PartnerName = n.partners[r.Partner]
	if r.Supplier != "" {
		name, ok := n.suppliers[r.Supplier]
		if !ok {
			sp, err := n.st.Supplier(ctx, r.Supplier)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			name = sp.Name
			n.suppliers[r.Supplier] = name
		}
		r.SupplierName = name
	}
	if r.DocumentID == 0 {
		return nil
	}
	d, err := n.st.Document(ctx, r.DocumentID)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	}
	if d.Type != store.Type810 || len(d.Parsed) == 0 {
		return nil
	}
	pf, err := engine.DecodeParsed(d.Parsed)
	if err != nil || pf.Invoice == nil {
		return nil // an unreadable invoice shows its reason, not its dates
	}
	r.PONumber, r.InvoiceDate, r.DueDate = pf.Invoice.PONumber, pf.Invoice.Date, pf.Invoice.TermsDue()
	if pf.OriginalPO != "" && r.PONumber == "" {
		r.PONumber = pf.OriginalPO
	}
	return nil
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
	// The PO the invoice quotes is worth seeing whatever the reason, except
	// where IFS has said it does not exist.
	if inv != nil && inv.PONumber != "" && x.Reason != string(engine.ReasonPONotFound) {
		d.ComparePO = inv.PONumber
		d.POFirst = poMismatch[engine.Reason(x.Reason)]
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
	if x.Reason == string(engine.ReasonCorrectionPending) {
		var cc engine.CorrectionContext
		if json.Unmarshal(x.Context, &cc) == nil {
			c := &exceptions.Correction{IFSInvoiceID: cc.IFSInvoiceID}
			for _, f := range cc.Fields {
				c.Fields = append(c.Fields, exceptions.CorrectionField{Field: f.Field, Earlier: f.Earlier, Corrected: f.Corrected,
					IFSNow: f.IFSNow, Differs: f.Differs, Edited: f.Edited})
			}
			for _, k := range cc.Conflicts {
				c.Conflicts = append(c.Conflicts, fmt.Sprintf("%s %s: IFS now %s, the correction %s, you had seen %s", k.Row, k.Field, k.Now, k.Want, k.Seen))
			}
			d.Correction = c
		}
	}
	if x.Reason == string(engine.ReasonPartnerNotMapped) {
		d.PartnerKey = x.Partner
		var pc engine.PartnerContext
		if json.Unmarshal(x.Context, &pc) == nil {
			if pc.Partner != "" {
				d.PartnerKey = pc.Partner
			}
			sgs := pc.Suggestions
			// Live from the engine, the Mappings screen's own source (the
			// PO-based hints included); the list stored with the exception
			// stands in on a desk without an engine.
			if eng, _, _ := s.b.engine(); eng != nil {
				if live, err := eng.SuggestFor(ctx, d.PartnerKey); err == nil {
					sgs = live
				}
			}
			for _, sg := range sgs {
				d.Suggestions = append(d.Suggestions, exceptions.Suggestion{SupplierID: sg.SupplierID, Name: sg.SupplierName, Why: sg.Why})
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
	r := engine.Reason(x.Reason)
	if engine.Overridable(r) {
		// The store knows the roles: a client desk (no engine of its own)
		// offers the override to the approvers the leader will accept.
		if role, err := engine.UserRole(ctx, s.b.cfg.Store, engine.OSUser()); err == nil && (role == engine.RoleApprover || role == engine.RoleAdmin) {
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
	if s.b.asClient() {
		args := map[string]string{"comment": dec.Comment}
		switch dec.Kind {
		case exceptions.DecideOverride:
			args["decision"] = "override"
		case exceptions.DecideReReference:
			args["decision"], args["po"] = "re_reference", dec.PO
		case exceptions.DecideHold:
			args["decision"], args["until"] = "hold", dec.Until.Format("2006-01-02")
		case exceptions.DecideDispute:
			args["decision"] = "dispute"
		default:
			return "", fmt.Errorf("unknown decision %q", dec.Kind)
		}
		return s.b.askID(ctx, "decide", id, args)
	}
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

// parsedInvoice reads the 810 out of the engine's parsed form, nil when
// there is none.
func parsedInvoice(raw json.RawMessage) *engine.Invoice {
	pf, err := engine.DecodeParsed(raw)
	if err != nil {
		return nil
	}
	return pf.Invoice
}

// PurchaseOrder reads the PO through the engine (the GUI never calls IFS itself).
func (s *exceptionSource) PurchaseOrder(ctx context.Context, orderNo string) (domain.PurchaseOrder, error) {
	if s.b.asClient() {
		var po domain.PurchaseOrder
		if err := s.b.askJSON(ctx, "purchase_order", orderNo, nil, &po); err != nil {
			return domain.PurchaseOrder{}, err // the leader's words name the PO
		}
		return po, nil
	}
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
	if s.b.asClient() {
		return s.b.askID(ctx, "replay", id, nil)
	}
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

func (s *exceptionSource) UpdateIFS(ctx context.Context, id int64, reapply bool) (string, error) {
	if s.b.asClient() {
		return s.b.askID(ctx, "update_ifs", id, map[string]string{"reapply": strconv.FormatBool(reapply)})
	}
	e, _, err := s.b.engine()
	if err != nil {
		return "", err
	}
	r, err := e.UpdateIFSInvoice(ctx, id, reapply)
	if err != nil {
		return "", err
	}
	switch r.Outcome {
	case "updated":
		return r.Message, nil
	case "conflict":
		return "", fmt.Errorf("not applied, nothing was written: %s", r.Message)
	}
	return "", fmt.Errorf("not applied: %s", r.Message)
}

func (s *exceptionSource) PreviewReplayAll(ctx context.Context, reason string) (exceptions.Preview, error) {
	if s.b.asClient() {
		// The leader previews (it reads IFS); its answer is the items as JSON.
		res, err := s.b.ask(ctx, "preview_reason", reason, nil)
		if err != nil {
			return exceptions.Preview{}, err
		}
		var items []engine.PreviewItem
		if err := json.Unmarshal([]byte(res), &items); err != nil {
			return exceptions.Preview{}, fmt.Errorf("preview of %s: %s", reason, res) // still queued: its words
		}
		pv := exceptions.Preview{Reason: reason}
		for _, it := range items {
			o := strings.ReplaceAll(it.Outcome, "_", " ")
			if it.Message != "" {
				o += ": " + it.Message
			}
			pv.Items = append(pv.Items, exceptions.PreviewItem{ID: it.ExceptionID, BusinessKey: it.BusinessKey, Outcome: o})
		}
		return pv, nil
	}
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

func (s *exceptionSource) ReplayAll(ctx context.Context, reason string) (exceptions.ReplayOutcome, error) {
	if s.b.asClient() {
		// The leader replays and reports how many; what became of each
		// item is read back from the team's queue, so the summary says
		// the truth per item as on a desk that replays itself.
		before, err := s.b.cfg.Store.Exceptions(ctx, store.ExceptionQuery{Reasons: []string{reason}, Limit: 1 << 20})
		if err != nil {
			return exceptions.ReplayOutcome{}, err
		}
		res, err := s.b.ask(ctx, "replay_reason", reason, nil)
		if err != nil {
			return exceptions.ReplayOutcome{}, err
		}
		if strings.Contains(res, "queued for the team's engine") {
			// Not done yet: no per-item truth to tell; the queue updates
			// itself from the team's events when the leader gets to it.
			return exceptions.ReplayOutcome{}, errors.New(res)
		}
		o := exceptions.ReplayOutcome{Replayed: replayedCount(res)}
		for _, x := range before {
			// A replay closes the exception it ran for; a document that
			// fails again has a new one, so the document's status decides.
			now, err := s.b.cfg.Store.Exception(ctx, x.ID)
			if err != nil {
				return o, err
			}
			why := ""
			switch {
			case now.State == store.ExceptionOpen:
				why = firstNonEmpty(now.Message, reasonLabel(now.Reason))
			case x.DocumentID != 0:
				d, err := s.b.cfg.Store.Document(ctx, x.DocumentID)
				if err != nil {
					return o, err
				}
				if d.Status == store.StatusException {
					why = firstNonEmpty(d.Message, reasonLabel(d.Reason))
				}
			}
			if why == "" {
				o.Resolved++
				continue
			}
			o.StillFailing = append(o.StillFailing, firstNonEmpty(x.BusinessKey, fmt.Sprint(x.ID))+": "+why)
		}
		return o, nil
	}
	e, _, err := s.b.engine()
	if err != nil {
		return exceptions.ReplayOutcome{}, err
	}
	rs, err := e.ReplayByReason(ctx, reason, false)
	o := exceptions.ReplayOutcome{Replayed: len(rs)}
	for _, r := range rs {
		switch {
		case r.Err != "":
			o.StillFailing = append(o.StillFailing, r.BusinessKey+": "+r.Err)
		case r.Status == string(store.StatusException) || r.Status == "":
			o.StillFailing = append(o.StillFailing, firstNonEmpty(r.BusinessKey, fmt.Sprint(r.ExceptionID))+": "+s.whyNow(ctx, r))
		default:
			o.Resolved++
		}
	}
	return o, err
}

// whyNow is what the queue now says of a replayed item that still fails:
// its document's message, or its exception's when it has no document.
func (s *exceptionSource) whyNow(ctx context.Context, r engine.ReplayResult) string {
	if r.DocumentID > 0 {
		if d, err := s.b.cfg.Store.Document(ctx, r.DocumentID); err == nil && d.Message != "" {
			return d.Message
		}
	}
	if x, err := s.b.cfg.Store.Exception(ctx, r.ExceptionID); err == nil && x.Message != "" {
		return x.Message
	}
	return firstNonEmpty(reasonLabel(r.NewReason), r.Message)
}

func (s *exceptionSource) Ignore(ctx context.Context, id int64, comment string) error {
	if s.b.asClient() {
		_, err := s.b.askID(ctx, "ignore", id, map[string]string{"comment": comment})
		return err
	}
	e, _, err := s.b.engine()
	if err != nil {
		return err
	}
	return e.Ignore(ctx, id, comment)
}

// MapPartner is the Mappings screen's edit (on a client desk a request
// the team's leader executes).
func (s *exceptionSource) MapPartner(ctx context.Context, partnerKey, supplierID string) error {
	return (&mappingSource{s.b}).MapPartner(ctx, partnerKey, supplierID)
}

// AddGLRule is the Mappings screen's GL rule edit, likewise.
func (s *exceptionSource) AddGLRule(ctx context.Context, supplierID, charge, account, costCentre string) error {
	return (&mappingSource{s.b}).SaveGLRule(ctx, mappings.GLRule{SupplierID: supplierID, ChargeCode: charge, Account: account, CostCentre: costCentre})
}
