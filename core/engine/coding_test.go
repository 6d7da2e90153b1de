package engine

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/store"
)

// codingHarness adds cost centres, an expired account and a blocked
// supplier to the harness's IFS, and reads them.
func codingHarness(t *testing.T) *harness {
	h := newHarness(t)
	h.ifs.accounts = append(h.ifs.accounts, domain.CodePartValue{Company: "MLC01", CodePart: "A", Value: "4999", Description: "Old freight",
		ValidUntil: time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC)})
	h.ifs.costCentres = []domain.CodePartValue{{Company: "MLC01", CodePart: "B", Value: "CC10", Description: "Plant"}}
	h.ifs.suppliers = append(h.ifs.suppliers, domain.Supplier{SupplierID: "S300", Name: "Blocked Ltd", State: "Blocked"})
	h.sync(FlowReference)
	return h
}

func TestCodingCheckedBeforeSaved(t *testing.T) {
	h := codingHarness(t)
	cases := []struct {
		name     string
		supplier string
		code     domain.CodeString
		want     string // "" = saved
	}{
		{"valid", "S100", domain.CodeString{Account: "6100", CodeB: "CC10"}, ""},
		{"every supplier", "*", domain.CodeString{Account: "4000"}, ""},
		{"unknown account", "S100", domain.CodeString{Account: "zzz"}, `account "zzz" is not an IFS account of this company`},
		{"expired account", "S100", domain.CodeString{Account: "4999"}, "account 4999 (Old freight) is not valid today (valid always to 2025-12-31)"},
		{"unknown cost centre", "S100", domain.CodeString{Account: "6100", CodeB: "CC99"}, `cost centre "CC99" is not an IFS cost centre`},
		{"unknown supplier", "S999", domain.CodeString{Account: "6100"}, "supplier S999 is not an IFS supplier"},
		{"blocked supplier", "S300", domain.CodeString{Account: "6100"}, "supplier S300 (Blocked Ltd) is Blocked in IFS"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := h.eng.SetGLRule(h.ctx, c.supplier, "D240", c.code)
			rules, _ := h.st.GLRules(h.ctx)
			saved := false
			for _, r := range rules {
				saved = saved || r.Code == c.code && r.SupplierID == c.supplier
			}
			if c.want == "" {
				if err != nil || !saved {
					t.Fatalf("valid rule: %v (saved %v)", err, saved)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) || domain.KindOf(err) != domain.KindInvalid || saved {
				t.Fatalf("got %v (kind %s, saved %v), want %q", err, domain.KindOf(err), saved, c.want)
			}
		})
	}
	// Partner mappings: the supplier must exist and be active.
	if err := h.eng.SetPartnerSupplier(h.ctx, "ZZ:BOREAL", "S999"); err == nil || !strings.Contains(err.Error(), "not an IFS supplier") {
		t.Fatalf("unknown supplier mapped: %v", err)
	}
	if err := h.eng.SetPartnerSupplier(h.ctx, "ZZ:BOREAL", "S300"); err == nil || !strings.Contains(err.Error(), "Blocked") {
		t.Fatalf("blocked supplier mapped: %v", err)
	}
	if err := h.eng.SetTolerance(h.ctx, "S999", Tolerance{PricePct: d("1")}); err == nil {
		t.Fatal("tolerance for an unknown supplier saved")
	}
}

func TestCodingNeedsReferenceData(t *testing.T) {
	h := newHarness(t)
	if err := h.st.ReplaceCodeParts(h.ctx, "MLC01", "A", nil); err != nil {
		t.Fatal(err)
	}
	err := h.eng.SetGLRule(h.ctx, "S100", "D240", domain.CodeString{Account: "6100"})
	if err == nil || !strings.Contains(err.Error(), "IFS reference data has not been read yet") {
		t.Fatalf("without reference data: %v", err)
	}
}

