package engine

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/events"
	"github.com/ml-connector/ifs-cleo/core/money"
	"github.com/ml-connector/ifs-cleo/core/store"
)

// SelfBilling810 is what the 810 writer needs for one self-billing invoice:
// the invoice as IFS holds it with every line resolved (quantity, unit and
// price stated), the order it bills, the supplier and our company's name.
type SelfBilling810 struct {
	Invoice   domain.SupplierInvoice `json:"invoice"`
	Order     domain.PurchaseOrder   `json:"order"`
	Supplier  domain.Supplier        `json:"supplier"`
	BuyerName string                 `json:"buyer_name,omitempty"`
}

// Settings and store keys of the invoices-out flow.
const (
	// sbiScope keys sent_etags rows "company/invoiceId" of self-billing
	// invoices built as 810s ("" after a replay asks for a rebuild).
	sbiScope = "sbi"
	// sbiMarkedScope records that IFS's "already sent" marker was set.
	sbiMarkedScope = "sbi_marked"
	// SettingInvoicesOutCursor is the creation time of the newest
	// self-billing invoice built (RFC 3339), for tenants without a marker.
	SettingInvoicesOutCursor = "cursor.invoices_out"
	// sbiOverlap re-reads invoices created this long before the cursor: one
	// created earlier may reach a sendable state later.
	sbiOverlap = 30 * 24 * time.Hour
)

func sbiKey(company string, id int64) string { return company + "/" + strconv.FormatInt(id, 10) }

// runInvoicesOut is the outbound invoice flow: build an 810 for every due
// self-billing invoice, send what is built, set IFS's "already sent"
// marker, and flag overdue 997s.
func (e *Engine) runInvoicesOut(ctx context.Context, r *run) error {
	sb, ok := e.p.IFS.(IFSSelfBilling)
	if !ok {
		return nil
	}
	cfg, err := e.loadConfig(ctx)
	if err != nil {
		return err
	}
	sups := sortedKeys(cfg.Maps.SelfBilling)
	if len(sups) > 0 {
		var since time.Time
		if !sb.HasSentMarker() {
			if v, ok, err := e.st.Setting(ctx, SettingInvoicesOutCursor); err != nil {
				return err
			} else if ok {
				if t, perr := time.Parse(time.RFC3339, v); perr == nil {
					since = t.Add(-sbiOverlap)
				}
			}
		}
		invs, err := sb.SelfBillingInvoices(ctx, sups, since)
		if err != nil {
			return fmt.Errorf("list IFS self-billing invoices: %w", err)
		}
		r.total += len(invs)
		for _, inv := range invs {
			if err := e.halt(ctx); err != nil {
				return err
			}
			d, built, err := e.buildSBI(ctx, cfg, inv)
			if err != nil {
				if fatal(err) {
					return err
				}
				e.log.Warn("self-billing invoice left for the next run", "invoice", inv.InvoiceNo, "err", err)
				continue
			}
			if !built {
				r.res.Skipped++
				continue
			}
			e.publishDoc(d)
			if d.Status == store.StatusException {
				r.res.Failed++
			}
		}
	}
	if err := e.sendOutbound(ctx, r, store.Type810); err != nil {
		return err
	}
	if err := e.trackDeliveries(ctx, r, store.Type810); err != nil {
		return err
	}
	if err := e.markSent(ctx, sb); err != nil {
		return err
	}
	return e.checkOverdue(ctx, r)
}

