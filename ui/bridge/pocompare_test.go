package bridge_test

import (
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
