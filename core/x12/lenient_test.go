package x12

import (
	"fmt"
	"strings"
	"testing"
)

// TestLenient997 shows what a lenient partner's 997 says: a set whose only
// problems are tolerable (a segment the 810 does not define, an element
// longer than its maximum) is accepted with the errors noted (AK5*E, AK9*E)
// and the problems still listed; the same set is rejected by the standard
// 997; a problem that changes the money (a currency outside ISO 4217) is
// rejected either way. The files are dictInvoice variants (hand-made).
func TestLenient997(t *testing.T) {
	tolerable := strings.Replace(dictInvoice("ZZZ*CUSTOM*1", "CUR*SE*USD", ""), "*Remit Co*", "*"+strings.Repeat("R", 61)+"*", 1)
	cases := []struct {
		name          string
		in            string
		lenient       bool
		status, group string
		accepted      int
		segs          string // AK3 segment ids with AK304 codes
	}{
		{"tolerable, standard", tolerable, false, "R", "R", 0, "ZZZ:6 N1:8"},
		{"tolerable, lenient", tolerable, true, "E", "E", 1, "ZZZ:6 N1:8"},
		{"currency, lenient", dictInvoice("", "CUR*SE*CUR", ""), true, "R", "R", 0, "CUR:8"},
		{"clean, lenient", dictInvoice("", "CUR*SE*USD", ""), true, "A", "A", 1, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sets, rd := readAll(t, c.in)
			if rd.Err() != nil || len(sets) != 1 {
				t.Fatalf("%d sets, want 1 (%v)", len(sets), rd.Err())
			}
			a, err := Build997With(sets, AckOptions{Lenient: c.lenient})
			if err != nil {
				t.Fatal(err)
			}
			sa := a.Sets[0]
			var got []string
			for _, sg := range sa.Segments {
				got = append(got, sg.SegmentID+":"+sg.Code)
			}
			if sa.Status != c.status || a.Status != c.group || a.SetsAccepted != c.accepted || strings.Join(got, " ") != c.segs {
				t.Fatalf("AK501 %s AK901 %s accepted %d AK3 %q, want %s %s %d %q", sa.Status, a.Status, a.SetsAccepted,
					strings.Join(got, " "), c.status, c.group, c.accepted, c.segs)
			}
			if c.status == "E" && len(sa.Errors) != 0 {
				t.Fatalf("an accepted set carries AK502 codes %v", sa.Errors)
			}
			if c.name == "tolerable, lenient" {
				// The element detail is kept: N102 (position 2) too long (AK403 5).
				if n1 := sa.Segments[1]; len(n1.Elements) != 1 || n1.Elements[0].Position != 2 || n1.Elements[0].Code != "5" {
					t.Fatalf("N1 AK4 detail %+v, want element 2 code 5", n1.Elements)
				}
			}
		})
	}
	// Mixed group: a tolerable set and a set with a bad currency under a
	// lenient partner is partially accepted (AK9*P, 2 received, 1 accepted).
	body := func(in, ctl string) string {
		st := in[strings.Index(in, "ST*"):strings.Index(in, "GE*")]
		return strings.ReplaceAll(st, "*0001~", "*"+ctl+"~")
	}
	bad := dictInvoice("", "CUR*SE*CUR", "")
	mixed := tolerable[:strings.Index(tolerable, "ST*")] + body(tolerable, "0001") + body(bad, "0002") + "GE*2*701~IEA*1*000000701~"
	sets, rd := readAll(t, mixed)
	if rd.Err() != nil || len(sets) != 2 {
		t.Fatalf("%d sets, %v", len(sets), rd.Err())
	}
	a, err := Build997With(sets, AckOptions{Lenient: true})
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != "P" || a.SetsReceived != 2 || a.SetsAccepted != 1 || a.Sets[0].Status != "E" || a.Sets[1].Status != "R" {
		t.Fatalf("mixed group: AK9 %s %d/%d, sets %s %s; want P 1/2, E R", a.Status, a.SetsAccepted, a.SetsReceived, a.Sets[0].Status, a.Sets[1].Status)
	}
}

