package exceptions

import (
	"strings"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/money"
)

// InvoiceLine is one line of the received invoice, as the PO comparison needs it.
type InvoiceLine struct {
	LineNo      string // IT101: the PO line number by convention
	BuyerPart   string
	VendorPart  string
	Description string
	Qty         money.Decimal
	Unit        string
	Price       money.Decimal
}

// MatchState says how an invoice line and a PO line relate.
type MatchState int

// Match states, in the order a clerk cares about them.
const (
	Matched     MatchState = iota // both sides present
	NotOnPO                       // an invoice line with no PO line
	NotInvoiced                   // a PO line no invoice line bills
)

// LineMatch is one row of the side-by-side table: an invoice line next to
// the PO line it was matched to, with the cells that differ flagged.
type LineMatch struct {
	State   MatchState
	Invoice InvoiceLine              // zero when NotInvoiced
	PO      domain.PurchaseOrderLine // zero when NotOnPO
	// Differences, only meaningful when Matched.
	QtyDiffers, UnitDiffers, PriceDiffers bool
}

// Differs reports whether the row needs the clerk's eye.
func (m LineMatch) Differs() bool {
	return m.State != Matched || m.QtyDiffers || m.UnitDiffers || m.PriceDiffers
}

// UnitEquivalent says that one InvoiceUnit is Factor POUnit, as the engine
// converts (the supplier's table, then built-in X12 ↔ IFS equivalents).
type UnitEquivalent struct {
	InvoiceUnit string
	POUnit      string
	Factor      money.Decimal
}

// normalise expresses an invoice line in the PO line's unit when an
// equivalent applies; the line is unchanged otherwise.
func normalise(l InvoiceLine, poUnit string, units []UnitEquivalent) InvoiceLine {
	if strings.EqualFold(strings.TrimSpace(l.Unit), strings.TrimSpace(poUnit)) {
		return l
	}
	for _, u := range units {
		if strings.EqualFold(u.InvoiceUnit, strings.TrimSpace(l.Unit)) && strings.EqualFold(u.POUnit, strings.TrimSpace(poUnit)) && u.Factor.Sign() > 0 {
			out := l
			out.Qty = l.Qty.Mul(u.Factor).Normalize()
			out.Price = l.Price.Div(u.Factor, 6).Normalize()
			out.Unit = poUnit
			return out
		}
	}
	return l
}

// MatchPO pairs invoice lines with the PO's lines the way the engine does
// (line number first, then buyer part, then vendor part) so the table agrees
// with the engine's verdict, flags every exact difference, and appends the PO
// lines no invoice line bills. Tolerances are deliberately not applied: the
// clerk sees every difference, the message above says which one failed.
//
// Units are normalised first with units (the engine's equivalents), so a
// difference shows only where the normalised values differ; the row keeps
// the invoice line as the supplier sent it.
func MatchPO(inv []InvoiceLine, po domain.PurchaseOrder, units []UnitEquivalent) []LineMatch {
	out := make([]LineMatch, 0, len(inv)+len(po.Lines))
	used := make([]bool, len(po.Lines))
	for _, l := range inv {
		i := matchLine(l, po.Lines)
		if i < 0 {
			out = append(out, LineMatch{State: NotOnPO, Invoice: l})
			continue
		}
		used[i] = true
		pl := po.Lines[i]
		n := normalise(l, pl.Unit, units)
		out = append(out, LineMatch{
			State: Matched, Invoice: l, PO: pl,
			QtyDiffers:   n.Qty.Cmp(pl.Quantity) != 0,
			UnitDiffers:  !strings.EqualFold(strings.TrimSpace(n.Unit), strings.TrimSpace(pl.Unit)),
			PriceDiffers: n.Price.Cmp(pl.UnitPrice) != 0,
		})
	}
	for i, pl := range po.Lines {
		if !used[i] {
			out = append(out, LineMatch{State: NotInvoiced, PO: pl})
		}
	}
	return out
}

// matchLine mirrors the engine's matchPOLine; -1 when nothing matches.
func matchLine(l InvoiceLine, lines []domain.PurchaseOrderLine) int {
	if n := strings.TrimLeft(l.LineNo, "0"); l.LineNo != "" {
		for i, pl := range lines {
			if strings.TrimLeft(pl.LineNo, "0") == n {
				return i
			}
		}
	}
	for i, pl := range lines {
		if l.BuyerPart != "" && strings.EqualFold(pl.PartNo, l.BuyerPart) {
			return i
		}
		if l.VendorPart != "" && strings.EqualFold(pl.VendorPartNo, l.VendorPart) {
			return i
		}
	}
	return -1
}

// advice turns a failure to read the PO into plain words by its kind.
func advice(err error) string {
	switch domain.KindOf(err) {
	case domain.KindAuth:
		return "IFS refused the sign-in. Check the client secret in Connections, then reopen this exception."
	case domain.KindForbidden:
		return "The IFS client may not read purchase orders. Ask the IFS administrator for the PurchaseOrderHandling grant."
	case domain.KindNotFound:
		return "IFS does not know this purchase order (any more). Check the PO number with the supplier."
	case domain.KindTransient, domain.KindRateLimited:
		return "IFS cannot be reached right now. The comparison appears when you reopen this exception once IFS answers."
	case domain.KindConfig:
		return "The IFS connection is not set up. Fill it in under Connections."
	default:
		return "IFS did not return the purchase order. Try again later or check the connection in Connections."
	}
}
