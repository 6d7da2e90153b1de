package documents

import (
	"context"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// Posting is one row of the posting proposal IFS holds for a posted
// invoice, as a clerk chooses it for re-coding.
type Posting struct {
	Row     int // 1-based, as the engine numbers them
	Amount  string
	Account string
	CodeB   string // cost centre
	Text    string
}

// Label is the row as a picker shows it.
func (p Posting) Label() string {
	code := p.Account
	if p.CodeB != "" {
		code += " / " + p.CodeB
	}
	s := fmt.Sprintf("Row %d: %s · %s", p.Row, p.Amount, code)
	if p.Text != "" {
		s += " · " + p.Text
	}
	return s
}

// Recode is a clerk's re-coding of one posting row.
type Recode struct {
	Row     int
	Account string
	CodeB   string
	// RuleCharge, when set, also makes the coding the supplier's rule for
	// that charge code (NONPO for lines without a PO).
	RuleCharge string
}

// Recoder re-codes the GL coding of a posted invoice's posting proposal in
// IFS while IFS still allows it. A Source that has it gets the "Re-code
// GL" button on posted inbound invoices.
type Recoder interface {
	// Postings reads the posting proposal IFS holds now.
	Postings(ctx context.Context, id int64) ([]Posting, error)
	// Recode writes it (ETag, If-Match, audited) and says what it did.
	Recode(ctx context.Context, id int64, r Recode) (string, error)
}

// recoder is the source's Recoder, nil when it has none.
func (s *Screen) recoder() Recoder {
	rc, _ := s.src.(Recoder)
	return rc
}

// recodable reports whether the shown document can be re-coded here.
func (s *Screen) recodable(d *Detail) bool {
	return s.recoder() != nil && d != nil && d.Type == "810" && d.Direction == "inbound" && d.Status == "posted"
}

// askRecode reads the posting proposal off the UI goroutine, then asks
// which row and what coding.
func (s *Screen) askRecode() {
	d, rc := s.cur, s.recoder()
	if d == nil || rc == nil || s.p.Window == nil {
		return
	}
	s.p.Runner.Go(func() {
		rows, err := rc.Postings(s.ctx, d.ID)
		fyne.Do(func() {
			if err != nil {
				s.setDetailErr("read the posting proposal from IFS", err)
				return
			}
			if len(rows) == 0 {
				s.setDetailErr("re-code", fmt.Errorf("IFS holds no posting proposal for this invoice"))
				return
			}
			s.recodeForm(d, rows)
		})
	})
}

// recodeForm is the dialog: the row (with its amount and current coding),
// the new account and cost centre, and optionally a rule.
func (s *Screen) recodeForm(d *Detail, rows []Posting) {
	labels := make([]string, len(rows))
	for i, r := range rows {
		labels[i] = r.Label()
	}
	row := widget.NewSelect(labels, nil)
	account, codeB, charge := widget.NewEntry(), widget.NewEntry(), widget.NewEntry()
	row.OnChanged = func(string) {
		i := row.SelectedIndex()
		if i >= 0 {
			account.SetText(rows[i].Account)
			codeB.SetText(rows[i].CodeB)
		}
	}
	row.SetSelectedIndex(0)
	charge.SetPlaceHolder("charge code, e.g. NONPO or FRT (empty: no rule)")
	items := []*widget.FormItem{
		widget.NewFormItem("Posting row", row),
		widget.NewFormItem("Account", account),
		widget.NewFormItem("Cost centre", codeB),
		widget.NewFormItem("Also a rule for", charge),
	}
	items[3].HintText = "makes this coding the supplier's rule for the charge, so the next invoice is coded so"
	dlg := dialog.NewForm("Re-code GL of "+d.BusinessKey+" in IFS", "Re-code in IFS", "Cancel", items, func(ok bool) {
		if !ok || row.SelectedIndex() < 0 {
			return
		}
		s.Recode(Recode{Row: rows[row.SelectedIndex()].Row, Account: strings.TrimSpace(account.Text),
			CodeB: strings.TrimSpace(codeB.Text), RuleCharge: strings.ToUpper(strings.TrimSpace(charge.Text))})
	}, s.p.Window)
	dlg.Resize(fyne.NewSize(560, 0))
	dlg.Show()
}

// Recode re-codes a row of the shown invoice (what the dialog submits) and
// shows the result or the reason it was refused; the document is loaded
// again so its timeline shows the audit event.
func (s *Screen) Recode(r Recode) {
	d, rc := s.cur, s.recoder()
	if d == nil || rc == nil {
		return
	}
	if r.Account == "" {
		s.setDetailErr("re-code", fmt.Errorf("the account is empty"))
		return
	}
	s.p.Runner.Go(func() {
		msg, err := rc.Recode(s.ctx, d.ID, r)
		fyne.Do(func() {
			if err != nil {
				s.setDetailErr("re-code", err)
				return
			}
			// The document is loaded again (its timeline shows the audit
			// event); the result stays shown over that reload.
			s.noticeID, s.notice = d.ID, msg
			s.open(d.ID)
		})
	})
}

// CanRecode reports whether the "Re-code GL" button is shown.
func (s *Screen) CanRecode() bool { return s.recode != nil && s.recode.Visible() }
