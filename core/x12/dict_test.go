package x12

import (
	"fmt"
	"strings"
	"testing"
)

// dictInvoice is a hand-made, valid 004010 810 (component separator '>'):
// one line, 4 × 12.50 = 50.00, TDS 5000. The {{HEAD}}, {{LINE}} and {{CUR}}
// markers are replaced by the cases below; segment positions (ST = 1): BIG 2,
// CUR 3, {{HEAD}} 4 when used, then N1, IT1 …
func dictInvoice(head, cur, line string) string {
	body := []string{"BIG*20260301*INV-D1**PO-D1", cur}
	if head != "" {
		body = append(body, head)
	}
	body = append(body, "N1*RE*Remit Co*92*R1", "N4*Berlin**10115*DE", "IT1*1*4*EA*12.50**BP*P-1")
	if line != "" {
		body = append(body, line)
	}
	body = append(body, "TDS*5000", "CTT*1")
	st := "ST*810*0001~" + strings.Join(body, "~") + "~"
	n := len(body) + 2
	return "ISA*00*          *00*          *ZZ*SUPPLIER       *ZZ*BUYER          *260301*1200*U*00401*000000701*0*P*>~" +
		"GS*IN*SUPPLIER*BUYER*20260301*1200*701*X*004010~" + st + fmt.Sprintf("SE*%d*0001~", n) + "GE*1*701~IEA*1*000000701~"
}

// TestDictionarySyntaxRules: each case breaks one rule of the segment
// dictionary; the invoice must carry that error (AK304/AK403 code, segment
// position, element) and its 997 must reject the set (AK5 R) with it.
func TestDictionarySyntaxRules(t *testing.T) {
	cases := []struct {
		name             string
		head, cur, line  string
		pos, elem        int
		code, segID, val string
		from, to         string // a replacement in the base text
	}{
		// A segment the 810 does not define at all (BEG belongs to the 850).
		{name: "segment not in the set", head: "BEG*00*SA*PO-D1**20260301", cur: "CUR*SE*USD", pos: 4, code: "6", segID: "BEG"},
		// CUR has 21 elements; REF 4: a fifth is too many (AK403 3 at element 5).
		{name: "too many elements", head: "REF*IA*V-1*Vendor*X>Y*EXTRA", cur: "CUR*SE*USD", pos: 4, elem: 5, code: "3", segID: "REF", val: "EXTRA"},
		// The component separator '>' inside REF02, a simple element.
		{name: "separator inside a plain element", head: "REF*IA*V>1", cur: "CUR*SE*USD", pos: 4, elem: 2, code: "6", segID: "REF", val: "V>1"},
		// IT103 is ID 2/2: "INVALID" is 7 characters.
		{name: "unit too long", cur: "CUR*SE*USD", from: "*EA*", to: "*INVALID*", pos: 6, elem: 3, code: "5", segID: "IT1", val: "INVALID"},
		// CUR02 is ISO 4217: "CUR" has the right length but is no currency.
		{name: "currency not in code list", cur: "CUR*SE*CUR", pos: 3, elem: 2, code: "7", segID: "CUR", val: "CUR"},
		// N1 N104 is AN 2/80: one character is too short.
		{name: "too short", cur: "CUR*SE*USD", from: "*92*R1~", to: "*92*R~", pos: 4, elem: 4, code: "4", segID: "N1", val: "R"},
		// DTM03 is a time HHMM: 2561 has minute 61.
		{name: "invalid time", head: "DTM*011*20260301*2561", cur: "CUR*SE*USD", pos: 4, elem: 3, code: "9", segID: "DTM", val: "2561"},
		// REF01 is mandatory.
		{name: "mandatory element missing", head: "REF**V-1", cur: "CUR*SE*USD", pos: 4, elem: 1, code: "1", segID: "REF"},
		// PID01 is F, S or X.
		{name: "PID01 code", cur: "CUR*SE*USD", line: "PID*Q****Bolt", pos: 7, elem: 1, code: "7", segID: "PID", val: "Q"},
		// SAC05 is N2 1/15: 16 digits are too long.
		{name: "numeric length counts digits", cur: "CUR*SE*USD", line: "SAC*C*D240***1234567890123456", pos: 7, elem: 5, code: "5", segID: "SAC", val: "1234567890123456"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := dictInvoice(c.head, c.cur, c.line)
			if c.from != "" {
				in = strings.Replace(in, c.from, c.to, 1)
			}
			checkDictCase(t, in, c.pos, c.elem, c.code, c.segID, c.val)
		})
	}
}

