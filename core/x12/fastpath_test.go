package x12

import "testing"

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
