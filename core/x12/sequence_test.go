package x12

import (
	"fmt"
	"strings"
	"testing"
)

// seq810File wraps a hand-made 810 body (segments between ST and SE, '~'
// separated) in a 004010 envelope with the right SE01.
func seq810File(body ...string) string {
	st := "ST*810*0001~" + strings.Join(body, "~") + "~" + fmt.Sprintf("SE*%d*0001~", len(body)+2)
	return "ISA*00*          *00*          *ZZ*SUPPLIER       *ZZ*BUYER          *260301*1200*U*00401*000000901*0*P*>~" +
		"GS*IN*SUPPLIER*BUYER*20260301*1200*901*X*004010~" + st + "GE*1*901~IEA*1*000000901~"
}

// TestSequenceRules: each case puts one segment where the 810/850 tables
// do not allow it; the set must carry exactly that problem (AK304 code at
// the segment's position, ST = 1) and its 997 must reject it. The valid
// case holds every summary segment in order. One 4 × 12.50 line = TDS 5000.
func TestSequenceRules(t *testing.T) {
	const big, it1, tds = "BIG*20260301*INV-S1**PO-S1", "IT1*1*4*EA*12.50**BP*P-1", "TDS*5000"
	cases := []struct {
		name string
		in   string
		pos  int
		code string
		seg  string
		msg  string
	}{
		{"valid, full summary", seq810File(big, "N1*RE*Remit Co", it1, "QTY*01*4", tds, "TXI*ST*0", "CAD*M****UPSN", "AMT*1*50", "SAC*C*D240***0", "TXI*ST*0", "ISS*4*EA", "PID*F****Bolt", "CTT*1"), 0, "", "", ""},
		{"NTE before BIG", seq810File("NTE*GEN*hello", big, it1, tds), 3, "7", "BIG", "BIG must follow ST directly; it is segment 3"},
		{"QTY before any IT1", seq810File(big, "QTY*01*4", it1, tds), 3, "7", "QTY", "QTY belongs inside the IT1 loop and comes before any IT1"},
		{"N1 after TDS", seq810File(big, it1, tds, "N1*RE*Remit Co"), 5, "7", "N1", "N1 after TDS is out of sequence: only AMT, CAD, CTT, DTM, ISS, PID, SAC, TXI may follow TDS"},
		{"TXI after CTT", seq810File(big, it1, tds, "CTT*1", "TXI*ST*0"), 6, "7", "TXI", "TXI after CTT is out of sequence: CTT closes the transaction set"},
		{"CTT twice", seq810File(big, it1, tds, "CTT*1", "CTT*1"), 6, "5", "CTT", "CTT appears more than once"},
		// The mapper's own words are kept where it said the same.
		{"IT1 after TDS", seq810File(big, it1, tds, it1), 5, "7", "IT1", "IT1 after TDS is out of sequence"},
		{"TDS twice", seq810File(big, it1, tds, tds), 5, "5", "TDS", "TDS appears more than once"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sets, rd := readAll(t, c.in)
			if rd.Err() != nil || len(sets) != 1 {
				t.Fatalf("%d sets %v", len(sets), rd.Err())
			}
			inv, _ := ParseInvoice(sets[0])
			if c.code == "" {
				if len(inv.Errors) != 0 {
					t.Fatalf("valid file: %v", inv.Errors)
				}
				return
			}
			if len(inv.Errors) != 1 {
				t.Fatalf("want one problem, got %v", inv.Errors)
			}
			is := inv.Errors[0]
			if is.Position != c.pos || is.Code != c.code || is.SegmentID != c.seg || is.Message != c.msg || is.Level != LevelSegment {
				t.Fatalf("got %d %s %s %q (%v), want %d %s %s %q", is.Position, is.Code, is.SegmentID, is.Message, is.Level, c.pos, c.code, c.seg, c.msg)
			}
			a, err := Build997(sets)
			if err != nil {
				t.Fatal(err)
			}
			if a.Sets[0].Status != "R" || len(a.Sets[0].Segments) != 1 || a.Sets[0].Segments[0].Code != c.code || a.Sets[0].Segments[0].Position != c.pos {
				t.Fatalf("997 %+v", a.Sets[0])
			}
		})
	}
}

// TestSequence850: an 850 with N1 after CTT, and one with a second CTT.
func TestSequence850(t *testing.T) {
	po := func(tail ...string) string {
		body := append([]string{"BEG*00*SA*PO-S1**20260301", "PO1*1*4*EA*12.50**BP*P-1", "CTT*1"}, tail...)
		st := "ST*850*0001~" + strings.Join(body, "~") + "~" + fmt.Sprintf("SE*%d*0001~", len(body)+2)
		return "ISA*00*          *00*          *ZZ*BUYER          *ZZ*SUPPLIER       *260301*1200*U*00401*000000902*0*P*>~" +
			"GS*PO*BUYER*SUPPLIER*20260301*1200*902*X*004010~" + st + "GE*1*902~IEA*1*000000902~"
	}
	for _, c := range []struct {
		tail []string
		want string
	}{
		{[]string{"AMT*TT*50"}, ""},
		{[]string{"N1*ST*Dock 4"}, "5:7:N1 after CTT is out of sequence: only AMT may follow CTT"},
		{[]string{"CTT*1"}, "5:5:CTT appears more than once"},
	} {
		sets, _ := readAll(t, po(c.tail...))
		p, _ := ParsePurchaseOrder(sets[0])
		var got []string
		for _, is := range p.Errors {
			got = append(got, fmt.Sprintf("%d:%s:%s", is.Position, is.Code, is.Message))
		}
		if strings.Join(got, "|") != c.want {
			t.Errorf("%v: got %q, want %q", c.tail, got, c.want)
		}
	}
}
