package x12

import (
	"fmt"

	"github.com/ml-connector/ifs-cleo/core/money"
)

// BEG01 purposes the writer supports.
const (
	PurposeOriginal     = "00"
	PurposeCancellation = "01"
	PurposeReplace      = "05"
)

// PurchaseOrder is an 850 purchase order, as read or to be written.
type PurchaseOrder struct {
	Purpose    string        `json:"purpose"`            // BEG01: 00 original, 05 replace, 01 cancellation
	Type       string        `json:"type"`               // BEG02: SA stand-alone, NE new order, BK blanket …
	Number     string        `json:"number"`             // BEG03
	Release    string        `json:"release,omitempty"`  // BEG04
	Date       Date          `json:"date"`               // BEG05
	Contract   string        `json:"contract,omitempty"` // BEG06
	Currency   string        `json:"currency,omitempty"` // CUR02 (CUR01 = BY)
	References []Reference   `json:"references,omitempty"`
	Contacts   []Contact     `json:"contacts,omitempty"`
	FOB        string        `json:"fob,omitempty"` // FOB01 shipment method of payment: PP prepaid, CC collect …
	Terms      []Terms       `json:"terms,omitempty"`
	Dates      []DateRef     `json:"dates,omitempty"`
	Parties    []Party       `json:"parties,omitempty"` // ST ship-to, BT bill-to, SU supplier …
	Lines      []POLine      `json:"lines"`
	LineCount  int           `json:"line_count,omitempty"` // CTT01 as read
	HashTotal  money.Decimal `json:"hash_total,omitzero"`  // CTT02 as read: sum of quantities
	Errors     []Issue       `json:"-"`
	Warnings   []Issue       `json:"-"`
}

// POLine is a PO1 loop.
type POLine struct {
	LineNumber  string        `json:"line_number"` // PO101
	Quantity    money.Decimal `json:"quantity"`
	UOM         string        `json:"uom"`
	UnitPrice   money.Decimal `json:"unit_price"`
	PriceBasis  string        `json:"price_basis,omitempty"`
	BuyerPart   string        `json:"buyer_part"`
	VendorPart  string        `json:"vendor_part"`
	UPC         string        `json:"upc,omitempty"`
	ProductIDs  []ProductID   `json:"product_ids,omitempty"` // as read; when writing, extra pairs beyond BP/VP
	Description string        `json:"description"`
	Dates       []DateRef     `json:"dates,omitempty"`
	Charges     []Charge      `json:"charges,omitempty"`
	Position    int           `json:"position,omitempty"`
}

