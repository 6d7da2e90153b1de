package engine

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/money"
	"github.com/ml-connector/ifs-cleo/core/store"
)

// ToleranceInForce is a tolerance together with where it comes from, so a
// mismatch can name the rule a clerk would change.
type ToleranceInForce struct {
	Tolerance
	// Source is "supplier S100", "company default" or "built-in default".
	Source string `json:"source"`
}

// tolerance is the tolerance that applies to a supplier: its own row, else
// the company default ("*"), else DefaultTolerance.
func (m Mappings) tolerance(supplier string) ToleranceInForce {
	if t, ok := m.Tolerances[supplier]; ok {
		return ToleranceInForce{t, "supplier " + supplier}
	}
	if t, ok := m.Tolerances["*"]; ok {
		return ToleranceInForce{t, "company default"}
	}
	return ToleranceInForce{DefaultTolerance, "built-in default"}
}

// ThreeWay reports whether invoices must also stay within the received quantity.
func (t Tolerance) ThreeWay() bool { return t.Match == store.MatchThreeWay }

// String says the tolerance in words: "supplier S100's tolerance (price
// 2 %, quantity 0 %, two-way)".
func (t ToleranceInForce) String() string {
	s := fmt.Sprintf("the %s tolerance (price %s %%, quantity %s %%", t.Source, t.PricePct, t.QtyPct)
	if t.Absolute.Sign() > 0 {
		s += fmt.Sprintf(", or %s per line", t.Absolute)
	}
	if t.ThreeWay() {
		return s + ", three-way: never above the quantity received)"
	}
	return s + ", two-way)"
}

// MatchContext is the exception context of a PO-match problem: the PO line,
// what the invoice says, what the PO says, what was invoiced before, and
// the tolerance in force. The member names are stable (the screens read them).
type MatchContext struct {
	PO                 string            `json:"po"`
	POLine             string            `json:"po_line"`
	InvoiceLine        string            `json:"invoice_line,omitempty"`
	InvoicedQty        string            `json:"invoiced_qty,omitempty"`   // this invoice, in the PO line's unit
	POQty              string            `json:"po_qty,omitempty"`         // ordered
	InvoicedPrice      string            `json:"invoiced_price,omitempty"` // this invoice, per PO unit
	POPrice            string            `json:"po_price,omitempty"`
	Unit               string            `json:"unit,omitempty"`         // the PO line's unit
	InvoiceUnit        string            `json:"invoice_unit,omitempty"` // as the 810 has it
	AlreadyInvoicedQty string            `json:"already_invoiced_qty,omitempty"`
	AlreadyInvoicedBy  []int64           `json:"already_invoiced_by,omitempty"` // the connector's documents
	IFSInvoicedQty     string            `json:"ifs_invoiced_qty,omitempty"`    // invoiced inside IFS
	ReceivedQty        string            `json:"received_qty,omitempty"`
	RemainingQty       string            `json:"remaining_qty,omitempty"`
	VariancePct        string            `json:"variance_pct,omitempty"`
	VarianceAmount     string            `json:"variance_amount,omitempty"`
	Tolerance          *ToleranceInForce `json:"tolerance,omitempty"`
}

// CodingContext is the exception context of a coding problem: the charge
// code a GL rule is missing (or came from), and the account refused.
type CodingContext struct {
	Charge   string `json:"charge,omitempty"`   // SAC code, or NONPO
	Account  string `json:"account,omitempty"`  // GL_ACCOUNT_INVALID: the account IFS does not accept today
	UsedFor  string `json:"used_for,omitempty"` // "line 2", "charge D240"
	FromRule bool   `json:"from_rule"`          // the code string came from a GL rule (fixable in Mappings)
}

// x12ToIFSUnit lists, for each X12 unit code (DE 355), the IFS unit codes
// that are the same unit (factor 1). It is the inverse of x12Units, the
// table the 850 writer uses, so a supplier echoing our own 850's unit is
// never a mismatch.
var x12ToIFSUnit = func() map[string][]string {
	m := map[string][]string{}
	for ifsUnit, x := range x12Units {
		m[x] = append(m[x], ifsUnit)
	}
	return m
}()

