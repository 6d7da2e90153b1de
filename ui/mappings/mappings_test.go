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

	var out bytes.Buffer
	s.Export(mappings.GL, &out, nil)
	run.Drain()
	if out.String() != "supplier,charge,account,cost center\n*,FRT,6400,100\n" {
		t.Fatalf("export %q", out.String())
	}
	s.Import(mappings.GL, strings.NewReader(out.String()+"S1001,FRT,6410,200\n"))
	run.Drain()
	if rows := s.Rows(mappings.GL); len(rows) != 2 || rows[1][2] != "6410" {
		t.Fatalf("rows after import %v", rows)
	}
	s.Import(mappings.UoM, strings.NewReader("a,b\n1,2\n"))
	run.Drain()
	if _, e := s.Status(); !strings.Contains(e, "Could not import Unit-of-measure conversions: line 1: header must be") {
		t.Fatalf("error %q", e)
	}
}
