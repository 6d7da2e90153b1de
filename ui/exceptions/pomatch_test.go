package exceptions

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/money"
)

func pol(no, part, vendorPart, qty, unit, price string) domain.PurchaseOrderLine {
	return domain.PurchaseOrderLine{LineNo: no, PartNo: part, VendorPartNo: vendorPart,
		Quantity: money.MustParse(qty), Unit: unit, UnitPrice: money.MustParse(price)}
}

func inl(no, part, vendorPart, qty, unit, price string) InvoiceLine {
	return InvoiceLine{LineNo: no, BuyerPart: part, VendorPart: vendorPart,
		Qty: money.MustParse(qty), Unit: unit, Price: money.MustParse(price)}
}

// summary writes each row as state:invoiceLine>poLine[flags], e.g. "M:1>1[p]".
func summary(rows []LineMatch) string {
	var parts []string
	for _, r := range rows {
		st := map[MatchState]string{Matched: "M", NotOnPO: "X", NotInvoiced: "N"}[r.State]
		flags := ""
		if r.QtyDiffers {
			flags += "q"
		}
		if r.UnitDiffers {
			flags += "u"
		}
		if r.PriceDiffers {
			flags += "p"
		}
		parts = append(parts, fmt.Sprintf("%s:%s>%s[%s]", st, r.Invoice.LineNo, r.PO.LineNo, flags))
	}
	return strings.Join(parts, " ")
}

func TestMatchPO(t *testing.T) {
	po := domain.PurchaseOrder{OrderNo: "1001", Lines: []domain.PurchaseOrderLine{
		pol("1", "WIDGET-A", "VW-A", "10", "EA", "11.00"),
		pol("2", "BOLT-M8", "", "100", "EA", "0.20"),
		pol("3", "", "VN-3", "5", "kg", "4"),
	}}
	tests := []struct {
		name string
		inv  []InvoiceLine
		want string
	}{
		{"all equal, scale and case ignored", []InvoiceLine{
			inl("1", "WIDGET-A", "", "10.000", "ea", "11"),
			inl("2", "BOLT-M8", "", "100", "EA", "0.2"),
			inl("3", "", "VN-3", "5", "KG", "4.00"),
		}, "M:1>1[] M:2>2[] M:3>3[]"},
		{"price differs", []InvoiceLine{inl("1", "WIDGET-A", "", "10", "EA", "12.50")},
			"M:1>1[p] N:>2[] N:>3[]"},
		{"quantity and unit differ", []InvoiceLine{inl("2", "BOLT-M8", "", "120", "PC", "0.20")},
			"M:2>2[qu] N:>1[] N:>3[]"},
		{"leading zeros in the line number", []InvoiceLine{inl("002", "", "", "100", "EA", "0.20")},
			"M:002>2[] N:>1[] N:>3[]"},
		{"unknown line number falls back to buyer part", []InvoiceLine{inl("7", "widget-a", "", "10", "EA", "11")},
			"M:7>1[] N:>2[] N:>3[]"},
		{"no line number, vendor part", []InvoiceLine{inl("", "", "vn-3", "6", "kg", "4")},
			"M:>3[q] N:>1[] N:>2[]"},
		{"invoice line with no PO line", []InvoiceLine{inl("9", "FRT", "FRT-X", "1", "EA", "25")},
			"X:9>[] N:>1[] N:>2[] N:>3[]"},
		{"nothing invoiced", nil, "N:>1[] N:>2[] N:>3[]"},
		{"two invoice lines on one PO line", []InvoiceLine{
			inl("1", "", "", "4", "EA", "11"), inl("1", "", "", "6", "EA", "11"),
		}, "M:1>1[q] M:1>1[q] N:>2[] N:>3[]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows := MatchPO(tt.inv, po, nil)
			if got := summary(rows); got != tt.want {
				t.Fatalf("MatchPO = %s, want %s", got, tt.want)
			}
			for _, r := range rows {
				want := r.State != Matched || r.QtyDiffers || r.UnitDiffers || r.PriceDiffers
				if r.Differs() != want {
					t.Fatalf("Differs() = %v for %+v", r.Differs(), r)
				}
			}
		})
	}
}

type kindErr domain.ErrorKind

func (k kindErr) Error() string               { return "boom" }
func (k kindErr) ErrorKind() domain.ErrorKind { return domain.ErrorKind(k) }

func TestAdviceByKind(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{fmt.Errorf("read po: %w", kindErr(domain.KindTransient)), "cannot be reached"},
		{fmt.Errorf("read po: %w", kindErr(domain.KindAuth)), "client secret"},
		{kindErr(domain.KindForbidden), "grant"},
		{kindErr(domain.KindNotFound), "does not know"},
		{kindErr(domain.KindConfig), "not set up"},
		{errors.New("odd"), "did not return"},
	}
	for _, tt := range tests {
		if got := advice(tt.err); !strings.Contains(got, tt.want) {
			t.Errorf("advice(%v) = %q, want it to contain %q", tt.err, got, tt.want)
		}
	}
}

// A box of 12 invoiced as 2 BX at 24.00 is 24 pcs at 2.00: no difference
// once normalised; 3 BX is a quantity difference, not a unit one.
func TestMatchPONormalisesUnits(t *testing.T) {
	po := domain.PurchaseOrder{OrderNo: "P1", Lines: []domain.PurchaseOrderLine{
		{LineNo: "1", Quantity: money.FromInt(24), Unit: "pcs", UnitPrice: money.MustParse("2.00")},
		{LineNo: "2", Quantity: money.FromInt(5), Unit: "pcs", UnitPrice: money.MustParse("1.00")},
	}}
	units := []UnitEquivalent{{InvoiceUnit: "BX", POUnit: "pcs", Factor: money.FromInt(12)}, {InvoiceUnit: "EA", POUnit: "pcs", Factor: money.FromInt(1)}}
	rows := MatchPO([]InvoiceLine{
		{LineNo: "1", Qty: money.FromInt(2), Unit: "BX", Price: money.MustParse("24.00")},
		{LineNo: "2", Qty: money.FromInt(5), Unit: "EA", Price: money.MustParse("1.00")},
	}, po, units)
	if rows[0].Differs() || rows[1].Differs() {
		t.Fatalf("normalised lines flagged: %+v", rows)
	}
	rows = MatchPO([]InvoiceLine{{LineNo: "1", Qty: money.FromInt(3), Unit: "BX", Price: money.MustParse("24.00")}}, po, units)
	if !rows[0].QtyDiffers || rows[0].UnitDiffers || rows[0].PriceDiffers {
		t.Fatalf("3 BX: %+v", rows[0])
	}
	// Without an equivalent the unit itself differs.
	rows = MatchPO([]InvoiceLine{{LineNo: "2", Qty: money.FromInt(5), Unit: "KG", Price: money.MustParse("1.00")}}, po, nil)
	if !rows[0].UnitDiffers {
		t.Fatalf("KG vs pcs: %+v", rows[0])
	}
}
