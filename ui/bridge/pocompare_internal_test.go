package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/engine"
	"github.com/ml-connector/ifs-cleo/core/money"
)

func TestPurchaseOrderBeforeConfigured(t *testing.T) {
	_, err := (&exceptionSource{b: &Bridge{}}).PurchaseOrder(context.Background(), "1001")
	if !errors.Is(err, ErrNotConfigured) || domain.KindOf(err) != domain.KindConfig {
		t.Fatalf("err %v kind %v, want ErrNotConfigured classified as config", err, domain.KindOf(err))
	}
}

func TestParsedInvoice(t *testing.T) {
	raw, err := json.Marshal(map[string]any{"set": map[string]any{"id": "810"}, "invoice": engine.Invoice{
		Number: "INV-1", PONumber: "1001",
		Lines: []engine.InvoiceLine{{LineNumber: "2", Quantity: money.FromInt(3), UOM: "EA", UnitPrice: money.MustParse("4.50"), BuyerPart: "P-2"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	inv := parsedInvoice(raw)
	if inv == nil || inv.PONumber != "1001" || len(inv.Lines) != 1 || inv.Lines[0].UnitPrice.String() != "4.50" || inv.Lines[0].BuyerPart != "P-2" {
		t.Fatalf("parsed %+v", inv)
	}
	for _, bad := range []string{"", "{", `{"set":{"id":"997"}}`} {
		if inv := parsedInvoice(json.RawMessage(bad)); inv != nil {
			t.Fatalf("parsedInvoice(%q) = %+v, want nil", bad, inv)
		}
	}
}
