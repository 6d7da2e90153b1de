package x12

import (
	"os"
	"strings"
	"testing"
)

// Hand-made fixtures (testdata/x12/own) with values worked out by hand.

func readFixture(t *testing.T, rel string) []*Set {
	t.Helper()
	b, err := os.ReadFile(fixtures + "/" + rel)
	if err != nil {
		t.Fatal(err)
	}
	sets, rd := readAll(t, string(b))
	if rd.Err() != nil {
		t.Fatal(rd.Err())
	}
	return sets
}

func TestOwn5010InvoiceAndCreditMemo(t *testing.T) {
	sets := readFixture(t, "own/810-5010-invoice-and-credit-memo.edi")
	if len(sets) != 2 {
		t.Fatalf("%d sets", len(sets))
	}
	s := sets[0]
	if sep := s.Interchange.Separators; sep.Element != '|' || sep.Component != ':' || sep.Repetition != '^' || sep.Segment != "~" {
		t.Fatalf("separators %+v", sep)
	}
	if s.Convention != "005010" || s.Version() != "005010" || s.Group.ControlNumber != "501" {
		t.Fatalf("%+v %+v", s, s.Group)
	}
	inv, err := ParseInvoice(s)
	if err != nil {
		t.Fatal(err)
	}
	// Lines 10 × 12.50 = 125.00 and 2.5 × 4.10 = 10.25 (135.25); freight 7.50;
	// VAT 19 % of 142.75 = 27.12; total 169.87.
	if inv.Number != "INV-5010-1" || inv.Date.String() != "2026-03-15" || inv.PODate.String() != "2026-03-01" || inv.PONumber != "PO-77" ||
		inv.Currency != "EUR" || inv.CreditMemo || inv.Total.String() != "169.87" || len(inv.Warnings) != 0 {
		t.Fatalf("%+v warnings %v", inv, inv.Warnings)
	}
	if l := inv.Lines[1]; l.Quantity.String() != "2.5" || l.UnitPrice.String() != "4.10" || l.Extension().String() != "10.250" || l.Description != "Grease" || l.BuyerPart != "P-2" {
		t.Fatalf("line 2 %+v", l)
	}
	if len(inv.Taxes) != 1 || inv.Taxes[0].Amount.String() != "27.12" || inv.Taxes[0].Percent.String() != "19" {
		t.Fatalf("taxes %+v", inv.Taxes)
	}
	if len(inv.Charges) != 1 || inv.Charges[0].Amount.String() != "7.50" || inv.Charges[0].Description != "freight" {
		t.Fatalf("charges %+v", inv.Charges)
	}
	if p := inv.Parties[0]; p.Code != "RE" || p.City != "Berlin" || p.PostalCode != "10115" || p.Country != "DE" || p.Address[0] != "Hauptstrasse 1" {
		t.Fatalf("party %+v", p)
	}
	if tm := inv.Terms[0]; tm.DiscountPercent.String() != "2" || tm.DiscountDays != 10 || tm.NetDays != 30 {
		t.Fatalf("terms %+v", tm)
	}
	cm, err := ParseInvoice(sets[1])
	if err != nil {
		t.Fatal(err)
	}
	if !cm.CreditMemo || cm.Type != "CR" || cm.Total.String() != "12.50" || cm.Lines[0].Description != "Hex bolt M8 returned" {
		t.Fatalf("credit memo %+v", cm)
	}
	if !sets[1].Group.TrailerRead || sets[1].Group.DeclaredSets != 2 {
		t.Fatalf("group trailer %+v", sets[1].Group)
	}
}

func TestOwnNewlineTerminatorTwoInterchanges(t *testing.T) {
	sets := readFixture(t, "own/810-4010-newline-terminator-two-interchanges.edi")
	if len(sets) != 2 || sets[0].Interchange.ControlNumber != "000000601" || sets[1].Interchange.ControlNumber != "000000602" {
		t.Fatalf("%d sets", len(sets))
	}
	for _, s := range sets {
		if len(s.Errors)+len(s.Warnings) != 0 {
			t.Fatalf("%v %v", s.Errors, s.Warnings)
		}
		if sep := s.Interchange.Separators; sep.Element != '^' || sep.Component != '\\' || sep.Segment != "\n" || sep.Repetition != 0 || s.Interchange.StandardsID != "U" {
			t.Fatalf("separators %+v", sep)
		}
	}
	a, _ := ParseInvoice(sets[0])
	// 3 × 20 = 60.00 less the line allowance 5.00 = 55.00 (no summary SAC, so line SACs count).
	if a.Total.String() != "55.00" || len(a.Lines[0].Charges) != 1 || a.Lines[0].Charges[0].Signed().String() != "-5.00" || len(a.Warnings) != 0 {
		t.Fatalf("%+v %v", a, a.Warnings)
	}
	b, _ := ParseInvoice(sets[1])
	if b.Total.String() != "99.99" || len(b.Shipped) != 1 || b.Shipped[0].UOM != "EA" {
		t.Fatalf("%+v", b)
	}
}

