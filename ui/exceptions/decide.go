package exceptions

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/ml-connector/ifs-cleo/ui/uikit"
)

var decisionTitles = map[string]string{
	DecideOverride:    "Accept with override",
	DecideHold:        "Hold until…",
	DecideDispute:     "Dispute",
	DecideReReference: "Re-reference to PO",
}

// buildDecisions makes the decision box of the detail pane: the tolerance
// in force, a decision already taken, one comment field and the buttons
// the engine allows for this exception and this user.
func (s *Screen) buildDecisions() {
	s.toleranceLbl = widget.NewLabel("")
	s.toleranceLbl.Wrapping = fyne.TextWrapWord
	s.decisionLbl = widget.NewLabel("")
	s.decisionLbl.Wrapping = fyne.TextWrapWord
	s.decisionLbl.Importance = widget.WarningImportance
	s.decideComment = uikit.NewShortcutEntry(s.Shortcuts)
	s.decideComment.SetPlaceHolder("Why? (required, audited; the dispute note to the supplier)")
	s.decideUntil = uikit.NewShortcutEntry(s.Shortcuts)
	s.decideUntil.SetPlaceHolder("follow-up date YYYY-MM-DD")
	s.decidePO = uikit.NewShortcutEntry(s.Shortcuts)
	s.decidePO.SetPlaceHolder("the right PO number")
	s.decideBtns = map[string]*widget.Button{}
	row := container.NewHBox()
	for _, k := range []string{DecideOverride, DecideHold, DecideDispute, DecideReReference} {
		k := k
		b := widget.NewButton(decisionTitles[k], func() { s.Decide(k) })
		s.decideBtns[k] = b
		row.Add(b)
	}
	s.decideBox = container.NewVBox(
		widget.NewLabelWithStyle("Decide", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		s.toleranceLbl, s.decisionLbl, s.decideComment,
		container.NewGridWithColumns(2, s.decideUntil, s.decidePO),
		row,
	)
	s.decideBox.Hide()
}

func (s *Screen) showDecisions(d *Detail) {
	s.decideComment.SetText("")
	s.decideUntil.SetText("")
	s.decidePO.SetText("")
	s.toleranceLbl.SetText(d.Tolerance)
	s.toleranceLbl.Hidden = d.Tolerance == ""
	s.decisionLbl.SetText(d.DecisionText)
	s.decisionLbl.Hidden = d.DecisionText == ""
	allowed := map[string]bool{}
	for _, k := range d.Decisions {
		allowed[k] = true
	}
	for k, b := range s.decideBtns {
		if allowed[k] {
			b.Show()
		} else {
			b.Hide()
		}
	}
	if len(d.Decisions) == 0 {
		s.decideBox.Hide()
	} else {
		s.decideBox.Show()
	}
}

// Decide takes decision kind on the selected exception with what the clerk
// typed; the engine audits it and refuses it to a role that may not take it.
func (s *Screen) Decide(kind string) {
	d := s.cur
	if d == nil {
		return
	}
	dec := Decision{Kind: kind, Comment: strings.TrimSpace(s.decideComment.Text), PO: strings.TrimSpace(s.decidePO.Text)}
	what := strings.ToLower(strings.TrimSuffix(decisionTitles[kind], "…"))
	if dec.Comment == "" {
		s.setDetailErr(what, fmt.Errorf("write why first: the audit trail records it with your name"))
		return
	}
	switch kind {
	case DecideHold:
		t, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(s.decideUntil.Text), time.Local)
		if err != nil {
			s.setDetailErr(what, fmt.Errorf("enter the follow-up date as YYYY-MM-DD"))
			return
		}
		dec.Until = t
	case DecideReReference:
		if dec.PO == "" {
			s.setDetailErr(what, fmt.Errorf("enter the PO number the invoice belongs to"))
			return
		}
	}
	s.p.Runner.Go(func() {
		out, err := s.src.Decide(s.ctx, d.ID, dec)
		fyne.Do(func() { s.done(what+" "+d.BusinessKey, out, err) })
	})
}

// SetDecision types the decision fields, for tests and keyboard users.
func (s *Screen) SetDecision(comment, until, po string) {
	s.decideComment.SetText(comment)
	s.decideUntil.SetText(until)
	s.decidePO.SetText(po)
}

// DecisionsShown lists the decision buttons visible for the current exception.
func (s *Screen) DecisionsShown() []string {
	var out []string
	for _, k := range []string{DecideOverride, DecideHold, DecideDispute, DecideReReference} {
		if s.decideBox.Visible() && s.decideBtns[k].Visible() {
			out = append(out, k)
		}
	}
	return out
}
