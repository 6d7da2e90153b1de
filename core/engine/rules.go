package engine

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/money"
)

// Tolerance bounds how far an invoice may differ from its PO. Percentages
// are of the PO value ("2" = 2 %).
type Tolerance struct {
	PricePct money.Decimal `json:"price_pct"`
	QtyPct   money.Decimal `json:"qty_pct"`
	// Absolute accepts a price difference whose effect on the line amount
	// is at most this much in the invoice currency (0: not used), so a
	// 0.01 rounding on a cheap part is not a variance.
	Absolute money.Decimal `json:"absolute"`
}

// DefaultTolerance is the company default when nothing is configured:
// prices within 2 %, quantities never above the PO.
var DefaultTolerance = Tolerance{PricePct: money.FromInt(2), QtyPct: money.FromInt(0)}

// Mappings is the snapshot of admin-maintained rules a run works with. The
// store keeps each entry versioned; Version is the highest version seen, so
// each processed document records which rules it used.
type Mappings struct {
	// PartnerSupplier maps "QUAL:ID" (ISA sender) to an IFS supplier id.
	PartnerSupplier map[string]string
	// Tolerances by supplier id; "*" is the company default.
	Tolerances map[string]Tolerance
	// GLRules by "SUPPLIER|CHARGE" with "*" wildcards on either side; the
	// charge "NONPO" codes invoice lines that match no PO line.
	GLRules map[string]domain.CodeString
	// Units converts a supplier's X12 unit to the IFS unit of the PO line:
	// key "SUPPLIER|X12UNIT" or "|X12UNIT" for every supplier.
	Units   map[string]UnitConversion
	Version int64
}

// UnitConversion says that one X12 unit is Factor IFS units (a box of 12:
// X12 "BX" → IFS "pcs", factor 12).
type UnitConversion struct {
	IFSUnit string
	Factor  money.Decimal
}

// convert expresses an invoice line in the PO line's unit when a conversion
// is configured for its unit; ok is false when none applies.
func (m Mappings) convert(supplier string, l InvoiceLine, poUnit string) (qty, price money.Decimal, ok bool) {
	u := strings.ToUpper(strings.TrimSpace(l.UOM))
	for _, k := range []string{supplier + "|" + u, "|" + u} {
		c, found := m.Units[k]
		if !found || !strings.EqualFold(c.IFSUnit, poUnit) || c.Factor.Sign() <= 0 {
			continue
		}
		return l.Quantity.Mul(c.Factor), l.UnitPrice.Div(c.Factor, 6), true
	}
	return l.Quantity, l.UnitPrice, false
}

func (m Mappings) tolerance(supplier string) Tolerance {
	if t, ok := m.Tolerances[supplier]; ok {
		return t
	}
	if t, ok := m.Tolerances["*"]; ok {
		return t
	}
	return DefaultTolerance
}

func (m Mappings) glRule(supplier, charge string) (domain.CodeString, bool) {
	for _, k := range []string{supplier + "|" + charge, "*|" + charge, supplier + "|*", "*|*"} {
		if c, ok := m.GLRules[k]; ok {
			return c, true
		}
	}
	return domain.CodeString{}, false
}

// openPOStates are the IFS order states an invoice may be matched against.
var openPOStates = map[string]bool{"Released": true, "Confirmed": true, "Arrived": true, "Received": true}

var hundred = money.FromInt(100)

// within reports whether |got-want| <= want*pct/100.
func within(got, want, pct money.Decimal) bool {
	diff := got.Sub(want).Abs()
	limit := want.Abs().Mul(pct).Div(hundred, 6)
	return diff.Cmp(limit) <= 0
}

