package x12

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/money"
)

// Property tests: random models survive write → read → parse → write
// byte-for-byte, with no problems reported, for random separators and both
// versions.

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func rstr(r *rand.Rand, min, max int, chars string) string {
	n := min + r.IntN(max-min+1)
	b := make([]byte, n)
	for i := range b {
		b[i] = chars[r.IntN(len(chars))]
	}
	return string(b)
}

// rtext is free text: letters, digits, inner spaces and punctuation that is
// not a delimiter in any of the separator sets used below.
func rtext(r *rand.Rand, max int) string {
	s := rstr(r, 1, max, alnum+alnum+"  -.,/#&()")
	for len(s) > 0 && s[len(s)-1] == ' ' {
		s = s[:len(s)-1]
	}
	if s == "" {
		s = "X"
	}
	return s
}

func rdec(r *rand.Rand, maxScale int, allowNeg bool) money.Decimal {
	c := int64(r.IntN(1_000_000)) + 1
	if allowNeg && r.IntN(5) == 0 {
		c = -c
	}
	return money.New(c, r.IntN(maxScale+1))
}

func rdate(r *rand.Rand) Date {
	return DateOf(time.Date(2000+r.IntN(40), time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC))
}

func rparties(r *rand.Rand, codes ...string) []Party {
	var ps []Party
	for _, c := range codes {
		if r.IntN(3) == 0 {
			continue
		}
		p := Party{Code: c, Name: rtext(r, 30)}
		if r.IntN(2) == 0 {
			p.IDQualifier, p.ID = "92", rstr(r, 2, 10, alnum)
		}
		if r.IntN(2) == 0 {
			p.Address = []string{rtext(r, 30)}
			if r.IntN(2) == 0 {
				p.Address = append(p.Address, rtext(r, 20))
			}
			p.City, p.State, p.PostalCode, p.Country = rtext(r, 19)+"x", "IL", rstr(r, 5, 5, "0123456789"), "US" // N401 is AN 2/30
		}
		ps = append(ps, p)
	}
	return ps
}

func randomPO(r *rand.Rand) *PurchaseOrder {
	po := &PurchaseOrder{Purpose: []string{"00", "05", "01"}[r.IntN(3)], Type: "SA", Number: rstr(r, 1, 22, alnum+"-"), Date: rdate(r)}
	if r.IntN(2) == 0 {
		po.Currency = []string{"USD", "EUR", "SEK"}[r.IntN(3)]
	}
	if r.IntN(2) == 0 {
		po.References = []Reference{{Qualifier: "IA", ID: rstr(r, 1, 20, alnum)}}
	}
	if r.IntN(2) == 0 {
		po.Contacts = []Contact{{Function: "BD", Name: rtext(r, 20), Phone: rstr(r, 7, 12, "0123456789"), Email: "a@b.example"}}
	}
	if r.IntN(2) == 0 {
		po.FOB = "PP"
	}
	if r.IntN(2) == 0 {
		po.Terms = []Terms{{Type: "01", BasisDate: "3", DiscountPercent: money.New(int64(r.IntN(10)+1), 0), DiscountDays: 10, NetDays: 30, Description: rtext(r, 20)}}
	}
	if r.IntN(2) == 0 {
		po.Dates = []DateRef{{Qualifier: "002", Date: rdate(r)}}
	}
	po.Parties = rparties(r, "ST", "BT", "SU")
	n := 1 + r.IntN(30)
	for i := 0; i < n; i++ {
		l := POLine{LineNumber: fmt.Sprint(i + 1), Quantity: rdec(r, 3, false), UOM: []string{"EA", "KG", "CA"}[r.IntN(3)],
			UnitPrice: rdec(r, 4, false), BuyerPart: rstr(r, 1, 15, alnum+"-")}
		if r.IntN(2) == 0 {
			l.VendorPart = rstr(r, 1, 15, alnum)
		}
		if r.IntN(2) == 0 {
			l.Description = rtext(r, 40)
		}
		if r.IntN(4) == 0 {
			l.Dates = []DateRef{{Qualifier: "002", Date: rdate(r)}}
		}
		po.Lines = append(po.Lines, l)
	}
	return po
}

func randomInvoice(r *rand.Rand) *Invoice {
	inv := &Invoice{Number: rstr(r, 1, 22, alnum+"-"), Date: rdate(r), PONumber: rstr(r, 0, 22, alnum)}
	if r.IntN(3) == 0 {
		inv.CreditMemo, inv.Type = true, "CR"
	}
	if r.IntN(2) == 0 {
		inv.Currency = "USD"
	}
	inv.Parties = rparties(r, "RE", "ST")
	n := r.IntN(30)
	for i := 0; i < n; i++ {
		l := InvoiceLine{LineNumber: fmt.Sprint(i + 1), Quantity: rdec(r, 2, false), UOM: "EA", UnitPrice: rdec(r, 4, true),
			BuyerPart: rstr(r, 1, 15, alnum), Description: rtext(r, 30)}
		if r.IntN(4) == 0 {
			l.Charges = []Charge{{Indicator: "A", Code: "C310", Amount: money.New(int64(r.IntN(10000)), 2)}}
		}
		if r.IntN(4) == 0 {
			l.Taxes = []Tax{{Type: "ST", Amount: money.New(int64(r.IntN(10000)), 2)}}
		}
		inv.Lines = append(inv.Lines, l)
	}
	if r.IntN(2) == 0 {
		inv.Charges = []Charge{{Indicator: "C", Code: "D240", Amount: money.New(int64(r.IntN(10000)), 2)}}
	}
	if r.IntN(2) == 0 {
		inv.Taxes = []Tax{{Type: "VA", Amount: money.New(int64(r.IntN(10000)), 2), Percent: money.New(19, 0)}}
	}
	inv.Total = inv.ComputeTotal()
	return inv
}

