package x12

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/money"
)

// parseRRef is parseR without its fast path: the rule it must agree with.
func parseRRef(s string) (money.Decimal, bool) {
	if len(s) > 0 && s[0] == '+' {
		return money.Decimal{}, false
	}
	d, err := money.Parse(s)
	return d, err == nil && d.Valid()
}

// TestParseRFastPath compares parseR with money.Parse over edge cases and
// random strings of digits, points, signs and junk.
func TestParseRFastPath(t *testing.T) {
	cases := []string{"", "0", "1", "-1", "+1", ".", "..", "1.", ".5", "1.2.3", "12.50", "0000", "999999999999999999",
		"9999999999999999999", "123456789012345678", "1.234567890123", "1.2345678901234", "0.0000000000001", "1e5", " 1", "1 ", "-", "--1", "\u0661"}
	rng := rand.New(rand.NewPCG(7, 9))
	const alphabet = "0123456789.-+ e9"
	for range 20000 {
		b := make([]byte, rng.IntN(22))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		cases = append(cases, string(b))
	}
	for _, s := range cases {
		got, gok := parseR(s)
		want, wok := parseRRef(s)
		if gok != wok || got != want {
			t.Fatalf("parseR(%q) = %v, %v; want %v, %v", s, got, gok, want, wok)
		}
	}
}

// TestSegKey checks that the dispatch keys are distinct and match segKey.
func TestSegKey(t *testing.T) {
	keys := map[string]uint32{"BIG": keyBIG, "CUR": keyCUR, "REF": keyREF, "ITD": keyITD, "DTM": keyDTM, "IT1": keyIT1, "PID": keyPID,
		"SAC": keySAC, "TXI": keyTXI, "TDS": keyTDS, "ISS": keyISS, "CTT": keyCTT, "PER": keyPER, "DMG": keyDMG,
		"N1": keyN1, "N2": keyN2, "N3": keyN3, "N4": keyN4}
	seen := map[uint32]string{}
	for id, k := range keys {
		if segKey(id) != k {
			t.Errorf("segKey(%q) = %#x, want %#x", id, segKey(id), k)
		}
		if other, dup := seen[k]; dup {
			t.Errorf("%s and %s share key %#x", id, other, k)
		}
		seen[k] = id
	}
	for _, id := range []string{"", "N", "N1\x00", "BIGG", "N1 "} {
		if k := segKey(id); k != 0 && keys[id] != k {
			if _, ok := seen[k]; ok {
				t.Errorf("segKey(%q) = %#x collides with %s", id, k, seen[k])
			}
		}
	}
}

// TestElement5 compares the PID05 shortcut with the full split.
func TestElement5(t *testing.T) {
	for _, raw := range []string{"PID", "PID*F", "PID*F****", "PID*F****Hex bolt  ", "PID*F****a*b", "PID*****x", "PID*F***x", "PI*1*2*3*4*5*6"} {
		g := Segment{ID: raw[:min(3, len(raw))], Pos: 1, raw: raw, sep: '*'}
		if raw[:2] == "PI" && raw[2] == '*' {
			g.ID = "PI"
		}
		var m mapper
		want := trimRight(m.el(&g, 5))
		if got := element5(g.raw, len(g.ID), g.sep); got != want {
			t.Errorf("element5(%q) = %q, want %q", raw, got, want)
		}
	}
}

// TestAddExtension compares the inline line-extension sum with money's
// Mul and Add over random coefficients, scales and overflow edges.
func TestAddExtension(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	coef := func() int64 {
		switch rng.IntN(4) {
		case 0:
			return rng.Int64N(1000) - 500
		case 1:
			return rng.Int64N(1<<32) - 1<<31
		case 2:
			return rng.Int64() - 1<<62
		}
		return []int64{0, 1, -1, 1<<31 - 1, -(1<<31 - 1), 1 << 31, -(1 << 31), 1<<62 - 1, -(1<<62 - 1), 1 << 62}[rng.IntN(10)]
	}
	dec := func() money.Decimal {
		d := money.New(coef(), rng.IntN(money.MaxScale+1))
		if rng.IntN(50) == 0 {
			d = money.New(1, money.MaxScale+1) // invalid
		}
		return d
	}
	for range 200000 {
		sum, q, p := dec(), dec(), dec()
		if rng.IntN(2) == 0 { // the common case: the sum already at the product's scale
			sum = money.New(coef(), min(q.Scale()+p.Scale(), money.MaxScale))
		}
		got, want := addExtension(sum, q, p), sum.Add(q.Mul(p))
		if got != want {
			t.Fatalf("addExtension(%v, %v, %v) = %v (%d, %d), want %v (%d, %d)", sum, q, p, got, got.Coef(), got.Scale(), want, want.Coef(), want.Scale())
		}
	}
}