// matchPOLine finds the PO line an invoice line refers to: by line number
// (IT101 carries the PO line by convention), then buyer part, then vendor part.
func matchPOLine(l InvoiceLine, po domain.PurchaseOrder) (domain.PurchaseOrderLine, bool) {
	if l.LineNumber != "" {
		for _, pl := range po.Lines {
			if strings.TrimLeft(pl.LineNo, "0") == strings.TrimLeft(l.LineNumber, "0") {
				return pl, true
			}
		}
	}
	for _, pl := range po.Lines {
		if l.BuyerPart != "" && strings.EqualFold(pl.PartNo, l.BuyerPart) {
			return pl, true
		}
		if l.VendorPart != "" && strings.EqualFold(pl.VendorPartNo, l.VendorPart) {
			return pl, true
		}
	}
	return domain.PurchaseOrderLine{}, false
}

// Reference is the reference data a run validates against.
type Reference struct {
	Suppliers map[string]domain.Supplier
	Accounts  map[string]domain.CodePartValue // code part A by value; empty = not loaded, no check
}

// buildInvoice pre-flights an 810 against its PO and codes it: the result
// is the exact payload for IFS. A problem says why it cannot be posted.
func buildInvoice(company, supplierID string, inv *Invoice, po *domain.PurchaseOrder, maps Mappings, ref Reference, today time.Time) (domain.SupplierInvoice, *problem) {
	out := domain.SupplierInvoice{
		Company: company, InvoiceNo: inv.Number, SupplierID: supplierID, InvoiceDate: inv.Date,
		Currency: inv.Currency, PORef: inv.PONumber, CreditNote: inv.CreditMemo,
	}
	if s, ok := ref.Suppliers[supplierID]; ok {
		if s.State != "" && !strings.EqualFold(s.State, "Active") {
			return out, newProblem(ReasonSupplierInactive, "unblock the supplier in IFS, then replay",
				"Supplier %s (%s) is %s in IFS", supplierID, s.Name, s.State)
		}
		out.PayTermID = s.PayTermID
		if out.Currency == "" {
			out.Currency = s.Currency
		}
	}
	if po != nil {
		if out.Currency == "" {
			out.Currency = po.Currency
		}
		if inv.Currency != "" && po.Currency != "" && !strings.EqualFold(inv.Currency, po.Currency) {
			return out, newProblem(ReasonCurrency, fixTolerance,
				"Invoice %s is in %s but PO %s is in %s", inv.Number, inv.Currency, po.OrderNo, po.Currency)
		}
	}
	tol := maps.tolerance(supplierID)
	sign := money.FromInt(1)
	if inv.CreditMemo {
		sign = money.FromInt(-1)
	}
	net := money.FromInt(0)
	addPosting := func(code domain.CodeString, amt money.Decimal, text string) *problem {
		if len(ref.Accounts) > 0 {
			acc, ok := ref.Accounts[code.Account]
			if !ok || !acc.Valid(today) {
				return newProblem(ReasonGLInvalid, "correct the coding rule or the PO line's code string, then replay",
					"Account %q used for %s is not a valid IFS account today", code.Account, text)
			}
		}
		out.Postings = append(out.Postings, domain.PostingLine{Code: code, Amount: amt, Text: text})
		return nil
	}
	for i, l := range inv.Lines {
		ext := l.Quantity.Mul(l.UnitPrice).Round(2).Abs().Mul(sign)
		var code domain.CodeString
		line := domain.SupplierInvoiceLine{NetAmount: ext, Text: l.Description}
		if po != nil {
			pl, ok := matchPOLine(l, *po)
			if !ok {
				c, hasRule := maps.glRule(supplierID, "NONPO")
				if !hasRule {
					return out, newProblem(ReasonPOLineNotFound, fixCheckPO,
						"Invoice %s line %d (%s) matches no line of PO %s", inv.Number, i+1, firstNonEmpty(l.BuyerPart, l.VendorPart, l.Description, l.LineNumber), po.OrderNo)
				}
				code = c
			} else {
				qty, price, converted := maps.convert(supplierID, l, pl.Unit)
				asPO := ""
				if converted {
					asPO = fmt.Sprintf(" (%s %s)", qty, pl.Unit)
				}
				if !inv.CreditMemo {
					if qty.Cmp(pl.Quantity.Add(pl.Quantity.Mul(tol.QtyPct).Div(hundred, 6))) > 0 {
						return out, &problem{Reason: ReasonQuantityOver, Fix: fixTolerance,
							Message: fmt.Sprintf("Invoice %s line %s bills %s %s%s but PO %s line %s has %s %s", inv.Number, l.LineNumber, l.Quantity, l.UOM, asPO, po.OrderNo, pl.LineNo, pl.Quantity, pl.Unit),
							Context: map[string]any{"po": po.OrderNo, "po_line": pl.LineNo, "invoiced_qty": l.Quantity.String(), "po_qty": pl.Quantity.String()}}
					}
				}
				lineDiff := price.Sub(pl.UnitPrice).Abs().Mul(qty).Round(2)
				if !within(price, pl.UnitPrice, tol.PricePct) && !(tol.Absolute.Sign() > 0 && lineDiff.Cmp(tol.Absolute) <= 0) {
					return out, &problem{Reason: ReasonPriceVariance, Fix: fixTolerance,
						Message: fmt.Sprintf("Invoice %s line %s price %s differs from PO %s line %s price %s by more than %s%%", inv.Number, l.LineNumber, price, po.OrderNo, pl.LineNo, pl.UnitPrice, tol.PricePct),
						Context: map[string]any{"po": po.OrderNo, "po_line": pl.LineNo, "invoiced_price": l.UnitPrice.String(), "po_price": pl.UnitPrice.String()}}
				}
				code = pl.CodeString
				line.OrderNo, line.LineNo, line.ReleaseNo = po.OrderNo, pl.LineNo, pl.ReleaseNo
			}
		} else {
			c, ok := maps.glRule(supplierID, "NONPO")
			if !ok {
				return out, newProblem(ReasonGLUnmapped, fixGLRule,
					"Invoice %s has no PO and supplier %s has no coding rule for non-PO lines", inv.Number, supplierID)
			}
			code = c
		}
		if p := addPosting(code, ext, fmt.Sprintf("line %d", i+1)); p != nil {
			return out, p
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
			return out, newProblem(ReasonGLUnmapped, fixGLRule,
				"Charge %s (%s) on invoice %s has no GL coding rule for supplier %s", c.Code, firstNonEmpty(c.Description, "no description"), inv.Number, supplierID)
		}
		if p := addPosting(code, amt, "charge "+c.Code); p != nil {
			return out, p
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
		return out, newProblem(ReasonEDIInvalid, fixSupplierEDI, "Invoice %s has no lines", inv.Number)
	}
	return out, nil
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if strings.TrimSpace(x) != "" {
			return x
		}
	}
	return ""
}

// nameSimilarity is a token Jaccard score in [0,1] on upper-cased words,
// ignoring company suffixes, for suggesting partner ↔ supplier matches.
func nameSimilarity(a, b string) float64 {
	ta, tb := tokens(a), tokens(b)
	if len(ta) == 0 || len(tb) == 0 {
		return 0
	}
	inter := 0
	for t := range ta {
		if tb[t] {
			inter++
		}
	}
	return float64(inter) / float64(len(ta)+len(tb)-inter)
}

var stopWords = map[string]bool{"INC": true, "LLC": true, "LTD": true, "GMBH": true, "AG": true, "CO": true,
	"CORP": true, "SA": true, "AS2": true, "EDI": true, "THE": true, "AND": true, "BV": true, "AB": true, "OY": true, "SRL": true}

func tokens(s string) map[string]bool {
	out := map[string]bool{}
	f := strings.FieldsFunc(strings.ToUpper(s), func(r rune) bool {
		return !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	})
	for _, w := range f {
		if !stopWords[w] {
			out[w] = true
		}
	}
	return out
}

func sortedKeys[M ~map[string]V, V any](m M) []string {
	k := make([]string, 0, len(m))
	for x := range m {
		k = append(k, x)
	}
	sort.Strings(k)
	return k
}
