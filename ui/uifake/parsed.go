package uifake

import (
	"encoding/json"
	"time"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/engine"
	"github.com/ml-connector/ifs-cleo/core/money"
)

// parsedJSON writes the engine's parsed form, so the screens' readable
// view (ui/docview) sees exactly what the real bridge passes.
func parsedJSON(pf engine.ParsedForm) []byte {
	b, err := json.Marshal(pf)
	if err != nil {
		panic(err) // only fixed fake values are marshalled
	}
	return b
}

// invoiceJSON is the parsed form of the fakes' one-line 810 (the raw EDI
// they show: IT1*1*10*EA*12.50**VP*WIDGET-A).
func invoiceJSON(number, partner string, total money.Decimal, currency string) []byte {
	return parsedJSON(engine.ParsedForm{
		Set: engine.SetInfo{ID: "810", SenderQual: "ZZ", SenderID: partner, GSFunctional: "IN"},
		Invoice: &engine.Invoice{Number: number, Date: time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC), PONumber: "PO1001",
			Currency: currency, Total: total,
			Lines: []engine.InvoiceLine{{LineNumber: "1", Quantity: money.MustParse("10"), UOM: "EA", UnitPrice: money.MustParse("12.50"),
				VendorPart: "WIDGET-A", Description: "Widget A"}}},
	})
}

func purchaseOrderJSON(orderNo, supplier string) []byte {
	return parsedJSON(engine.ParsedForm{
		Set: engine.SetInfo{ID: "850"},
		PO: &engine.PO850{Purpose: "00", Supplier: domain.Supplier{SupplierID: "S1001", Name: supplier},
			Order: domain.PurchaseOrder{OrderNo: orderNo, SupplierID: "S1001", Currency: "USD", OrderDate: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC),
				Lines: []domain.PurchaseOrderLine{{LineNo: "1", PartNo: "BP-100", VendorPartNo: "WIDGET-A", Description: "Widget A",
					Quantity: money.MustParse("10"), Unit: "EA", UnitPrice: money.MustParse("12.50")}}}},
	})
}

func ackJSON(group string) []byte {
	return parsedJSON(engine.ParsedForm{
		Set: engine.SetInfo{ID: "997"},
		Ack: &engine.Ack{GroupControlNumber: group, FunctionalID: "PO", Status: "A", Sets: []engine.AckSet{{ControlNumber: "0001", Status: "A"}}},
	})
}
