package exceptions_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/ml-connector/ifs-cleo/core/domain"

	"github.com/ml-connector/ifs-cleo/ui/exceptions"
	"github.com/ml-connector/ifs-cleo/ui/internal/uitest"
	"github.com/ml-connector/ifs-cleo/ui/uifake"
	"github.com/ml-connector/ifs-cleo/ui/uikit"
)

func newScreen(t testing.TB, src exceptions.Source) (*exceptions.Screen, *uikit.Runner) {
	run := uikit.NewManualRunner()
	s := exceptions.New(context.Background(), src, exceptions.Params{Runner: run, Now: func() time.Time { return uifake.Epoch }})
	w := test.NewTempWindow(t, s)
	w.Resize(uitest.Size)
	s.Reload()
	run.Drain()
	return s, run
}

func TestLazyWith100kRows(t *testing.T) {
	test.NewTempApp(t)
	test.ApplyTheme(t, test.Theme())
	src := uifake.NewExceptions(100_000)
	s, run := newScreen(t, src)
	if s.Count() != 100_000 {
		t.Fatalf("count = %d", s.Count())
	}
	rows, calls := src.Served()
	if rows == 0 || rows > 200 {
		t.Fatalf("first screen fetched %d rows in %d calls; want one or two pages, not all rows", rows, calls)
	}
	s.ScrollTo(73_456)
	run.Drain()
	rows2, _ := src.Served()
	if rows2-rows == 0 || rows2 > 400 {
		t.Fatalf("scrolling to row 73456 fetched %d rows in total; want a page or two", rows2)
	}
}

func TestGoldenPriceMismatch(t *testing.T) {
	test.NewTempApp(t)
	test.ApplyTheme(t, test.Theme())
	src := uifake.NewExceptions(40)
	s, run := newScreen(t, src)
	if !s.SetReason("price_mismatch") {
		t.Fatal("reason price_mismatch not offered")
	}
	run.Drain()
	s.Select(0)
	run.Drain()
	d := s.Current()
	if d == nil || len(d.Lines) == 0 {
		t.Fatalf("detail not loaded or without PO lines: %+v", d)
	}
	w := test.NewTempWindow(t, s)
	w.Resize(uitest.Size)
	uitest.AssertImage(t, "price_mismatch.png", w.Canvas().Capture())
}

// The clerk's journey in the widgets: an unmapped partner is mapped from its
// exception and the replay posts it.
func TestMapPartnerAndReplay(t *testing.T) {
	test.NewTempApp(t)
	src := uifake.NewExceptions(40)
	s, run := newScreen(t, src)
	before := s.Count()
	s.SetReason("partner_unmapped")
	run.Drain()
	s.Select(0)
	run.Drain()
	d := s.Current()
	if d == nil || d.PartnerKey == "" || len(d.Suggestions) == 0 {
		t.Fatalf("no mapping fix offered: %+v", d)
	}
	s.SetSupplier("S1001")
	s.MapAndReplay()
	run.Drain()
	res, errText := s.Status()
	if errText != "" || !strings.Contains(res, "posted to IFS") {
		t.Fatalf("result %q, error %q", res, errText)
	}
	want := []string{"map " + d.PartnerKey + " S1001", "replay " + itoa(d.ID)}
	if strings.Join(src.Log, "|") != strings.Join(want, "|") {
		t.Fatalf("actions %q, want %q", src.Log, want)
	}
	s.SetReason("")
	run.Drain()
	if s.Count() != before-1 {
		t.Fatalf("count %d after posting, want %d", s.Count(), before-1)
	}
}

func TestIgnoreNeedsComment(t *testing.T) {
	test.NewTempApp(t)
	src := uifake.NewExceptions(10)
	s, run := newScreen(t, src)
	s.Select(0)
	run.Drain()
	s.Ignore()
	run.Drain()
	if _, e := s.Status(); !strings.Contains(e, "comment is required") {
		t.Fatalf("error = %q", e)
	}
	s.SetIgnoreComment("supplier sent it twice")
	s.Ignore()
	run.Drain()
	if res, e := s.Status(); e != "" || !strings.Contains(res, "ignored: supplier sent it twice") {
		t.Fatalf("result %q error %q", res, e)
	}
	if s.Count() != 9 {
		t.Fatalf("count %d, want 9", s.Count())
	}
}

