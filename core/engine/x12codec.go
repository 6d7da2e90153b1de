package engine

import (
	"bytes"
	"errors"
	"fmt"
	"github.com/ml-connector/ifs-cleo/core/domain"
	"strings"
	"time"

	"github.com/ml-connector/ifs-cleo/core/money"
	"github.com/ml-connector/ifs-cleo/core/x12"
)

// X12Codec is the EDI port over core/x12.
type X12Codec struct {
	// Version is GS08 for outbound documents ("004010" when empty).
	Version string
	// Location stamps ISA/GS dates (UTC when nil).
	Location *time.Location
}

var _ EDI = X12Codec{}

// Split reads every set of raw; a file with no interchange is an error.
func (c X12Codec) Split(raw []byte) ([]Set, error) {
	return c.split(x12.NewReader(bytes.NewReader(raw)))
}

// SplitStrict is Split with the reader's Strict mode.
func (c X12Codec) SplitStrict(raw []byte) ([]Set, error) {
	return c.split(x12.NewReader(bytes.NewReader(raw)).Strict())
}

func (c X12Codec) split(rd *x12.Reader) ([]Set, error) {
	var out []Set
	for rd.Next() {
		xs := rd.Set()
		s := Set{Index: len(out), ID: xs.ID, SenderQual: xs.Interchange.SenderQualifier, SenderID: xs.Interchange.SenderID,
			ReceiverQual: xs.Interchange.ReceiverQualifier, ReceiverID: xs.Interchange.ReceiverID,
			ISAControl: xs.Interchange.ControlNumber, GSControl: xs.Group.ControlNumber, GSFunctional: xs.Group.FunctionalID,
			GSSender: xs.Group.SenderCode, GSReceiver: xs.Group.ReceiverCode, Version: xs.Version(), STControl: xs.ControlNumber,
			Raw: setRaw(xs), AckCodes: xs, Interchange: xs.Interchange.Index}
		s.SenderQual = strings.ToUpper(strings.TrimSpace(s.SenderQual))
		s.EnvelopeFailed = len(x12.EnvelopeErrors(xs.Errors)) > 0
		switch xs.ID {
		case "810":
			inv, _ := x12.ParseInvoice(xs)
			if inv != nil {
				s.Invoice = invoiceOf(inv)
				s.Errors = issueTexts(inv.Errors)
				s.Warnings = issueTexts(inv.Warnings)
				s.Tolerable = tolerableTexts(inv.Errors)
			} else {
				s.Errors = issueTexts(xs.Errors)
			}
		case "997":
			ack, _ := x12.ParseAck(xs)
			if ack != nil {
				s.Ack = ackOf(ack)
				s.Errors = issueTexts(ack.Issues)
				s.Warnings = issueTexts(ack.Warnings)
				s.Tolerable = tolerableTexts(ack.Issues)
			}
			s.Errors = append(s.Errors, issueTexts(xs.Errors)...)
		case "850":
			s.Errors = issueTexts(xs.Errors)
			s.Warnings = issueTexts(xs.Warnings)
			if po, _ := x12.ParsePurchaseOrder(xs); po != nil {
				s.Order = orderOf(po)
				s.Errors = append(s.Errors, issueTexts(po.Errors)...)
				s.Tolerable = tolerableTexts(po.Errors)
			}
		default:
			s.Errors = issueTexts(xs.Errors)
			s.Warnings = issueTexts(xs.Warnings)
		}
		out = append(out, s)
	}
	if err := rd.Err(); err != nil {
		if len(out) == 0 {
			return nil, err
		}
		// Sets read before the damage are kept; the rest of the file is
		// reported on the last one so nothing is dropped silently.
		out[len(out)-1].Errors = append(out[len(out)-1].Errors, "the rest of the file could not be read: "+err.Error())
	}
	if len(out) == 0 {
		return nil, errors.New("no X12 transaction sets found")
	}
	return out, nil
}

