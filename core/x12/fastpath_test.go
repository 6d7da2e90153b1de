package x12

import (
	"math/rand/v2"
	"testing"

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
