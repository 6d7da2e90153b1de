package x12

import (
	"cmp"
	"fmt"

	"github.com/ml-connector/ifs-cleo/core/money"
)

// Invoice is an 810 invoice (or credit memo). Amounts are as the file
// carries them: a credit memo usually has positive amounts and CreditMemo set.
type Invoice struct {
	Number        string        `json:"number"`                              // BIG02
	Date          Date          `json:"date"`                                // BIG01
	PONumber      string        `json:"po_number"`                           // BIG04
	PODate        Date          `json:"po_date,omitzero"`                    // BIG03
	Release       string        `json:"release,omitempty"`                   // BIG05
	Type          string        `json:"type,omitempty"`                      // BIG07: DI debit invoice, CR credit memo …
	Purpose       string        `json:"purpose,omitempty"`                   // BIG08
	CreditMemo    bool          `json:"credit_memo"`                         // BIG07 is CR (credit memo) or CN (credit invoice)
	Currency      string        `json:"currency"`                            // CUR02
	References    []Reference   `json:"references,omitempty"`                // heading REF
	Parties       []Party       `json:"parties,omitempty"`                   // heading N1 loops
	Terms         []Terms       `json:"terms,omitempty"`                     // ITD
	Dates         []DateRef     `json:"dates,omitempty"`                     // heading DTM
	Lines         []InvoiceLine `json:"lines"`                               // IT1 loops
	Total         money.Decimal `json:"total"`                               // TDS01
	SubjectToDisc money.Decimal `json:"amount_subject_to_discount,omitzero"` // TDS02
	DiscountedDue money.Decimal `json:"discounted_amount_due,omitzero"`      // TDS03
	TermsDiscount money.Decimal `json:"terms_discount,omitzero"`             // TDS04
	Taxes         []Tax         `json:"taxes,omitempty"`                     // summary TXI
	Charges       []Charge      `json:"charges"`                             // summary SAC
	Shipped       []Shipped     `json:"shipped,omitempty"`                   // ISS
	LineCount     int           `json:"line_count,omitempty"`                // CTT01
	Errors        []Issue       `json:"-"`
	Warnings      []Issue       `json:"-"`
	pool          []ProductID   // backing store of the lines' ProductIDs
}

// InvoiceLine is an IT1 loop.
type InvoiceLine struct {
	LineNumber  string        `json:"line_number"` // IT101, the buyer's PO line
	Quantity    money.Decimal `json:"quantity"`
	UOM         string        `json:"uom"`
	UnitPrice   money.Decimal `json:"unit_price"`
	PriceBasis  string        `json:"price_basis,omitempty"`
	BuyerPart   string        `json:"buyer_part"`
	VendorPart  string        `json:"vendor_part"`
	UPC         string        `json:"upc,omitempty"`
	ProductIDs  []ProductID   `json:"product_ids,omitempty"`
	Description string        `json:"description"` // PID05 (several PIDs joined with a space)
	References  []Reference   `json:"references,omitempty"`
	Dates       []DateRef     `json:"dates,omitempty"`
	Taxes       []Tax         `json:"taxes,omitempty"`
	Charges     []Charge      `json:"charges,omitempty"`
	Position    int           `json:"position"` // segment position of the IT1
	// NoPrice and NoQuantity say IT104 or IT102 was empty: Quantity and
	// UnitPrice are then zero only as placeholders, never a price of 0.
	NoPrice    bool `json:"no_price,omitempty"`
	NoQuantity bool `json:"no_quantity,omitempty"`
}

// Extension is quantity × unit price.
func (l InvoiceLine) Extension() money.Decimal { return l.Quantity.Mul(l.UnitPrice) }

// Shipped is an ISS segment.
type Shipped struct {
	Units     money.Decimal `json:"units"`
	UOM       string        `json:"uom,omitempty"`
	Weight    money.Decimal `json:"weight,omitzero"`
	WeightUOM string        `json:"weight_uom,omitempty"`
}

// ParseInvoice maps an 810 set. The invoice is returned whenever the set is
// an 810, with the set's own problems and the mapping problems in Errors and
// Warnings; the error is non-nil (an Issues) when Errors is not empty, or
// when the set is not an 810.
func ParseInvoice(s *Set) (*Invoice, error) {
	if s.ID != "810" {
		return nil, fmt.Errorf("parse invoice: set %s is a %s, not an 810", s.ControlNumber, s.ID)
	}
	inv := &Invoice{}
	return inv, parseInvoice(s, inv, true)
}

