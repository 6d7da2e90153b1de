package store

import (
	"context"
	"errors"
	"testing"

	"github.com/ml-connector/ifs-cleo/core/money"
)

func TestBilledToDateCountsOnlyPostingAndPosted(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	newInvoice := func(key string) int64 {
		d := Document{Direction: Inbound, Type: Type810, BusinessKey: key, Status: StatusReceived}
		if err := s.InsertDocument(ctx, &d, SystemActor); err != nil {
			t.Fatal(err)
		}
		return d.ID
	}
	bill := func(id int64, to Status, lines ...BilledLine) {
		t.Helper()
		tr := Transition{To: to}
		if len(lines) > 0 {
			tr.Patch.Billed = &lines
		}
		if to == StatusException {
			tr.Reason = "PRICE_VARIANCE"
		}
		if _, err := s.Transition(ctx, id, tr); err != nil {
			t.Fatal(err)
		}
	}
	m := money.MustParse
	// A: 30 boxes on P1 line 1, split over two invoice lines (12 + 18), posted.
	a := newInvoice("A")
	bill(a, StatusPosting, BilledLine{OrderNo: "P1", LineNo: "1", ReleaseNo: "1", Quantity: m("12"), Amount: m("120.00")},
		BilledLine{OrderNo: "P1", LineNo: "01", ReleaseNo: "1", Quantity: m("18"), Amount: m("180.00")},
		BilledLine{OrderNo: "P1", LineNo: "2", ReleaseNo: "1", Quantity: m("2.5"), Amount: m("7.25")})
	bill(a, StatusPosted)
	// B: a credit memo for 1 box, posting.
	b := newInvoice("B")
	bill(b, StatusPosting, BilledLine{OrderNo: "P1", LineNo: "1", ReleaseNo: "1", Quantity: m("-1"), Amount: m("-10.00")})
	// C: an invoice that failed after its rows were written does not count.
	c := newInvoice("C")
	bill(c, StatusException, BilledLine{OrderNo: "P1", LineNo: "1", ReleaseNo: "1", Quantity: m("30"), Amount: m("300.00")})
	// D: another PO.
	d := newInvoice("D")
	bill(d, StatusPosted, BilledLine{OrderNo: "P2", LineNo: "1", ReleaseNo: "1", Quantity: m("5"), Amount: m("50")})

	got, err := s.BilledToDate(ctx, "P1", 0)
	if err != nil {
		t.Fatal(err)
	}
	// Worked by hand: line 1 = 12 + 18 - 1 = 29 boxes, 120 + 180 - 10 = 290.00.
	l1 := got[POLineKey("P1", "1", "1")]
	if !l1.Quantity.Equal(m("29")) || !l1.Amount.Equal(m("290.00")) || len(l1.Documents) != 2 {
		t.Fatalf("line 1 %+v", l1)
	}
	l2 := got[POLineKey("P1", "2", "1")]
	if !l2.Quantity.Equal(m("2.5")) || !l2.Amount.Equal(m("7.25")) {
		t.Fatalf("line 2 %+v", l2)
	}
	if len(got) != 2 {
		t.Fatalf("keys %v", got)
	}
	// Excluding A leaves only the credit.
	got, _ = s.BilledToDate(ctx, "P1", a)
	if l := got[POLineKey("P1", "1", "1")]; !l.Quantity.Equal(m("-1")) {
		t.Fatalf("without A: %+v", l)
	}
	// The two invoice lines on line 1 were stored as one row.
	rows, err := s.BilledLines(ctx, a)
	if err != nil || len(rows) != 2 || !rows[0].Quantity.Equal(m("30")) {
		t.Fatalf("rows of A %+v %v", rows, err)
	}
	// Replacing with an empty list removes them.
	bill(a, StatusPosted)
	empty := []BilledLine{}
	if _, err := s.Transition(ctx, a, Transition{To: StatusPosted, Patch: DocumentPatch{Billed: &empty}}); err != nil {
		t.Fatal(err)
	}
	if rows, _ := s.BilledLines(ctx, a); len(rows) != 0 {
		t.Fatalf("rows after clear %+v", rows)
	}
	// A row without a line number is refused and nothing is written.
	e := newInvoice("E")
	bad := []BilledLine{{OrderNo: "P1", Quantity: m("1"), Amount: m("1")}}
	if _, err := s.Transition(ctx, e, Transition{To: StatusPosting, Patch: DocumentPatch{Billed: &bad}}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad row: %v", err)
	}
	if doc, _ := s.Document(ctx, e); doc.Status != StatusReceived {
		t.Fatalf("status after refused transition %s", doc.Status)
	}
}
