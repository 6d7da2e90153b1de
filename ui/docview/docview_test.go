package docview_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/engine"
	"github.com/ml-connector/ifs-cleo/core/money"
	"github.com/ml-connector/ifs-cleo/ui/docview"
	"github.com/ml-connector/ifs-cleo/ui/internal/uitest"
)

// parsed writes a parsed form the way the engine stores it (the member
// names of core/engine parsedForm).
func parsed(t *testing.T, m map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func invoice810() map[string]any {
	return map[string]any{
		"set":      map[string]any{"id": "810", "sender_qualifier": "ZZ", "sender_id": "ACME", "gs_control": "101", "functional_id": "IN"},
		"warnings": []string{"N1 loop BT has no address"},
		"invoice": engine.Invoice{Number: "INV-4711", Date: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC), PONumber: "PO1001",
			Currency: "USD", Total: money.MustParse("1294.06"), Tax: money.MustParse("24.06"),
			Lines: []engine.InvoiceLine{
				{LineNumber: "1", Quantity: money.MustParse("30"), UOM: "EA", UnitPrice: money.MustParse("4.00"), BuyerPart: "BP-100", VendorPart: "WIDGET-A", Description: "Widget, blue"},
				{LineNumber: "2", Quantity: money.MustParse("12.5"), UOM: "KG", UnitPrice: money.MustParse("3.3333"), BuyerPart: "BP-200", VendorPart: "RESIN-7", Description: "Resin"},
				{LineNumber: "3", Quantity: money.MustParse("0.1"), UOM: "EA", UnitPrice: money.MustParse("0.2"), Description: "Sample"},
			},
			Charges: []engine.Charge{
				{Code: "D240", Amount: money.MustParse("45.00")},
				{Allowance: true, Code: "C310", Amount: money.MustParse("10.00"), Description: "early payment"},
			}},
		"ifs_result": domain.SupplierInvoice{Company: "10", InvoiceID: 90017, InvoiceNo: "INV-4711", SupplierID: "S1001", Currency: "USD",
			PORef: "PO1001", GrossAmount: money.MustParse("1294.06"), State: "Preliminary"},
	}
}

// texts collects every label's text under o, in tree order.
func texts(o fyne.CanvasObject) []string {
	var out []string
	var walk func(fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch x := o.(type) {
		case *widget.Label:
			out = append(out, x.Text)
		case *fyne.Container:
			for _, c := range x.Objects {
				walk(c)
			}
		case *container.Scroll:
			walk(x.Content)
		}
	}
	walk(o)
	return out
}

func has(t *testing.T, got []string, want ...string) {
	t.Helper()
	joined := "\n" + strings.Join(got, "\n") + "\n"
	for _, w := range want {
		if !strings.Contains(joined, "\n"+w+"\n") {
			t.Errorf("no label %q in\n%s", w, strings.Join(got, " | "))
		}
	}
}

func show(t *testing.T, o fyne.CanvasObject) fyne.Window {
	t.Helper()
	w := test.NewTempWindow(t, container.NewVScroll(o))
	w.Resize(fyne.NewSize(900, 700))
	return w
}

func TestInvoice(t *testing.T) {
	test.NewTempApp(t)
	test.ApplyTheme(t, test.Theme())
	raw := parsed(t, invoice810())
	if k := docview.Kind(raw); k != "810" {
		t.Fatalf("kind %q", k)
	}
	v := docview.View(raw, nil)
	has(t, texts(v), "Invoice INV-4711", "2026-11-25", "PO1001", "1294.06 USD", "24.06 USD", "no",
		"WIDGET-A", "Widget, blue", "120.00", // 30 × 4.00
		"41.67", // 12.5 × 3.3333 = 41.66625, rounded to cents
		"0.02",  // 0.1 × 0.2
		"D240 freight", "+45.00 USD", "C310 discount (early payment)", "allowance", "−10.00 USD",
		"Posted in IFS", "90017", "S1001", "Warning: N1 loop BT has no address")
	w := show(t, v)
	uitest.AssertMarkup(t, "invoice.xml", w)
	uitest.AssertImage(t, "invoice.png", w.Canvas().Capture())
}

func TestCreditMemoPayloadOnly(t *testing.T) {
	test.NewTempApp(t)
	m := invoice810()
	inv := m["invoice"].(engine.Invoice)
	inv.CreditMemo = true
	m["invoice"] = inv
	delete(m, "ifs_result")
	m["ifs_payload"] = domain.SupplierInvoice{SupplierID: "S1001", InvoiceNo: "INV-4711", CreditNote: true}
	got := texts(docview.View(parsed(t, m), nil))
	has(t, got, "Credit memo INV-4711", "yes", "Would post to IFS", "S1001")
	for _, s := range got {
		if s == "IFS invoice id" {
			t.Errorf("an unposted payload shows an IFS invoice id")
		}
	}
}