// ParseInvoiceInto is ParseInvoice into an existing invoice, reusing the
// memory of its slices (lines, product IDs, charges …). It is for bulk
// processing that is done with one invoice before mapping the next: the
// previous contents, and anything that still points into them, are
// overwritten.
func ParseInvoiceInto(s *Set, inv *Invoice) error {
	if s.ID != "810" {
		return fmt.Errorf("parse invoice: set %s is a %s, not an 810", s.ControlNumber, s.ID)
	}
	return parseInvoice(s, inv, false)
}

// parseInvoice maps s into inv; fresh says inv is a new zero Invoice, which
// then needs no reset (a whole-struct assignment of the Invoice is a typed
// copy with a bulk write barrier).
func parseInvoice(s *Set, inv *Invoice, fresh bool) error {
	// The mapper, with its split buffer, stays on the stack.
	m := mapper{set: s, comp: s.comp, rep: s.rep}
	m.plain = s.plain()
	m.errs = append(m.errs, s.Errors...)
	m.warns = append(m.warns, s.Warnings...)
	lo, hi := s.bodyRange()
	// Size the lines, their product IDs and the heading parties (N1 before
	// the first IT1 or TDS) exactly, so none of them grows by copying.
	nLines, nParties, inHeading := 0, 0, true
	sep := s.sep
	for i := lo; i < hi; i++ {
		r := s.rawAt(i)
		if len(r) < 3 {
			continue
		}
		// The first bytes decide. Every IT1 must be counted, even one that
		// is only its ID: the loop below adds a line for it without growing.
		// Parties are appended, so a miscount there only costs a copy.
		switch {
		case r[0] == 'I' && r[1] == 'T' && r[2] == '1' && (len(r) == 3 || r[3] == sep):
			nLines++
			inHeading = false
		case r[0] == 'T' && r[1] == 'D' && r[2] == 'S':
			inHeading = false
		case inHeading && r[0] == 'N' && r[1] == '1' && r[2] == sep:
			nParties++
		}
	}
	lines, pool, charges, parties := inv.Lines[:0], inv.pool[:0], inv.Charges[:0], inv.Parties[:0]
	if cap(lines) < nLines {
		lines = make([]InvoiceLine, 0, nLines)
	}
	if cap(pool) < 2*nLines {
		pool = make([]ProductID, 0, 2*nLines)
	}
	if cap(parties) < nParties {
		parties = make([]Party, 0, nParties)
	}
	if charges == nil {
		charges = []Charge{}
	}
	if lines == nil {
		lines = []InvoiceLine{} // "no lines" reads the same fresh or reused
	}
	if fresh {
		inv.Lines, inv.Charges, inv.pool, inv.Parties = lines, charges, pool, parties
	} else {
		*inv = Invoice{Lines: lines, Charges: charges, pool: pool, Parties: parties,
			References: inv.References[:0], Terms: inv.Terms[:0], Dates: inv.Dates[:0],
			Taxes: inv.Taxes[:0], Shipped: inv.Shipped[:0]}
	}
	const (
		heading = iota
		detail
		summary
	)
	area := heading
	var party *Party // open heading N1 loop
	var line *InvoiceLine
	inLineN1 := false           // inside an N1 loop of a line: its N2-N4/REF/PER are skipped
	big, tds, ctt := -1, -1, -1 // indexes of those segments
	idx, data := s.idx, s.data
	v5 := s.is5010()
	seq := newSeqState(seq810, lo)
	for i := lo; i < hi; i++ {
		// s.Segment(i), with the set's fields hoisted out of the loop.
		x := idx[i]
		end := len(data)
		if i+1 < len(idx) {
			end = int(idx[i+1].start)
		}
		raw := data[x.start:end]
		idEnd := idLen(raw, s.sep)
		key := segKey(raw[:idEnd])
		m.checkSegment(dict810, raw, idEnd, i+1, v5)
		// The two segments of every line need no sequence step before the
		// summary (IT1 only marks the detail begun).
		switch {
		case seq.summaryAt < 0 && key == keyIT1:
			seq.detail = true
		case seq.summaryAt < 0 && key == keyPID:
		default:
			seq.step(&m, i, raw[:idEnd])
		}
		// The two segments of every line (IT1, PID) skip building a Segment
		// value: it is a tenth of the mapping time. Neither belongs to an
		// N1 loop, so the open loops close as they would below.
		if key == keyIT1 && area != summary {
			party, inLineN1, area = nil, false, detail
			inv.Lines = inv.Lines[:len(inv.Lines)+1]
			line = &inv.Lines[len(inv.Lines)-1]
			m.it1(raw, idEnd, i+1, &inv.pool, line)
			continue
		}
		if key == keyPID {
			party, inLineN1 = nil, false
			if line != nil {
				if m.curPos == i+1 { // the syntax check split it already
					line.addDescription(elemTrimmed(raw, m.ends(), 5))
				} else {
					line.addDescription(element5(raw, idEnd, s.sep))
				}
			}
			continue
		}
		seg := Segment{ID: raw[:idEnd], Pos: i + 1, Offset: s.offset(x), raw: raw, sep: s.sep, comp: s.comp, rep: s.rep}
		g := &seg
		if party != nil && area == heading && m.partySegment(party, g) {
			continue
		}
		if inLineN1 {
			switch key {
			case keyN2, keyN3, keyN4, keyREF, keyPER, keyDMG:
				continue
			}
			inLineN1 = false
		}
		party = nil
		switch key {
		case keyBIG:
			if big >= 0 {
				m.errorf(g, 0, LevelSegment, "5", "", "BIG appears more than once")
				continue
			}
			big = i
			inv.Date = m.date(g, 1, "invoice date")
			inv.Number = m.required(g, 2, "invoice number")
			if inv.Date.IsZero() && m.el(g, 1) == "" {
				m.errorf(g, 1, LevelElement, "1", "", "invoice date is missing")
			}
			inv.PODate = m.date(g, 3, "PO date")
			inv.PONumber, inv.Release = m.str(g, 4), m.str(g, 5)
			inv.Type, inv.Purpose = m.str(g, 7), m.str(g, 8)
			inv.CreditMemo = inv.Type == "CR" || inv.Type == "CN"
		case keyCUR:
			inv.Currency = m.str(g, 2)
		case keyREF:
			if line != nil {
				line.References = append(line.References, m.ref(g))
			} else {
				inv.References = append(inv.References, m.ref(g))
			}
		case keyN1:
			if area == heading {
				p := m.party(g)
				if n := len(inv.Parties); n < cap(inv.Parties) {
					// A reused Invoice: the slot's lists keep their arrays.
					old := inv.Parties[:n+1][n]
					p.Address, p.References, p.Contacts = old.Address[:0], old.References[:0], old.Contacts[:0]
				}
				inv.Parties = append(inv.Parties, p)
				party = &inv.Parties[len(inv.Parties)-1]
			} else {
				inLineN1 = true
			}
		case keyITD:
			inv.Terms = append(inv.Terms, m.terms(g))
		case keyDTM:
			if line != nil {
				line.Dates = append(line.Dates, m.dtm(g))
			} else {
				inv.Dates = append(inv.Dates, m.dtm(g))
			}
		case keyIT1:
			if area == summary {
				m.errorf(g, 0, LevelSegment, "7", "", "IT1 after TDS is out of sequence")
			}
			area = detail
			inv.Lines = inv.Lines[:len(inv.Lines)+1]
			line = &inv.Lines[len(inv.Lines)-1]
			m.it1(g.raw, len(g.ID), g.Pos, &inv.pool, line)
		case keySAC:
			c := m.charge(g)
			if area == detail && line != nil {
				line.Charges = append(line.Charges, c)
			} else {
				inv.Charges = append(inv.Charges, c)
			}
		case keyTXI:
			t := m.tax(g)
			if area == detail && line != nil {
				line.Taxes = append(line.Taxes, t)
			} else {
				inv.Taxes = append(inv.Taxes, t)
			}
		case keyTDS:
			if tds >= 0 {
				m.errorf(g, 0, LevelSegment, "5", "", "TDS appears more than once")
				continue
			}
			tds = i
			area, line = summary, nil
			if m.el(g, 1) == "" {
				m.errorf(g, 1, LevelElement, "1", "", "total invoice amount (TDS01) is missing")
			}
			inv.Total = m.implied(g, 1, "total invoice amount", 2)
			inv.SubjectToDisc = m.implied(g, 2, "amount subject to terms discount", 2)
			inv.DiscountedDue = m.implied(g, 3, "discounted amount due", 2)
			inv.TermsDiscount = m.implied(g, 4, "terms discount amount", 2)
		case keyISS:
			inv.Shipped = append(inv.Shipped, Shipped{Units: m.dec(g, 1, "units shipped"), UOM: m.str(g, 2),
				Weight: m.dec(g, 3, "weight"), WeightUOM: m.str(g, 4)})
		case keyCTT:
			ctt = i
			inv.LineCount = m.integer(g, 1, "number of line items")
		}
	}
	if big < 0 {
		m.errorf(nil, 0, LevelSegment, "3", "", "mandatory segment BIG is missing")
		m.errs[len(m.errs)-1].SegmentID = "BIG"
	}
	if tds < 0 {
		m.errorf(nil, 0, LevelSegment, "3", "", "mandatory segment TDS is missing")
		m.errs[len(m.errs)-1].SegmentID = "TDS"
	}
	if c := s.Segment(ctt); ctt >= 0 && c.Element(1) != "" && inv.LineCount != len(inv.Lines) {
		m.errorf(&c, 1, LevelSegment, "8", c.Element(1), "CTT01 says %d line items, the invoice has %d IT1 lines", inv.LineCount, len(inv.Lines))
	}
	if tds >= 0 {
		t := s.Segment(tds)
		checkTotal(&m, &t, inv, m.lineSum)
	}
	m.mergeSyntax()
	m.versionNote()
	inv.Errors, inv.Warnings = m.errs, m.warns
	if len(m.errs) > 0 {
		return Issues(m.errs)
	}
	return nil
}