// normaliseUnit expresses an invoice line in the PO line's unit: through
// the supplier's (or everyone's) conversion table first, then the built-in
// equivalents, then a plain match. ok is false when the units differ and
// nothing converts them: comparing 10 KG with 10 pcs would be meaningless.
func (m Mappings) normaliseUnit(supplier string, l InvoiceLine, poUnit string) (qty, price money.Decimal, ok bool) {
	u := strings.ToUpper(strings.TrimSpace(l.UOM))
	for _, k := range []string{supplier + "|" + u, "|" + u} {
		c, found := m.Units[k]
		if !found || !strings.EqualFold(c.IFSUnit, poUnit) || c.Factor.Sign() <= 0 {
			continue
		}
		return l.Quantity.Mul(c.Factor), l.UnitPrice.Div(c.Factor, 6), true
	}
	if u == "" || poUnit == "" || strings.EqualFold(u, poUnit) {
		return l.Quantity, l.UnitPrice, true
	}
	for _, eq := range x12ToIFSUnit[u] {
		if strings.EqualFold(eq, poUnit) {
			return l.Quantity, l.UnitPrice, true
		}
	}
	return l.Quantity, l.UnitPrice, false
}

// UnitEquivalent says that one InvoiceUnit (X12) is Factor POUnit (IFS).
type UnitEquivalent struct {
	InvoiceUnit string
	POUnit      string
	Factor      money.Decimal
}

// UnitEquivalents lists the unit conversions the engine applies for a
// supplier's invoices: its own table, everyone's, then the built-in X12
// equivalents (factor 1), first match first. The exception screen uses
// them so its side-by-side comparison agrees with the engine's.
func (e *Engine) UnitEquivalents(ctx context.Context, supplierID string) ([]UnitEquivalent, error) {
	cfg, err := e.loadConfig(ctx)
	if err != nil {
		return nil, err
	}
	var out []UnitEquivalent
	for _, prefix := range []string{supplierID + "|", "|"} {
		for _, k := range sortedKeys(cfg.Maps.Units) {
			if rest, ok := strings.CutPrefix(k, prefix); ok && !strings.Contains(rest, "|") {
				c := cfg.Maps.Units[k]
				out = append(out, UnitEquivalent{InvoiceUnit: rest, POUnit: c.IFSUnit, Factor: c.Factor})
			}
		}
	}
	for _, x := range sortedKeys(x12ToIFSUnit) {
		for _, u := range x12ToIFSUnit[x] {
			out = append(out, UnitEquivalent{InvoiceUnit: x, POUnit: u, Factor: money.FromInt(1)})
		}
	}
	return out, nil
}

// matchedLine is an invoice line matched to a PO line, in the PO's unit.
type matchedLine struct {
	index int // position on the invoice
	line  InvoiceLine
	po    domain.PurchaseOrderLine
	key   string
	qty   money.Decimal // unsigned, PO unit
	price money.Decimal // PO unit
	ext   money.Decimal // signed net amount (negative on a credit memo)
}

// lineTotal is what one invoice bills on one PO line (several invoice
// lines may bill the same PO line).
type lineTotal struct {
	first  *matchedLine
	qty    money.Decimal
	amount money.Decimal
}

func pct(part, whole money.Decimal) money.Decimal {
	if whole.IsZero() {
		return money.Zero
	}
	return part.Mul(hundred).Div(whole, 2)
}

