package bridge_test

import (
	"strings"
	"testing"

	"github.com/ml-connector/ifs-cleo/ui"
	"github.com/ml-connector/ifs-cleo/ui/exceptions"
)

// A seeded price variance opens with the IFS PO read through the engine and
// the billed price flagged against its PO line.
func TestPriceVarianceShowsIFSPOSideBySide(t *testing.T) {
	_, u, run := syncedUI(t)
	u.Show(ui.ScreenExceptions)
	run.Drain()
	x := u.Exceptions
	if !x.SetReason("PRICE_VARIANCE") {
		t.Fatal("the queue offers no PRICE_VARIANCE filter")
	}
	run.Drain()
	x.Select(0)
	run.Drain()
	d := x.Current()
	if d == nil || d.ComparePO == "" || len(d.InvoiceLines) == 0 {
		t.Fatalf("no PO to compare: %+v", d)
	}
	rows := x.Comparison()
	if rows == nil {
		t.Fatalf("no comparison; pane says %q", x.ComparisonMessage())
	}
	price := 0
	for _, r := range rows {
		if r.State == exceptions.Matched && r.PriceDiffers {
			price++
		}
	}
	if price == 0 {
		t.Fatalf("no line with a differing price among %+v", rows)
	}
	t.Logf("%s", x.ComparisonMessage())
}

// The demo's double billing as a clerk sees it: the price variance says
// which tolerance is in force; an override (the desk's user is approver)
// does not post it, and the queue then says the line is already invoiced,
// with the earlier quantity beside the PO's.
func TestDoubleBillingCannotBeOverriddenFromTheQueue(t *testing.T) {
	_, u, run := syncedUI(t)
	u.Show(ui.ScreenExceptions)
	run.Drain()
	x := u.Exceptions
	if !x.SetReason("PRICE_VARIANCE") {
		t.Fatal("the queue offers no PRICE_VARIANCE filter")
	}
	run.Drain()
	x.Select(0)
	run.Drain()
	d := x.Current()
	if d == nil || !strings.Contains(d.Tolerance, "Tolerance in force: the built-in default tolerance") || !strings.Contains(d.Tolerance, "This line differs by") {
		t.Fatalf("tolerance text %q", d.Tolerance)
	}
	if got := x.DecisionsShown(); len(got) != 4 {
		t.Fatalf("decisions %v", got)
	}
	x.SetDecision("price increase agreed with the buyer", "", "")
	x.Decide(exceptions.DecideOverride)
	run.Drain()
	if res, e := x.Status(); !strings.Contains(res, "still not posted") || !strings.Contains(res, "already fully invoiced") || e != "" {
		t.Fatalf("override: %q %q", res, e)
	}
	if !x.SetReason("PO_LINE_ALREADY_INVOICED") {
		t.Fatal("no PO_LINE_ALREADY_INVOICED in the queue")
	}
	run.Drain()
	x.Select(0)
	run.Drain()
	d = x.Current()
	if d == nil || len(d.Lines) != 1 {
		t.Fatalf("detail %+v", d)
	}
	found := false
	for _, c := range d.Lines[0].Cells {
		found = found || c.Label == "Invoiced before" && strings.Contains(c.PO, "by this connector") && c.Differs
	}
	if !found {
		t.Fatalf("no earlier invoicing shown: %+v", d.Lines)
	}
	for _, k := range x.DecisionsShown() {
		if k == exceptions.DecideOverride {
			t.Fatal("override offered on a line already invoiced")
		}
	}
}
