package x12

import (
	"strings"
	"testing"
)

// TestAdversarialInputs feeds shapes that make naive parsers quadratic or
// unbounded; they must finish (the test timeout is the bound) with the
// expected results.
func TestAdversarialInputs(t *testing.T) {
	hdr := "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *260102*1504*U*00401*000000905*0*T*>~GS*IN*S*R*20260102*1504*1*X*004010~ST*810*0001~"
	tail := "SE*3*0001~GE*1*1~IEA*1*000000905~"
	cases := []struct {
		name, in string
		sets     int
		check    func(t *testing.T, sets []*Set, rd *Reader)
	}{
		{"many elements", hdr + "IT1" + strings.Repeat("*", 100000) + "~" + tail, 1, func(t *testing.T, s []*Set, _ *Reader) {
			if g := s[0].Segment(1); g.Len() != 100000 || g.Element(99999) != "" {
				t.Fatalf("Len %d", g.Len())
			}
		}},
		{"many segments", hdr + strings.Repeat("IT1*1*2*EA*3~", 20000) + tail, 1, func(t *testing.T, s []*Set, _ *Reader) {
			inv, _ := ParseInvoice(s[0])
			if len(inv.Lines) != 20000 {
				t.Fatalf("%d lines", len(inv.Lines))
			}
		}},
		{"bad segment IDs", hdr + strings.Repeat("x~", 40000) + tail, 1, func(t *testing.T, s []*Set, _ *Reader) {
			if len(s[0].Errors) != maxIssues+1 { // capped, plus the "more problems" line
				t.Fatalf("%d errors", len(s[0].Errors))
			}
		}},
		{"many sets", hdr + strings.Repeat("SE*1*0001~ST*810*0001~", 5000) + tail, 5001, nil},
		{"many product pairs", hdr + "IT1*1*2*EA*3**" + strings.Repeat("BP*X*", 40000) + "~" + tail, 1, func(t *testing.T, s []*Set, _ *Reader) {
			inv, _ := ParseInvoice(s[0])
			if len(inv.Lines[0].ProductIDs) != 40000 {
				t.Fatalf("%d pairs", len(inv.Lines[0].ProductIDs))
			}
		}},
		{"no terminator", hdr + strings.Repeat("A", 2<<20), 1, func(t *testing.T, _ []*Set, rd *Reader) {
			if rd.Err() == nil || !strings.Contains(rd.Err().Error(), "no segment terminator") {
				t.Fatalf("err %v", rd.Err())
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sets, rd := readAll(t, c.in)
			if len(sets) != c.sets {
				t.Fatalf("%d sets", len(sets))
			}
			for _, s := range sets {
				ParseInvoice(s)
				ParsePurchaseOrder(s)
				ParseAck(s)
			}
			if _, err := Build997(sets); err != nil {
				t.Fatal(err)
			}
			if c.check != nil {
				c.check(t, sets, rd)
			}
		})
	}
}