// Segment IDs as segKey computes them, for the 810 mapper's dispatch.
const (
	keyBIG = 1<<24 | 'B'<<16 | 'I'<<8 | 'G'
	keyCUR = 1<<24 | 'C'<<16 | 'U'<<8 | 'R'
	keyREF = 1<<24 | 'R'<<16 | 'E'<<8 | 'F'
	keyITD = 1<<24 | 'I'<<16 | 'T'<<8 | 'D'
	keyDTM = 1<<24 | 'D'<<16 | 'T'<<8 | 'M'
	keyIT1 = 1<<24 | 'I'<<16 | 'T'<<8 | '1'
	keyPID = 1<<24 | 'P'<<16 | 'I'<<8 | 'D'
	keySAC = 1<<24 | 'S'<<16 | 'A'<<8 | 'C'
	keyTXI = 1<<24 | 'T'<<16 | 'X'<<8 | 'I'
	keyTDS = 1<<24 | 'T'<<16 | 'D'<<8 | 'S'
	keyISS = 1<<24 | 'I'<<16 | 'S'<<8 | 'S'
	keyCTT = 1<<24 | 'C'<<16 | 'T'<<8 | 'T'
	keyPER = 1<<24 | 'P'<<16 | 'E'<<8 | 'R'
	keyDMG = 1<<24 | 'D'<<16 | 'M'<<8 | 'G'
	keyN1  = 'N'<<16 | '1'<<8
	keyN2  = 'N'<<16 | '2'<<8
	keyN3  = 'N'<<16 | '3'<<8
	keyN4  = 'N'<<16 | '4'<<8
)

