package engine

import (
	"time"

	"github.com/ml-connector/ifs-cleo/core/money"
)

// PaymentTerms is one ITD segment of an 810 (X12 004010 ITD; element
// references are DE numbers).
type PaymentTerms struct {
	Type            string        // ITD01 (DE 336): "01" basic, "02" end of month, "05" discount not applicable …
	BasisDate       string        // ITD02 (DE 333): "1" ship date, "2" delivery date, "3" invoice date …
	DiscountPercent money.Decimal `json:",omitzero"` // ITD03
	DiscountDueDate time.Time     `json:",omitzero"` // ITD04
	DiscountDays    int           `json:",omitempty"`
	NetDueDate      time.Time     `json:",omitzero"` // ITD06
	NetDays         int           `json:",omitempty"`
	Description     string        `json:",omitempty"` // ITD12
}

// dueTerms is what the terms decide for the posting.
type dueTerms struct {
	Due             time.Time
	DiscountDate    time.Time
	DiscountPercent money.Decimal
}

// basisDate is the date ITD02 counts days from. DE 333 codes used here:
// 1 ship date (DTM*011), 2 delivery date (DTM*035), 3 invoice date; any
// other code, or a basis date the invoice does not carry, counts from the
// invoice date (BIG01), the usual default of net terms.
func basisDate(inv *Invoice, t PaymentTerms) time.Time {
	b := inv.Date
	switch t.BasisDate {
	case "1":
		if !inv.ShipDate.IsZero() {
			b = inv.ShipDate
		}
	case "2":
		if !inv.DeliveryDate.IsZero() {
			b = inv.DeliveryDate
		}
	}
	if t.Type == "02" && !b.IsZero() {
		// DE 336 code 02 "End of Month (EOM)": days count from the last day
		// of the basis date's month.
		b = time.Date(b.Year(), b.Month()+1, 0, 0, 0, 0, 0, time.UTC)
	}
	return b
}

// TermsDue is the due date the invoice's own terms give (ITD06, or the
// basis date plus ITD07 days); zero when the 810 states none, as IFS then
// applies the supplier's payment terms.
func (inv *Invoice) TermsDue() time.Time { return dueFromTerms(inv).Due }

// dueFromTerms works out the due date from the first ITD that gives one:
// its explicit net due date (ITD06), else basis date + net days (ITD07).
// The discount date and percent of the same ITD are kept with it. A zero
// result means the 810 does not say (IFS then computes the due date from
// the supplier's payment terms); a zero date is never invented.
func dueFromTerms(inv *Invoice) dueTerms {
	for _, t := range inv.Terms {
		var out dueTerms
		basis := basisDate(inv, t)
		switch {
		case !t.NetDueDate.IsZero():
			out.Due = t.NetDueDate
		case t.NetDays > 0 && !basis.IsZero():
			out.Due = basis.AddDate(0, 0, t.NetDays)
		default:
			continue
		}
		if t.DiscountPercent.Sign() > 0 {
			switch {
			case !t.DiscountDueDate.IsZero():
				out.DiscountDate = t.DiscountDueDate
			case t.DiscountDays > 0 && !basis.IsZero():
				out.DiscountDate = basis.AddDate(0, 0, t.DiscountDays)
			}
			if !out.DiscountDate.IsZero() {
				out.DiscountPercent = t.DiscountPercent
			}
		}
		return out
	}
	return dueTerms{}
}
