package ifs_test

import (
	"errors"
	"testing"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/ifs"
	"github.com/ml-connector/ifs-cleo/core/money"
	"github.com/ml-connector/ifs-cleo/core/sandbox/ifssim"
)

// correctionFixture posts an invoice (one line of 100.00 + 25.00 tax) and
// returns the client, the sandbox and the invoice as IFS holds it.
func correctionFixture(t *testing.T) (*ifs.Client, *inProcess, domain.SupplierInvoice) {
	t.Helper()
	env := newInProcess(t, simOptions{}).(*inProcess)
	c, _ := client(t, env, nil)
	inv := testInvoice(env.World(), "COR-1")
	net, tax := money.MustParse("100.00"), money.MustParse("25.00")
	inv.NetAmount, inv.TaxAmount, inv.GrossAmount = net, tax, net.Add(tax)
	inv.Lines[0].NetAmount, inv.Lines[0].TaxAmount = net, tax
	inv.Postings[0].Amount = net
	created, err := c.CreateSupplierInvoice(t.Context(), inv)
	if err != nil {
		t.Fatal(err)
	}
	seen, err := c.SupplierInvoice(t.Context(), created.Company, created.InvoiceID)
	if err != nil {
		t.Fatal(err)
	}
	return c, env, *seen
}

// corrected is the supplier's correction worked out by hand: line 1 at
// 94.40 (tax 23.60), a freight line of 10.00 (tax 2.50) added, the
// posting proposal split accordingly. Header: net 104.40, tax 26.10.
func corrected(seen domain.SupplierInvoice) domain.SupplierInvoice {
	w := seen
	w.NetAmount, w.TaxAmount = money.MustParse("104.40"), money.MustParse("26.10")
	w.GrossAmount = money.MustParse("130.50")
	w.Lines = append([]domain.SupplierInvoiceLine(nil), seen.Lines...)
	w.Lines[0].NetAmount, w.Lines[0].TaxAmount = money.MustParse("94.40"), money.MustParse("23.60")
	w.Lines = append(w.Lines, domain.SupplierInvoiceLine{TaxCode: w.Lines[0].TaxCode, NetAmount: money.MustParse("10.00"),
		TaxAmount: money.MustParse("2.50"), Text: "Freight"})
	w.Postings = append([]domain.PostingLine(nil), seen.Postings...)
	w.Postings[0].Amount = money.MustParse("94.40")
	w.Postings = append(w.Postings, domain.PostingLine{Code: seen.Postings[0].Code, Amount: money.MustParse("10.00"), Text: "Freight"})
	return w
}

func TestCorrectSupplierInvoice(t *testing.T) {
	t.Run("applied", func(t *testing.T) {
		c, env, seen := correctionFixture(t)
		res, err := c.CorrectSupplierInvoice(t.Context(), seen, corrected(seen))
		if err != nil {
			t.Fatal(err)
		}
		got := res.Invoice
		if !got.NetAmount.Equal(money.MustParse("104.40")) || !got.TaxAmount.Equal(money.MustParse("26.10")) ||
			len(got.Lines) != 2 || !got.Lines[0].NetAmount.Equal(money.MustParse("94.40")) ||
			!got.Lines[1].NetAmount.Equal(money.MustParse("10.00")) || len(got.Postings) != 2 ||
			!got.Postings[0].Amount.Equal(money.MustParse("94.40")) {
			t.Errorf("IFS after the correction: %+v", got)
		}
		if got.InvoiceID != seen.InvoiceID || len(env.srv.Invoices()) != 1 {
			t.Errorf("a correction must change the invoice in place, not create one")
		}
		for _, a := range res.Attempts {
			if a.Method != "POST" && (a.IfMatch == "" || a.IfMatch == "*" || a.ETagRead != a.IfMatch) {
				t.Errorf("attempt without the read ETag as If-Match: %+v", a)
			}
		}
		// header PATCH, line 1 PATCH, line 2 POST, posting 1 PATCH, posting 2 POST
		if len(res.Attempts) != 5 {
			t.Errorf("attempts %+v", res.Attempts)
		}
	})
	t.Run("412 on fields the correction does not touch is re-applied", func(t *testing.T) {
		c, env, seen := correctionFixture(t)
		// The next two GETs of the header (the state check, then the read
		// before the PATCH) are followed by another user's save of
		// VoucherText: the PATCH gets 412, the re-read shows no overlap.
		env.srv.SetFaults(ifssim.Faults{ConcurrentEdits: 2})
		res, err := c.CorrectSupplierInvoice(t.Context(), seen, corrected(seen))
		if err != nil {
			t.Fatal(err)
		}
		var saw412 bool
		for _, a := range res.Attempts {
			saw412 = saw412 || a.Status == 412
		}
		if !saw412 || !res.Invoice.NetAmount.Equal(money.MustParse("104.40")) {
			t.Errorf("want a 412 then success: %+v", res.Attempts)
		}
	})
	t.Run("overlapping change is a conflict", func(t *testing.T) {
		c, _, seen := correctionFixture(t)
		// Someone sets line 1 to 120.00 in IFS after the clerk looked.
		other := seen
		other.Lines = append([]domain.SupplierInvoiceLine(nil), seen.Lines...)
		other.Lines[0].NetAmount = money.MustParse("120.00")
		if _, err := c.CorrectSupplierInvoice(t.Context(), seen, other); err != nil {
			t.Fatal(err)
		}
		_, err := c.CorrectSupplierInvoice(t.Context(), seen, corrected(seen))
		var ce *ifs.ConflictError
		if !errors.As(err, &ce) || domain.KindOf(err) != domain.KindConflict {
			t.Fatalf("want a conflict, got %v", err)
		}
		found := false
		for _, f := range ce.Conflicts {
			if f.Row == "line 1" && sameAmount(f.Now, "120.00") && sameAmount(f.Want, "94.40") && sameAmount(f.Seen, "100.00") {
				found = true
			}
		}
		if !found {
			t.Errorf("conflicts %+v", ce.Conflicts)
		}
	})
	t.Run("approved invoice is refused", func(t *testing.T) {
		c, env, seen := correctionFixture(t)
		if err := env.srv.SetInvoiceState(seen.Company, seen.InvoiceID, "Posted"); err != nil {
			t.Fatal(err)
		}
		_, err := c.CorrectSupplierInvoice(t.Context(), seen, corrected(seen))
		if domain.KindOf(err) != domain.KindBusinessRule {
			t.Fatalf("want a business-rule refusal, got %v", err)
		}
		after, _ := c.SupplierInvoice(t.Context(), seen.Company, seen.InvoiceID)
		if !after.NetAmount.Equal(money.MustParse("100.00")) || len(after.Lines) != 1 {
			t.Errorf("an approved invoice was changed: %+v", after)
		}
	})
}

func sameAmount(a, b string) bool {
	x, err1 := money.Parse(a)
	y, err2 := money.Parse(b)
	return err1 == nil && err2 == nil && x.Equal(y)
}