func TestReplayAllPreview(t *testing.T) {
	test.NewTempApp(t)
	src := uifake.NewExceptions(50)
	s, run := newScreen(t, src)
	s.SetReason("gl_unmapped")
	run.Drain()
	s.Select(0)
	run.Drain()
	s.PreviewReplayAll()
	run.Drain()
	if len(src.Log) != 0 {
		t.Fatalf("preview changed something: %v", src.Log)
	}
	s.ConfirmReplayAll()
	run.Drain()
	if res, _ := s.Status(); !strings.Contains(res, "Replayed 10: 0 resolved, 10 still failing (INV-") || !strings.Contains(res, "; and 7 more)") {
		t.Fatalf("result %q", res)
	}
}

func TestErrorsShownInPlace(t *testing.T) {
	test.NewTempApp(t)
	src := uifake.NewExceptions(10)
	src.Failures["Count"] = errors.New("database is locked")
	s, _ := newScreen(t, src)
	if _, e := s.Status(); e != "Could not load exceptions: database is locked" {
		t.Fatalf("error = %q", e)
	}
}

func TestNoEngine(t *testing.T) {
	test.NewTempApp(t)
	s := exceptions.New(context.Background(), nil, exceptions.Params{})
	w := test.NewTempWindow(t, s)
	if !strings.Contains(test.RenderToMarkup(w.Canvas()), "No engine connected") {
		t.Fatal("missing the honest empty state")
	}
}

// BenchmarkScrollPage100k measures rendering one screenful of a 100,000-row
// queue after a jump, and reports how many rows each jump fetched.
func BenchmarkScrollPage100k(b *testing.B) {
	test.NewApp()
	src := uifake.NewExceptions(100_000)
	s, run := newScreen(b, src)
	start, _ := src.Served()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.ScrollTo((i * 7919) % 100_000)
		run.Drain()
	}
	b.StopTimer()
	end, _ := src.Served()
	b.ReportMetric(float64(end-start)/float64(b.N), "rows-fetched/op")
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestEmptyQueueIsHonest(t *testing.T) {
	test.NewTempApp(t)
	src := uifake.NewExceptions(0)
	s, _ := newScreen(t, src)
	w := test.NewTempWindow(t, s)
	if m := test.RenderToMarkup(w.Canvas()); !strings.Contains(m, "No open exceptions") {
		t.Fatal("the empty queue does not say so")
	}
}

func TestAddGLRuleAndReplay(t *testing.T) {
	test.NewTempApp(t)
	src := uifake.NewExceptions(20)
	s, run := newScreen(t, src)
	s.SetReason("gl_unmapped")
	run.Drain()
	s.Select(0)
	run.Drain()
	d := s.Current()
	if d == nil || d.GLFix == nil {
		t.Fatalf("no GL fix offered: %+v", d)
	}
	s.AddGLRuleAndReplay()
	run.Drain()
	if _, e := s.Status(); !strings.Contains(e, "enter the account") {
		t.Fatalf("error %q", e)
	}
	s.SetGLCoding("6400", "100")
	s.AddGLRuleAndReplay()
	run.Drain()
	if res, e := s.Status(); e != "" || !strings.Contains(res, "GL rule added") || !strings.Contains(res, "posted to IFS") {
		t.Fatalf("result %q error %q", res, e)
	}
}

// A corrected invoice shows its versions and updates IFS from the pane; a
// conflict is shown as an error, in words, and the exception stays.
func TestUpdateIFSFromCorrection(t *testing.T) {
	test.NewTempApp(t)
	src := uifake.NewExceptions(20)
	s, run := newScreen(t, src)
	if !s.SetReason("duplicate") {
		t.Fatal("reason duplicate not offered")
	}
	run.Drain()
	s.Select(0)
	run.Drain()
	d := s.Current()
	if d == nil || d.Correction == nil || len(d.Correction.Fields) != 4 {
		t.Fatalf("no correction shown: %+v", d)
	}
	src.Failures["UpdateIFS"] = errors.New("not applied, nothing was written: line 1 NetCurrAmount: IFS now says 120.00")
	s.UpdateIFS(false)
	run.Drain()
	if _, e := s.Status(); !strings.Contains(e, "IFS now says 120.00") {
		t.Fatalf("conflict not shown: %q", e)
	}
	delete(src.Failures, "UpdateIFS")
	s.Select(0)
	run.Drain()
	s.UpdateIFS(true)
	run.Drain()
	if res, e := s.Status(); e != "" || !strings.Contains(res, "IFS invoice updated") {
		t.Fatalf("result %q error %q", res, e)
	}
	if got := strings.Join(src.Log, ";"); !strings.Contains(got, "update-ifs") || !strings.Contains(got, "reapply=true") {
		t.Errorf("log %q", got)
	}
}

type kindErr domain.ErrorKind

func (k kindErr) Error() string               { return "dial tcp 127.0.0.1:1: connection refused" }
func (k kindErr) ErrorKind() domain.ErrorKind { return domain.ErrorKind(k) }