func TestAck(t *testing.T) {
	test.NewTempApp(t)
	test.ApplyTheme(t, test.Theme())
	raw := parsed(t, ack997())
	if k := docview.Kind(raw); k != "997" {
		t.Fatalf("kind %q", k)
	}
	v := docview.View(raw, nil)
	want0 := engine.AckProblemWords(engine.AckProblem{Segment: "PO1", Position: 7, SegmentCode: "8", Element: 4, ElementCode: "7", Data: "9.99X"})
	has(t, texts(v), "Accepted with errors", "PO (purchase orders)", "4521", "Set 0001: accepted", "Set 0002: rejected",
		"    • "+want0)
	if !strings.Contains(want0, "data element errors") {
		t.Errorf("AK3/AK4 words %q", want0)
	}
	w := show(t, v)
	uitest.AssertMarkup(t, "ack.xml", w)
	uitest.AssertImage(t, "ack.png", w.Canvas().Capture())
}

func TestPurchaseOrder(t *testing.T) {
	test.NewTempApp(t)
	test.ApplyTheme(t, test.Theme())
	raw := parsed(t, po850())
	if k := docview.Kind(raw); k != "850" {
		t.Fatalf("kind %q", k)
	}
	v := docview.View(raw, nil)
	has(t, texts(v), "Purchase order PO1001", "replace", "S1001 Acme Corp", "ML Manufacturing", "2026-11-20", "425.00", "pcs")
	w := show(t, v)
	uitest.AssertMarkup(t, "po.xml", w)
	uitest.AssertImage(t, "po.png", w.Canvas().Capture())
}

func TestFallback(t *testing.T) {
	test.NewTempApp(t)
	fields := []docview.Field{{Name: "set.id", Value: "856"}}
	for name, raw := range map[string][]byte{
		"empty":       nil,
		"not json":    []byte("ISA*00*"),
		"unknown set": []byte(`{"set":{"id":"856"},"errors":["unsupported"]}`),
		"wrong shape": []byte(`{"invoice":"INV-1"}`),
	} {
		if k := docview.Kind(raw); k != "" {
			t.Errorf("%s: kind %q", name, k)
		}
		has(t, texts(docview.View(raw, fields)), "set.id", "856")
	}
}

func TestPurposeWords(t *testing.T) {
	for code, want := range map[string]string{"00": "original", "05": "replace", "01": "cancel", "22": "code 22", "": ""} {
		if got := docview.PurposeWords(code); got != want {
			t.Errorf("%q: %q, want %q", code, got, want)
		}
	}
}

func TestExtensionExact(t *testing.T) {
	for _, c := range []struct{ q, p, want string }{
		{"30", "4.00", "120.00"},
		{"3", "0.1", "0.3"},
		{"12.5", "3.3333", "41.67"},
		{"-2", "5.55", "-11.10"},
	} {
		if got := docview.Extension(money.MustParse(c.q), money.MustParse(c.p)).String(); got != c.want {
			t.Errorf("%s × %s = %s, want %s", c.q, c.p, got, c.want)
		}
	}
}

// TestNarrow: the view must fit a narrow detail pane, never widen the screen.
func TestNarrow(t *testing.T) {
	test.NewTempApp(t)
	for name, raw := range map[string][]byte{"810": parsed(t, invoice810()), "997": parsed(t, ack997()), "850": parsed(t, po850())} {
		if w := docview.View(raw, nil).MinSize().Width; w > 500 {
			t.Errorf("%s: min width %v, want ≤ 500", name, w)
		}
	}
}

func ack997() map[string]any {
	return map[string]any{
		"set": map[string]any{"id": "997"},
		"ack": engine.Ack{GroupControlNumber: "4521", FunctionalID: "PO", Status: "E", Sets: []engine.AckSet{
			{ControlNumber: "0001", Status: "A"},
			{ControlNumber: "0002", Status: "R", Problems: []engine.AckProblem{
				{Segment: "PO1", Position: 7, SegmentCode: "8", Element: 4, ElementCode: "7", Data: "9.99X"},
				{Segment: "N1", Position: 3, SegmentCode: "3"},
			}},
		}},
	}
}

func po850() map[string]any {
	return map[string]any{
		"set": map[string]any{"id": "850"},
		"purchase_order": engine.PO850{Purpose: "05", BuyerName: "ML Manufacturing",
			Supplier: domain.Supplier{SupplierID: "S1001", Name: "Acme Corp"},
			Order: domain.PurchaseOrder{OrderNo: "PO1001", SupplierID: "S1001", Currency: "EUR", OrderDate: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC),
				Lines: []domain.PurchaseOrderLine{{LineNo: "1", PartNo: "BP-100", VendorPartNo: "WIDGET-A", Description: "Widget", Quantity: money.MustParse("100"), Unit: "pcs", UnitPrice: money.MustParse("4.25")}}}},
	}
}

func TestAckWithoutStatus(t *testing.T) {
	test.NewTempApp(t)
	has(t, texts(docview.View(parsed(t, map[string]any{"ack": engine.Ack{GroupControlNumber: "7"}}), nil)), "No status given (AK9 missing)", "7")
}