func checkDictCase(t *testing.T, in string, pos, elem int, code, segID, val string) {
	t.Helper()
	sets, rd := readAll(t, in)
	if rd.Err() != nil || len(sets) != 1 {
		t.Fatalf("%v %d sets", rd.Err(), len(sets))
	}
	if len(sets[0].Errors) != 0 {
		t.Fatalf("the envelope and tokens are sound, yet: %v", sets[0].Errors)
	}
	inv, err := ParseInvoice(sets[0])
	if err == nil || inv == nil {
		t.Fatalf("accepted: %v", err)
	}
	var hit *Issue
	for i, is := range inv.Errors {
		if is.Position == pos && is.Element == elem && is.Code == code && is.SegmentID == segID {
			hit = &inv.Errors[i]
		}
	}
	if hit == nil {
		t.Fatalf("want %s at %d/%d code %s, got %v", segID, pos, elem, code, inv.Errors)
	}
	if hit.Value != val {
		t.Errorf("value %q, want %q", hit.Value, val)
	}
	if len(inv.Errors) != 1 {
		t.Errorf("one defect, one error; got %v", inv.Errors)
	}
	ack, err := Build997(sets)
	if err != nil {
		t.Fatal(err)
	}
	sa := ack.Sets[0]
	if sa.Status != "R" || ack.Status != "R" || len(sa.Segments) != 1 {
		t.Fatalf("997 %+v", ack)
	}
	se := sa.Segments[0]
	if se.SegmentID != segID || se.Position != pos {
		t.Fatalf("AK3 %+v", se)
	}
	if elem == 0 {
		if se.Code != code || len(se.Elements) != 0 {
			t.Fatalf("AK3 %+v", se)
		}
		return
	}
	if se.Code != "8" || len(se.Elements) != 1 || se.Elements[0].Position != elem || se.Elements[0].Code != code {
		t.Fatalf("AK3/AK4 %+v", se)
	}
}

// TestDictionaryAcceptsValid: the base invoice, 005010 lengths (REF02 up to
// 50, N407), trailing empty elements and a composite REF04 pass, and the
// 997 accepts.
func TestDictionaryAcceptsValid(t *testing.T) {
	for name, in := range map[string]string{
		"base":            dictInvoice("", "CUR*SE*USD", ""),
		"trailing empty":  dictInvoice("REF*IA*V-1**", "CUR*SE*EUR", "PID*F****Bolt**"),
		"composite REF04": dictInvoice("REF*IA*V-1*Vendor*ZZ>X1", "CUR*SE*USD", ""),
		"time and date":   dictInvoice("DTM*011*20260301*235959", "CUR*SE*USD", ""),
		"5010 lengths": strings.NewReplacer("00401", "00501", "004010", "005010").Replace(
			dictInvoice("REF*IA*"+strings.Repeat("9", 50), "CUR*SE*USD", "")),
	} {
		t.Run(name, func(t *testing.T) {
			sets, _ := readAll(t, in)
			inv, err := ParseInvoice(sets[0])
			if err != nil {
				t.Fatalf("%v", inv.Errors)
			}
			if inv.Total.String() != "50.00" || inv.Lines[0].Extension().String() != "50.00" {
				t.Fatalf("total %s", inv.Total)
			}
			ack, err := Build997(sets)
			if err != nil || ack.Status != "A" {
				t.Fatalf("%v %+v", err, ack)
			}
		})
	}
	// The same 50-character REF02 in 004010 (max 30) is too long.
	sets, _ := readAll(t, dictInvoice("REF*IA*"+strings.Repeat("9", 50), "CUR*SE*USD", ""))
	if inv, _ := ParseInvoice(sets[0]); len(inv.Errors) != 1 || inv.Errors[0].Code != "5" || inv.Errors[0].Element != 2 {
		t.Fatalf("004010 REF02 of 50: %v", inv.Errors)
	}
}

// TestDictionaryOtherVersions: a 003050 invoice is read with the 004010
// dictionary and says so in a warning; it stays valid, its 997 accepts.
func TestDictionaryOtherVersions(t *testing.T) {
	in := strings.NewReplacer("*00401*", "*00305*", "*004010~", "*003050~").Replace(dictInvoice("", "CUR*SE*USD", ""))
	sets, _ := readAll(t, in)
	inv, err := ParseInvoice(sets[0])
	if err != nil {
		t.Fatalf("%v", inv.Errors)
	}
	if len(inv.Warnings) != 1 || !strings.Contains(inv.Warnings[0].Message, "version 003050 is checked with the 004010 segment dictionary") {
		t.Fatalf("warnings %v", inv.Warnings)
	}
	if ack, err := Build997(sets); err != nil || ack.Status != "A" {
		t.Fatalf("%v %+v", err, ack)
	}
	// 004010 itself: no such warning.
	sets, _ = readAll(t, dictInvoice("", "CUR*SE*USD", ""))
	if inv, _ := ParseInvoice(sets[0]); len(inv.Warnings) != 0 {
		t.Fatalf("warnings %v", inv.Warnings)
	}
}
