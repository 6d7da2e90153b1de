package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/domain"
)

// A hand-made 810 whose second line has no quantity and no price (X12 lets
// IT102–IT104 be absent together). Read by the real codec, the line keeps
// "no price", and the invoice cannot be posted: never a free line.
const noPrice810 = "ISA*00*          *00*          *ZZ*SUPPLIER01     *ZZ*BUYER01        *261201*1200*U*00401*000000001*0*P*>~\n" +
	"GS*IN*SUPPLIER01*BUYER01*20261201*1200*1*X*004010~\n" +
	"ST*810*0001~\n" +
	"BIG*20261201*INV-NP-1**PO1~\n" +
	"IT1*1*10*EA*2.50**VP*BOLT~\n" +
	"IT1*2*****VP*WIDGET~\n" +
	"TDS*2500~\n" +
	"CTT*2~\n" +
	"SE*7*0001~\n" +
	"GE*1*1~\n" +
	"IEA*1*000000001~\n"

func TestLineWithoutPriceIsNeverAFreeLine(t *testing.T) {
	sets, err := X12Codec{}.Split([]byte(noPrice810))
	if err != nil || len(sets) != 1 || sets[0].Invoice == nil {
		t.Fatalf("split: %v %+v", err, sets)
	}
	if len(sets[0].Errors) != 0 {
		t.Fatalf("syntax errors in a valid set: %v", sets[0].Errors)
	}
	inv := sets[0].Invoice
	if inv.Lines[0].NoPrice || inv.Lines[0].NoQuantity || !inv.Lines[1].NoPrice || !inv.Lines[1].NoQuantity {
		t.Fatalf("lines %+v", inv.Lines)
	}
	po := domain.PurchaseOrder{OrderNo: "PO1", SupplierID: "S100", Currency: "USD", State: "Released",
		Lines: []domain.PurchaseOrderLine{{LineNo: "1", Quantity: d("10"), UnitPrice: d("2.50"), Unit: "pcs"},
			{LineNo: "2", Quantity: d("5"), UnitPrice: d("7.00"), Unit: "pcs"}}}
	_, _, p := buildInvoice("MLC01", "S100", inv, &po, Mappings{}, Reference{}, time.Now(), nil, "")
	if p == nil || p.Reason != ReasonPriceMissing || !strings.Contains(p.Message, "line 2 has no quantity (IT102) and unit price (IT104)") {
		t.Fatalf("problem %+v", p)
	}
	// Not even an approver's override of a price variance lets it through.
	if _, _, p := buildInvoice("MLC01", "S100", inv, &po, Mappings{}, Reference{}, time.Now(), nil, ReasonPriceVariance); p == nil || p.Reason != ReasonPriceMissing {
		t.Fatalf("with an override: %+v", p)
	}
}

// TXI*ST*0 is "tax 0", stated; a TXI with a percent only states no amount.
func TestZeroTaxIsStated(t *testing.T) {
	zero := strings.Replace(noPrice810, "IT1*2*****VP*WIDGET~\n", "", 1)
	zero = strings.Replace(zero, "CTT*2~\n", "TXI*ST*0~\nCTT*1~\n", 1)
	pct := strings.Replace(zero, "TXI*ST*0~", "TXI*ST**6.5~", 1)
	for _, c := range []struct {
		name, raw string
		stated    bool
	}{{"tax 0", zero, true}, {"percent only", pct, false}} {
		sets, err := X12Codec{}.Split([]byte(c.raw))
		if err != nil || len(sets) != 1 || sets[0].Invoice == nil || len(sets[0].Errors) != 0 {
			t.Fatalf("%s: %v %+v", c.name, err, sets)
		}
		if inv := sets[0].Invoice; inv.TaxStated != c.stated || !inv.Tax.IsZero() {
			t.Fatalf("%s: stated %v tax %s", c.name, inv.TaxStated, inv.Tax)
		}
	}
}

// A file a Windows tool ended with 0x1A is the same invoice, not EDI_INVALID.
func TestDOSEndOfFileIsNotAnError(t *testing.T) {
	sets, err := X12Codec{}.Split([]byte(noPrice810 + "\x1a"))
	if err != nil || len(sets) != 1 || len(sets[0].Errors) != 0 || sets[0].Invoice == nil || sets[0].Invoice.Number != "INV-NP-1" {
		t.Fatalf("%v %+v", err, sets)
	}
}

// VC (vendor's catalogue number, DE 235) names the vendor part like VP.
func TestVendorCatalogueIsTheVendorPart(t *testing.T) {
	raw := strings.Replace(noPrice810, "IT1*2*****VP*WIDGET~", "IT1*2*1*EA*7.00**VC*CAT-77~", 1)
	raw = strings.Replace(raw, "TDS*2500~", "TDS*3200~", 1)
	sets, err := X12Codec{}.Split([]byte(raw))
	if err != nil || len(sets) != 1 || len(sets[0].Errors) != 0 {
		t.Fatalf("%v %+v", err, sets)
	}
	if l := sets[0].Invoice.Lines[1]; l.VendorPart != "CAT-77" {
		t.Fatalf("line %+v", l)
	}
}

// An 810 in a PO functional group (GS01) is refused at set level (AK5 R,
// DE 718 code 6), and so the invoice is EDI_INVALID, not posted.
func TestSetInTheWrongFunctionalGroup(t *testing.T) {
	sets, err := X12Codec{}.Split([]byte(strings.Replace(noPrice810, "GS*IN*", "GS*PO*", 1)))
	if err != nil || len(sets) != 1 {
		t.Fatalf("%v %+v", err, sets)
	}
	if len(sets[0].Errors) == 0 || !strings.Contains(sets[0].Errors[0], "a 810 transaction set belongs in a IN functional group, not in this PO group") {
		t.Fatalf("errors %v", sets[0].Errors)
	}
	ack, err := X12Codec{}.Write997(sets, Envelope{SenderQual: "ZZ", SenderID: "BUYER01", ReceiverQual: "ZZ", ReceiverID: "SUPPLIER01",
		ISAControl: 9, GSControl: 9, STControl: 1, Time: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)})
	if err != nil || !strings.Contains(string(ack), "AK5*R*6") {
		t.Fatalf("997: %v\n%s", err, ack)
	}
}

// An interchange without its IEA: its sets carry the envelope error, no
// accepting 997 is written for them (not by the codec, not by the engine).
func TestFailedEnvelopeGetsNoAccepting997(t *testing.T) {
	raw := strings.Replace(noPrice810, "IEA*1*000000001~\n", "", 1)
	sets, err := X12Codec{}.Split([]byte(raw))
	if err != nil || len(sets) != 1 || !sets[0].EnvelopeFailed {
		t.Fatalf("%v %+v", err, sets)
	}
	if _, err := (X12Codec{}).Write997(sets, Envelope{SenderQual: "ZZ", SenderID: "B", ReceiverQual: "ZZ", ReceiverID: "S",
		ISAControl: 9, GSControl: 9, STControl: 1, Time: time.Now()}); err == nil || !strings.Contains(err.Error(), "envelope failed") {
		t.Fatalf("997 for a failed envelope: %v", err)
	}
}