// TestTolerable pins which problems a lenient partner may send.
func TestTolerable(t *testing.T) {
	for _, c := range []struct {
		lvl  Level
		code string
		want bool
	}{
		{LevelSegment, "6", true}, {LevelSegment, "1", false}, {LevelSegment, "3", false}, {LevelSegment, "8", false},
		{LevelElement, "3", true}, {LevelElement, "4", true}, {LevelElement, "5", true},
		{LevelElement, "1", false}, {LevelElement, "6", false}, {LevelElement, "7", false}, {LevelElement, "8", false},
		{LevelSet, "5", false}, {LevelGroup, "3", false}, {LevelInterchange, "023", false},
	} {
		if got := Tolerable(Issue{Level: c.lvl, Code: c.code}); got != c.want {
			t.Errorf("Tolerable(%v %s) = %v, want %v", c.lvl, c.code, got, c.want)
		}
	}
}

// TestAckDictionary: a received 997 is checked against the 997 dictionary
// (hand-made): an AK501 outside DE 717, an AK9 count that is not a number
// and an AK1 with a third element under 004010 are errors at their
// positions; a TA1 inside the set stays a warning (translators do that);
// the same 997 in 005010 may carry AK103 and AK203.
func TestAckDictionary(t *testing.T) {
	ack := func(version, ak1, ak2, ak5, ak9 string) string {
		body := []string{ak1, ak2, ak5, ak9}
		isa12 := "U*00401"
		if strings.HasPrefix(version, "005") {
			isa12 = "^*00501"
		}
		return "ISA*00*          *00*          *ZZ*SUPPLIER       *ZZ*BUYER          *260301*1200*" + isa12 + "*000000801*0*P*>~" +
			"GS*FA*SUPPLIER*BUYER*20260301*1200*801*X*" + version + "~ST*997*0001~" + strings.Join(body, "~") +
			"~SE*" + fmt.Sprint(len(body)+2) + "*0001~GE*1*801~IEA*1*000000801~"
	}
	type want struct {
		pos, elem int
		code      string
	}
	cases := []struct {
		name    string
		in      string
		errs    []want
		warning bool
	}{
		{"clean 004010", ack("004010", "AK1*PO*5", "AK2*850*0001", "AK5*A", "AK9*A*1*1*1"), nil, false},
		{"AK501 outside its list", ack("004010", "AK1*PO*5", "AK2*850*0001", "AK5*Q", "AK9*A*1*1*1"), []want{{4, 1, "7"}}, false},
		{"AK904 not a number", ack("004010", "AK1*PO*5", "AK2*850*0001", "AK5*A", "AK9*A*1*1*ONE"), []want{{5, 4, "6"}}, false},
		{"AK103 under 004010", ack("004010", "AK1*PO*5*004010", "AK2*850*0001", "AK5*A", "AK9*A*1*1*1"), []want{{2, 3, "3"}}, false},
		{"AK103 and AK203 under 005010", ack("005010", "AK1*PO*5*005010", "AK2*850*0001*005010", "AK5*A", "AK9*A*1*1*1"), nil, false},
		{"TA1 inside", ack("004010", "AK1*PO*5", "TA1*000000005*260301*1200*A*000", "AK2*850*0001~AK5*A", "AK9*A*1*1*1"), nil, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := c.in
			if c.name == "TA1 inside" { // one more segment than ack() counted
				in = strings.Replace(in, "SE*6*0001", "SE*7*0001", 1)
			}
			sets, rd := readAll(t, in)
			if rd.Err() != nil || len(sets) != 1 {
				t.Fatalf("%d sets, %v", len(sets), rd.Err())
			}
			a, _ := ParseAck(sets[0])
			var got []want
			for _, is := range a.Issues {
				got = append(got, want{is.Position, is.Element, is.Code})
			}
			if fmt.Sprint(got) != fmt.Sprint(c.errs) {
				t.Fatalf("issues %v (%v), want %v", got, a.Issues, c.errs)
			}
			if (len(a.Warnings) > 0) != c.warning {
				t.Fatalf("warnings %v", a.Warnings)
			}
		})
	}
}