var separatorSets = []Separators{
	DefaultSeparators,
	{Element: '|', Component: ':', Segment: "~"},
	{Element: '^', Component: '\\', Segment: "\n"},
	{Element: 0x1D, Component: 0x1F, Segment: "\x1C"},
	{Element: '*', Component: '>', Segment: "…"},
}

func randomEnv(r *rand.Rand) Envelope {
	e := testEnv([]string{Version4010, Version5010}[r.IntN(2)])
	e.Separators = separatorSets[r.IntN(len(separatorSets))]
	if e.Version == Version5010 {
		e.Separators.Repetition = '!'
	}
	e.Newline = r.IntN(2) == 0 && e.Separators.Segment != "\n"
	e.InterchangeControl, e.GroupControl, e.SetControl = 1+r.Int64N(999999998), 1+r.Int64N(999999998), 1+r.Int64N(99999)
	return e
}

// stripPositions clears what only a parsed document has.
func stripPO(po *PurchaseOrder) {
	po.Errors, po.Warnings, po.LineCount, po.HashTotal = nil, nil, 0, money.Zero
	for i := range po.Lines {
		po.Lines[i].Position, po.Lines[i].ProductIDs = 0, nil
	}
}

func TestPropertyPORoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	for iter := 0; iter < 300; iter++ {
		env := randomEnv(r)
		pos := []*PurchaseOrder{randomPO(r)}
		if r.IntN(3) == 0 {
			pos = append(pos, randomPO(r))
		}
		var b1 bytes.Buffer
		if err := Write850(&b1, env, pos...); err != nil {
			t.Fatalf("iter %d: %v", iter, err)
		}
		sets, rd := readAll(t, b1.String())
		if rd.Err() != nil || len(rd.Issues()) != 0 || len(sets) != len(pos) {
			t.Fatalf("iter %d: %v %v %d\n%q", iter, rd.Err(), rd.Issues(), len(sets), b1.String())
		}
		var back []*PurchaseOrder
		for i, s := range sets {
			po, err := ParsePurchaseOrder(s)
			if err != nil || len(po.Warnings) != 0 {
				t.Fatalf("iter %d: %v %v\n%q", iter, err, po.Warnings, b1.String())
			}
			back = append(back, po)
			cp := *po
			stripPO(&cp)
			want := *pos[i]
			stripPO(&want)
			for k := range cp.Lines {
				cp.Lines[k].UPC = "" // not set by the generator
			}
			if !reflect.DeepEqual(fmt.Sprint(cp), fmt.Sprint(want)) {
				t.Fatalf("iter %d: model changed\n got %+v\nwant %+v", iter, cp, want)
			}
		}
		var b2 bytes.Buffer
		if err := Write850(&b2, env, back...); err != nil {
			t.Fatal(err)
		}
		if b1.String() != b2.String() {
			t.Fatalf("iter %d: write → read → write differs\n%q\n%q", iter, b1.String(), b2.String())
		}
	}
}

func TestPropertyInvoiceRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	for iter := 0; iter < 300; iter++ {
		env := randomEnv(r)
		inv := randomInvoice(r)
		var b1 bytes.Buffer
		if err := Write810(&b1, env, inv); err != nil {
			t.Fatalf("iter %d: %v", iter, err)
		}
		sets, rd := readAll(t, b1.String())
		if rd.Err() != nil || len(sets) != 1 {
			t.Fatalf("iter %d: %v %d", iter, rd.Err(), len(sets))
		}
		back, err := ParseInvoice(sets[0])
		if err != nil || len(back.Warnings) != 0 {
			t.Fatalf("iter %d: %v %v\n%q", iter, err, back.Warnings, b1.String())
		}
		if back.Number != inv.Number || back.Total.Cmp(inv.Total) != 0 || len(back.Lines) != len(inv.Lines) || back.CreditMemo != inv.CreditMemo {
			t.Fatalf("iter %d: %+v vs %+v", iter, back, inv)
		}
		for k := range inv.Lines {
			a, b := inv.Lines[k], back.Lines[k]
			if a.Quantity.String() != b.Quantity.String() || a.UnitPrice.String() != b.UnitPrice.String() || a.Description != b.Description || a.BuyerPart != b.BuyerPart {
				t.Fatalf("iter %d line %d: %+v vs %+v", iter, k, a, b)
			}
		}
		var b2 bytes.Buffer
		if err := Write810(&b2, env, back); err != nil {
			t.Fatal(err)
		}
		if b1.String() != b2.String() {
			t.Fatalf("iter %d: write → read → write differs\n%q\n%q", iter, b1.String(), b2.String())
		}
	}
}
