package mappings

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// pickValue is the value of a picker label ("S100 — Acme" → "S100").
func pickValue(label string) string {
	if i := strings.Index(label, " — "); i >= 0 {
		return label[:i]
	}
	return strings.TrimSpace(label)
}

func labels(opts []Option, first ...string) []string {
	out := append([]string(nil), first...)
	for _, o := range opts {
		out = append(out, o.Label)
	}
	return out
}

// labelOf finds the label of value among opts (the value itself when unknown).
func labelOf(opts []Option, value string) string {
	for _, o := range opts {
		if o.Value == value {
			return o.Label
		}
	}
	return value
}

const everySupplier = "* — every supplier (company default)"

// glEditor adds, changes and deletes one GL rule in place, with pickers
// that show the IFS names of suppliers, accounts and cost centres.
type glEditor struct {
	s        *Screen
	box      *fyne.Container
	supplier *widget.SelectEntry
	charge   *widget.Entry
	account  *widget.SelectEntry
	cost     *widget.SelectEntry
}

func (s *Screen) newGLEditor(tv *tableView) *glEditor {
	g := &glEditor{s: s}
	g.supplier = widget.NewSelectEntry(nil)
	g.supplier.SetPlaceHolder("supplier (* for all)")
	g.charge = widget.NewEntry()
	g.charge.SetPlaceHolder("charge code, NONPO for lines without a PO line")
	g.account = widget.NewSelectEntry(nil)
	g.account.SetPlaceHolder("account")
	g.cost = widget.NewSelectEntry(nil)
	g.cost.SetPlaceHolder("cost centre (optional)")
	save := widget.NewButtonWithIcon("Save rule", theme.DocumentSaveIcon(), g.Save)
	save.Importance = widget.HighImportance
	del := widget.NewButtonWithIcon("Delete rule", theme.DeleteIcon(), g.Delete)
	g.box = container.NewVBox(
		widget.NewLabelWithStyle("Add or change a rule (pick a row to edit it)", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		container.NewGridWithColumns(2, g.supplier, g.charge, g.account, g.cost),
		container.NewHBox(save, del),
	)
	tv.table.OnSelected = func(id widget.TableCellID) {
		if id.Row < 0 || id.Row >= len(tv.rows) {
			return
		}
		col := func(name string) string {
			for i, h := range tv.header {
				if h == name && i < len(tv.rows[id.Row]) {
					return tv.rows[id.Row][i]
				}
			}
			return ""
		}
		g.Fill(GLRule{SupplierID: col("supplier_id"), ChargeCode: col("charge_code"), Account: col("account"), CostCentre: col("code_b")})
	}
	return g
}

func (g *glEditor) setReference(r Reference) {
	if g == nil {
		return
	}
	g.supplier.SetOptions(labels(r.Suppliers, everySupplier))
	g.account.SetOptions(labels(r.Accounts))
	g.cost.SetOptions(labels(r.CostCentres))
}

// Fill puts a rule in the editor.
func (g *glEditor) Fill(r GLRule) {
	sup := r.SupplierID
	if sup == "" || sup == "*" {
		g.supplier.SetText(everySupplier)
	} else {
		g.supplier.SetText(labelOf(g.s.ref.Suppliers, sup))
	}
	g.charge.SetText(r.ChargeCode)
	g.account.SetText(labelOf(g.s.ref.Accounts, r.Account))
	g.cost.SetText(labelOf(g.s.ref.CostCentres, r.CostCentre))
}

func (g *glEditor) rule() GLRule {
	return GLRule{SupplierID: pickValue(g.supplier.Text), ChargeCode: strings.ToUpper(strings.TrimSpace(g.charge.Text)),
		Account: pickValue(g.account.Text), CostCentre: pickValue(g.cost.Text)}
}

// Save stores the rule in the editor; IFS reference data decides whether
// it is valid (an unknown account is refused with the reason, in place).
func (g *glEditor) Save() {
	r := g.rule()
	if r.SupplierID == "" || r.ChargeCode == "" || r.Account == "" {
		g.s.setErr("save the GL rule", fmt.Errorf("pick a supplier (or *), type the charge code and pick an account"))
		return
	}
	g.s.change("save the GL rule", func() error { return g.s.src.SaveGLRule(g.s.ctx, r) },
		fmt.Sprintf("GL rule saved: %s %s → %s %s.", r.SupplierID, r.ChargeCode, r.Account, r.CostCentre))
}

// Delete removes the rule named in the editor.
func (g *glEditor) Delete() {
	r := g.rule()
	if r.SupplierID == "" || r.ChargeCode == "" {
		g.s.setErr("delete the GL rule", fmt.Errorf("pick the rule to delete in the table"))
		return
	}
	g.s.change("delete the GL rule", func() error { return g.s.src.DeleteGLRule(g.s.ctx, r.SupplierID, r.ChargeCode) },
		fmt.Sprintf("GL rule deleted: %s %s.", r.SupplierID, r.ChargeCode))
}

// tolEditor sets one supplier's tolerance and two- or three-way matching.
type tolEditor struct {
	s        *Screen
	box      *fyne.Container
	supplier *widget.SelectEntry
	price    *widget.Entry
	qty      *widget.Entry
	abs      *widget.Entry
	match    *widget.RadioGroup
}

const (
	twoWay   = "Two-way: invoice against the PO"
	threeWay = "Three-way: also never above what IFS shows received"
)

func (s *Screen) newTolEditor(tv *tableView) *tolEditor {
	t := &tolEditor{s: s}
	t.supplier = widget.NewSelectEntry(nil)
	t.supplier.SetPlaceHolder("supplier (* for the company default)")
	t.price = widget.NewEntry()
	t.price.SetPlaceHolder("price % (e.g. 2)")
	t.qty = widget.NewEntry()
	t.qty.SetPlaceHolder("quantity % (e.g. 0)")
	t.abs = widget.NewEntry()
	t.abs.SetPlaceHolder("or amount per line (e.g. 0.50)")
	t.match = widget.NewRadioGroup([]string{twoWay, threeWay}, nil)
	t.match.SetSelected(twoWay)
	save := widget.NewButtonWithIcon("Save tolerance", theme.DocumentSaveIcon(), t.Save)
	save.Importance = widget.HighImportance
	help := widget.NewLabel("A line already invoiced is never posted again, whatever the tolerance.")
	help.Wrapping = fyne.TextWrapWord
	t.box = container.NewVBox(
		widget.NewLabelWithStyle("Set a tolerance (pick a row to edit it)", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		container.NewGridWithColumns(2, t.supplier, t.price, t.qty, t.abs),
		t.match, help, save,
	)
	tv.table.OnSelected = func(id widget.TableCellID) {
		if id.Row < 0 || id.Row >= len(tv.rows) {
			return
		}
		col := func(name string) string {
			for i, h := range tv.header {
				if h == name && i < len(tv.rows[id.Row]) {
					return tv.rows[id.Row][i]
				}
			}
			return ""
		}
		t.Fill(Tolerance{SupplierID: col("supplier_id"), PricePct: col("price_pct"), QtyPct: col("qty_pct"), Absolute: col("absolute"),
			ThreeWay: col("match") == "three_way"})
	}
	return t
}

func (t *tolEditor) setReference(r Reference) {
	if t == nil {
		return
	}
	t.supplier.SetOptions(labels(r.Suppliers, everySupplier))
}

// Fill puts a tolerance in the editor.
func (t *tolEditor) Fill(v Tolerance) {
	if v.SupplierID == "" || v.SupplierID == "*" {
		t.supplier.SetText(everySupplier)
	} else {
		t.supplier.SetText(labelOf(t.s.ref.Suppliers, v.SupplierID))
	}
	t.price.SetText(v.PricePct)
	t.qty.SetText(v.QtyPct)
	t.abs.SetText(v.Absolute)
	if v.ThreeWay {
		t.match.SetSelected(threeWay)
	} else {
		t.match.SetSelected(twoWay)
	}
}

// Save stores the tolerance in the editor.
func (t *tolEditor) Save() {
	v := Tolerance{SupplierID: pickValue(t.supplier.Text), PricePct: strings.TrimSpace(t.price.Text), QtyPct: strings.TrimSpace(t.qty.Text),
		Absolute: strings.TrimSpace(t.abs.Text), ThreeWay: t.match.Selected == threeWay}
	if v.SupplierID == "" {
		t.s.setErr("save the tolerance", fmt.Errorf("pick a supplier (or * for the company default)"))
		return
	}
	mode := "two-way"
	if v.ThreeWay {
		mode = "three-way"
	}
	t.s.change("save the tolerance", func() error { return t.s.src.SaveTolerance(t.s.ctx, v) },
		fmt.Sprintf("Tolerance saved for %s: price %s %%, quantity %s %%, %s.", v.SupplierID, orZero(v.PricePct), orZero(v.QtyPct), mode))
}

func orZero(s string) string {
	if s == "" {
		return "0"
	}
	return s
}

// change runs one audited mapping change off the UI goroutine, then shows
// its outcome in place and reloads.
func (s *Screen) change(doing string, fn func() error, ok string) {
	s.p.Runner.Go(func() {
		err := fn()
		fyne.Do(func() {
			if err != nil {
				s.setErr(doing, err)
				return
			}
			s.setErr("", nil)
			s.setOK(ok)
			s.Reload()
			if s.p.OnChanged != nil {
				s.p.OnChanged()
			}
		})
	})
}

// buildPreview makes the box that shows a CSV import's adds, changes and
// deletes before anything is written.
func (s *Screen) buildPreview() {
	s.prevLbl = widget.NewLabel("")
	s.prevLbl.Wrapping = fyne.TextWrapWord
	s.applyBtn = widget.NewButtonWithIcon("Apply", theme.ConfirmIcon(), s.ApplyImport)
	s.applyBtn.Importance = widget.HighImportance
	cancel := widget.NewButton("Cancel", s.CancelImport)
	s.preview = container.NewVBox(s.prevLbl, container.NewHBox(s.applyBtn, cancel))
	s.preview.Hide()
}

func (s *Screen) showPreview(p *pendingImport) {
	s.pending = p
	var b strings.Builder
	fmt.Fprintf(&b, "Importing this file into %s would add %d, change %d and delete %d (%d unchanged).",
		kindTitles[p.kind], len(p.plan.Adds), len(p.plan.Changes), len(p.plan.Deletes), p.plan.Unchanged)
	list := func(what string, keys []string) {
		if len(keys) == 0 {
			return
		}
		shown := keys
		if len(shown) > 10 {
			shown = shown[:10]
		}
		fmt.Fprintf(&b, "\n%s: %s", what, strings.Join(shown, ", "))
		if len(keys) > len(shown) {
			fmt.Fprintf(&b, " … and %d more", len(keys)-len(shown))
		}
	}
	list("Add", p.plan.Adds)
	list("Change", p.plan.Changes)
	list("Delete", p.plan.Deletes)
	s.prevLbl.SetText(b.String())
	switch {
	case len(p.plan.Deletes) > 0:
		s.applyBtn.SetText(fmt.Sprintf("Apply and delete %d", len(p.plan.Deletes)))
		s.applyBtn.Importance = widget.DangerImportance
	default:
		s.applyBtn.SetText("Apply")
		s.applyBtn.Importance = widget.HighImportance
	}
	s.applyBtn.Refresh()
	s.preview.Show()
	s.content.Refresh()
}

// ApplyImport applies the previewed file, confirming exactly the
// deletions the preview showed.
func (s *Screen) ApplyImport() {
	p := s.pending
	if p == nil {
		return
	}
	s.pending = nil
	s.preview.Hide()
	s.p.Runner.Go(func() {
		n, err := s.src.ImportCSV(s.ctx, p.kind, p.data, len(p.plan.Deletes))
		fyne.Do(func() {
			if err != nil {
				s.setErr("import "+kindTitles[p.kind], err)
				return
			}
			s.setErr("", nil)
			msg := fmt.Sprintf("Imported %d rows into %s.", n, kindTitles[p.kind])
			if len(p.plan.Deletes) > 0 {
				msg += fmt.Sprintf(" %d deleted.", len(p.plan.Deletes))
			}
			s.setOK(msg)
			s.Reload()
			if s.p.OnChanged != nil {
				s.p.OnChanged()
			}
		})
	})
}

// CancelImport drops the previewed file.
func (s *Screen) CancelImport() {
	s.pending = nil
	s.preview.Hide()
	s.content.Refresh()
}

// PreviewText is the import preview shown ("" when none), for tests.
func (s *Screen) PreviewText() string {
	if s.pending == nil {
		return ""
	}
	return s.prevLbl.Text
}

// EditGLRule fills the inline GL editor, for tests and keyboard users.
func (s *Screen) EditGLRule(r GLRule) { s.gl.Fill(r) }

// SaveGLRule saves the rule in the inline editor.
func (s *Screen) SaveGLRule() { s.gl.Save() }

// DeleteGLRule deletes the rule in the inline editor.
func (s *Screen) DeleteGLRule() { s.gl.Delete() }

// EditTolerance fills the inline tolerance editor.
func (s *Screen) EditTolerance(t Tolerance) { s.tol.Fill(t) }

// SaveTolerance saves the tolerance in the inline editor.
func (s *Screen) SaveTolerance() { s.tol.Save() }
