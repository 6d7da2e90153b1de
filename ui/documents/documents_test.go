package documents_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/ml-connector/ifs-cleo/ui/documents"
	"github.com/ml-connector/ifs-cleo/ui/internal/uitest"
	"github.com/ml-connector/ifs-cleo/ui/uifake"
	"github.com/ml-connector/ifs-cleo/ui/uikit"
)

func TestSearchTimelineExport(t *testing.T) {
	test.NewTempApp(t)
	test.ApplyTheme(t, test.Theme())
	src := uifake.NewDocuments(60)
	run := uikit.NewManualRunner()
	s := documents.New(context.Background(), src, documents.Params{Runner: run, Loc: time.UTC})
	w := test.NewTempWindow(t, s)
	w.Resize(uitest.Size)
	s.Reload()
	run.Drain()
	if len(s.Rows()) != 60 {
		t.Fatalf("rows %d", len(s.Rows()))
	}
	s.Search("po1004")
	run.Drain()
	if len(s.Rows()) != 1 || s.Rows()[0].BusinessKey != "PO1004" {
		t.Fatalf("search by PO: %+v", s.Rows())
	}
	s.Search("")
	s.SetDates("2026-11-27", "2026-11-27")
	s.Reload()
	run.Drain()
	for _, r := range s.Rows() {
		if r.Time.Format("2006-01-02") != "2026-11-27" {
			t.Fatalf("date filter let %v through", r.Time)
		}
	}
	s.Open(0)
	run.Drain()
	if d := s.Current(); d == nil || len(d.Timeline) != 2 {
		t.Fatalf("detail %+v", d)
	}
	s.Export()
	run.Drain()
	if r := s.ExportResult(); !strings.Contains(r, "evidence-1.zip") {
		t.Fatalf("export %q", r)
	}
	uitest.AssertImage(t, "documents.png", w.Canvas().Capture())

	s.SetDates("27.11.2026", "")
	s.Reload()
	if e := s.Error(); !strings.Contains(e, "must look like 2026-11-27") {
		t.Fatalf("error %q", e)
	}
	s.SetDates("", "")
	src.Err = errors.New("disk I/O error")
	s.Reload()
	run.Drain()
	if e := s.Error(); e != "Could not search documents: disk I/O error" {
		t.Fatalf("error %q", e)
	}
}

// TestParsedViews: the Parsed tab shows each document kind readably (ui/docview), not as dotted keys.
func TestParsedViews(t *testing.T) {
	test.NewTempApp(t)
	test.ApplyTheme(t, test.Theme())
	src := uifake.NewDocuments(3) // one 810, one 850, one 997
	run := uikit.NewManualRunner()
	s := documents.New(context.Background(), src, documents.Params{Runner: run, Loc: time.UTC})
	w := test.NewTempWindow(t, s)
	w.Resize(uitest.Size)
	s.Reload()
	run.Drain()
	want := map[string][]string{
		"810": {"Invoice INV-100000", "Invoice number", "PO1001", "125.00 USD", "Extension", "125.00", "WIDGET-A"},
		"850": {"Purchase order PO1001", "original", "S1001 GLOBEX", "Unit price", "125.00"},
		"997": {"Acknowledgement (997)", "Accepted", "PO (purchase orders)", "Set 0001: accepted"},
	}
	for i, r := range s.Rows() {
		s.Open(i)
		run.Drain()
		s.ShowParsed()
		m := test.RenderToMarkup(w.Canvas())
		for _, text := range want[r.Type] {
			if !strings.Contains(m, ">"+text+"<") {
				t.Errorf("%s: parsed tab has no %q", r.Type, text)
			}
		}
		if strings.Contains(m, "invoice.Lines") || strings.Contains(m, "set.gs_control") {
			t.Errorf("%s: parsed tab still shows flattened keys", r.Type)
		}
		uitest.AssertImage(t, "parsed_"+r.Type+".png", w.Canvas().Capture())
	}
}

// A click on B after A shows B; and a quitting app drops answers still in
// flight (the loader's rules, uikit.Load, on this screen).
func TestDetailOfTheLastClickWins(t *testing.T) {
	test.NewTempApp(t)
	src := uifake.NewDocuments(10)
	run := uikit.NewManualRunner()
	s := documents.New(context.Background(), src, documents.Params{Runner: run, Loc: time.UTC})
	w := test.NewTempWindow(t, s)
	w.Resize(uitest.Size)
	s.Reload()
	run.Drain()
	b := s.Rows()[1]
	s.Open(0)
	s.Open(1)
	run.Drain()
	if d := s.Current(); d == nil || d.ID != b.ID {
		t.Fatalf("showing %+v, want document %d", d, b.ID)
	}
	ctx, quit := context.WithCancel(context.Background())
	s2 := documents.New(ctx, src, documents.Params{Runner: run, Loc: time.UTC})
	test.NewTempWindow(t, s2)
	s2.Reload()
	quit()
	run.Drain()
	if len(s2.Rows()) != 0 {
		t.Fatalf("rows applied after quitting: %d", len(s2.Rows()))
	}
}

// A posted inbound invoice offers "Re-code GL"; the re-coding reaches the
// source with the row and coding, its result is shown, and a refusal is
// shown in place. Other documents have no such button.
func TestRecodeGL(t *testing.T) {
	test.NewTempApp(t)
	src := uifake.NewDocuments(6)
	run := uikit.NewManualRunner()
	w := test.NewTempWindow(t, nil)
	s := documents.New(context.Background(), src, documents.Params{Runner: run, Loc: time.UTC, Window: w})
	w.SetContent(s)
	w.Resize(uitest.Size)
	s.Reload()
	run.Drain()
	for i, r := range s.Rows() {
		s.Open(i)
		run.Drain()
		want := r.Type == "810" && r.Direction == "inbound" && r.Status == "posted"
		if s.CanRecode() != want {
			t.Fatalf("%s %s %s: re-code button shown %v", r.Type, r.Direction, r.Status, s.CanRecode())
		}
	}
	s.Open(0)
	run.Drain()
	s.Recode(documents.Recode{Row: 2, Account: "", CodeB: "CC20"})
	if e := s.Error(); !strings.Contains(e, "the account is empty") {
		t.Fatalf("empty account: %q", e)
	}
	s.Recode(documents.Recode{Row: 2, Account: "6200", CodeB: "CC20", RuleCharge: "FRT"})
	run.Drain()
	got := src.Recodes()
	if len(got) != 1 || got[0] != (documents.Recode{Row: 2, Account: "6200", CodeB: "CC20", RuleCharge: "FRT"}) {
		t.Fatalf("re-codings %+v", got)
	}
	if r := s.ExportResult(); !strings.Contains(r, "Posting row 2") || !strings.Contains(r, "6200 / CC20") {
		t.Fatalf("result %q", r)
	}
	src.RecodeErr = errors.New(`account "6999" is closed in IFS`)
	s.Recode(documents.Recode{Row: 1, Account: "6999"})
	run.Drain()
	if e := s.Error(); !strings.Contains(e, "6999") {
		t.Fatalf("refusal not shown: %q", e)
	}
}