func TestCSVImportValidatedPreviewedAndConfirmed(t *testing.T) {
	h := codingHarness(t)
	good := "supplier_id,charge_code,account,code_b\nS100,D240,6100,CC10\n,H090,4000,\n"
	res, err := h.eng.ImportMappings(h.ctx, store.MappingGLRules, strings.NewReader(good), true, false, 0)
	if err != nil || res.Created != 2 {
		t.Fatalf("good import: %+v %v", res, err)
	}
	// Every bad row is refused with its line and reason; nothing is written.
	for _, c := range []struct{ csv, want string }{
		{"supplier_id,charge_code,account\nS100,D240,6100\nSUPX,D240,6100\n", "line 3: supplier SUPX is not an IFS supplier"},
		{"supplier_id,charge_code,account\nS100,D240,zzz\n", `line 2: account "zzz" is not an IFS account`},
		{"supplier_id,charge_code,account,code_b\nS100,D240,6100,NOPE\n", `line 2: cost centre "NOPE"`},
	} {
		_, err := h.eng.ImportMappings(h.ctx, store.MappingGLRules, strings.NewReader(c.csv), false, false, 0)
		var re *store.RowError
		if err == nil || !errors.As(err, &re) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.csv, err, c.want)
		}
	}
	if rules, _ := h.st.GLRules(h.ctx); len(rules) != 2 {
		t.Fatalf("rules after refused imports: %+v", rules)
	}
	// A header-only file previews two deletions and deletes nothing until confirmed.
	header := "supplier_id,charge_code,account\n"
	plan, err := h.eng.ImportMappings(h.ctx, store.MappingGLRules, strings.NewReader(header), true, true, 0)
	if err != nil || plan.Deleted != 2 {
		t.Fatalf("preview: %+v %v", plan, err)
	}
	if _, err := h.eng.ImportMappings(h.ctx, store.MappingGLRules, strings.NewReader(header), true, false, 0); !errors.Is(err, store.ErrConfirmDeletes) {
		t.Fatalf("unconfirmed: %v", err)
	}
	if rules, _ := h.st.GLRules(h.ctx); len(rules) != 2 {
		t.Fatalf("rules deleted without confirmation: %+v", rules)
	}
	if res, err := h.eng.ImportMappings(h.ctx, store.MappingGLRules, strings.NewReader(header), true, false, plan.Deleted); err != nil || res.Deleted != 2 {
		t.Fatalf("confirmed: %+v %v", res, err)
	}
	// Partner and tolerance files are checked for their suppliers too.
	if _, err := h.eng.ImportMappings(h.ctx, store.MappingPartners, strings.NewReader("isa_qualifier,isa_id,supplier_id\nZZ,BOREAL,S300\n"), false, false, 0); err == nil || !strings.Contains(err.Error(), "Blocked") {
		t.Fatalf("partner import to a blocked supplier: %v", err)
	}
	if _, err := h.eng.ImportMappings(h.ctx, store.MappingTolerances, strings.NewReader("supplier_id,price_pct,qty_pct,absolute,match\nS999,1,0,0,three_way\n"), false, false, 0); err == nil {
		t.Fatal("tolerance import for an unknown supplier accepted")
	}
}

// A rule whose account IFS closed is reported with the rule it came from,
// and fixed the same way as a missing rule.
func TestClosedAccountOfARuleIsFixedInPlace(t *testing.T) {
	h := codingHarness(t)
	if err := h.eng.SetGLRule(h.ctx, "S100", "D240", domain.CodeString{Account: "6100"}); err != nil {
		t.Fatal(err)
	}
	// IFS closes 6100 after the rule was saved.
	for i := range h.ifs.accounts {
		if h.ifs.accounts[i].Value == "6100" {
			h.ifs.accounts[i].ValidUntil = time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC)
		}
	}
	h.sync(FlowReference)
	s := invoiceSet("ACME01", "G-1", "PO1", bolt("10", "0.50"))
	s.Invoice.Charges = []Charge{{Code: "D240", Amount: d("12.50"), Description: "Freight"}}
	s.Invoice.Total = s.Invoice.Total.Add(d("12.50"))
	h.putFile("f", s)
	h.sync(FlowInvoices)
	doc := h.last810()
	exc := h.excOf(doc.ID)
	var cc CodingContext
	if doc.Reason != string(ReasonGLInvalid) || json.Unmarshal(exc.Context, &cc) != nil || !cc.FromRule || cc.Charge != "D240" || cc.Account != "6100" ||
		!strings.Contains(doc.Message, "from the GL rule for supplier S100, charge D240") {
		t.Fatalf("%s %s %s", doc.Reason, doc.Message, exc.Context)
	}
	if err := h.eng.SetGLRule(h.ctx, "S100", "D240", domain.CodeString{Account: "4000"}); err != nil {
		t.Fatal(err)
	}
	if r := h.replayDoc(doc.ID); r.Status != string(store.StatusPosted) {
		t.Fatalf("after the fix: %+v", r)
	}
	// 10 × 0.50 + 12.50 freight = 17.50, the freight on 4000.
	got := h.ifs.invoices[0]
	if !got.GrossAmount.Equal(d("17.50")) || got.Postings[1].Code.Account != "4000" || !got.Postings[1].Amount.Equal(d("12.50")) {
		t.Fatalf("posted %+v", got)
	}
}
