package engine

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/x12"
)

func TestX12CodecRoundTrip(t *testing.T) {
	c := X12Codec{}
	now := time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)
	env := Envelope{SenderQual: "ZZ", SenderID: "MLCONNECT", ReceiverQual: "ZZ", ReceiverID: "ACME01", ISAControl: 7, GSControl: 7, STControl: 1, Time: now}
	po := PO850{Purpose: "00", Order: domain.PurchaseOrder{OrderNo: "P100", OrderDate: now, Currency: "USD", SupplierID: "S100",
		Lines: []domain.PurchaseOrderLine{{LineNo: "1", PartNo: "BOLT", Quantity: d("10"), Unit: "pcs", UnitPrice: d("1.25"), Description: "Bolt M10"}}}}
	raw, err := c.Write850(po, env)
	if err != nil {
		t.Fatal(err)
	}
	sets, err := c.Split(raw)
	if err != nil || len(sets) != 1 || sets[0].ID != "850" || len(sets[0].Errors) != 0 || sets[0].ISAControl != "000000007" {
		t.Fatalf("850 back: %+v %v", sets, err)
	}

	inv := &x12.Invoice{Number: "INV9", Date: x12.DateOf(now), PONumber: "P100", Currency: "USD", Total: d("12.50"),
		Lines: []x12.InvoiceLine{{LineNumber: "1", Quantity: d("10"), UOM: "EA", UnitPrice: d("1.25"), BuyerPart: "BOLT"}}}
	var b bytes.Buffer
	if err := x12.Write810(&b, x12.Envelope{SenderQualifier: "ZZ", SenderID: "ACME01", ReceiverQualifier: "ZZ", ReceiverID: "MLCONNECT",
		InterchangeControl: 55, GroupControl: 55, SetControl: 1, Time: now}, inv); err != nil {
		t.Fatal(err)
	}
	sets, err = c.Split(b.Bytes())
	if err != nil || len(sets) != 1 || sets[0].Invoice == nil {
		t.Fatalf("810: %+v %v", sets, err)
	}
	s := sets[0]
	if s.Partner() != "ZZ:ACME01" || s.Invoice.Number != "INV9" || !s.Invoice.Total.Equal(d("12.50")) || len(s.Errors) != 0 {
		t.Fatalf("810 mapped %+v errors %v", s.Invoice, s.Errors)
	}
	ack, err := c.Write997([]Set{s}, Envelope{SenderQual: "ZZ", SenderID: "MLCONNECT", ReceiverQual: "ZZ", ReceiverID: "ACME01", ISAControl: 8, GSControl: 8, STControl: 1, Time: now})
	if err != nil {
		t.Fatal(err)
	}
	back, err := c.Split(ack)
	if err != nil || back[0].Ack == nil || back[0].Ack.Status != "A" || back[0].Ack.GroupControlNumber != "55" {
		t.Fatalf("997: %+v %v\n%s", back, err, ack)
	}
	// A 005010 group is answered in 005010.
	b.Reset()
	if err := x12.Write810(&b, x12.Envelope{SenderQualifier: "ZZ", SenderID: "ACME01", ReceiverQualifier: "ZZ", ReceiverID: "MLCONNECT",
		InterchangeControl: 56, GroupControl: 56, SetControl: 1, Time: now, Version: x12.Version5010}, inv); err != nil {
		t.Fatal(err)
	}
	sets, _ = c.Split(b.Bytes())
	ack, err = c.Write997(sets, Envelope{SenderQual: "ZZ", SenderID: "MLCONNECT", ReceiverQual: "ZZ", ReceiverID: "ACME01", ISAControl: 9, GSControl: 9, STControl: 1, Time: now})
	if err != nil || !strings.Contains(string(ack), "*005010~") {
		t.Fatalf("5010 997: %v\n%s", err, ack)
	}
	if _, err := c.Split([]byte("hello")); err == nil {
		t.Fatal("garbage accepted")
	}
	if !strings.Contains(string(raw), "BEG*00*SA*P100") {
		t.Fatalf("850:\n%s", raw)
	}
}