func TestOwnErrors(t *testing.T) {
	sets := readFixture(t, "own/810-4010-errors.edi")
	inv, err := ParseInvoice(sets[0])
	if err == nil {
		t.Fatal("want errors")
	}
	checkIssues(t, inv.Errors, []string{
		`interchange 000000701 group 701 set 0001: segment 7 (SE) element 1: SE01 says 9 segments, the set has 7`,
		`interchange 000000701 group 701 set 0001: segment 3 (IT1) element 4: unit price "12,50" is not a number`,
		`interchange 000000701 group 701 set 0001: segment 6 (CTT) element 1: CTT01 says 3 line items, the invoice has 2 IT1 lines`,
	})
	if len(inv.Warnings) != 1 || !strings.Contains(inv.Warnings[0].Message, "total 30.00 (TDS01) does not equal lines 5.00") {
		t.Fatalf("warnings %v", inv.Warnings)
	}
	a, err := Build997(sets)
	if err != nil {
		t.Fatal(err)
	}
	sa := a.Sets[0]
	if a.Status != "R" || sa.Status != "R" || len(sa.Errors) != 2 || sa.Errors[0].Code != "4" || sa.Errors[1].Code != "5" ||
		len(sa.Segments) != 2 || sa.Segments[0].Position != 3 || sa.Segments[0].Elements[0].Code != "6" || sa.Segments[1].SegmentID != "CTT" {
		t.Fatalf("997 %+v", a)
	}
}

// A DOS end-of-file byte (0x1A) after the last IEA, alone or after line
// ends, is a warning and the file stays valid; other trailing bytes are
// reported as trailing data, not as a missing ISA.
func TestOwnTrailingBytes(t *testing.T) {
	for _, c := range []struct {
		name, tail string
		err        string // "" = readable
		warning    bool
	}{
		{"nothing", "", "", false},
		{"line ends", "\r\n\r\n", "", false},
		{"DOS EOF", "\x1a", "", true},
		{"line end then DOS EOF", "\r\n\x1a", "", true},
		{"text", "\r\nThank you for your business", "trailing data after the last IEA is not an X12 interchange (it starts \"Thank you for your b\")", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			sets, rd := readAll(t, small810+c.tail)
			if len(sets) == 0 {
				t.Fatal("no sets")
			}
			for _, st := range sets {
				if len(st.Errors) != 0 {
					t.Fatalf("set %s errors %v", st.ControlNumber, st.Errors)
				}
			}
			switch {
			case c.err == "" && rd.Err() != nil:
				t.Fatalf("error %v", rd.Err())
			case c.err != "" && (rd.Err() == nil || !strings.Contains(rd.Err().Error(), c.err)):
				t.Fatalf("error %v, want %q", rd.Err(), c.err)
			}
			warned := false
			for _, is := range rd.Issues() {
				warned = warned || is.Warning && strings.Contains(is.Message, "0x1A")
			}
			if warned != c.warning {
				t.Fatalf("warning %v, want %v (%+v)", warned, c.warning, rd.Issues())
			}
		})
	}
}

// A space as segment terminator is named (a warning on the interchange);
// the values without spaces still read.
func TestOwnSpaceTerminatorNamed(t *testing.T) {
	raw := strings.ReplaceAll(small810, "~", " ")
	raw = strings.ReplaceAll(raw, "\n", "")
	sets, rd := readAll(t, raw)
	if len(sets) == 0 {
		t.Fatalf("no sets: %v", rd.Err())
	}
	named := false
	check := func(is []Issue) {
		for _, i := range is {
			named = named || strings.Contains(i.Message, "declares a space as segment terminator")
		}
	}
	check(rd.Issues())
	for _, s := range sets {
		check(s.Warnings)
		check(s.Errors)
	}
	if !named {
		t.Fatalf("the space terminator is not named: %+v %+v", rd.Issues(), sets[0].Warnings)
	}
}