// buildSBI stores the 810 for a self-billing invoice unless it was built
// before. The document, its control numbers and the "built" record are
// committed together, so a crash never builds one invoice twice (and so
// never sends it under two names).
func (e *Engine) buildSBI(ctx context.Context, cfg *config, inv domain.SupplierInvoice) (store.Document, bool, error) {
	key := sbiKey(inv.Company, inv.InvoiceID)
	if v, seen, err := e.st.SentETag(ctx, sbiScope, key); err != nil {
		return store.Document{}, false, err
	} else if seen && v != "" {
		return store.Document{}, false, nil
	}
	// An invoice this connector created from a supplier's own 810 is
	// never sent back to that supplier.
	if prev, err := e.st.FindByBusinessKey(ctx, store.Inbound, store.Type810, "", inv.InvoiceNo); err != nil {
		return store.Document{}, false, err
	} else {
		for _, p := range prev {
			if p.IFSInvoiceID == inv.InvoiceID && p.IFSCompany == inv.Company {
				return store.Document{}, false, nil
			}
		}
	}
	sbi := SelfBilling810{Invoice: inv, Supplier: cfg.Ref.Suppliers[inv.SupplierID], BuyerName: inv.Company}
	if sbi.Supplier.SupplierID == "" {
		sbi.Supplier = domain.Supplier{SupplierID: inv.SupplierID}
	}
	var prob *problem
	if inv.PORef != "" {
		po, err := e.p.IFS.PurchaseOrder(ctx, inv.PORef)
		switch {
		case domain.KindOf(err) == domain.KindNotFound:
			prob = newProblem(ReasonSBIIncomplete, fixSBIIncomplete, "Self-billing invoice %s refers to order %s, which IFS does not have", inv.InvoiceNo, inv.PORef)
		case err != nil:
			return store.Document{}, false, fmt.Errorf("read PO %s of self-billing invoice %s: %w", inv.PORef, inv.InvoiceNo, err)
		default:
			sbi.Order = po
		}
	}
	if prob == nil {
		prob = resolveSBILines(&sbi)
	}
	amount := inv.NetAmount.Add(inv.TaxAmount).Abs()
	d := store.Document{Direction: store.Outbound, Type: store.Type810, SupplierID: inv.SupplierID, BusinessKey: inv.InvoiceNo,
		Currency: inv.Currency, Amount: amount}
	companyCopy, idCopy := inv.Company, inv.InvoiceID
	partner := cfg.partnerForSupplier(inv.SupplierID)
	cursor, hasCursor, err := e.st.Setting(ctx, SettingInvoicesOutCursor)
	if err != nil {
		return store.Document{}, false, err
	}
	err = e.st.Update(ctx, func(tx *store.Tx) error {
		switch {
		case prob != nil:
			d.Partner = "supplier:" + inv.SupplierID
			if partner != nil {
				d.Partner = partner.Key()
			}
			d.Status, d.Reason, d.Message, d.Fix = store.StatusException, string(prob.Reason), prob.Message, prob.Fix
		case partner == nil:
			d.Partner = "supplier:" + inv.SupplierID
			d.Status, d.Reason, d.Fix = store.StatusException, string(ReasonSBINoPartner), fixSBIPartner
			d.Message = fmt.Sprintf("Self-billing invoice %s is for supplier %s, which is not mapped to an EDI partner", inv.InvoiceNo, inv.SupplierID)
		default:
			key := partner.Key()
			test := partner.Mode == "test"
			env, err := e.envelope(tx, key, partner.GSID, test, Identity{Qualifier: partner.OurQualifier, ID: partner.OurID})
			if err != nil {
				return err
			}
			raw, err := e.p.EDI.Write810(sbi, env)
			if err != nil {
				return fmt.Errorf("build 810 for self-billing invoice %s: %w", inv.InvoiceNo, err)
			}
			d.Partner, d.RawEDI, d.TestMode = key, raw, test
			d.ISAControl, d.GSControl, d.STControl = pad9(env.ISAControl), strconv.FormatInt(env.GSControl, 10), fmt.Sprintf("%04d", env.STControl)
			// The name derives from the invoice and the interchange, both
			// fixed in this transaction: a re-send after a crash reuses it.
			d.CleoName = fmt.Sprintf("810_%s_%s.x12", safeName(inv.InvoiceNo), pad9(env.ISAControl))
			d.Status = store.StatusBuilt
			if test {
				d.Status = store.StatusTestReviewed
				d.Message = "Test mode: this 810 would be sent; nothing was sent"
			}
		}
		d.IFSCompany, d.IFSInvoiceID = companyCopy, idCopy
		d.Parsed = mustJSON(ParsedForm{ETag: inv.ETag, SelfBilling: &sbi, MappingVersion: cfg.Maps.Version})
		if err := tx.InsertDocument(&d, store.SystemActor); err != nil {
			return err
		}
		if err := tx.SetSentETag(sbiScope, key, firstNonEmpty(inv.ETag, "built"), d.ID); err != nil {
			return err
		}
		if inv.CreatedAt.IsZero() {
			return nil
		}
		if t, perr := time.Parse(time.RFC3339, cursor); !hasCursor || perr != nil || inv.CreatedAt.After(t) {
			return tx.SetSetting(store.SystemActor, SettingInvoicesOutCursor, inv.CreatedAt.UTC().Format(time.RFC3339))
		}
		return nil
	})
	return d, err == nil, err
}