// segKey packs a two- or three-character segment ID into one integer (the
// length is part of it), so the mapper dispatches with an integer switch;
// any other length is 0, which matches no case.
func segKey(id string) uint32 {
	switch len(id) {
	case 2:
		return uint32(id[0])<<16 | uint32(id[1])<<8
	case 3:
		return 1<<24 | uint32(id[0])<<16 | uint32(id[1])<<8 | uint32(id[2])
	}
	return 0
}

// it1 fills l in place, field by field: a whole-struct assignment of the
// 272-byte line is a typed copy whose bulk write barrier dominated the
// mapping while the collector is marking. The segment is split once (m.fields)
// and the product ID pairs go straight into the invoice's pool.
//
// It takes the segment as its text, ID length and position; the Segment
// value is built only to report a problem.
func (m *mapper) it1(raw string, idLen, pos int, pool *[]ProductID, l *InvoiceLine) {
	var e []int32
	if m.curPos == pos { // the syntax check split it already
		e = m.ends()
	} else {
		e = m.splitRaw(raw, idLen, pos, m.set.sep)
	}
	q, u, p := elemAt(raw, e, 2), elemAt(raw, e, 3), elemAt(raw, e, 4)
	setStr(&l.LineNumber, elemTrimmed(raw, e, 1))
	setStr(&l.UOM, trimRight(u))
	setStr(&l.PriceBasis, elemTrimmed(raw, e, 5))
	setStr(&l.Description, "")
	l.Position = pos
	// Keep the capacity of a reused line's slices (a reslice of the same
	// variable needs no write barrier).
	l.References, l.Dates, l.Taxes, l.Charges = l.References[:0], l.Dates[:0], l.Taxes[:0], l.Charges[:0]
	l.Quantity, l.UnitPrice = money.Zero, money.Zero
	l.NoPrice, l.NoQuantity = p == "", q == ""
	var ok bool
	if q != "" {
		if l.Quantity, ok = parseR(q); !ok {
			m.errorAt(pos, 2, LevelElement, "6", q, "quantity invoiced %q is not a number", q)
		}
	}
	if p != "" {
		if l.UnitPrice, ok = parseR(p); !ok {
			m.errorAt(pos, 4, LevelElement, "6", p, "unit price %q is not a number", p)
		}
	}
	if (q == "" || u == "" || p == "") && (q != "" || u != "" || p != "") { // some, not all
		for i, present := range [3]bool{q != "", u != "", p != ""} {
			if !present {
				m.errorAt(pos, i+2, LevelElement, "2", "", "IT1%02d is required when any of IT102, IT103, IT104 is present", i+2)
			}
		}
	}
	// Product ID pairs from IT106 on, and the buyer, vendor and UPC picks
	// (pickParts' rule) in the same pass.
	ids := *pool
	start := len(ids)
	var buyer, vendor, upc string
	for i := 6; i+1 < len(e); i += 2 {
		qual, id := elemTrimmed(raw, e, i), elemTrimmed(raw, e, i+1)
		if qual == "" && id == "" {
			continue
		}
		ids = append(ids, ProductID{Qualifier: qual, ID: id})
		if len(qual) != 2 {
			continue
		}
		switch uint16(qual[0])<<8 | uint16(qual[1]) {
		case 'B'<<8 | 'P', 'I'<<8 | 'N':
			if buyer == "" {
				buyer = id
			}
		case 'V'<<8 | 'P', 'V'<<8 | 'N', 'V'<<8 | 'A', 'V'<<8 | 'C', 'M'<<8 | 'G':
			if vendor == "" {
				vendor = id
			}
		case 'U'<<8 | 'P', 'U'<<8 | 'K', 'U'<<8 | 'A', 'E'<<8 | 'N':
			if upc == "" {
				upc = id
			}
		}
	}
	*pool = ids
	if len(ids) == start {
		if l.ProductIDs != nil {
			l.ProductIDs = nil
		}
	} else {
		l.ProductIDs = ids[start:len(ids):len(ids)]
	}
	setStr(&l.BuyerPart, buyer)
	setStr(&l.VendorPart, vendor)
	setStr(&l.UPC, upc)
	m.lineSum = addExtension(m.lineSum, l.Quantity, l.UnitPrice)
}

