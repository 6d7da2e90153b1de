package x12

import (
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
