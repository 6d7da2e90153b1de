package x12

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

func firstSet(t *testing.T, in string) *Set {
	t.Helper()
	sets, rd := readAll(t, in)
	if rd.Err() != nil || len(sets) == 0 {
		t.Fatalf("read: %v, %d sets", rd.Err(), len(sets))
	}
	return sets[0]
}

func TestParseInvoiceSample(t *testing.T) {
	b, err := os.ReadFile("../../testdata/x12/EDI.Net/x12.810b.edi")
	if err != nil {
		t.Fatal(err)
	}
	inv, err := ParseInvoice(firstSet(t, string(b)))
	if err != nil {
		t.Fatal(err)
	}
	if inv.Number != "DO091003TESTINV01TAX" || inv.Date.String() != "2003-03-10" || inv.PONumber != "DO091003" ||
		inv.Currency != "USD" || inv.CreditMemo || inv.Total.String() != "401.92" || len(inv.Lines) != 2 || inv.LineCount != 2 {
		t.Fatalf("header: %+v", inv)
	}
	l := inv.Lines[1]
	if l.LineNumber != "2" || l.Quantity.String() != "2" || l.UOM != "EA" || l.UnitPrice.String() != "79.99" ||
		l.VendorPart != "ID002" || l.Description != "Power Cord" || len(l.Taxes) != 2 || len(l.Charges) != 3 {
		t.Fatalf("line: %+v", l)
	}
	if len(inv.Charges) != 2 || inv.Charges[0].Amount.String() != "6.00" || inv.Charges[1].Code != "H850" ||
		inv.Charges[1].Amount.String() != "35.96" || inv.Charges[1].Description != "total tax" {
		t.Fatalf("charges: %+v", inv.Charges)
	}
	if len(inv.Warnings) != 3 { // the three ISA width warnings; no TDS warning: 359.96 + 6.00 + 35.96 = 401.92
		t.Fatalf("warnings: %v", inv.Warnings)
	}
}

func TestParseInvoiceErrorsAndChecks(t *testing.T) {
	in := strings.Replace(small810, "TDS*2500~", "TDS*2600~\nCTT*3~", 1)
	in = strings.Replace(in, "SE*5*0001", "SE*6*0001", 1)
	inv, err := ParseInvoice(firstSet(t, in))
	if err == nil {
		t.Fatal("want an error")
	}
	checkIssues(t, inv.Errors, []string{
		`interchange 000000905 group 1 set 0001: segment 3 (IT1) element 4: unit price "12,50" is not a number`,
		`interchange 000000905 group 1 set 0001: segment 5 (CTT) element 1: CTT01 says 3 line items, the invoice has 1 IT1 lines`,
	})
	// A good price with a wrong total gives a warning with both figures.
	in = strings.Replace(in, "12,50", "12.50", 1)
	in = strings.Replace(in, "CTT*3", "CTT*1", 1)
	inv, err = ParseInvoice(firstSet(t, in))
	if err != nil {
		t.Fatal(err)
	}
	checkIssues(t, inv.Warnings, []string{
		`interchange 000000905 group 1 set 0001: segment 4 (TDS) element 1: total 26.00 (TDS01) does not equal lines 25.00 + charges - allowances 0 + tax 0 = 25.00`,
	})
}

func TestParseInvoiceCreditMemo(t *testing.T) {
	in := strings.Replace(small810, "BIG*20260102*INV-1**PO-1~", "BIG*20260102*CM-1**PO-1***CR~\nCUR*SE*EUR~", 1)
	in = strings.Replace(in, "SE*5*0001", "SE*6*0001", 1)
	in = strings.Replace(in, "12,50", "12.50", 1)
	inv, err := ParseInvoice(firstSet(t, in))
	if err != nil {
		t.Fatal(err)
	}
	if !inv.CreditMemo || inv.Type != "CR" || inv.Currency != "EUR" || inv.Total.String() != "25.00" {
		t.Fatalf("%+v", inv)
	}
}

func TestParseAckCodes(t *testing.T) {
	b, err := os.ReadFile("../../testdata/x12/pyx12/bad_elements.997.base")
	if err != nil {
		t.Fatal(err)
	}
	a, err := ParseAck(firstSet(t, string(b)))
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != "R" || a.Accepted() || len(a.Sets) != 1 || a.Sets[0].Status != "R" || len(a.Sets[0].Segments) == 0 {
		t.Fatalf("%+v", a)
	}
	found := false
	for _, s := range a.Sets[0].Segments {
		for _, e := range s.Elements {
			if e.Position == 5 && e.Component == 1 {
				found = true
			}
			if e.Text == "" || e.Text == "unknown code" {
				t.Fatalf("AK403 %q has no text", e.Code)
			}
		}
	}
	if !found {
		t.Fatal("composite position 5:1 not read")
	}
}

func TestParsePurchaseOrderSample(t *testing.T) {
	b, err := os.ReadFile("../../testdata/x12/node-x12/850.edi")
	if err != nil {
		t.Fatal(err)
	}
	po, err := ParsePurchaseOrder(firstSet(t, string(b)))
	if err != nil {
		t.Fatal(err)
	}
	if po.Number != "08292233294" || po.Purpose != "00" || po.Date.String() != "2010-11-27" || len(po.Lines) == 0 || po.LineCount != len(po.Lines) {
		t.Fatalf("%+v", po)
	}
}

// TestParseInvoiceIntoMatches reuses one Invoice across every 810 fixture
// and compares each result with a fresh ParseInvoice.
func TestParseInvoiceIntoMatches(t *testing.T) {
	var reused Invoice
	n := 0
	for _, rel := range fixtureFiles(t) {
		b, _ := os.ReadFile(fixtures + "/" + rel)
		sets, _ := readAll(t, string(b))
		for _, s := range sets {
			if s.ID != "810" {
				if err := ParseInvoiceInto(s, &reused); err == nil {
					t.Fatalf("%s: a %s parsed as an invoice", rel, s.ID)
				}
				continue
			}
			fresh, err1 := ParseInvoice(s)
			err2 := ParseInvoiceInto(s, &reused)
			if (err1 == nil) != (err2 == nil) {
				t.Fatalf("%s: errors differ: %v / %v", rel, err1, err2)
			}
			a, _ := json.Marshal(fresh)
			b, _ := json.Marshal(&reused)
			if string(a) != string(b) || len(fresh.Errors) != len(reused.Errors) || len(fresh.Warnings) != len(reused.Warnings) {
				t.Fatalf("%s set %s: reused invoice differs\n%s\n%s", rel, s.ControlNumber, a, b)
			}
			n++
		}
	}
	if n < 10 {
		t.Fatalf("only %d invoices", n)
	}
}