// addExtension is sum.Add(q.Mul(p)) with the common case inline: both
// coefficients below 2^31 (so the product fits), a product scale of at
// most money.MaxScale (so Mul does not round) and the sum already at that
// scale with room to add (so Add neither aligns nor overflows). Anything
// else goes through money, so the result is always the same.
func addExtension(sum, q, p money.Decimal) money.Decimal {
	const small = 1 << 31
	qc, pc, sc := q.Coef(), p.Coef(), sum.Coef()
	scale := q.Scale() + p.Scale()
	if q.Valid() && p.Valid() && sum.Valid() && scale <= money.MaxScale && sum.Scale() == scale &&
		-small < qc && qc < small && -small < pc && pc < small && -(1<<62) < sc && sc < 1<<62 {
		return money.New(sc+qc*pc, scale)
	}
	return sum.Add(q.Mul(p))
}

// addDescription appends a PID05 to the line's description, space-separated.
func (l *InvoiceLine) addDescription(d string) {
	if d == "" {
		return
	}
	if l.Description == "" {
		l.Description = d
	} else {
		l.Description += " " + d
	}
}

// errorAt is errorf for the segment at position pos of the mapper's set.
func (m *mapper) errorAt(pos, elem int, lvl Level, code, value, format string, args ...any) {
	g := m.set.Segment(pos - 1)
	m.errorf(&g, elem, lvl, code, value, format, args...)
}

