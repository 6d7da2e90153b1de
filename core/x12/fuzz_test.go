package x12

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func addFixtureSeeds(f *testing.F) {
	for _, rel := range fixtureFiles(f) {
		if b, err := os.ReadFile(filepath.Join(fixtures, rel)); err == nil && len(b) < 16<<10 {
			f.Add(b)
		}
	}
	f.Add([]byte(small810))
}

// FuzzReader feeds arbitrary bytes to the reader and the typed mappers: no
// panic, positions inside the set, and a clean set re-read from its own
// segments gives the same segments.
func FuzzReader(f *testing.F) {
	addFixtureSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		rd := NewReader(bytes.NewReader(data))
		n := 0
		for rd.Next() {
			s := rd.Set()
			n++
			for _, is := range s.Errors {
				if is.Position < 0 || is.Position > s.Len() {
					t.Fatalf("position %d outside set of %d segments", is.Position, s.Len())
				}
				_ = is.Error()
			}
			var parts []string
			for _, g := range s.Segments {
				parts = g.Split(parts[:0])
				if len(parts) != g.Len()+1 {
					t.Fatalf("Split gives %d parts, Len %d", len(parts), g.Len())
				}
				// Element scans from the start: compare a bounded prefix only.
				for i := 0; i < min(len(parts), 40); i++ {
					if i > 0 && g.Element(i) != parts[i] {
						t.Fatalf("Element(%d) = %q, Split %q", i, g.Element(i), parts[i])
					}
					_ = g.Component(i, 2)
				}
			}
			ParseInvoice(s)
			ParsePurchaseOrder(s)
			ParseAck(s)
			s.Errors = append(s.Errors[:0:0], s.Errors...)
			if n > 1000 {
				break
			}
		}
		_ = rd.Err()
		_ = rd.Issues()
	})
}

// FuzzInvoice wraps arbitrary bytes as the body of an 810 and maps it: no
// panic, and an invoice that maps without errors survives Write810 and a
// second read with the same values.
func FuzzInvoice(f *testing.F) {
	f.Add([]byte("BIG*20260102*INV-1**PO-1~IT1*1*2*EA*12.50**BP*P1~PID*F****Thing~TDS*2500~CTT*1~"))
	f.Add([]byte("BIG*20260102*CM-1**PO-1***CR~CUR*SE*EUR~N1*RE*Acme*92*V1~N3*Street 1~N4*Town**12345*DE~ITD*01*3*2**10**30~IT1*1*1*EA*-5**VP*X~SAC*C*D240***500~TXI*VA*1.05*21~TDS*605~SAC*A*C310***100~ISS*1*EA~CTT*1~"))
	f.Add([]byte("BIG*2026*~TDS*1.5~IT1*1*2*EA~"))
	f.Fuzz(func(t *testing.T, body []byte) {
		in := "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *260102*1504*U*00401*000000905*0*T*>~GS*IN*S*R*20260102*1504*1*X*004010~ST*810*0001~" +
			string(body) + "SE*99*0001~GE*1*1~IEA*1*000000905~"
		rd := NewReader(bytes.NewReader([]byte(in)))
		for rd.Next() {
			s := rd.Set()
			inv, _ := ParseInvoice(s)
			if inv == nil || s.ID != "810" {
				continue
			}
			clean := true
			for _, e := range inv.Errors {
				if e.Level != LevelSet { // the SE count is wrong on purpose
					clean = false
				}
			}
			if !clean || inv.Number == "" || inv.Date.IsZero() {
				continue
			}
			var b bytes.Buffer
			if err := Write810(&b, testEnv(Version4010), inv); err != nil {
				continue // data with delimiters cannot be written: fine
			}
			r2 := NewReader(&b)
			if !r2.Next() {
				t.Fatalf("rewritten invoice unreadable: %v\n%s", r2.Err(), b.String())
			}
			inv2, err := ParseInvoice(r2.Set())
			if err != nil {
				t.Fatalf("rewritten invoice has errors: %v\n%s", err, b.String())
			}
			if inv2.Number != inv.Number || inv2.Total.Cmp(inv.Total) != 0 || len(inv2.Lines) != len(inv.Lines) || inv2.CreditMemo != inv.CreditMemo {
				t.Fatalf("round trip changed the invoice:\n%+v\n%+v", inv, inv2)
			}
		}
	})
}

// FuzzRecycle: whatever the input, a recycling reader reads the same sets,
// segments, problems and invoices as a plain one.
func FuzzRecycle(f *testing.F) {
	addFixtureSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		compareSnapshots(t, "fuzz input", readSnapshots(t, bytes.NewReader(data), false), readSnapshots(t, bytes.NewReader(data), true))
	})
}
