package exceptions

import (
	"testing"

	"fyne.io/fyne/v2/widget"
)

// TestOutcomeImportance: an outcome is coloured by what it says, never a
// failure in green.
func TestOutcomeImportance(t *testing.T) {
	for _, tc := range []struct {
		msg  string
		want widget.Importance
	}{
		{"INV-7: posted (now posted)", widget.SuccessImportance},
		{"INV-7: still failing (now exception): price 0.60 vs PO 0.50", widget.WarningImportance},
		{"INV-7: failed: IFS refused the invoice", widget.DangerImportance},
		{"“Price outside tolerance”: Replayed 3: 3 resolved, 0 still failing.", widget.SuccessImportance},
		{"“Price outside tolerance”: Replayed 3: 1 resolved, 2 still failing (INV-1; INV-2).", widget.WarningImportance},
		{"GL rule added for S100 FREIGHT → 6110; INV-9: still failing", widget.WarningImportance},
		{"request 12 queued for the team's engine (at srv1); it runs when the engine gets to it", widget.MediumImportance},
		{"the team's engine refused request 4: frank is a clerk", widget.DangerImportance},
	} {
		if got := outcomeImportance(tc.msg); got != tc.want {
			t.Errorf("%q: importance %v, want %v", tc.msg, got, tc.want)
		}
	}
}
