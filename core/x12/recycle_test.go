package x12

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// snapshot is everything a consumer can read from a set, copied out
// before the next Next: the segments' text, the problems and, for an 810,
// the typed invoice (fresh, and mapped into one reused Invoice).
func snapshot(t *testing.T, s *Set, reused *Invoice) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s %d %s/%s\n", s.ID, s.ControlNumber, s.Version(), s.Len(), s.Interchange.ControlNumber, s.Group.ControlNumber)
	for i := 0; i < s.Len(); i++ {
		g := s.Segment(i)
		fmt.Fprintf(&b, "%d@%d %s\n", g.Pos, g.Offset, s.rawAt(i))
	}
	js := func(v any) string {
		out, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	fmt.Fprintf(&b, "errors %s\nwarnings %s\n", js(s.Errors), js(s.Warnings))
	if s.ID == "810" {
		inv, err := ParseInvoice(s)
		fmt.Fprintf(&b, "invoice %s %v\n", js(inv), err)
		if err2 := ParseInvoiceInto(s, reused); (err2 == nil) != (err == nil) {
			t.Errorf("set %s: ParseInvoiceInto says %v, ParseInvoice %v", s.ControlNumber, err2, err)
		}
		if got := js(reused); got != js(inv) {
			t.Errorf("set %s: the reused Invoice reads\n%s\nthe fresh one\n%s", s.ControlNumber, got, js(inv))
		}
	}
	return b.String()
}

// readSnapshots reads every set of in, with or without Recycle.
func readSnapshots(t *testing.T, in io.Reader, recycle bool) []string {
	t.Helper()
	rd := NewReader(in)
	if recycle {
		rd.Recycle()
	}
	var out []string
	var reused Invoice
	for rd.Next() {
		out = append(out, snapshot(t, rd.Set(), &reused))
	}
	out = append(out, fmt.Sprintf("err %v issues %d", rd.Err(), len(rd.Issues())))
	return out
}

// bigInvoice is an 810 of n lines (about 40 bytes each, 2n+8 segments), hand-made: line i
// bills i units at 1.25, so the lines total 1.25 × n(n+1)/2.
func bigInvoice(ctl, n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "ST*810*%04d~BIG*20260301*INV-R%d**PO-R%d~CUR*SE*USD~N1*RE*Remit Co*92*R1~N3*Street 1*Floor 2~", ctl, ctl, ctl)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "IT1*%d*%d*EA*1.25**BP*P-%d~PID*F****Part %d~", i, i, i, i)
	}
	cents := 125 * n * (n + 1) / 2
	fmt.Fprintf(&b, "TDS*%d~CTT*%d~SE*%d*%04d~", cents, n, 2*n+8, ctl)
	return b.String()
}

// TestRecycleAgrees reads the same inputs with and without Reader.Recycle
// and requires the same sets, segments, problems and invoices, each read
// before the next Next as Recycle's contract allows: every third-party and
// hand-made fixture on its own, all of them in one stream (several senders,
// junk, broken envelopes), and a generated stream whose sets fill the text
// slab many times over, one of them larger than a slab.
func TestRecycleAgrees(t *testing.T) {
	var all [][]byte
	for _, rel := range fixtureFiles(t) {
		b, err := os.ReadFile(filepath.Join(fixtures, rel))
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b)
		plain, recycled := readSnapshots(t, bytes.NewReader(b), false), readSnapshots(t, bytes.NewReader(b), true)
		compareSnapshots(t, rel, plain, recycled)
	}
	stream := func() io.Reader {
		rs := make([]io.Reader, len(all))
		for i, b := range all {
			rs[i] = bytes.NewReader(b)
		}
		return io.MultiReader(rs...) // no Len: full-size buffers, as for a stream
	}
	compareSnapshots(t, "all fixtures in one stream", readSnapshots(t, stream(), false), readSnapshots(t, stream(), true))

	var gen strings.Builder
	gen.WriteString("ISA*00*          *00*          *ZZ*SUPPLIER       *ZZ*BUYER          *260301*1200*U*00401*000000801*0*P*>~GS*IN*SUPPLIER*BUYER*20260301*1200*801*X*004010~")
	sets := 0
	for i := 1; i <= 400; i++ {
		n := 3 + i%40
		if i == 200 {
			n = 8000 // about 320 KB: more than one 256 KB slab
		}
		gen.WriteString(bigInvoice(i, n))
		sets++
	}
	fmt.Fprintf(&gen, "GE*%d*801~IEA*1*000000801~", sets)
	text := gen.String()
	if len(text) < 3*textSlab {
		t.Fatalf("generated stream is %d bytes, want several slabs", len(text))
	}
	plain := readSnapshots(t, strings.NewReader(text), false)
	recycled := readSnapshots(t, strings.NewReader(text), true)
	compareSnapshots(t, "generated", plain, recycled)
	for i, snap := range plain[:sets] {
		if strings.Contains(snap, `"errors":[{`) || strings.Contains(snap, "errors [{") {
			t.Fatalf("generated set %d has problems: %.400s", i+1, snap)
		}
	}
	if len(plain) != sets+1 || !strings.Contains(plain[199], `"total":"40005000.00"`) {
		// Set 200: 1.25 × 8000 × 8001 / 2 = 40,005,000.00.
		t.Errorf("%d sets; set 200 reads %.300s", len(plain)-1, plain[199])
	}
}

func compareSnapshots(t *testing.T, name string, plain, recycled []string) {
	t.Helper()
	if len(plain) != len(recycled) {
		t.Errorf("%s: %d sets read plainly, %d recycled", name, len(plain), len(recycled))
		return
	}
	for i := range plain {
		if plain[i] != recycled[i] {
			t.Errorf("%s: set %d differs with Recycle:\n%.600s\nwithout:\n%.600s", name, i+1, recycled[i], plain[i])
			return
		}
	}
}

// TestRecycleAllocations: a recycling reader mapping into one Invoice
// allocates nothing per set once warmed up, where the plain reader
// allocates each set's text.
func TestRecycleAllocations(t *testing.T) {
	var b strings.Builder
	b.WriteString("ISA*00*          *00*          *ZZ*SUPPLIER       *ZZ*BUYER          *260301*1200*U*00401*000000802*0*P*>~GS*IN*SUPPLIER*BUYER*20260301*1200*802*X*004010~")
	for i := 1; i <= 200; i++ {
		b.WriteString(bigInvoice(i, 20))
	}
	b.WriteString("GE*200*802~IEA*1*000000802~")
	text := b.String()
	count := func(recycle bool) float64 {
		return testing.AllocsPerRun(3, func() {
			rd := NewReader(strings.NewReader(text))
			if recycle {
				rd.Recycle()
			}
			var inv Invoice
			for rd.Next() {
				if err := ParseInvoiceInto(rd.Set(), &inv); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
	plain, recycled := count(false), count(true)
	t.Logf("allocations for 200 invoices: %.0f plain, %.0f recycled", plain, recycled)
	if recycled > 100 || recycled*4 > plain {
		t.Errorf("recycled reader: %.0f allocations for 200 sets (plain %.0f)", recycled, plain)
	}
}