// checkPOMatch is the cumulative PO match of an invoice whose lines are
// matched already: per PO line, what was invoiced before (by this
// connector, and inside IFS where the tenant reports it) plus this invoice
// must stay within the ordered quantity, the received quantity for
// three-way suppliers, and the tolerances. The order of the checks is the
// order of precedence: a line already fully invoiced is reported as such
// whatever else is wrong, because no tolerance may turn it into a posting.
// Credit memos reduce the invoiced-to-date figures and are not held to the
// quantity checks.
//
// waive is the one reason an approver's override accepts for this invoice
// ("" for none). It can never be ReasonAlreadyInvoiced, and it waives a
// quantity above the PO only on a line nothing else has billed yet.
func checkPOMatch(inv *Invoice, po *domain.PurchaseOrder, lines []matchedLine, billed map[string]store.BilledTotal, tol ToleranceInForce, waive Reason) *problem {
	totals := map[string]*lineTotal{}
	var order []string
	for i := range lines {
		ml := &lines[i]
		t, ok := totals[ml.key]
		if !ok {
			t = &lineTotal{first: ml}
			totals[ml.key] = t
			order = append(order, ml.key)
		}
		t.qty = t.qty.Add(ml.qty)
		t.amount = t.amount.Add(ml.ext)
	}
	ctxOf := func(t *lineTotal) *MatchContext {
		pl := t.first.po
		c := &MatchContext{PO: po.OrderNo, POLine: pl.LineNo, InvoiceLine: t.first.line.LineNumber, InvoicedQty: t.qty.String(),
			POQty: pl.Quantity.String(), Unit: pl.Unit, InvoiceUnit: t.first.line.UOM, Tolerance: &tol}
		if b, ok := billed[t.first.key]; ok {
			c.AlreadyInvoicedQty, c.AlreadyInvoicedBy = b.Quantity.String(), b.Documents
		}
		if pl.InvoicedQty != nil {
			c.IFSInvoicedQty = pl.InvoicedQty.String()
		}
		if pl.ReceivedQty != nil {
			c.ReceivedQty = pl.ReceivedQty.String()
		}
		return c
	}
	prior := func(t *lineTotal) (money.Decimal, string) {
		b := billed[t.first.key]
		q := b.Quantity
		var words []string
		if !b.Quantity.IsZero() {
			doc := "document"
			if len(b.Documents) > 1 {
				doc = "documents"
			}
			words = append(words, fmt.Sprintf("%s by this connector in %s %s", b.Quantity, doc, joinIDs(b.Documents)))
		}
		if pl := t.first.po; pl.InvoicedQty != nil && !pl.InvoicedQty.IsZero() {
			q = q.Add(*pl.InvoicedQty)
			words = append(words, fmt.Sprintf("%s in IFS", *pl.InvoicedQty))
		}
		return q, strings.Join(words, " and ")
	}
	if inv.CreditMemo {
		return nil
	}
	// 1. Lines already fully invoiced.
	for _, k := range order {
		t := totals[k]
		pl := t.first.po
		done, by := prior(t)
		if pl.Quantity.Sign() > 0 && done.Cmp(pl.Quantity) >= 0 {
			c := ctxOf(t)
			c.RemainingQty = "0"
			return &problem{Reason: ReasonAlreadyInvoiced, Fix: fixAlreadyInvoiced, Context: c,
				Message: fmt.Sprintf("PO %s line %s (%s %s) is already fully invoiced (%s %s invoiced: %s); invoice %s bills %s %s more. No tolerance allows billing a line twice",
					po.OrderNo, pl.LineNo, pl.Quantity, pl.Unit, done, pl.Unit, by, inv.Number, t.qty, pl.Unit)}
		}
	}
	// 2. Cumulative quantity against the order, 3. against the receipts.
	for _, k := range order {
		t := totals[k]
		pl := t.first.po
		done, by := prior(t)
		limit := pl.Quantity.Add(pl.Quantity.Mul(tol.QtyPct).Div(hundred, 6))
		if done.Add(t.qty).Cmp(limit) > 0 && !(waive == ReasonQuantityOver && done.IsZero()) {
			c := ctxOf(t)
			c.RemainingQty = pl.Quantity.Sub(done).String()
			already := ""
			if !done.IsZero() {
				already = fmt.Sprintf("; %s %s are already invoiced (%s), so %s remain", done, pl.Unit, by, pl.Quantity.Sub(done))
			}
			asPO := ""
			if !strings.EqualFold(t.first.line.UOM, pl.Unit) && t.first.line.UOM != "" {
				asPO = fmt.Sprintf(" (%s %s on the invoice)", t.first.line.Quantity, t.first.line.UOM)
			}
			return &problem{Reason: ReasonQuantityOver, Fix: fixTolerance, Context: c,
				Message: fmt.Sprintf("Invoice %s bills %s %s%s on PO %s line %s, which has %s %s%s; %s allows at most %s in all",
					inv.Number, t.qty, pl.Unit, asPO, po.OrderNo, pl.LineNo, pl.Quantity, pl.Unit, already, tol, limit.Normalize())}
		}
		if !tol.ThreeWay() {
			continue
		}
		if pl.ReceivedQty == nil {
			return &problem{Reason: ReasonReceiptUnknown, Fix: fixReceiptUnknown, Context: ctxOf(t),
				Message: fmt.Sprintf("Supplier %s is matched three-way, but IFS reports no received quantity for PO %s line %s",
					po.SupplierID, po.OrderNo, pl.LineNo)}
		}
		rlimit := pl.ReceivedQty.Add(pl.ReceivedQty.Mul(tol.QtyPct).Div(hundred, 6))
		if done.Add(t.qty).Cmp(rlimit) > 0 && waive != ReasonNotReceived {
			c := ctxOf(t)
			c.RemainingQty = pl.ReceivedQty.Sub(done).String()
			return &problem{Reason: ReasonNotReceived, Fix: fixNotReceived, Context: c,
				Message: fmt.Sprintf("Invoice %s bills %s %s on PO %s line %s but IFS shows %s %s received and %s invoiced; it waits for the goods receipt and is checked again on every invoice run",
					inv.Number, t.qty, pl.Unit, po.OrderNo, pl.LineNo, *pl.ReceivedQty, pl.Unit, done)}
		}
	}
	// 4. Unit prices, line by line.
	for i := range lines {
		ml := &lines[i]
		pl := ml.po
		diff := ml.price.Sub(pl.UnitPrice)
		lineDiff := diff.Abs().Mul(ml.qty).Round(2)
		if within(ml.price, pl.UnitPrice, tol.PricePct) || tol.Absolute.Sign() > 0 && lineDiff.Cmp(tol.Absolute) <= 0 || waive == ReasonPriceVariance {
			continue
		}
		dir := "above"
		if diff.Sign() < 0 {
			dir = "below"
		}
		c := &MatchContext{PO: po.OrderNo, POLine: pl.LineNo, InvoiceLine: ml.line.LineNumber, InvoicedPrice: ml.price.Normalize().String(),
			POPrice: pl.UnitPrice.String(), InvoicedQty: ml.qty.String(), POQty: pl.Quantity.String(), Unit: pl.Unit,
			InvoiceUnit: ml.line.UOM, VariancePct: pct(diff.Abs(), pl.UnitPrice).String(), VarianceAmount: lineDiff.String(), Tolerance: &tol}
		return &problem{Reason: ReasonPriceVariance, Fix: fixTolerance, Context: c,
			Message: fmt.Sprintf("Invoice %s line %s price %s per %s is %s %% %s PO %s line %s price %s (%s %s on %s %s); %s",
				inv.Number, firstNonEmpty(ml.line.LineNumber, fmt.Sprint(ml.index+1)), ml.price.Normalize(), pl.Unit, c.VariancePct, dir,
				po.OrderNo, pl.LineNo, pl.UnitPrice, lineDiff, firstNonEmpty(inv.Currency, po.Currency), ml.qty, pl.Unit, tol)}
	}
	// 5. Cumulative amount: the money backstop for price creep across
	// invoices (each within tolerance on its own, or let through by the
	// absolute tolerance).
	for _, k := range order {
		t := totals[k]
		pl := t.first.po
		b := billed[k]
		done := b.Amount
		if pl.InvoicedQty != nil {
			done = done.Add(pl.InvoicedQty.Mul(pl.UnitPrice).Round(2))
		}
		maxQty := pl.Quantity.Add(pl.Quantity.Mul(tol.QtyPct).Div(hundred, 6))
		maxPrice := pl.UnitPrice.Add(pl.UnitPrice.Mul(tol.PricePct).Div(hundred, 6))
		limit := maxQty.Mul(maxPrice).Round(2).Add(tol.Absolute)
		if done.Add(t.amount).Cmp(limit) > 0 && waive != ReasonAmountOver && waive != ReasonPriceVariance && waive != ReasonQuantityOver {
			c := ctxOf(t)
			c.VarianceAmount = done.Add(t.amount).Sub(limit).String()
			return &problem{Reason: ReasonAmountOver, Fix: fixTolerance, Context: c,
				Message: fmt.Sprintf("PO %s line %s would be invoiced %s %s in all (%s before, %s now), more than the %s that %s allows",
					po.OrderNo, pl.LineNo, done.Add(t.amount), firstNonEmpty(inv.Currency, po.Currency), done, t.amount, limit, tol)}
		}
	}
	return nil
}