func openPriceMismatch(t *testing.T, src *uifake.Exceptions) (*exceptions.Screen, *uikit.Runner) {
	t.Helper()
	s, run := newScreen(t, src)
	if !s.SetReason("price_mismatch") {
		t.Fatal("reason price_mismatch not offered")
	}
	run.Drain()
	s.Select(0)
	run.Drain()
	return s, run
}

// The IFS PO beside the invoice: one row per invoice line matched to its PO
// line, differences flagged, PO lines not invoiced and invoice lines without
// a PO line marked.
func TestPOSideBySide(t *testing.T) {
	test.NewTempApp(t)
	test.ApplyTheme(t, test.Theme())
	s, _ := openPriceMismatch(t, uifake.NewExceptions(40))
	rows := s.Comparison()
	var got []string
	for _, r := range rows {
		got = append(got, fmt.Sprintf("%d %s/%s q%v u%v p%v", r.State, r.Invoice.LineNo, r.PO.LineNo, r.QtyDiffers, r.UnitDiffers, r.PriceDiffers))
	}
	want := []string{
		"0 1/1 qfalse ufalse ptrue", // billed at 12.50, ordered at 11.00
		"0 2/2 qtrue ufalse pfalse", // 120 billed, 100 ordered
		"1 9/ qfalse ufalse pfalse", // no PO line
		"2 /3 qfalse ufalse pfalse", // not invoiced
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("rows\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if m := s.ComparisonMessage(); !strings.Contains(m, "PO1001") || !strings.Contains(m, "4 lines differ") {
		t.Fatalf("summary %q", m)
	}
	w := test.NewTempWindow(t, s)
	w.Resize(uitest.Size)
	uitest.AssertMarkup(t, "po_side_by_side.xml", w)
}

// IFS unreachable: the pane says so in place with plain advice, keeps the
// engine's recorded difference, and opens no dialog.
func TestPOUnreachableInPlace(t *testing.T) {
	test.NewTempApp(t)
	src := uifake.NewExceptions(40)
	src.Failures["PurchaseOrder"] = kindErr(domain.KindTransient)
	s, _ := openPriceMismatch(t, src)
	m := s.ComparisonMessage()
	if !strings.Contains(m, "Could not read purchase order PO1001") || !strings.Contains(m, "cannot be reached right now") {
		t.Fatalf("message %q", m)
	}
	if s.Comparison() != nil {
		t.Fatalf("rows shown without a PO: %v", s.Comparison())
	}
	w := test.NewTempWindow(t, s)
	w.Resize(uitest.Size)
	if w.Canvas().Overlays().Top() != nil {
		t.Fatal("a dialog or popup opened")
	}
	if mk := test.RenderToMarkup(w.Canvas()); !strings.Contains(mk, "What the engine recorded") {
		t.Fatal("the engine's recorded difference is not shown as a fallback")
	}
}

// slowIFS answers the first PO read only after the clerk moved on (onFirst
// runs the clerk's next steps while the read is in flight), with an error.
type slowIFS struct {
	*uifake.Exceptions
	onFirst func()
	calls   int
}

func (s *slowIFS) PurchaseOrder(ctx context.Context, no string) (domain.PurchaseOrder, error) {
	s.calls++
	if s.calls == 1 {
		s.onFirst()
		return domain.PurchaseOrder{}, kindErr(domain.KindTransient)
	}
	return s.Exceptions.PurchaseOrder(ctx, no)
}

// A PO answer arriving after the clerk opened another exception is dropped,
// not shown against the wrong one.
func TestPOLateAnswerDropped(t *testing.T) {
	test.NewTempApp(t)
	src := &slowIFS{Exceptions: uifake.NewExceptions(40)}
	s, run := newScreen(t, src)
	var second *exceptions.Detail
	src.onFirst = func() {
		s.Select(1)
		run.Drain() // the second exception and its PO load while the first read hangs
		second = s.Current()
	}
	s.SetReason("price_mismatch")
	run.Drain()
	if src.calls != 2 || second == nil {
		t.Fatalf("PO reads %d, second exception %v", src.calls, second)
	}
	if s.Current() != second || s.Comparison() == nil || strings.Contains(s.ComparisonMessage(), "Could not") {
		t.Fatalf("the late failure of the first read replaced the second exception's comparison: %q", s.ComparisonMessage())
	}
}

// noJSON is a source whose details carry no parsed JSON (a poller problem,
// or a document stored before the engine kept one).
type noJSON struct{ *uifake.Exceptions }

func (s noJSON) Detail(ctx context.Context, id int64) (exceptions.Detail, error) {
	d, err := s.Exceptions.Detail(ctx, id)
	d.ParsedJSON = nil
	return d, err
}

// TestParsedView: the "Invoice ⇄ raw EDI" side shows the invoice readably
// (ui/docview), and the generic fields when there is no parsed form.
func TestParsedView(t *testing.T) {
	test.NewTempApp(t)
	test.ApplyTheme(t, test.Theme())
	s, run := newScreen(t, uifake.NewExceptions(40))
	if !s.SetReason("gl_unmapped") {
		t.Fatal("reason gl_unmapped not offered")
	}
	run.Drain()
	s.Select(0)
	run.Drain()
	w := test.NewTempWindow(t, s)
	w.Resize(uitest.Size)
	m := test.RenderToMarkup(w.Canvas())
	for _, text := range []string{"Invoice number", "PO number", "Extension", "125.00", "WIDGET-A", "Credit memo"} {
		if !strings.Contains(m, ">"+text+"<") {
			t.Errorf("parsed side has no %q", text)
		}
	}
	uitest.AssertImage(t, "parsed_invoice.png", w.Canvas().Capture())

	g, run := newScreen(t, noJSON{uifake.NewExceptions(40)})
	g.Select(0)
	run.Drain()
	w2 := test.NewTempWindow(t, g)
	w2.Resize(uitest.Size)
	m = test.RenderToMarkup(w2.Canvas())
	if !strings.Contains(m, ">Partner<") || strings.Contains(m, ">Extension<") {
		t.Errorf("without parsed JSON the side must show the generic fields")
	}
}

func TestDecisionsOnAMismatch(t *testing.T) {
	test.NewTempApp(t)
	src := uifake.NewExceptions(40)
	s, run := newScreen(t, src)
	if !s.SetReason("price_mismatch") {
		t.Fatal("no price_mismatch filter")
	}
	run.Drain()
	s.Select(0)
	run.Drain()
	if got := s.DecisionsShown(); len(got) != 4 {
		t.Fatalf("decisions shown %v", got)
	}
	// Nothing without a why; a hold needs its date.
	s.Decide(exceptions.DecideOverride)
	run.Drain()
	if _, e := s.Status(); !strings.Contains(e, "write why first") || len(src.Log) != 0 {
		t.Fatalf("override without comment: %q %v", e, src.Log)
	}
	s.SetDecision("buyer checks the delivery", "next week", "")
	s.Decide(exceptions.DecideHold)
	run.Drain()
	if _, e := s.Status(); !strings.Contains(e, "YYYY-MM-DD") {
		t.Fatalf("hold without a date: %q", e)
	}
	s.SetDecision("buyer checks the delivery", "2026-12-09", "")
	s.Decide(exceptions.DecideHold)
	run.Drain()
	if res, e := s.Status(); !strings.Contains(res, "held until 2026-12-09") || e != "" {
		t.Fatalf("hold: %q %q", res, e)
	}
	// A refusal (a clerk overriding) is shown in place, the row stays.
	n := s.Count()
	s.Select(0)
	run.Drain()
	src.Failures["Decide"] = errors.New("frank is a clerk; only an approver may do this")
	s.SetDecision("agreed by phone", "", "")
	s.Decide(exceptions.DecideOverride)
	run.Drain()
	if _, e := s.Status(); !strings.Contains(e, "only an approver") || s.Count() != n {
		t.Fatalf("refused override: %q, %d rows (was %d)", e, s.Count(), n)
	}
	delete(src.Failures, "Decide")
	s.Decide(exceptions.DecideOverride)
	run.Drain()
	if res, _ := s.Status(); !strings.Contains(res, "posted to IFS") || s.Count() != n-1 {
		t.Fatalf("override: %q, %d rows", res, s.Count())
	}
}

// The count line adds the filtered rows' amounts per currency, and follows
// the filter (uifake amounts: 4 rows of USD, hand-summed below).
func TestCountLineTotals(t *testing.T) {
	test.NewTempApp(t)
	src := uifake.NewExceptions(4)
	s, run := newScreen(t, src)
	// Rows 0-3: 100.00, 179.19, 258.38, 337.57 USD (10000+(i*7919)%900000 cents).
	if got := s.CountText(); got != "4 open · 875.14 USD" {
		t.Fatalf("count line %q", got)
	}
	s.SetSearch("INV-100001")
	run.Drain()
	if got := s.CountText(); got != "Filtered: 1 open · 179.19 USD" {
		t.Fatalf("count line after filtering %q", got)
	}
	// A search without a match is not an empty queue.
	s.SetSearch("no such invoice")
	run.Drain()
	if got := s.CountText(); got != "No open exception matches the filter" {
		t.Fatalf("count line without a match %q", got)
	}
}