// resolveSBILines states every line's quantity, unit and price exactly, from
// the invoice line or else the PO line it bills; an invoice whose lines do
// not add up to what IFS says it totals is refused rather than sent with a
// total the supplier would compute differently.
func resolveSBILines(sbi *SelfBilling810) *problem {
	inv := &sbi.Invoice
	if len(inv.Lines) == 0 {
		return newProblem(ReasonSBIIncomplete, fixSBIIncomplete, "Self-billing invoice %s has no lines in IFS", inv.InvoiceNo)
	}
	sum := money.Zero
	for i := range inv.Lines {
		l := &inv.Lines[i]
		var pl *domain.PurchaseOrderLine
		for j := range sbi.Order.Lines {
			o := &sbi.Order.Lines[j]
			if o.LineNo == l.LineNo && (l.ReleaseNo == "" || o.ReleaseNo == l.ReleaseNo) {
				pl = o
			}
		}
		if l.UOM == "" && pl != nil {
			l.UOM = pl.Unit
		}
		if (!l.UnitPrice.Valid() || l.UnitPrice.IsZero()) && pl != nil {
			l.UnitPrice = pl.UnitPrice
		}
		if (!l.Quantity.Valid() || l.Quantity.IsZero()) && l.UnitPrice.Valid() && !l.UnitPrice.IsZero() {
			// Only a quotient that multiplies back exactly, without
			// rounding, is a quantity (10.00 / 3.33 is not).
			if q := l.NetAmount.Div(l.UnitPrice, 6).Normalize(); q.Valid() && q.Mul(l.UnitPrice).Cmp(l.NetAmount) == 0 {
				l.Quantity = q
			}
		}
		switch {
		case !l.Quantity.Valid() || l.Quantity.IsZero() || !l.UnitPrice.Valid() || l.UnitPrice.IsZero():
			return newProblem(ReasonSBIIncomplete, fixSBIIncomplete,
				"Line %d of self-billing invoice %s (order %s line %s, %s %s) has no quantity and unit price that state it exactly",
				i+1, inv.InvoiceNo, firstNonEmpty(l.OrderNo, "?"), firstNonEmpty(l.LineNo, "?"), l.NetAmount, inv.Currency)
		case l.UOM == "":
			return newProblem(ReasonSBIIncomplete, fixSBIIncomplete, "Line %d of self-billing invoice %s has no unit of measure", i+1, inv.InvoiceNo)
		}
		ext := l.Quantity.Mul(l.UnitPrice).Round(2)
		if ext.Cmp(l.NetAmount) != 0 {
			return newProblem(ReasonSBIIncomplete, fixSBIIncomplete,
				"Line %d of self-billing invoice %s: %s × %s = %s, but IFS says the line is %s %s",
				i+1, inv.InvoiceNo, l.Quantity, l.UnitPrice, ext, l.NetAmount, inv.Currency)
		}
		sum = sum.Add(ext)
	}
	if sum.Cmp(inv.NetAmount) != 0 {
		return newProblem(ReasonSBIIncomplete, fixSBIIncomplete, "The lines of self-billing invoice %s add up to %s %s, but IFS says its net amount is %s",
			inv.InvoiceNo, sum, inv.Currency, inv.NetAmount)
	}
	return nil
}

