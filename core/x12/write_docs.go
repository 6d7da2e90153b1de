package x12

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"

	"github.com/ml-connector/ifs-cleo/core/money"
)

// decR formats an R value ("" for zero when optional).
func decR(d money.Decimal, optional bool) string {
	if optional && d.IsZero() {
		return ""
	}
	return d.String()
}

// decN formats an N2-style value with implied decimals.
func decN(d money.Decimal, places int, optional bool) string {
	if optional && d.IsZero() {
		return ""
	}
	return d.ImpliedString(places)
}

func itoaOpt(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

func (w *Writer) refs(refs []Reference) {
	for _, r := range refs {
		w.Segment("REF", r.Qualifier, r.ID, r.Description)
	}
}

func (w *Writer) contacts(cs []Contact) {
	for _, c := range cs {
		var el []string
		el = append(el, c.Function, c.Name)
		for _, p := range [][2]string{{"TE", c.Phone}, {"FX", c.Fax}, {"EM", c.Email}} {
			if p[1] != "" {
				el = append(el, p[0], p[1])
			}
		}
		w.Segment("PER", el...)
	}
}

func (w *Writer) terms(ts []Terms) {
	for _, t := range ts {
		w.Segment("ITD", t.Type, t.BasisDate, decR(t.DiscountPercent, true), t.DiscountDueDate.X12(), itoaOpt(t.DiscountDays),
			t.NetDueDate.X12(), itoaOpt(t.NetDays), decN(t.DiscountAmount, 2, true), "", "", "", t.Description)
	}
}

func (w *Writer) dates(ds []DateRef) {
	for _, d := range ds {
		w.Segment("DTM", d.Qualifier, d.Date.X12(), d.Time)
	}
}

func (w *Writer) parties(ps []Party) {
	for _, p := range ps {
		w.Segment("N1", p.Code, p.Name, p.IDQualifier, p.ID)
		if p.Name2 != "" {
			w.Segment("N2", p.Name2)
		}
		for i := 0; i < len(p.Address); i += 2 {
			if i+1 < len(p.Address) {
				w.Segment("N3", p.Address[i], p.Address[i+1])
			} else {
				w.Segment("N3", p.Address[i])
			}
		}
		if p.City != "" || p.State != "" || p.PostalCode != "" || p.Country != "" {
			w.Segment("N4", p.City, p.State, p.PostalCode, p.Country)
		}
		w.refs(p.References)
		w.contacts(p.Contacts)
	}
}

func (w *Writer) charges(cs []Charge) {
	for _, c := range cs {
		desc := c.Description
		if desc == ChargeCodeText[c.Code] {
			desc = "" // the reader fills it back in from the code
		}
		pq := ""
		if !c.Percent.IsZero() {
			pq = "3" // SAC06: discount/gross
		}
		w.Segment("SAC", c.Indicator, c.Code, "", "", decN(c.Amount, 2, false), pq, decR(c.Percent, true), "", "", "", "", "", "", "", desc)
	}
}

func (w *Writer) taxes(ts []Tax) {
	for _, t := range ts {
		w.Segment("TXI", t.Type, decR(t.Amount, true), decR(t.Percent, true))
	}
}

func hasID(ids []ProductID, id string, quals ...string) bool {
	for _, p := range ids {
		if p.ID != id {
			continue
		}
		for _, q := range quals {
			if p.Qualifier == q {
				return true
			}
		}
	}
	return false
}

// productElems lists the qualifier/ID pairs of a line: BP, VP and UP from
// the part fields (unless ProductIDs already carries them), then ProductIDs.
func productElems(el []string, buyer, vendor, upc string, ids []ProductID) []string {
	if buyer != "" && !hasID(ids, buyer, "BP", "IN") {
		el = append(el, "BP", buyer)
	}
	if vendor != "" && !hasID(ids, vendor, "VP", "VN", "VA", "MG") {
		el = append(el, "VP", vendor)
	}
	if upc != "" && !hasID(ids, upc, "UP", "UK", "UA", "EN") {
		el = append(el, "UP", upc)
	}
	for _, p := range ids {
		el = append(el, p.Qualifier, p.ID)
	}
	return el
}

func (w *Writer) pid(desc string) {
	if desc != "" {
		w.Segment("PID", "F", "", "", "", desc)
	}
}

// Write850 writes one interchange with one PO group holding an 850 per
// order. Lines must have a quantity; CTT carries the line count and the sum
// of quantities.
func Write850(out io.Writer, env Envelope, orders ...*PurchaseOrder) error {
	if len(orders) == 0 {
		return errors.New("write 850: no purchase orders")
	}
	w, err := NewWriter(out, env)
	if err != nil {
		return fmt.Errorf("write 850: %w", err)
	}
	w.BeginGroup("PO")
	for _, po := range orders {
		if err := w.PurchaseOrder(po); err != nil {
			return fmt.Errorf("write 850 %s: %w", po.Number, err)
		}
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("write 850: %w", err)
	}
	return nil
}

// PurchaseOrder writes one 850 set into the open group.
func (w *Writer) PurchaseOrder(po *PurchaseOrder) error {
	switch {
	case po.Number == "":
		return errors.New("purchase order number is empty")
	case po.Date.IsZero():
		return errors.New("purchase order date is not set")
	case len(po.Lines) == 0:
		return errors.New("purchase order has no lines")
	}
	purpose, typ := po.Purpose, po.Type
	if purpose == "" {
		purpose = PurposeOriginal
	}
	if typ == "" {
		typ = "SA"
	}
	w.BeginSet("850")
	w.Segment("BEG", purpose, typ, po.Number, po.Release, po.Date.X12(), po.Contract)
	if po.Currency != "" {
		w.Segment("CUR", "BY", po.Currency)
	}
	w.refs(po.References)
	w.contacts(po.Contacts)
	if po.FOB != "" {
		w.Segment("FOB", po.FOB)
	}
	w.terms(po.Terms)
	w.dates(po.Dates)
	w.parties(po.Parties)
	hash := money.Zero
	var el []string
	for i, l := range po.Lines {
		if l.Quantity.IsZero() && purpose != PurposeCancellation {
			return fmt.Errorf("line %d (%s): quantity is zero", i+1, l.LineNumber)
		}
		hash = hash.Add(l.Quantity)
		el = append(el[:0], l.LineNumber, decR(l.Quantity, false), l.UOM, decR(l.UnitPrice, l.UnitPrice.IsZero()), l.PriceBasis)
		el = productElems(el, l.BuyerPart, l.VendorPart, l.UPC, l.ProductIDs)
		w.Segment("PO1", el...)
		w.pid(l.Description)
		w.charges(l.Charges)
		w.dates(l.Dates)
	}
	w.Segment("CTT", strconv.Itoa(len(po.Lines)), decR(hash, false))
	return w.EndSet()
}

// Write810 writes one interchange with one IN group holding an 810 per
// invoice. TDS01 is inv.Total as given (see Invoice.ComputeTotal).
func Write810(out io.Writer, env Envelope, invoices ...*Invoice) error {
	if len(invoices) == 0 {
		return errors.New("write 810: no invoices")
	}
	w, err := NewWriter(out, env)
	if err != nil {
		return fmt.Errorf("write 810: %w", err)
	}
	w.BeginGroup("IN")
	for _, inv := range invoices {
		if err := w.Invoice(inv); err != nil {
			return fmt.Errorf("write 810 %s: %w", inv.Number, err)
		}
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("write 810: %w", err)
	}
	return nil
}

// Invoice writes one 810 set into the open group.
func (w *Writer) Invoice(inv *Invoice) error {
	switch {
	case inv.Number == "":
		return errors.New("invoice number is empty")
	case inv.Date.IsZero():
		return errors.New("invoice date is not set")
	}
	typ := inv.Type
	if typ == "" && inv.CreditMemo {
		typ = "CR"
	}
	w.BeginSet("810")
	w.Segment("BIG", inv.Date.X12(), inv.Number, inv.PODate.X12(), inv.PONumber, inv.Release, "", typ, inv.Purpose)
	if inv.Currency != "" {
		w.Segment("CUR", "SE", inv.Currency)
	}
	w.refs(inv.References)
	w.parties(inv.Parties)
	w.terms(inv.Terms)
	w.dates(inv.Dates)
	var el []string
	for _, l := range inv.Lines {
		// IT102/103/104 go together (P020304): all empty when the line has none.
		none := l.UOM == "" && l.Quantity.IsZero() && l.UnitPrice.IsZero()
		el = append(el[:0], l.LineNumber, decR(l.Quantity, none), l.UOM, decR(l.UnitPrice, none), l.PriceBasis)
		el = productElems(el, l.BuyerPart, l.VendorPart, l.UPC, l.ProductIDs)
		w.Segment("IT1", el...)
		w.taxes(l.Taxes)
		w.pid(l.Description)
		w.refs(l.References)
		w.dates(l.Dates)
		w.charges(l.Charges)
	}
	w.Segment("TDS", decN(inv.Total, 2, false), decN(inv.SubjectToDisc, 2, true), decN(inv.DiscountedDue, 2, true), decN(inv.TermsDiscount, 2, true))
	w.taxes(inv.Taxes)
	w.charges(inv.Charges)
	for _, s := range inv.Shipped {
		w.Segment("ISS", decR(s.Units, false), s.UOM, decR(s.Weight, true), s.WeightUOM)
	}
	w.Segment("CTT", strconv.Itoa(len(inv.Lines)))
	return w.EndSet()
}

// ComputeTotal is the TDS01 a sender should write, by the rule the reader
// checks: line extensions, plus summary charges minus summary allowances
// (line-level ones when there is no summary SAC), plus summary taxes unless
// a summary SAC H850 carries the tax; rounded to cents.
func (inv *Invoice) ComputeTotal() money.Decimal {
	_, _, _, want := inv.totalParts()
	return want.Round(2)
}

// ErrEnvelopeFailed refuses a 997 for sets of an interchange whose envelope
// failed (ISA/IEA errors): such an interchange gets a rejecting TA1.
var ErrEnvelopeFailed = errors.New("the interchange envelope failed")

// Build997 acknowledges one received functional group: sets are the sets
// of that group in order (as the Reader yielded them). Every error the
// reader or the typed mapping (810, 850) found becomes AK3/AK4 detail or an
// AK5/AK9 code. A 997 group (GS01 FA) is never acknowledged, and sets of a
// failed interchange envelope get ErrEnvelopeFailed.
func Build997(sets []*Set) (*Ack, error) {
	return Build997With(sets, AckOptions{})
}

// AckOptions changes what Build997With accepts.
type AckOptions struct {
	// Lenient accepts a set whose only problems are Tolerable ones: its
	// AK501 is E ("accepted, but errors were noted") and the problems are
	// still listed in AK3/AK4, so the partner learns of them without the
	// document being refused. A per-partner choice for suppliers whose
	// translators send such deviations and whose documents we still read.
	Lenient bool
}

// Tolerable reports whether a problem leaves the document's business
// reading intact, so a lenient partner's set may still be accepted (AK501
// E). Only these are: a segment not defined for the set (AK304 6; the
// mappers skip segments they do not know), more elements than the
// definition (AK403 3; the extra ones are never read), and an element
// shorter or longer than its min/max (AK403 4 and 5; the value read is the
// value sent). Never tolerable: a missing mandatory segment or element, an
// invalid character or number, a code outside its list (a currency or an
// allowance/charge indicator changes the money), a bad date or time, and
// every set, group or envelope error.
func Tolerable(is Issue) bool {
	switch is.Level {
	case LevelSegment:
		return is.Code == "6"
	case LevelElement:
		return is.Code == "3" || is.Code == "4" || is.Code == "5"
	}
	return false
}

// Build997With is Build997 with options (see AckOptions).
func Build997With(sets []*Set, opt AckOptions) (*Ack, error) {
	if len(sets) == 0 {
		return nil, errors.New("build 997: no sets")
	}
	g := sets[0].Group
	if g.FunctionalID == "FA" {
		return nil, errors.New("build 997: acknowledgments are not acknowledged")
	}
	for _, s := range sets {
		if errs := EnvelopeErrors(s.Errors); len(errs) > 0 {
			// A 997 answers groups of a sound interchange; a failed envelope
			// is answered by a TA1 (BuildTA1), never by an accepting 997.
			return nil, fmt.Errorf("build 997: %w: %s", ErrEnvelopeFailed, errs[0].Message)
		}
	}
	a := &Ack{FunctionalID: g.FunctionalID, GroupControlNumber: g.ControlNumber, Version: g.Version, Sets: []SetAck{}}
	groupCodes := map[string]bool{}
	noted := false // a set accepted with errors noted (lenient)
	last := sets[len(sets)-1]
	a.SetsIncluded = len(sets)
	if last.Group.TrailerRead {
		a.SetsIncluded = last.Group.DeclaredSets
	}
	for _, s := range sets {
		if s.Group.ControlNumber != g.ControlNumber || s.Interchange.ControlNumber != sets[0].Interchange.ControlNumber {
			return nil, fmt.Errorf("build 997: set %s is from another group (%s)", s.ControlNumber, s.Group.ControlNumber)
		}
		errs := s.Errors
		switch s.ID {
		case "810":
			if inv, _ := ParseInvoice(s); inv != nil {
				errs = inv.Errors
			}
		case "850":
			if po, _ := ParsePurchaseOrder(s); po != nil {
				errs = po.Errors
			}
		}
		sa := SetAck{ID: s.ID, ControlNumber: s.ControlNumber}
		if len(s.Version()) >= 3 && s.Version()[:3] >= "005" {
			sa.Convention = s.Convention
		}
		setCodes := map[string]bool{}
		segs := map[int]*SegmentError{}
		tolerable := true
		for _, is := range errs {
			tolerable = tolerable && Tolerable(is)
			switch is.Level {
			case LevelGroup:
				groupCodes[is.Code] = true
			case LevelSet:
				setCodes[is.Code] = true
			case LevelElement, LevelSegment:
				if is.Position <= 0 {
					if is.Code == "3" && is.SegmentID != "" { // a mandatory segment missing: AK3 with no position
						se := &SegmentError{SegmentID: is.SegmentID, Position: s.Len(), Code: "3"}
						se.Text = SegmentErrorText["3"]
						segs[-len(segs)-1] = se
					}
					continue
				}
				se := segs[is.Position]
				if se == nil {
					se = &SegmentError{SegmentID: is.SegmentID, Position: is.Position}
					segs[is.Position] = se
				}
				if is.Level == LevelSegment {
					if se.Code == "" || se.Code == "8" {
						se.Code = is.Code
					}
				} else {
					if se.Code == "" {
						se.Code = "8"
					}
					if len(se.Elements) < 99 && is.Element > 0 {
						se.Elements = append(se.Elements, ElementError{Position: is.Element, Component: is.Component, Code: is.Code,
							Text: ElementErrorText[is.Code], Value: is.Value})
					}
				}
				if se.Code == "" {
					se.Code = "8"
				}
				se.Text = SegmentErrorText[se.Code]
			}
		}
		keys := make([]int, 0, len(segs))
		for k := range segs {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			ki, kj := keys[i], keys[j]
			if (ki < 0) != (kj < 0) {
				return ki > 0
			}
			if ki < 0 {
				return ki > kj
			}
			return ki < kj
		})
		for _, k := range keys {
			sa.Segments = append(sa.Segments, *segs[k])
		}
		if len(sa.Segments) > 0 {
			setCodes["5"] = true
		}
		switch {
		case len(setCodes) == 0:
			sa.Status = "A"
			a.SetsAccepted++
		case opt.Lenient && tolerable && len(setCodes) == 1 && setCodes["5"]:
			// Only AK3/AK4 detail, all of it tolerable: accepted with the
			// errors noted (DE 717 E); AK502 stays empty as the set is
			// not rejected.
			sa.Status = "E"
			a.SetsAccepted++
			noted = true
		default:
			sa.Status = "R"
			for _, c := range sortedCodes(setCodes, 5) {
				sa.Errors = append(sa.Errors, ackCode(c, SetErrorText))
			}
		}
		sa.StatusText = AckStatusText[sa.Status]
		a.Sets = append(a.Sets, sa)
	}
	a.SetsReceived = len(sets)
	switch {
	case len(groupCodes) > 0 || a.SetsAccepted == 0:
		a.Status = "R"
	case a.SetsAccepted < a.SetsReceived:
		a.Status = "P"
	case noted:
		a.Status = "E"
	default:
		a.Status = "A"
	}
	a.StatusText = AckStatusText[a.Status]
	for _, c := range sortedCodes(groupCodes, 5) {
		a.Errors = append(a.Errors, ackCode(c, GroupErrorText))
	}
	return a, nil
}