// idIndexRef is idIndex as first written: the rule the table must agree with.
func idIndexRef(id string) (int, bool) {
	if len(id) < 2 || len(id) > 3 {
		return 0, false
	}
	x := 0
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'A' && c <= 'Z':
			x = x*36 + int(c-'A')
		case c >= '0' && c <= '9':
			x = x*36 + 26 + int(c-'0')
		default:
			return 0, false
		}
	}
	if len(id) == 3 {
		x += 36 * 36
	}
	return x, true
}

// TestIDIndex compares idIndex with the reference for every two-byte ID
// and every three-byte one over the ID alphabet and its neighbours.
func TestIDIndex(t *testing.T) {
	for a := 0; a < 256; a++ {
		for b := 0; b < 256; b++ {
			id := string([]byte{byte(a), byte(b)})
			if gx, gok := idIndex(id); true {
				wx, wok := idIndexRef(id)
				if gx != wx || gok != wok {
					t.Fatalf("idIndex(%q) = %d, %v; want %d, %v", id, gx, gok, wx, wok)
				}
			}
		}
	}
	const near = "@AZ[/09:az \x00\xff"
	for _, a := range near {
		for _, b := range near {
			for _, c := range near {
				id := string([]rune{a, b, c})
				gx, gok := idIndex(id)
				wx, wok := idIndexRef(id)
				if gx != wx || gok != wok {
					t.Fatalf("idIndex(%q) = %d, %v; want %d, %v", id, gx, gok, wx, wok)
				}
			}
		}
	}
	for _, id := range []string{"", "A", "ABCD"} {
		if _, ok := idIndex(id); ok {
			t.Errorf("idIndex(%q) accepted", id)
		}
	}
}

// TestSplitPlainAgrees checks that the split used for a set without
// component or repetition separators finds the same element ends as the
// general one, on random segments of separators, pluses (the byte the
// inexact zero test can misflag after a '*'), and letters.
func TestSplitPlainAgrees(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 3))
	const alphabet = "**+++AB1 .\x2b\x2a"
	for range 20000 {
		b := make([]byte, 3+rng.IntN(shortSeg-3))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		raw := string(b)
		var a1, a2 [shortSeg + 4]int32
		k := rng.IntN(4)
		n1, _ := splitShort(raw, k, '*', '>', 0, &a1, 1)
		n2 := splitPlain(raw, k, '*', &a2, 1)
		if n1 != n2 || a1 != a2 {
			t.Fatalf("%q from %d: splitShort %v, splitPlain %v", raw, k, a1[:n1], a2[:n2])
		}
	}
}

// TestIDLen compares idLen's two-place shortcut with a plain scan.
func TestIDLen(t *testing.T) {
	ref := func(raw string) int {
		if i := strings.IndexByte(raw, '*'); i >= 0 {
			return i
		}
		return len(raw)
	}
	for _, raw := range []string{"", "*", "A", "A*", "A*B*C", "AB", "AB*", "AB**", "ABC", "ABC*", "ABC*D", "ABCD*E", "A**B", "**A*", "IT1", "N1*RE"} {
		if got := idLen(raw, '*'); got != ref(raw) {
			t.Errorf("idLen(%q) = %d, want %d", raw, got, ref(raw))
		}
	}
}

// TestBareIT1 is an 810 whose second line is an IT1 with no elements: the
// sizing pass must count it (the mapping adds a line for it without
// growing the slice), it reads as a line without quantity or price (a
// business problem for posting, not a zero), and CTT*1 no longer matches.
func TestBareIT1(t *testing.T) {
	sets, rd := readAll(t, dictInvoice("", "CUR*SE*USD", "IT1"))
	if rd.Err() != nil || len(sets) != 1 {
		t.Fatalf("%d sets (%v)", len(sets), rd.Err())
	}
	inv, _ := ParseInvoice(sets[0])
	if len(inv.Lines) != 2 {
		t.Fatalf("%d lines, want 2", len(inv.Lines))
	}
	// Line 1: 4 × 12.50 = 50.00. Line 2 has no quantity and no price.
	if l := inv.Lines[0]; l.Extension().String() != "50.00" {
		t.Errorf("line 1 extension %s, want 50.00", l.Extension())
	}
	if l := inv.Lines[1]; !l.NoPrice || !l.NoQuantity {
		t.Errorf("bare IT1 read as %+v", l)
	}
	// ST 1, BIG 2, CUR 3, N1 4, N4 5, IT1 6, bare IT1 7, TDS 8, CTT 9.
	var saw bool
	for _, is := range inv.Errors {
		saw = saw || is.Position == 9 && is.SegmentID == "CTT"
	}
	if !saw {
		t.Errorf("no line count error at CTT (position 9): %v", inv.Errors)
	}
}