// setStr stores v unless both are empty: a fresh line's empty fields then
// cost no write barrier.
func setStr(dst *string, v string) {
	if v != "" || *dst != "" {
		*dst = v
	}
}

// trimRight removes trailing spaces.
func trimRight(v string) string {
	for len(v) > 0 && v[len(v)-1] == ' ' {
		v = v[:len(v)-1]
	}
	return v
}

// element5 is element 5 of a segment (PID05), trimmed, without splitting
// the rest.
func element5(raw string, idLen int, sep byte) string {
	k, n := idLen, 0
	for ; k < len(raw); k++ {
		if raw[k] == sep {
			n++
			if n == 5 {
				break
			}
		}
	}
	if n < 5 {
		return ""
	}
	k++
	e := k
	for e < len(raw) && raw[e] != sep {
		e++
	}
	return trimRight(raw[k:e])
}

// totalParts computes what TDS01 should be the way translators do: line
// extensions, plus summary charges minus summary allowances (line-level ones
// when the invoice has no summary SAC), plus summary taxes unless a summary
// SAC H850 already carries the tax.
func (inv *Invoice) totalParts() (lines, charges, tax, want money.Decimal) {
	lines = money.Zero
	for _, l := range inv.Lines {
		lines = lines.Add(l.Extension())
	}
	return inv.totalPartsWith(lines)
}

// totalPartsWith is totalParts with the line sum already known.
func (inv *Invoice) totalPartsWith(lines money.Decimal) (_, charges, tax, want money.Decimal) {
	charges = money.Zero
	taxInSAC := false
	for _, c := range inv.Charges {
		charges = charges.Add(c.Signed())
		if c.Code == "H850" {
			taxInSAC = true
		}
	}
	if len(inv.Charges) == 0 {
		for i := range inv.Lines {
			for _, c := range inv.Lines[i].Charges {
				charges = charges.Add(c.Signed())
			}
		}
	}
	tax = money.Zero
	if !taxInSAC {
		for _, t := range inv.Taxes {
			tax = tax.Add(t.Amount)
		}
	}
	return lines, charges, tax, lines.Add(charges).Add(tax)
}

// checkTotal warns with both figures when TDS01 disagrees with totalParts.
// lineSum is the sum of the line extensions, accumulated while mapping (the
// same additions in the same order as totalParts makes).
func checkTotal(m *mapper, tds *Segment, inv *Invoice, lineSum money.Decimal) {
	sum, charges, tax, want := inv.totalPartsWith(lineSum)
	if !want.Valid() || !inv.Total.Valid() {
		return
	}
	if want.Round(2).Cmp(inv.Total) != 0 {
		m.warnf(tds, 1, "total %s (TDS01) does not equal lines %s + charges - allowances %s + tax %s = %s",
			inv.Total, sum, charges, tax, want.Round(2))
	}
}

// BusinessIssues are what an invoice X12 accepts still lacks for posting,
// reported apart from the syntax errors so a 997 rejects only what X12
// rejects (X12 makes BIG04 and IT102-IT104 optional): no purchase order
// number to match, a line without quantity or unit price (never a free
// line). The engine raises the same as exceptions after an accepting 997.
// A set whose syntax failed has no business reading: nil then.
func (inv *Invoice) BusinessIssues() []Issue {
	if inv == nil || len(inv.Errors) > 0 {
		return nil
	}
	var out []Issue
	add := func(pos int, seg, msg string) {
		out = append(out, Issue{Position: pos, SegmentID: seg, Offset: -1, Level: LevelBusiness, Message: msg})
	}
	if inv.PONumber == "" {
		add(0, "BIG", "no purchase order number (BIG04): the invoice cannot be matched to a PO")
	}
	for i, l := range inv.Lines {
		switch {
		case l.NoPrice && l.NoQuantity:
			add(l.Position, "IT1", fmt.Sprintf("line %d (%s) has no quantity and no unit price (IT102, IT104): it cannot be posted", i+1, cmp.Or(l.LineNumber, "no line number")))
		case l.NoPrice:
			add(l.Position, "IT1", fmt.Sprintf("line %d (%s) has no unit price (IT104): it cannot be posted as a free line", i+1, cmp.Or(l.LineNumber, "no line number")))
		case l.NoQuantity:
			add(l.Position, "IT1", fmt.Sprintf("line %d (%s) has no quantity (IT102): it cannot be posted", i+1, cmp.Or(l.LineNumber, "no line number")))
		}
	}
	return out
}