// sortedCodes returns up to max codes in numeric order.
func sortedCodes(m map[string]bool, max int) []string {
	out := make([]string, 0, len(m))
	for c := range m {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := atoiOr0(out[i]), atoiOr0(out[j])
		if a != b {
			return a < b
		}
		return out[i] < out[j]
	})
	if len(out) > max {
		out = out[:max]
	}
	return out
}

// Write997 writes one interchange with one FA group holding a 997 per ack.
// AK103 and AK203 are written only in a 005010 envelope.
func Write997(out io.Writer, env Envelope, acks ...*Ack) error {
	if len(acks) == 0 {
		return errors.New("write 997: no acknowledgments")
	}
	if env.Replacement == 0 {
		env.Replacement = ' ' // AK404 copies bad data, which may hold anything
	}
	w, err := NewWriter(out, env)
	if err != nil {
		return fmt.Errorf("write 997: %w", err)
	}
	is5010 := w.env.Version >= "005"
	w.BeginGroup("FA")
	for _, a := range acks {
		w.BeginSet("997")
		ver := ""
		if is5010 {
			ver = a.Version
		}
		w.Segment("AK1", a.FunctionalID, a.GroupControlNumber, ver)
		for _, s := range a.Sets {
			conv := ""
			if is5010 {
				conv = s.Convention
			}
			w.Segment("AK2", s.ID, s.ControlNumber, conv)
			for _, g := range s.Segments {
				w.Segment("AK3", g.SegmentID, strconv.Itoa(g.Position), g.Loop, g.Code)
				for _, e := range g.Elements {
					pos := strconv.Itoa(e.Position)
					if e.Component > 0 || e.Repetition > 0 {
						pos += string(w.sep.Component) + itoaOpt(e.Component)
					}
					if e.Repetition > 0 && is5010 {
						pos += string(w.sep.Component) + strconv.Itoa(e.Repetition)
					}
					v := e.Value
					if len(v) > 99 {
						v = v[:99]
					}
					w.segment("AK4", 1, []string{pos, e.Reference, e.Code, v})
				}
			}
			el := []string{s.Status}
			for _, c := range s.Errors {
				el = append(el, c.Code)
			}
			w.Segment("AK5", el...)
		}
		el := []string{a.Status, strconv.Itoa(a.SetsIncluded), strconv.Itoa(a.SetsReceived), strconv.Itoa(a.SetsAccepted)}
		for _, c := range a.Errors {
			el = append(el, c.Code)
		}
		w.Segment("AK9", el...)
		w.EndSet()
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("write 997: %w", err)
	}
	return nil
}
