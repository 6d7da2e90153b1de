package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/money"
)

func excDoc(t *testing.T, s *Store, partner, supplier, key, amount, reason, msg string) int64 {
	t.Helper()
	d := &Document{Direction: Inbound, Type: Type810, Partner: partner, SupplierID: supplier, BusinessKey: key,
		Amount: money.MustParse(amount), Currency: "USD", Status: StatusException, Reason: reason, Message: msg}
	if err := s.InsertDocument(context.Background(), d, ""); err != nil {
		t.Fatal(err)
	}
	return d.ID
}

func TestExceptionQueue(t *testing.T) {
	ctx := context.Background()
	s, clk := openTest(t)
	excDoc(t, s, "ACME", "S1", "INV-100", "100.00", "price_mismatch", "Price differs from PO 7 line 1")
	excDoc(t, s, "ACME", "S1", "INV-101", "2500.50", "quantity_mismatch", "Quantity differs")
	excDoc(t, s, "GLOBEX", "", "G-9", "10", "partner_unmapped", "Partner ZZ:GLOBEX is not mapped")
	excDoc(t, s, "GLOBEX", "S2", "G-10", "-40.25", "price_mismatch", "Credit memo price differs")
	if err := s.ReplaceSuppliers(ctx, []domain.Supplier{{SupplierID: "S1", Name: "Acme Fasteners Ltd"}, {SupplierID: "S2", Name: "Globex Müller GmbH"}}); err != nil {
		t.Fatal(err)
	}
	okDoc := &Document{Direction: Inbound, Type: Type810, Partner: "ACME", BusinessKey: "INV-102"}
	if err := s.InsertDocument(ctx, okDoc, ""); err != nil {
		t.Fatal(err)
	}
	now := clk.Now()

	keys := func(es []Exception) []string {
		var out []string
		for _, e := range es {
			out = append(out, e.BusinessKey)
		}
		return out
	}
	amt := func(s string) *money.Decimal { d := money.MustParse(s); return &d }
	cases := []struct {
		name string
		q    ExceptionQuery
		want []string
	}{
		{"default oldest first", ExceptionQuery{}, []string{"INV-100", "INV-101", "G-9", "G-10"}},
		{"newest first", ExceptionQuery{Desc: true}, []string{"G-10", "G-9", "INV-101", "INV-100"}},
		{"by reason", ExceptionQuery{Reasons: []string{"price_mismatch"}}, []string{"INV-100", "G-10"}},
		{"by partner", ExceptionQuery{Partner: "GLOBEX"}, []string{"G-9", "G-10"}},
		{"by supplier", ExceptionQuery{SupplierID: "S1"}, []string{"INV-100", "INV-101"}},
		{"amount range", ExceptionQuery{MinAmount: amt("10"), MaxAmount: amt("100")}, []string{"INV-100", "G-9"}},
		{"sort amount", ExceptionQuery{Sort: SortAmount}, []string{"G-10", "G-9", "INV-100", "INV-101"}},
		{"sort amount desc", ExceptionQuery{Sort: SortAmount, Desc: true}, []string{"INV-101", "INV-100", "G-9", "G-10"}},
		{"text in message", ExceptionQuery{Text: "credit"}, []string{"G-10"}},
		// The supplier's IFS name finds its exceptions (not in any of their fields).
		{"supplier name", ExceptionQuery{Text: "fasteners"}, []string{"INV-100", "INV-101"}},
		{"supplier name, two words", ExceptionQuery{Text: "müller gmbh"}, []string{"G-10"}},
		{"text with wildcard chars", ExceptionQuery{Text: "100%"}, nil},
		{"text in key", ExceptionQuery{Text: "inv-10"}, []string{"INV-100", "INV-101"}},
		{"page", ExceptionQuery{Limit: 2, Offset: 1}, []string{"INV-101", "G-9"}},
		{"older than", ExceptionQuery{OlderThan: 20 * time.Second, Now: now}, nil},
		{"newer than", ExceptionQuery{NewerThan: time.Hour, Now: now, Sort: SortBusinessKey},
			[]string{"G-10", "G-9", "INV-100", "INV-101"}},
		{"sort partner then id", ExceptionQuery{Sort: SortPartner}, []string{"INV-100", "INV-101", "G-9", "G-10"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.Exceptions(ctx, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			if g, w := keys(got), tc.want; len(g) != len(w) || (len(g) > 0 && !equalStrings(g, w)) {
				t.Fatalf("got %v, want %v", g, w)
			}
			n, err := s.CountExceptions(ctx, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			if tc.q.Limit == 0 && n != len(tc.want) {
				t.Fatalf("count %d, want %d", n, len(tc.want))
			}
		})
	}
	byReason, err := s.ExceptionsByReason(ctx, ExceptionQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(byReason) != 3 || byReason[0] != (ReasonCount{"price_mismatch", 2}) {
		t.Fatalf("by reason %+v", byReason)
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestIgnoreAndSubjectExceptions(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	id := excDoc(t, s, "ACME", "S1", "INV-1", "1", "price_mismatch", "m")
	ex, err := s.OpenExceptionOf(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CloseException(ctx, ex.ID, ExceptionResolved, "alice", "done"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("resolving a document's exception directly: %v", err)
	}
	closed, err := s.CloseException(ctx, ex.ID, ExceptionIgnored, "alice", "supplier will re-send")
	if err != nil {
		t.Fatal(err)
	}
	if closed.State != ExceptionIgnored || closed.Comment != "supplier will re-send" || closed.ResolvedBy != "alice" {
		t.Fatalf("closed %+v", closed)
	}
	d, _ := s.Document(ctx, id)
	if d.Status != StatusIgnored {
		t.Fatalf("document status %s", d.Status)
	}
	evs, _ := s.DocumentEvents(ctx, id)
	if last := evs[len(evs)-1]; last.Action != "exception.ignored" || last.Actor != "alice" {
		t.Fatalf("last event %+v", last)
	}
	if _, err := s.CloseException(ctx, ex.ID, ExceptionIgnored, "alice", ""); !errors.Is(err, ErrConflict) {
		t.Fatalf("closing twice: %v", err)
	}

	stale := Exception{Subject: "poller:invoices", Reason: "poller_stale", Message: "Invoices have not synced for 2 hours"}
	e1, created, err := s.RaiseException(ctx, stale, "")
	if err != nil || !created {
		t.Fatalf("raise: %v %v", created, err)
	}
	stale.Message = "Invoices have not synced for 3 hours"
	e2, created, err := s.RaiseException(ctx, stale, "")
	if err != nil || created || e2.ID != e1.ID || e2.Message != stale.Message {
		t.Fatalf("raise again: %+v %v %v", e2, created, err)
	}
	if _, _, err := s.RaiseException(ctx, Exception{DocumentID: id, Subject: "x", Reason: "r", Message: "m"}, ""); !errors.Is(err, ErrInvalid) {
		t.Fatalf("subject exception with document: %v", err)
	}
	var n int
	if err := s.Update(ctx, func(tx *Tx) error {
		var err error
		n, err = tx.ResolveSubjectExceptions("poller:invoices", "", "", "synced again")
		return err
	}); err != nil || n != 1 {
		t.Fatalf("resolve subject: %d %v", n, err)
	}
	open, _ := s.CountExceptions(ctx, ExceptionQuery{})
	if open != 0 {
		t.Fatalf("open exceptions left: %d", open)
	}
	all, _ := s.CountExceptions(ctx, ExceptionQuery{AnyState: true})
	if all != 2 {
		t.Fatalf("all exceptions: %d", all)
	}
	rep, err := s.VerifyChain(ctx)
	if err != nil || !rep.OK {
		t.Fatalf("%+v %v", rep, err)
	}
}

func TestExceptionSupersededByOtherReason(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	id := excDoc(t, s, "ACME", "", "INV-1", "1", "partner_unmapped", "m")
	first, _ := s.OpenExceptionOf(ctx, id)
	if _, err := s.Transition(ctx, id, Transition{To: StatusException, Reason: "price_mismatch", Message: "p"}); err != nil {
		t.Fatal(err)
	}
	second, _ := s.OpenExceptionOf(ctx, id)
	if second.ID == first.ID || second.Reason != "price_mismatch" {
		t.Fatalf("second %+v", second)
	}
	old, _ := s.Exception(ctx, first.ID)
	if old.State != ExceptionResolved || old.Comment != "superseded by price_mismatch" {
		t.Fatalf("old %+v", old)
	}
	if _, err := s.Transition(ctx, id, Transition{To: StatusException}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("exception without reason: %v", err)
	}
}

// The queue's totals add the filtered exceptions' amounts per currency,
// exactly (hand-worked: 100.00 + 2500.50 = 2600.50; 10 - 40.25 = -30.25).
func TestExceptionTotals(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	excDoc(t, s, "ACME", "S1", "INV-100", "100.00", "price_mismatch", "Price differs")
	excDoc(t, s, "ACME", "S1", "INV-101", "2500.50", "quantity_mismatch", "Quantity differs")
	excDoc(t, s, "GLOBEX", "", "G-9", "10", "partner_unmapped", "Partner ZZ:GLOBEX is not mapped")
	eur := &Document{Direction: Inbound, Type: Type810, Partner: "GLOBEX", BusinessKey: "G-10", Amount: money.MustParse("-40.25"),
		Currency: "EUR", Status: StatusException, Reason: "price_mismatch", Message: "Credit memo price differs"}
	if err := s.InsertDocument(ctx, eur, ""); err != nil {
		t.Fatal(err)
	}
	g := &Document{Direction: Inbound, Type: Type810, Partner: "GLOBEX", BusinessKey: "G-11", Amount: money.MustParse("10"),
		Currency: "EUR", Status: StatusException, Reason: "price_mismatch", Message: "Price differs"}
	if err := s.InsertDocument(ctx, g, ""); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		q    ExceptionQuery
		want string
	}{
		{ExceptionQuery{}, "EUR -30.25, USD 2610.50"},
		{ExceptionQuery{Partner: "ACME"}, "USD 2600.50"},
		{ExceptionQuery{Reasons: []string{"price_mismatch"}}, "EUR -30.25, USD 100.00"},
		{ExceptionQuery{Partner: "NOBODY"}, ""},
	} {
		ts, err := s.ExceptionTotals(ctx, c.q)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, x := range ts {
			got = append(got, x.Currency+" "+x.Amount.String())
		}
		if strings.Join(got, ", ") != c.want {
			t.Errorf("%+v: %q, want %q", c.q, strings.Join(got, ", "), c.want)
		}
	}
}
