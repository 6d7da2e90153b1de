package x12

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/money"
)

func testEnv(version string) Envelope {
	return Envelope{SenderQualifier: "ZZ", SenderID: "MLCONNECTOR", ReceiverQualifier: "01", ReceiverID: "123456789",
		Version: version, InterchangeControl: 42, GroupControl: 7, SetControl: 1, Usage: "T",
		Time: time.Date(2026, 1, 2, 15, 4, 0, 0, time.UTC), Newline: true}
}

func samplePO() *PurchaseOrder {
	return &PurchaseOrder{
		Purpose: PurposeOriginal, Type: "SA", Number: "PO-1001", Date: Date{2026, 1, 2}, Currency: "USD",
		References: []Reference{{Qualifier: "IA", ID: "V100"}},
		Contacts:   []Contact{{Function: "BD", Name: "Jane Buyer", Phone: "555-0100", Email: "jane@example.com"}},
		FOB:        "PP",
		Terms:      []Terms{{Type: "01", BasisDate: "3", DiscountPercent: money.MustParse("2"), DiscountDays: 10, NetDays: 30, Description: "2% 10 NET 30"}},
		Dates:      []DateRef{{Qualifier: "002", Date: Date{2026, 2, 1}}},
		Parties: []Party{
			{Code: "ST", Name: "Main Plant", IDQualifier: "92", ID: "SITE1", Address: []string{"1 Factory Rd", "Dock 4"}, City: "Springfield", State: "IL", PostalCode: "62701", Country: "US"},
			{Code: "BT", Name: "ML Corp"},
			{Code: "SU", Name: "Acme Supply", IDQualifier: "92", ID: "V100"},
		},
		Lines: []POLine{
			{LineNumber: "1", Quantity: money.MustParse("10"), UOM: "EA", UnitPrice: money.MustParse("12.50"), BuyerPart: "P-1", VendorPart: "ACME-1", Description: "Widget, blue"},
			{LineNumber: "2", Quantity: money.MustParse("2.5"), UOM: "KG", UnitPrice: money.MustParse("3.125"), BuyerPart: "P-2", Description: "Grease"},
		},
	}
}

func TestWrite850RoundTrip(t *testing.T) {
	for _, ver := range []string{Version4010, Version5010} {
		var b1 bytes.Buffer
		if err := Write850(&b1, testEnv(ver), samplePO(), samplePO()); err != nil {
			t.Fatal(err)
		}
		sets, rd := readAll(t, b1.String())
		if rd.Err() != nil || len(sets) != 2 || len(rd.Issues()) != 0 {
			t.Fatalf("%v %d %v", rd.Err(), len(sets), rd.Issues())
		}
		var pos []*PurchaseOrder
		for _, s := range sets {
			if len(s.Errors)+len(s.Warnings) != 0 {
				t.Fatalf("%s: %v %v\n%s", ver, s.Errors, s.Warnings, b1.String())
			}
			po, err := ParsePurchaseOrder(s)
			if err != nil {
				t.Fatal(err)
			}
			pos = append(pos, po)
		}
		var b2 bytes.Buffer
		if err := Write850(&b2, testEnv(ver), pos...); err != nil {
			t.Fatal(err)
		}
		if b1.String() != b2.String() {
			t.Fatalf("round trip differs:\n%s\n---\n%s", b1.String(), b2.String())
		}
		if ver == Version5010 && !strings.Contains(b1.String(), "*^*00501*") {
			t.Fatal("5010 must carry a repetition separator in ISA11")
		}
	}
}

func TestWriterRejectsDelimitersInData(t *testing.T) {
	po := samplePO()
	po.Lines[0].Description = "Widget*blue~"
	var b bytes.Buffer
	err := Write850(&b, testEnv(Version4010), po)
	if err == nil || !strings.Contains(err.Error(), "cannot escape") {
		t.Fatalf("err = %v", err)
	}
	env := testEnv(Version4010)
	env.Replacement = ' '
	b.Reset()
	if err := Write850(&b, env, po); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "PID*F****Widget blue~\n") {
		t.Fatalf("%s", b.String())
	}
}

func TestBuild997(t *testing.T) {
	sets, _ := readAll(t, small810)
	a, err := Build997(sets)
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != "P" || a.SetsAccepted != 1 || a.SetsReceived != 2 || a.SetsIncluded != 2 {
		t.Fatalf("%+v", a)
	}
	if len(a.Sets[0].Segments) != 1 || a.Sets[0].Segments[0].Position != 3 || a.Sets[0].Segments[0].Elements[0].Code != "6" {
		t.Fatalf("%+v", a.Sets[0])
	}
	env := ReplyEnvelope(sets[0])
	env.InterchangeControl, env.GroupControl, env.SetControl = 5, 5, 1
	env.Time = time.Date(2026, 1, 3, 8, 0, 0, 0, time.UTC)
	var b bytes.Buffer
	if err := Write997(&b, env, a); err != nil {
		t.Fatal(err)
	}
	want := "ISA*00*          *00*          *ZZ*RECEIVER       *ZZ*SENDER         *260103*0800*U*00401*000000005*0*T*>~" +
		"GS*FA*RECEIVER*SENDER*20260103*0800*5*X*004010~ST*997*0001~AK1*IN*1~AK2*810*0001~AK3*IT1*3**8~AK4*4**6*12,50~AK5*R*5~" +
		"AK2*810*0002~AK5*A~AK9*P*2*2*1~SE*10*0001~GE*1*5~IEA*1*000000005~"
	if b.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", b.String(), want)
	}
	rs, _ := readAll(t, b.String())
	back, err := ParseAck(rs[0])
	if err != nil {
		t.Fatal(err)
	}
	if back.Summary() != `group IN 1 partially accepted: at least one transaction set was rejected: 1 of 2 sets accepted; set 810 0001 rejected, one or more segments in error: segment 3 (IT1) segment has data element errors element 4 invalid character in data element "12,50"` {
		t.Fatalf("%s", back.Summary())
	}
}
