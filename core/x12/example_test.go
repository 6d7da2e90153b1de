package x12_test

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/ml-connector/ifs-cleo/core/money"
	"github.com/ml-connector/ifs-cleo/core/x12"
)

// Reading: iterate over the transaction sets of a stream and map 810s.
func Example() {
	in := "ISA*00*          *00*          *ZZ*ACME           *ZZ*MLCONNECTOR    *260102*1504*U*00401*000000905*0*P*>~\n" +
		"GS*IN*ACME*MLCONNECTOR*20260102*1504*1*X*004010~\n" +
		"ST*810*0001~\n" +
		"BIG*20260102*INV-1**PO-1~\n" +
		"IT1*1*2*EA*12,50**BP*P1~\n" +
		"TDS*2500~\n" +
		"SE*5*0001~\n" +
		"GE*1*1~\n" +
		"IEA*1*000000905~\n"
	rd := x12.NewReader(strings.NewReader(in))
	for rd.Next() {
		set := rd.Set()
		inv, err := x12.ParseInvoice(set)
		if err != nil {
			for _, e := range inv.Errors {
				fmt.Println(e)
			}
			continue
		}
		fmt.Println(inv.Number, inv.Total)
	}
	if err := rd.Err(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// interchange 000000905 group 1 set 0001: segment 3 (IT1) element 4: unit price "12,50" is not a number
}

// Writing: an 850 with caller-supplied control numbers.
func ExampleWrite850() {
	po := &x12.PurchaseOrder{Purpose: x12.PurposeOriginal, Type: "SA", Number: "PO-1", Date: x12.Date{Year: 2026, Month: 1, Day: 2}, Currency: "USD",
		Parties: []x12.Party{{Code: "ST", Name: "Main Plant"}},
		Lines:   []x12.POLine{{LineNumber: "1", Quantity: money.MustParse("10"), UOM: "EA", UnitPrice: money.MustParse("12.50"), BuyerPart: "P-1", Description: "Widget"}}}
	env := x12.Envelope{SenderQualifier: "ZZ", SenderID: "MLCONNECTOR", ReceiverQualifier: "ZZ", ReceiverID: "ACME",
		InterchangeControl: 42, GroupControl: 42, SetControl: 1, Usage: "T", Time: time.Date(2026, 1, 2, 15, 4, 0, 0, time.UTC), Newline: true}
	if err := x12.Write850(os.Stdout, env, po); err != nil {
		fmt.Println(err)
	}
	// Output:
	// ISA*00*          *00*          *ZZ*MLCONNECTOR    *ZZ*ACME           *260102*1504*U*00401*000000042*0*T*>~
	// GS*PO*MLCONNECTOR*ACME*20260102*1504*42*X*004010~
	// ST*850*0001~
	// BEG*00*SA*PO-1**20260102~
	// CUR*BY*USD~
	// N1*ST*Main Plant~
	// PO1*1*10*EA*12.50**BP*P-1~
	// PID*F****Widget~
	// CTT*1*10~
	// SE*8*0001~
	// GE*1*42~
	// IEA*1*000000042~
}

// Acknowledging: a 997 for every functional group received.
func ExampleBuild997() {
	in := "ISA*00*          *00*          *ZZ*ACME           *ZZ*MLCONNECTOR    *260102*1504*U*00401*000000905*0*P*>~" +
		"GS*IN*ACME*MLCONNECTOR*20260102*1504*1*X*004010~ST*810*0001~BIG*20260102*INV-1~IT1*1*2*EA*12,50~TDS*2500~SE*5*0001~GE*1*1~IEA*1*000000905~"
	rd := x12.NewReader(strings.NewReader(in))
	var sets []*x12.Set
	for rd.Next() {
		sets = append(sets, rd.Set())
	}
	ack, _ := x12.Build997(sets)
	env := x12.ReplyEnvelope(sets[0])
	env.InterchangeControl, env.GroupControl, env.SetControl = 7, 7, 1
	env.Time = time.Date(2026, 1, 3, 8, 0, 0, 0, time.UTC)
	var b bytes.Buffer
	x12.Write997(&b, env, ack)
	fmt.Println(ack.Summary())
	fmt.Println(strings.Contains(b.String(), "AK3*IT1*3**8~AK4*4**6*12,50~AK5*R*5~"))
	// Output:
	// group IN 1 rejected: 0 of 1 sets accepted; set 810 0001 rejected, one or more segments in error: segment 3 (IT1) segment has data element errors element 4 invalid character in data element "12,50"
	// true
}