func joinIDs(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = fmt.Sprint(id)
	}
	return strings.Join(s, ", ")
}

// buildInvoice pre-flights an 810 against its PO and codes it. The result
// is the exact payload for IFS and what the invoice bills per PO line (to
// be recorded with the posting intent). A problem says why it cannot be
// posted. billed is what earlier invoices billed on the PO's lines.
func buildInvoice(company, supplierID string, inv *Invoice, po *domain.PurchaseOrder, maps Mappings, ref Reference,
	today time.Time, billed map[string]store.BilledTotal, waive Reason) (domain.SupplierInvoice, []store.BilledLine, *problem) {
	out := domain.SupplierInvoice{
		Company: company, InvoiceNo: inv.Number, SupplierID: supplierID, InvoiceDate: inv.Date,
		Currency: inv.Currency, PORef: inv.PONumber, CreditNote: inv.CreditMemo,
	}
	if s, ok := ref.Suppliers[supplierID]; ok {
		if s.State != "" && !strings.EqualFold(s.State, "Active") {
			return out, nil, newProblem(ReasonSupplierInactive, "unblock the supplier in IFS, then replay",
				"Supplier %s (%s) is %s in IFS", supplierID, s.Name, s.State)
		}
		out.PayTermID = s.PayTermID
		if out.Currency == "" {
			out.Currency = s.Currency
		}
	}
	// Due date: the 810's own terms win; without them the supplier's IFS
	// payment terms (PayTermId, sent above) let IFS compute it; a zero date
	// is never sent.
	if t := dueFromTerms(inv); !t.Due.IsZero() {
		out.DueDate, out.DiscountDate, out.DiscountPercent = t.Due, t.DiscountDate, t.DiscountPercent
	}
	if po != nil {
		if out.Currency == "" {
			out.Currency = po.Currency
		}
		if inv.Currency != "" && po.Currency != "" && !strings.EqualFold(inv.Currency, po.Currency) {
			return out, nil, newProblem(ReasonCurrency, fixTolerance,
				"Invoice %s is in %s but PO %s is in %s", inv.Number, inv.Currency, po.OrderNo, po.Currency)
		}
	}
	tol := maps.tolerance(supplierID)
	sign := money.FromInt(1)
	if inv.CreditMemo {
		sign = money.FromInt(-1)
	}
	// A line without a price (or quantity) is not a free line: X12 lets
	// IT102–IT104 be absent together, but nothing can be posted from it.
	for i, l := range inv.Lines {
		if l.NoPrice || l.NoQuantity {
			what := "unit price (IT104)"
			if l.NoQuantity {
				what = "quantity (IT102)"
			}
			if l.NoPrice && l.NoQuantity {
				what = "quantity (IT102) and unit price (IT104)"
			}
			return out, nil, newProblem(ReasonPriceMissing, fixSupplierEDI,
				"Invoice %s line %s has no %s: a line without them cannot be posted (it is not a free line)",
				inv.Number, firstNonEmpty(l.LineNumber, fmt.Sprint(i+1)), what)
		}
	}
	// Match every line to its PO line first, in the PO's unit.
	matched := make([]*matchedLine, len(inv.Lines))
	var all []matchedLine
	if po != nil {
		for i, l := range inv.Lines {
			pl, ok := matchPOLine(l, *po)
			if !ok {
				if _, hasRule := maps.glRule(supplierID, "NONPO"); !hasRule {
					return out, nil, newProblem(ReasonPOLineNotFound, fixCheckPO,
						"Invoice %s line %d (%s) matches no line of PO %s", inv.Number, i+1, firstNonEmpty(l.BuyerPart, l.VendorPart, l.Description, l.LineNumber), po.OrderNo)
				}
				continue
			}
			qty, price, ok := maps.normaliseUnit(supplierID, l, pl.Unit)
			if !ok {
				return out, nil, &problem{Reason: ReasonUnitMismatch, Fix: fixUnit,
					Message: fmt.Sprintf("Invoice %s line %s bills in %s but PO %s line %s is in %s, and no unit conversion for supplier %s says how many %s one %s is",
						inv.Number, firstNonEmpty(l.LineNumber, fmt.Sprint(i+1)), l.UOM, po.OrderNo, pl.LineNo, pl.Unit, supplierID, pl.Unit, l.UOM),
					Context: &MatchContext{PO: po.OrderNo, POLine: pl.LineNo, InvoiceLine: l.LineNumber, Unit: pl.Unit, InvoiceUnit: l.UOM,
						InvoicedQty: l.Quantity.String(), POQty: pl.Quantity.String()}}
			}
			ext := l.Quantity.Mul(l.UnitPrice).Round(2).Abs().Mul(sign)
			all = append(all, matchedLine{index: i, line: l, po: pl, key: store.POLineKey(po.OrderNo, pl.LineNo, pl.ReleaseNo),
				qty: qty.Abs(), price: price, ext: ext})
		}
		if p := checkPOMatch(inv, po, all, billed, tol, waive); p != nil {
			return out, nil, p
		}
		for i := range all {
			matched[all[i].index] = &all[i]
		}
	}
	net := money.FromInt(0)
	// charge is the rule's charge code ("" when the code string is the PO line's).
	addPosting := func(code domain.CodeString, amt money.Decimal, text, charge string) *problem {
		if len(ref.Accounts) > 0 {
			acc, ok := ref.Accounts[code.Account]
			if !ok || !acc.Valid(today) {
				p := &problem{Reason: ReasonGLInvalid, Fix: "correct the PO line's code string in IFS, then replay",
					Message: fmt.Sprintf("Account %q used for %s is not a valid IFS account today", code.Account, text),
					Context: &CodingContext{Account: code.Account, UsedFor: text, Charge: charge, FromRule: charge != ""}}
				if charge != "" {
					p.Fix = "change the GL coding rule for this supplier and charge (here or in Mappings), then replay"
					p.Message += fmt.Sprintf(" (from the GL rule for supplier %s, charge %s)", supplierID, charge)
				}
				return p
			}
		}
		out.Postings = append(out.Postings, domain.PostingLine{Code: code, Amount: amt, Text: text})
		return nil
	}
	var billedRows []store.BilledLine
	for i, l := range inv.Lines {
		ext := l.Quantity.Mul(l.UnitPrice).Round(2).Abs().Mul(sign)
		var code domain.CodeString
		charge := ""
		line := domain.SupplierInvoiceLine{NetAmount: ext, Text: l.Description}
		if ml := matched[i]; ml != nil {
			code = ml.po.CodeString
			line.OrderNo, line.LineNo, line.ReleaseNo = po.OrderNo, ml.po.LineNo, ml.po.ReleaseNo
			billedRows = append(billedRows, store.BilledLine{OrderNo: po.OrderNo, LineNo: ml.po.LineNo, ReleaseNo: ml.po.ReleaseNo,
				Quantity: ml.qty.Mul(sign), Amount: ext})
		} else {
			c, ok := maps.glRule(supplierID, "NONPO")
			if !ok {
				return out, nil, &problem{Reason: ReasonGLUnmapped, Fix: fixGLRule, Context: &CodingContext{Charge: "NONPO"},
					Message: fmt.Sprintf("Invoice %s has no PO and supplier %s has no coding rule for non-PO lines", inv.Number, supplierID)}
			}
			code, charge = c, "NONPO"
		}
		if p := addPosting(code, ext, fmt.Sprintf("line %d", i+1), charge); p != nil {
			return out, nil, p
		}
		out.Lines = append(out.Lines, line)
		net = net.Add(ext)
	}
	for _, c := range inv.Charges {
		amt := c.Amount.Abs()
		if c.Allowance {
			amt = amt.Neg()
		}
		amt = amt.Mul(sign)
		code, ok := maps.glRule(supplierID, c.Code)
		if !ok {
			return out, nil, &problem{Reason: ReasonGLUnmapped, Fix: fixGLRule, Context: &CodingContext{Charge: strings.ToUpper(c.Code)},
				Message: fmt.Sprintf("Charge %s (%s) on invoice %s has no GL coding rule for supplier %s", c.Code, firstNonEmpty(c.Description, "no description"), inv.Number, supplierID)}
		}
		if p := addPosting(code, amt, "charge "+c.Code, strings.ToUpper(c.Code)); p != nil {
			return out, nil, p
		}
		out.Lines = append(out.Lines, domain.SupplierInvoiceLine{NetAmount: amt, Text: firstNonEmpty(c.Description, c.Code)})
		net = net.Add(amt)
	}
	tax := inv.Tax.Abs().Mul(sign)
	out.NetAmount = net
	out.TaxAmount = tax
	out.GrossAmount = net.Add(tax)
	if !inv.Total.IsZero() {
		total := inv.Total.Abs().Mul(sign)
		// The supplier's total wins; the difference (rounding, tax not
		// itemised) is tax so the posting proposal balances the gross.
		out.GrossAmount = total
		out.TaxAmount = total.Sub(net)
	}
	if len(out.Lines) == 0 {
		return out, nil, newProblem(ReasonEDIInvalid, fixSupplierEDI, "Invoice %s has no lines", inv.Number)
	}
	return out, billedRows, nil
}