// orderOf states a received 850 as the engine's PO850, so one view shows
// the 850s we send and those we find in the mailbox.
func orderOf(po *x12.PurchaseOrder) *PO850 {
	o := domain.PurchaseOrder{OrderNo: po.Number, Currency: po.Currency}
	if !po.Date.IsZero() {
		o.OrderDate = po.Date.In(time.UTC)
	}
	for _, l := range po.Lines {
		o.Lines = append(o.Lines, domain.PurchaseOrderLine{OrderNo: po.Number, LineNo: l.LineNumber, PartNo: l.BuyerPart,
			VendorPartNo: l.VendorPart, Description: l.Description, Quantity: l.Quantity, Unit: l.UOM, UnitPrice: l.UnitPrice,
			Currency: po.Currency})
	}
	return &PO850{Purpose: po.Purpose, Order: o}
}

func setRaw(s *x12.Set) []byte {
	term := s.Interchange.Separators.Segment
	if term == "" {
		term = "~"
	}
	var b bytes.Buffer
	for _, g := range s.Segments {
		b.WriteString(g.Raw())
		b.WriteString(term)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// tolerableTexts are the texts of the problems x12.Tolerable lets a
// lenient partner send.
func tolerableTexts(is []x12.Issue) []string {
	var out []string
	for _, i := range is {
		if x12.Tolerable(i) {
			out = append(out, i.Error())
		}
	}
	return out
}

func issueTexts(is []x12.Issue) []string {
	out := make([]string, 0, len(is))
	for _, i := range is {
		out = append(out, i.Error())
	}
	return out
}

func invoiceOf(in *x12.Invoice) *Invoice {
	out := &Invoice{Number: in.Number, PONumber: in.PONumber, Currency: in.Currency, CreditMemo: in.CreditMemo, Total: in.Total}
	if !in.Date.IsZero() {
		out.Date = in.Date.In(time.UTC)
	}
	tax := money.Zero
	for _, t := range in.Taxes {
		tax = tax.Add(t.Amount)
		out.TaxStated = out.TaxStated || !t.NoAmount
	}
	out.Tax = tax
	for _, t := range in.Terms {
		pt := PaymentTerms{Type: t.Type, BasisDate: t.BasisDate, DiscountPercent: t.DiscountPercent, DiscountDays: t.DiscountDays,
			NetDays: t.NetDays, Description: t.Description}
		if !t.DiscountDueDate.IsZero() {
			pt.DiscountDueDate = t.DiscountDueDate.In(time.UTC)
		}
		if !t.NetDueDate.IsZero() {
			pt.NetDueDate = t.NetDueDate.In(time.UTC)
		}
		out.Terms = append(out.Terms, pt)
	}
	for _, dt := range in.Dates {
		switch {
		case dt.Date.IsZero():
		case dt.Qualifier == "011" && out.ShipDate.IsZero():
			out.ShipDate = dt.Date.In(time.UTC)
		case dt.Qualifier == "035" && out.DeliveryDate.IsZero():
			out.DeliveryDate = dt.Date.In(time.UTC)
		}
	}
	for _, l := range in.Lines {
		out.Lines = append(out.Lines, InvoiceLine{LineNumber: l.LineNumber, Quantity: l.Quantity, UOM: l.UOM, UnitPrice: l.UnitPrice,
			BuyerPart: l.BuyerPart, VendorPart: l.VendorPart, Description: l.Description, NoPrice: l.NoPrice, NoQuantity: l.NoQuantity})
		for _, ch := range l.Charges {
			if ch.Indicator == "A" || ch.Indicator == "C" {
				out.Charges = append(out.Charges, Charge{Allowance: ch.Indicator == "A", Code: ch.Code, Amount: ch.Amount, Description: ch.Description})
			}
		}
	}
	for _, ch := range in.Charges {
		if ch.Indicator == "A" || ch.Indicator == "C" {
			out.Charges = append(out.Charges, Charge{Allowance: ch.Indicator == "A", Code: ch.Code, Amount: ch.Amount, Description: ch.Description})
		}
	}
	return out
}

func ackOf(a *x12.Ack) *Ack {
	out := &Ack{GroupControlNumber: a.GroupControlNumber, FunctionalID: a.FunctionalID, Status: a.Status}
	for _, s := range a.Sets {
		as := AckSet{ControlNumber: s.ControlNumber, Status: s.Status}
		for _, g := range s.Segments {
			if len(g.Elements) == 0 {
				as.Problems = append(as.Problems, AckProblem{Segment: g.SegmentID, Position: g.Position, SegmentCode: g.Code})
			}
			for _, el := range g.Elements {
				as.Problems = append(as.Problems, AckProblem{Segment: g.SegmentID, Position: g.Position, SegmentCode: g.Code,
					Element: el.Position, ElementCode: el.Code, Data: el.Value})
			}
		}
		out.Sets = append(out.Sets, as)
	}
	return out
}

func (c X12Codec) envelope(env Envelope) x12.Envelope {
	usage := "P"
	if env.Test {
		usage = "T"
	}
	t := env.Time
	if c.Location != nil {
		t = t.In(c.Location)
	}
	return x12.Envelope{SenderQualifier: env.SenderQual, SenderID: env.SenderID, ReceiverQualifier: env.ReceiverQual,
		ReceiverID: env.ReceiverID, AppSender: env.GSSender, AppReceiver: env.GSReceiver, Version: firstNonEmpty(c.Version, x12.Version4010),
		InterchangeControl: env.ISAControl, GroupControl: env.GSControl, SetControl: env.STControl, Time: t, Usage: usage,
		Newline: true, Replacement: ' '}
}

// x12Units maps IFS unit codes to X12 unit-of-measure codes (DE 355).
var x12Units = map[string]string{"pcs": "EA", "pc": "EA", "ea": "EA", "each": "EA", "kg": "KG", "g": "GR", "m": "MR",
	"l": "LT", "box": "BX", "pk": "PK", "set": "ST", "h": "HR", "hr": "HR", "lb": "LB", "ft": "FT"}

// Write850 builds the interchange for one order.
func (c X12Codec) Write850(po PO850, env Envelope) ([]byte, error) {
	o := po.Order
	xpo := &x12.PurchaseOrder{Purpose: po.Purpose, Type: "SA", Number: o.OrderNo, Date: x12.DateOf(o.OrderDate), Currency: o.Currency}
	if o.OrderDate.IsZero() {
		xpo.Date = x12.DateOf(env.Time)
	}
	if !o.WantedReceiptDate.IsZero() {
		xpo.Dates = append(xpo.Dates, x12.DateRef{Qualifier: "002", Date: x12.DateOf(o.WantedReceiptDate)})
	}
	if o.Site != "" {
		xpo.Parties = append(xpo.Parties, x12.Party{Code: "ST", Name: firstNonEmpty(po.BuyerName, o.Company), IDQualifier: "92", ID: o.Site})
	}
	if po.Supplier.SupplierID != "" || o.SupplierID != "" {
		xpo.Parties = append(xpo.Parties, x12.Party{Code: "SU", Name: firstNonEmpty(po.Supplier.Name, o.SupplierID), IDQualifier: "92", ID: o.SupplierID})
	}
	for _, l := range o.Lines {
		uom := x12Units[strings.ToLower(l.Unit)]
		if uom == "" {
			uom = strings.ToUpper(firstNonEmpty(l.Unit, "EA"))
		}
		qty := l.Quantity
		if po.Purpose == x12.PurposeCancellation && qty.IsZero() {
			qty = money.Zero
		}
		xl := x12.POLine{LineNumber: l.LineNo, Quantity: qty, UOM: uom, UnitPrice: l.UnitPrice, PriceBasis: "PE",
			BuyerPart: l.PartNo, VendorPart: l.VendorPartNo, Description: l.Description}
		if !l.WantedDeliveryDate.IsZero() {
			xl.Dates = append(xl.Dates, x12.DateRef{Qualifier: "002", Date: x12.DateOf(l.WantedDeliveryDate)})
		}
		xpo.Lines = append(xpo.Lines, xl)
	}
	var b bytes.Buffer
	if err := x12.Write850(&b, c.envelope(env), xpo); err != nil {
		return nil, fmt.Errorf("PO %s: %w", o.OrderNo, err)
	}
	return b.Bytes(), nil
}

// Write810 builds the interchange for one self-billing invoice. A credit
// note is a credit memo (BIG07 CR) stating positive quantities, prices and
// total, as the type carries the sign (core/ifs/SELF_BILLING.md); an
// invoice is a debit invoice (DI). Parties: N1*BY us, N1*SE the supplier.
// TDS01 is computed from the lines and tax by the reader's own rule, and
// must equal what IFS says the invoice totals.
func (c X12Codec) Write810(sbi SelfBilling810, env Envelope) ([]byte, error) {
	in := sbi.Invoice
	date := in.InvoiceDate
	if date.IsZero() {
		return nil, fmt.Errorf("self-billing invoice %s has no invoice date", in.InvoiceNo)
	}
	xi := &x12.Invoice{Number: in.InvoiceNo, Date: x12.DateOf(date), PONumber: in.PORef, Type: "DI", Currency: in.Currency}
	if !sbi.Order.OrderDate.IsZero() {
		xi.PODate = x12.DateOf(sbi.Order.OrderDate)
	}
	if in.CreditNote {
		xi.Type, xi.CreditMemo = "CR", true
	}
	xi.Parties = append(xi.Parties,
		x12.Party{Code: "BY", Name: firstNonEmpty(sbi.BuyerName, in.Company), IDQualifier: "92", ID: in.Company},
		x12.Party{Code: "SE", Name: firstNonEmpty(sbi.Supplier.Name, in.SupplierID), IDQualifier: "92", ID: in.SupplierID})
	if !in.DueDate.IsZero() {
		// DTM*814: payment due date.
		xi.Dates = append(xi.Dates, x12.DateRef{Qualifier: "814", Date: x12.DateOf(in.DueDate)})
	}
	for _, l := range in.Lines {
		uom := x12Units[strings.ToLower(l.UOM)]
		if uom == "" {
			uom = strings.ToUpper(l.UOM)
		}
		xl := x12.InvoiceLine{LineNumber: l.LineNo, Quantity: l.Quantity.Abs(), UOM: uom, UnitPrice: l.UnitPrice.Abs(),
			PriceBasis: "PE", Description: l.Text}
		for _, pl := range sbi.Order.Lines {
			if pl.LineNo == l.LineNo && (l.ReleaseNo == "" || pl.ReleaseNo == l.ReleaseNo) {
				xl.BuyerPart, xl.VendorPart = pl.PartNo, pl.VendorPartNo
				if xl.Description == "" {
					xl.Description = pl.Description
				}
			}
		}
		xi.Lines = append(xi.Lines, xl)
	}
	if !in.TaxAmount.IsZero() {
		// TXI*TX: all taxes, as IFS gives one tax total per invoice here.
		xi.Taxes = append(xi.Taxes, x12.Tax{Type: "TX", Amount: in.TaxAmount.Abs()})
	}
	xi.Total = xi.ComputeTotal()
	if want := in.NetAmount.Add(in.TaxAmount).Abs().Round(2); xi.Total.Cmp(want) != 0 {
		return nil, fmt.Errorf("self-billing invoice %s: the 810 would total %s but IFS says %s", in.InvoiceNo, xi.Total, want)
	}
	var b bytes.Buffer
	if err := x12.Write810(&b, c.envelope(env), xi); err != nil {
		return nil, fmt.Errorf("self-billing invoice %s: %w", in.InvoiceNo, err)
	}
	return b.Bytes(), nil
}

// Write997 acknowledges one received group; the sets must come from Split.
func (c X12Codec) Write997(group []Set, env Envelope) ([]byte, error) {
	var xs []*x12.Set
	for _, s := range group {
		x, ok := s.AckCodes.(*x12.Set)
		if !ok {
			return nil, fmt.Errorf("set %s was not read by the X12 codec", s.STControl)
		}
		xs = append(xs, x)
	}
	// Every set of a group has one sender, so the first says how lenient.
	ack, err := x12.Build997With(xs, x12.AckOptions{Lenient: group[0].Lenient})
	if err != nil {
		return nil, err
	}
	xe := c.envelope(env)
	// Answer in the release the partner used (a 005010 group gets a 005010 997).
	if strings.HasPrefix(group[0].Version, "005") {
		xe.Version = x12.Version5010
	} else {
		xe.Version = x12.Version4010
	}
	var b bytes.Buffer
	if err := x12.Write997(&b, xe, ack); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
