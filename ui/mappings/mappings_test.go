package mappings_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/ml-connector/ifs-cleo/ui/internal/uitest"
	"github.com/ml-connector/ifs-cleo/ui/mappings"
	"github.com/ml-connector/ifs-cleo/ui/uifake"
	"github.com/ml-connector/ifs-cleo/ui/uikit"
)

func TestMappings(t *testing.T) {
	test.NewTempApp(t)
	test.ApplyTheme(t, test.Theme())
	src := uifake.NewMappings()
	run := uikit.NewManualRunner()
	changed := 0
	s := mappings.New(context.Background(), src, mappings.Params{Runner: run, Loc: time.UTC, OnChanged: func() { changed++ }})
	w := test.NewTempWindow(t, s)
	w.Resize(uitest.Size)
	s.Reload()
	run.Drain()
	uitest.AssertImage(t, "partners.png", w.Canvas().Capture())

	s.MapPartner("ZZ:ACME01", "S1001")
	run.Drain()
	if ok, e := s.Status(); e != "" || !strings.Contains(ok, "Mapped ZZ:ACME01 to S1001") || changed != 1 {
		t.Fatalf("ok %q err %q changed %d", ok, e, changed)
	}

	// Self-billing: only a mapped partner can be marked; the checkbox
	// reaches the source and says what happens next.
	if c := s.SelfBillingCheck("ZZ:GLOBEX"); c == nil || c.Disabled() || c.Checked {
		t.Fatalf("GLOBEX self-billing check %+v", c)
	}
	test.Tap(s.SelfBillingCheck("ZZ:GLOBEX"))
	run.Drain()
	if ok, e := s.Status(); e != "" || !strings.Contains(ok, "ZZ:GLOBEX is self-billing") || !src.Ps[1].SelfBilling || changed != 2 {
		t.Fatalf("self-billing on: ok %q err %q stored %v changed %d", ok, e, src.Ps[1].SelfBilling, changed)
	}
	s.Reload()
	run.Drain()
	if !s.SelfBillingCheck("ZZ:GLOBEX").Checked {
		t.Fatal("self-billing not shown after reload")
	}

	var out bytes.Buffer
	s.Export(mappings.GL, &out, nil)
	run.Drain()
	if out.String() != "supplier_id,charge_code,account,code_b\n*,FRT,6400,100\n" {
		t.Fatalf("export %q", out.String())
	}
	// An import is previewed first and changes nothing until applied.
	s.Import(mappings.GL, strings.NewReader(out.String()+"S1001,FRT,6410,200\n"))
	run.Drain()
	if p := s.PreviewText(); !strings.Contains(p, "would add 1, change 0 and delete 0 (1 unchanged)") || len(s.Rows(mappings.GL)) != 1 {
		t.Fatalf("preview %q, rows %v", p, s.Rows(mappings.GL))
	}
	s.ApplyImport()
	run.Drain()
	if rows := s.Rows(mappings.GL); len(rows) != 2 || rows[1][2] != "6410" {
		t.Fatalf("rows after import %v", rows)
	}
	// A header-only file would delete both rules: the preview says so and
	// only "Apply and delete 2" deletes them; Cancel keeps them.
	s.Import(mappings.GL, strings.NewReader("supplier_id,charge_code,account,code_b\n"))
	run.Drain()
	if p := s.PreviewText(); !strings.Contains(p, "delete 2") || !strings.Contains(p, "Delete: *|FRT, S1001|FRT") {
		t.Fatalf("delete preview %q", p)
	}
	s.CancelImport()
	if rows := s.Rows(mappings.GL); len(rows) != 2 {
		t.Fatalf("cancelled import changed rows: %v", rows)
	}
	// An unknown account is refused with its line.
	s.Import(mappings.GL, strings.NewReader("supplier_id,charge_code,account,code_b\n*,FRT,zzz,\n"))
	run.Drain()
	if _, e := s.Status(); !strings.Contains(e, `line 2: account "zzz" is not an IFS account`) || s.PreviewText() != "" {
		t.Fatalf("bad account import: %q", e)
	}
	// Inline editing: a rule with a picked account; "zzz" refused in place.
	s.EditGLRule(mappings.GLRule{SupplierID: "S1042", ChargeCode: "D240", Account: "6400", CostCentre: "100"})
	s.SaveGLRule()
	run.Drain()
	if ok, e := s.Status(); e != "" || !strings.Contains(ok, "GL rule saved: S1042 D240 → 6400 100") || len(s.Rows(mappings.GL)) != 3 {
		t.Fatalf("save rule: %q %q %v", ok, e, s.Rows(mappings.GL))
	}
	s.EditGLRule(mappings.GLRule{SupplierID: "S1042", ChargeCode: "D240", Account: "zzz"})
	s.SaveGLRule()
	run.Drain()
	if _, e := s.Status(); !strings.Contains(e, `account "zzz" is not an IFS account`) {
		t.Fatalf("bad rule: %q", e)
	}
	s.EditGLRule(mappings.GLRule{SupplierID: "S1042", ChargeCode: "D240"})
	s.DeleteGLRule()
	run.Drain()
	if len(s.Rows(mappings.GL)) != 2 {
		t.Fatalf("after delete: %v", s.Rows(mappings.GL))
	}
	// Tolerances: three-way for one supplier.
	s.EditTolerance(mappings.Tolerance{SupplierID: "S1001", PricePct: "1.5", QtyPct: "0", ThreeWay: true})
	s.SaveTolerance()
	run.Drain()
	if ok, _ := s.Status(); !strings.Contains(ok, "Tolerance saved for S1001: price 1.5 %, quantity 0 %, three-way") {
		t.Fatalf("tolerance: %q", ok)
	}
	if rows := s.Rows(mappings.Tolerances); len(rows) != 2 || rows[1][4] != "three_way" {
		t.Fatalf("tolerance rows %v", rows)
	}
	s.Import(mappings.UoM, strings.NewReader("a,b\n1,2\n"))
	run.Drain()
	if _, e := s.Status(); !strings.Contains(e, "Could not import Unit-of-measure conversions: line 1: header must be") {
		t.Fatalf("error %q", e)
	}
}