// markSent sets IFS's "already sent" marker of every self-billing invoice
// sent in the last 30 days that is not marked yet. A failure leaves it for
// the next run: the store already records the invoice as sent, so it is
// never sent again meanwhile.
func (e *Engine) markSent(ctx context.Context, sb IFSSelfBilling) error {
	if !sb.HasSentMarker() {
		return nil
	}
	docs, err := e.st.Documents(ctx, store.DocumentQuery{Direction: store.Outbound, Type: store.Type810,
		Statuses: []store.Status{store.StatusSent, store.StatusAcknowledged, store.StatusException},
		From:     e.clock.Now().Add(-sbiOverlap), Oldest: true, Limit: 1 << 30})
	if err != nil {
		return err
	}
	for _, d := range docs {
		if d.IFSInvoiceID == 0 || d.CleoID == "" && d.Status != store.StatusSent && d.Status != store.StatusAcknowledged {
			continue // never handed to Cleo
		}
		key := sbiKey(d.IFSCompany, d.IFSInvoiceID)
		if _, marked, err := e.st.SentETag(ctx, sbiMarkedScope, key); err != nil || marked {
			if err != nil {
				return err
			}
			continue
		}
		subject := "ifs-marker:" + key
		if err := sb.MarkSelfBillingSent(ctx, d.IFSCompany, d.IFSInvoiceID); err != nil {
			if fatal(err) {
				return err
			}
			e.log.Warn("IFS sent marker left for the next run", "invoice", d.BusinessKey, "err", err)
			if transient(err) {
				continue
			}
			// A refusal (wrong field name, no grant, a state IFS locks)
			// repeats every run: a clerk sees it once, and it clears
			// itself when IFS takes the marker.
			exc, created, rerr := e.st.RaiseException(ctx, store.Exception{Subject: subject, DocumentID: 0, BusinessKey: d.BusinessKey,
				Reason: string(ReasonIFSRejected), Fix: fixSBIMarker,
				Message: fmt.Sprintf("Self-billing invoice %s was sent to %s, but IFS refused its \"already sent\" marker: %v. It is not sent again either way.", d.BusinessKey, d.Partner, err)},
				store.SystemActor)
			if rerr != nil {
				return rerr
			}
			if created {
				e.bus.Publish(events.ExceptionRaised, events.ExceptionData{ExceptionID: exc.ID, Reason: exc.Reason, Message: exc.Message})
			}
			continue
		}
		resolved := 0
		err := e.st.Update(ctx, func(tx *store.Tx) error {
			if err := tx.SetSentETag(sbiMarkedScope, key, "marked", d.ID); err != nil {
				return err
			}
			var err error
			if resolved, err = tx.ResolveSubjectExceptions(subject, string(ReasonIFSRejected), store.SystemActor, "IFS took the marker"); err != nil {
				return err
			}
			_, err = tx.AppendEvent(store.Event{Subject: fmt.Sprintf("document:%d", d.ID), Actor: store.SystemActor,
				Action: "ifs.marked_sent", Detail: map[string]any{"company": d.IFSCompany, "invoice_id": d.IFSInvoiceID}})
			return err
		})
		if err != nil {
			return err
		}
		if resolved > 0 {
			e.bus.Publish(events.ExceptionResolved, events.ExceptionData{Reason: string(ReasonIFSRejected), Resolution: "resolved"})
		}
	}
	return nil
}

// docLabel names an outbound document for a clerk: "PO P10001" or
// "invoice SB-P10001".
func docLabel(d store.Document) string {
	if d.Type == store.Type810 {
		return "invoice " + d.BusinessKey
	}
	return "PO " + d.BusinessKey
}

// rebuildSBI replays a self-billing invoice that could not be built: the
// old document is closed as replaced, the invoice is read from IFS again
// and built (and sent) as a new 810 if it is now complete.
func (e *Engine) rebuildSBI(ctx context.Context, cfg *config, d store.Document, actor string, audit map[string]any) (store.Document, error) {
	sb, ok := e.p.IFS.(IFSSelfBilling)
	if !ok {
		return d, fmt.Errorf("replay self-billing invoice %s: the IFS connection cannot read self-billing invoices", d.BusinessKey)
	}
	inv, err := sb.SupplierInvoice(ctx, d.IFSCompany, d.IFSInvoiceID)
	if err != nil {
		return d, fmt.Errorf("replay self-billing invoice %s: %w", d.BusinessKey, err)
	}
	if _, err := e.transition(ctx, d.ID, store.Transition{To: store.StatusIgnored, Actor: actor, Action: "replay",
		Comment: "replaced by a rebuilt 810", Detail: audit}); err != nil {
		return d, err
	}
	if err := e.st.SetSentETag(ctx, sbiScope, sbiKey(d.IFSCompany, d.IFSInvoiceID), "", d.ID); err != nil {
		return d, err
	}
	nd, _, err := e.buildSBI(ctx, cfg, inv)
	if err != nil {
		return d, err
	}
	e.publishDoc(nd)
	if nd.Status == store.StatusBuilt {
		if nd, err = e.sendOne(ctx, cfg, nd.ID); err != nil && !transient(err) {
			return nd, err
		}
	}
	return nd, nil
}
