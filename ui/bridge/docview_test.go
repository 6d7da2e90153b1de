package bridge_test

import (
	"testing"

	"github.com/ml-connector/ifs-cleo/ui"
	"github.com/ml-connector/ifs-cleo/ui/docview"
)

// The parsed form the real engine stores reaches both screens whole, and
// docview recognises it (so the clerk never falls back to dotted keys for
// documents the engine parsed).
func TestRealParsedFormsAreReadable(t *testing.T) {
	_, u, run := syncedUI(t)

	u.Show(ui.ScreenExceptions)
	run.Drain()
	if !u.Exceptions.SetReason("PRICE_VARIANCE") {
		t.Fatal("the queue offers no PRICE_VARIANCE filter")
	}
	run.Drain()
	u.Exceptions.Select(0)
	run.Drain()
	d := u.Exceptions.Current()
	if d == nil {
		t.Fatal("no exception detail")
	}
	if k := docview.Kind(d.ParsedJSON); k != "810" {
		t.Fatalf("exception parsed form is %q to docview, want 810: %.300s", k, d.ParsedJSON)
	}

	u.Show(ui.ScreenDocuments)
	run.Drain()
	seen := map[string]bool{}
	for i, r := range u.Documents.Rows() {
		if seen[r.Type] || r.Type == "" {
			continue
		}
		u.Documents.Open(i)
		run.Drain()
		cur := u.Documents.Current()
		if cur == nil || len(cur.ParsedJSON) == 0 {
			continue
		}
		seen[r.Type] = true
		if k := docview.Kind(cur.ParsedJSON); k != r.Type {
			t.Errorf("document %d (%s) is %q to docview: %.300s", r.ID, r.Type, k, cur.ParsedJSON)
		}
	}
	if !seen["810"] {
		t.Errorf("no 810 with a parsed form among the documents: %v", seen)
	}
	t.Logf("document kinds checked: %v", seen)
}