// ParsePurchaseOrder maps an 850 set, like ParseInvoice does an 810.
func ParsePurchaseOrder(s *Set) (*PurchaseOrder, error) {
	if s.ID != "850" {
		return nil, fmt.Errorf("parse purchase order: set %s is a %s, not an 850", s.ControlNumber, s.ID)
	}
	m := newMapper(s)
	lo, hi := s.bodyRange()
	n := 0
	for i := lo; i < hi; i++ {
		if r := s.rawAt(i); len(r) >= 3 && r[:3] == "PO1" && idLen(r, s.sep) == 3 {
			n++
		}
	}
	po := &PurchaseOrder{Lines: make([]POLine, 0, n)}
	pool := make([]ProductID, 0, n*2)
	var party *Party
	var line *POLine
	beg, ctt := -1, -1
	inLineN1 := false
	for i := lo; i < hi; i++ {
		seg := s.Segment(i)
		g := &seg
		if party != nil && line == nil && m.partySegment(party, g) {
			continue
		}
		if inLineN1 {
			switch g.ID {
			case "N2", "N3", "N4", "REF", "PER":
				continue
			}
			inLineN1 = false
		}
		party = nil
		switch g.ID {
		case "BEG":
			if beg >= 0 {
				m.errorf(g, 0, LevelSegment, "5", "", "BEG appears more than once")
				continue
			}
			beg = i
			po.Purpose = m.required(g, 1, "transaction set purpose (BEG01)")
			po.Type = m.required(g, 2, "purchase order type (BEG02)")
			po.Number = m.required(g, 3, "purchase order number")
			po.Release = m.str(g, 4)
			if m.el(g, 5) == "" {
				m.errorf(g, 5, LevelElement, "1", "", "purchase order date is missing")
			}
			po.Date = m.date(g, 5, "purchase order date")
			po.Contract = m.str(g, 6)
		case "CUR":
			if line == nil {
				po.Currency = m.str(g, 2)
			}
		case "REF":
			if line == nil {
				po.References = append(po.References, m.ref(g))
			}
		case "PER":
			if line == nil {
				po.Contacts = append(po.Contacts, m.contact(g))
			}
		case "FOB":
			if line == nil {
				po.FOB = m.str(g, 1)
			}
		case "ITD":
			if line == nil {
				po.Terms = append(po.Terms, m.terms(g))
			}
		case "DTM":
			if line != nil {
				line.Dates = append(line.Dates, m.dtm(g))
			} else {
				po.Dates = append(po.Dates, m.dtm(g))
			}
		case "N1":
			if line == nil {
				po.Parties = append(po.Parties, m.party(g))
				party = &po.Parties[len(po.Parties)-1]
			} else {
				inLineN1 = true
			}
		case "PO1":
			po.Lines = append(po.Lines, m.po1(g, &pool))
			line = &po.Lines[len(po.Lines)-1]
		case "PID":
			if line != nil {
				if d := m.str(g, 5); d != "" {
					if line.Description == "" {
						line.Description = d
					} else {
						line.Description += " " + d
					}
				}
			}
		case "SAC":
			if line != nil {
				line.Charges = append(line.Charges, m.charge(g))
			}
		case "CTT":
			ctt, line = i, nil
			po.LineCount = m.integer(g, 1, "number of line items")
			po.HashTotal = m.dec(g, 2, "hash total")
		}
	}
	if beg < 0 {
		m.errorf(nil, 0, LevelSegment, "3", "", "mandatory segment BEG is missing")
		m.errs[len(m.errs)-1].SegmentID = "BEG"
	}
	if len(po.Lines) == 0 {
		m.errorf(nil, 0, LevelSegment, "3", "", "mandatory segment PO1 is missing")
		m.errs[len(m.errs)-1].SegmentID = "PO1"
	}
	if c := s.Segment(ctt); ctt >= 0 && c.Element(1) != "" && po.LineCount != len(po.Lines) {
		m.errorf(&c, 1, LevelSegment, "8", c.Element(1), "CTT01 says %d line items, the order has %d PO1 lines", po.LineCount, len(po.Lines))
	}
	m.checkSequence(seq850)
	m.checkSyntax(dict850)
	m.versionNote()
	po.Errors, po.Warnings = m.errs, m.warns
	if len(m.errs) > 0 {
		return po, Issues(m.errs)
	}
	return po, nil
}

func (m *mapper) po1(g *Segment, pool *[]ProductID) POLine {
	l := POLine{LineNumber: m.str(g, 1), UOM: m.str(g, 3), PriceBasis: m.str(g, 5), Position: g.Pos,
		Quantity:  m.dec(g, 2, "quantity ordered"),
		UnitPrice: m.dec(g, 4, "unit price")}
	if m.el(g, 2) == "" {
		m.errorf(g, 2, LevelElement, "2", "", "quantity ordered (PO102) is missing")
	}
	start := len(*pool)
	*pool = m.productIDs(g, 6, *pool)
	l.ProductIDs = (*pool)[start:len(*pool):len(*pool)]
	if len(l.ProductIDs) == 0 {
		l.ProductIDs = nil
	}
	l.BuyerPart, l.VendorPart, l.UPC = pickParts(l.ProductIDs)
	return l
}
