// Package uifake holds in-memory implementations of the sources the screens
// consume, for headless tests and benchmarks only: the app itself never shows
// fake data (screens without an engine show an honest empty state).
package uifake

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/money"
	"github.com/ml-connector/ifs-cleo/ui/exceptions"
)

// Epoch is the fixed "now" of the fakes, so ages and goldens are stable.
var Epoch = time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC)

var reasonLabels = []struct{ code, label, msg, fix string }{
	{"partner_unmapped", "Partner not mapped", "Partner ZZ:%s is not mapped to an IFS supplier.", "Map the partner to its IFS supplier, then replay."},
	{"price_mismatch", "Price outside tolerance", "Invoice line price differs from the IFS purchase order line by more than the supplier's tolerance.", "Ask the supplier for a corrected invoice, or raise the tolerance, then replay."},
	{"po_closed", "PO closed", "Purchase order is closed in IFS, so no invoice can be matched to it.", "Reopen the PO in IFS or ask the supplier which PO they meant."},
	{"duplicate", "Possible duplicate", "An invoice with the same number and a different amount already exists in IFS.", "Compare both invoices; ignore this one if it is the duplicate."},
	{"gl_unmapped", "No GL coding rule", "A freight charge has no GL coding rule for this supplier.", "Add a GL rule for charge code FRT, then replay all like this."},
}

var partners = []string{"ACME01", "GLOBEX", "INITECH", "UMBRELLA", "STARKIND", "WAYNEENT", "HOOLI", "VANDELAY"}

// Exceptions is an in-memory exceptions.Source of n generated rows. It counts
// the rows it hands out so tests can prove the table fetches lazily.
type Exceptions struct {
	mu       sync.Mutex
	rows     []exceptions.Row
	mapped   map[string]string
	gl       map[string]string // supplier/charge → account
	served   int
	pages    int
	view     []exceptions.Row
	viewKey  exceptions.Filter
	viewOK   bool
	decided  map[int64]string // exception → decision text
	Failures map[string]error // method name → error to return
	Log      []string         // actions taken, for assertions
}

// supplierNames are the fake IFS suppliers' names.
var supplierNames = []string{"Acme Fasteners Ltd", "Globex Packaging GmbH", "Initech Components", "Umbrella Metals SA",
	"Stark Industrial Supply", "Wayne Tooling Co", "Hooli Plastics BV"}

// NewExceptions returns n deterministic exceptions.
func NewExceptions(n int) *Exceptions {
	f := &Exceptions{mapped: map[string]string{}, gl: map[string]string{}, Failures: map[string]error{}}
	f.rows = make([]exceptions.Row, n)
	for i := range f.rows {
		r := reasonLabels[i%len(reasonLabels)]
		p := partners[(i/len(reasonLabels))%len(partners)]
		sup, supName := "", ""
		if r.code != "partner_unmapped" {
			sup = fmt.Sprintf("S%04d", 1000+(i*7)%90)
			supName = supplierNames[i%len(supplierNames)]
		}
		date := Epoch.AddDate(0, 0, -(i%40 + 3)).Truncate(24 * time.Hour)
		var due time.Time
		if i%3 != 0 { // every third invoice states no terms: IFS decides
			due = date.AddDate(0, 0, 30)
		}
		f.rows[i] = exceptions.Row{
			ID:           int64(i + 1),
			DocumentID:   int64(i + 1),
			Reason:       r.code,
			ReasonLabel:  r.label,
			Partner:      p,
			PartnerName:  strings.TrimPrefix(p, "ZZ:") + " EDI",
			Supplier:     sup,
			SupplierName: supName,
			BusinessKey:  fmt.Sprintf("INV-%06d", 100000+i),
			PONumber:     fmt.Sprintf("P%05d", 10000+i%700),
			InvoiceDate:  date,
			DueDate:      due,
			Received:     Epoch.Add(-time.Duration(i%500+1) * 17 * time.Minute),
			Amount:       money.New(int64(10000+(i*7919)%900000), 2),
			Currency:     "USD",
		}
	}
	return f
}

// Totals implements exceptions.Source.
func (f *Exceptions) Totals(_ context.Context, flt exceptions.Filter) ([]exceptions.Total, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.fail("Totals"); err != nil {
		return nil, err
	}
	sum := map[string]money.Decimal{}
	for _, r := range f.viewFor(flt) {
		sum[r.Currency] = sum[r.Currency].Add(r.Amount)
	}
	out := make([]exceptions.Total, 0, len(sum))
	for c, a := range sum {
		out = append(out, exceptions.Total{Currency: c, Amount: a})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Currency < out[j].Currency })
	return out, nil
}

// Served is how many rows Page has returned so far, and in how many calls.
func (f *Exceptions) Served() (rows, calls int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.served, f.pages
}

func (f *Exceptions) fail(m string) error { return f.Failures[m] }

func (f *Exceptions) viewFor(flt exceptions.Filter) []exceptions.Row {
	if f.viewOK && f.viewKey == flt {
		return f.view
	}
	var v []exceptions.Row
	txt := strings.ToLower(flt.Text)
	for _, r := range f.rows {
		if flt.Reason != "" && r.Reason != flt.Reason {
			continue
		}
		if txt != "" && !strings.Contains(strings.ToLower(r.Partner+" "+r.PartnerName+" "+r.Supplier+" "+r.SupplierName+" "+r.BusinessKey+" "+r.PONumber), txt) {
			continue
		}
		v = append(v, r)
	}
	less := func(a, b exceptions.Row) int {
		switch flt.Sort {
		case exceptions.ByReason:
			return strings.Compare(a.ReasonLabel, b.ReasonLabel)
		case exceptions.ByPartner:
			return strings.Compare(a.Partner, b.Partner)
		case exceptions.BySupplier:
			return strings.Compare(a.Supplier, b.Supplier)
		case exceptions.ByAge:
			return a.Received.Compare(b.Received)
		case exceptions.ByAmount:
			return a.Amount.Cmp(b.Amount)
		default:
			return strings.Compare(a.BusinessKey, b.BusinessKey)
		}
	}
	sort.SliceStable(v, func(i, j int) bool {
		c := less(v[i], v[j])
		if flt.Desc {
			return c > 0
		}
		return c < 0
	})
	f.view, f.viewKey, f.viewOK = v, flt, true
	return v
}

// Count implements exceptions.Source.
func (f *Exceptions) Count(_ context.Context, flt exceptions.Filter) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.fail("Count"); err != nil {
		return 0, err
	}
	return len(f.viewFor(flt)), nil
}

// Page implements exceptions.Source.
func (f *Exceptions) Page(_ context.Context, flt exceptions.Filter, offset, limit int) ([]exceptions.Row, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.fail("Page"); err != nil {
		return nil, err
	}
	v := f.viewFor(flt)
	if offset >= len(v) {
		return nil, nil
	}
	end := min(offset+limit, len(v))
	out := append([]exceptions.Row(nil), v[offset:end]...)
	f.served += len(out)
	f.pages++
	return out, nil
}

// Reasons implements exceptions.Source.
func (f *Exceptions) Reasons(context.Context) ([]exceptions.ReasonCount, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	counts := map[string]int{}
	for _, r := range f.rows {
		counts[r.Reason]++
	}
	var out []exceptions.ReasonCount
	for _, r := range reasonLabels {
		if counts[r.code] > 0 {
			out = append(out, exceptions.ReasonCount{Reason: r.code, Label: r.label, Count: counts[r.code]})
		}
	}
	return out, nil
}

func (f *Exceptions) find(id int64) (int, bool) {
	for i, r := range f.rows {
		if r.ID == id {
			return i, true
		}
	}
	return 0, false
}

// Detail implements exceptions.Source.
func (f *Exceptions) Detail(_ context.Context, id int64) (exceptions.Detail, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.fail("Detail"); err != nil {
		return exceptions.Detail{}, err
	}
	i, ok := f.find(id)
	if !ok {
		return exceptions.Detail{}, fmt.Errorf("exception %d: not found", id)
	}
	r := f.rows[i]
	var rl = reasonLabels[0]
	for _, x := range reasonLabels {
		if x.code == r.Reason {
			rl = x
		}
	}
	d := exceptions.Detail{Row: r, Fix: rl.fix, Message: rl.msg}
	if strings.Contains(rl.msg, "%s") {
		d.Message = fmt.Sprintf(rl.msg, r.Partner)
	}
	d.RawEDI = fmt.Sprintf("ISA*00*          *00*          *ZZ*%-15s*ZZ*MLCONNECTOR    *261127*0930*U*00401*000000101*0*P*>~GS*IN*%s*MLCONNECTOR*20261127*0930*101*X*004010~ST*810*0001~BIG*20261127*%s**PO1001~IT1*1*10*EA*12.50**VP*WIDGET-A~TDS*%s~SE*5*0001~GE*1*101~IEA*1*000000101~",
		r.Partner, r.Partner, r.BusinessKey, strings.ReplaceAll(r.Amount.String(), ".", ""))
	d.ParsedJSON = invoiceJSON(r.BusinessKey, r.Partner, r.Amount, r.Currency)
	d.Parsed = []exceptions.Field{
		{Name: "Invoice", Value: r.BusinessKey},
		{Name: "Partner", Value: "ZZ:" + r.Partner},
		{Name: "PO", Value: "PO1001"},
		{Name: "Total", Value: r.Amount.String() + " " + r.Currency},
	}
	switch r.Reason {
	case "partner_unmapped":
		d.PartnerKey = "ZZ:" + r.Partner
		d.Suggestions = []exceptions.Suggestion{
			{SupplierID: "S1001", Name: r.Partner + " Corp", Why: "same ISA id in the supplier's external id"},
			{SupplierID: "S1077", Name: r.Partner + " Holdings", Why: "name 81 % similar"},
		}
	case "gl_unmapped":
		d.GLFix = &exceptions.GLFix{SupplierID: r.Supplier, ChargeCode: "FRT"}
	case "duplicate":
		// A corrected re-send: line 1 from 125.00 to 118.00; someone
		// changed the due date in IFS after the first posting.
		d.Correction = &exceptions.Correction{IFSInvoiceID: 220000 + r.ID, Fields: []exceptions.CorrectionField{
			{Field: "due date", Earlier: "2026-12-27", Corrected: "2026-12-27", IFSNow: "2026-12-31", Edited: true, Differs: true},
			{Field: "net amount", Earlier: "125.00", Corrected: "118.00", IFSNow: "125.00", Differs: true},
			{Field: "line 1 net amount", Earlier: "125.00", Corrected: "118.00", IFSNow: "125.00", Differs: true},
			{Field: "tax amount", Earlier: "0.00", Corrected: "0.00", IFSNow: "0.00"},
		}}
	case "price_mismatch":
		d.Lines = []exceptions.LineDiff{{Line: "PO1001 line 1", Cells: []exceptions.Compare{
			{Label: "Quantity", Invoice: "10 EA", PO: "10 EA"},
			{Label: "Unit price", Invoice: "12.50", PO: "11.00", Differs: true},
			{Label: "Item", Invoice: "WIDGET-A", PO: "WIDGET-A"},
		}}}
		d.ComparePO, d.POFirst = "PO1001", true
		d.Tolerance = "Tolerance in force: company default, price 2 %, quantity 0 %, two-way. This line is 13.64 % (15.00 USD) above the PO price."
		d.Decisions = []string{exceptions.DecideOverride, exceptions.DecideHold, exceptions.DecideDispute, exceptions.DecideReReference}
		if dec, ok := f.decided[id]; ok {
			d.DecisionText = dec
		}
		d.InvoiceLines = []exceptions.InvoiceLine{
			{LineNo: "1", BuyerPart: "WIDGET-A", Description: "Widget, type A", Qty: money.FromInt(10), Unit: "EA", Price: money.MustParse("12.50")},
			{LineNo: "2", BuyerPart: "BOLT-M8", Description: "Bolt M8 x 40", Qty: money.FromInt(120), Unit: "EA", Price: money.MustParse("0.20")},
			{LineNo: "9", VendorPart: "FRT-EXP", Description: "Express handling", Qty: money.FromInt(1), Unit: "EA", Price: money.MustParse("25.00")},
		}
	}
	return d, nil
}

// Replay implements exceptions.Source: an unmapped partner posts once mapped;
// every other reason still fails.
func (f *Exceptions) Replay(_ context.Context, id int64) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.fail("Replay"); err != nil {
		return "", err
	}
	i, ok := f.find(id)
	if !ok {
		return "", fmt.Errorf("replay %d: not found", id)
	}
	r := f.rows[i]
	f.Log = append(f.Log, fmt.Sprintf("replay %d", id))
	if r.Reason == "partner_unmapped" && f.mapped["ZZ:"+r.Partner] != "" || r.Reason == "gl_unmapped" && f.gl[r.Supplier+"/FRT"] != "" {
		f.rows = append(f.rows[:i], f.rows[i+1:]...)
		f.viewOK = false
		return "posted to IFS", nil
	}
	return "still fails: " + r.ReasonLabel, nil
}

// PreviewReplayAll implements exceptions.Source.
func (f *Exceptions) PreviewReplayAll(_ context.Context, reason string) (exceptions.Preview, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	pv := exceptions.Preview{Reason: reason}
	for _, r := range f.rows {
		if r.Reason != reason {
			continue
		}
		out := "still fails: " + r.ReasonLabel
		if r.Reason == "partner_unmapped" && f.mapped["ZZ:"+r.Partner] != "" {
			out = "will post"
		}
		pv.Items = append(pv.Items, exceptions.PreviewItem{ID: r.ID, BusinessKey: r.BusinessKey, Outcome: out})
	}
	return pv, nil
}

// ReplayAll implements exceptions.Source.
func (f *Exceptions) ReplayAll(_ context.Context, reason string) (exceptions.ReplayOutcome, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var o exceptions.ReplayOutcome
	kept := f.rows[:0]
	for _, r := range f.rows {
		if r.Reason == reason {
			o.Replayed++
			if r.Reason == "partner_unmapped" && f.mapped["ZZ:"+r.Partner] != "" {
				o.Resolved++
				continue
			}
			o.StillFailing = append(o.StillFailing, r.BusinessKey+": "+r.ReasonLabel)
		}
		kept = append(kept, r)
	}
	f.rows = kept
	f.viewOK = false
	f.Log = append(f.Log, fmt.Sprintf("replay all %s", reason))
	return o, nil
}

// Ignore implements exceptions.Source.
func (f *Exceptions) Ignore(_ context.Context, id int64, comment string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	i, ok := f.find(id)
	if !ok {
		return fmt.Errorf("ignore %d: not found", id)
	}
	f.rows = append(f.rows[:i], f.rows[i+1:]...)
	f.viewOK = false
	f.Log = append(f.Log, fmt.Sprintf("ignore %d: %s", id, comment))
	return nil
}

// MapPartner implements exceptions.Source.
func (f *Exceptions) MapPartner(_ context.Context, partner, supplier string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.fail("MapPartner"); err != nil {
		return err
	}
	f.mapped[partner] = supplier
	f.Log = append(f.Log, fmt.Sprintf("map %s %s", partner, supplier))
	return nil
}

// Decide implements exceptions.Source: an override posts (and leaves the
// queue); hold and dispute are recorded; a re-reference to PO1002 posts.
// Failures["Decide"] simulates a refusal (a clerk's role, say).
func (f *Exceptions) Decide(_ context.Context, id int64, d exceptions.Decision) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.fail("Decide"); err != nil {
		return "", err
	}
	i, ok := f.find(id)
	if !ok {
		return "", fmt.Errorf("decide on %d: not found", id)
	}
	f.Log = append(f.Log, fmt.Sprintf("decide %d %s %q", id, d.Kind, d.Comment))
	if f.decided == nil {
		f.decided = map[int64]string{}
	}
	r := f.rows[i]
	switch d.Kind {
	case exceptions.DecideOverride, exceptions.DecideReReference:
		f.rows = append(f.rows[:i], f.rows[i+1:]...)
		f.viewOK = false
		return r.BusinessKey + " posted to IFS", nil
	case exceptions.DecideHold:
		f.decided[id] = "On hold until " + d.Until.Format("2006-01-02") + ": " + d.Comment
		return r.BusinessKey + " held until " + d.Until.Format("2006-01-02"), nil
	case exceptions.DecideDispute:
		f.decided[id] = "Disputed: " + d.Comment
		return "Dispute recorded. Draft to the supplier:\n\nInvoice " + r.BusinessKey + " cannot be paid as sent.\n" + d.Comment, nil
	}
	return "", fmt.Errorf("unknown decision %q", d.Kind)
}

// UpdateIFS implements exceptions.Source: it records the call and resolves
// the exception; Failures["UpdateIFS"] simulates a conflict.
func (f *Exceptions) UpdateIFS(_ context.Context, id int64, reapply bool) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Log = append(f.Log, fmt.Sprintf("update-ifs %d reapply=%v", id, reapply))
	if err := f.fail("UpdateIFS"); err != nil {
		return "", err
	}
	for i, r := range f.rows {
		if r.ID == id {
			f.rows = append(f.rows[:i], f.rows[i+1:]...)
			f.viewOK = false
			return r.BusinessKey + ": IFS invoice updated", nil
		}
	}
	return "", fmt.Errorf("update IFS from %d: not found", id)
}

// AddGLRule implements exceptions.Source.
func (f *Exceptions) AddGLRule(_ context.Context, supplier, charge, account, cc string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gl[supplier+"/"+charge] = account
	f.Log = append(f.Log, fmt.Sprintf("gl %s %s %s %s", supplier, charge, account, cc))
	return nil
}

// PurchaseOrder implements exceptions.Source: PO1001 has a line billed at
// the wrong price, one over-billed and one not invoiced; other numbers are
// not found. Failures["PurchaseOrder"] simulates IFS being unreachable.
func (f *Exceptions) PurchaseOrder(_ context.Context, no string) (domain.PurchaseOrder, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.fail("PurchaseOrder"); err != nil {
		return domain.PurchaseOrder{}, fmt.Errorf("read purchase order %s: %w", no, err)
	}
	if no != "PO1001" {
		return domain.PurchaseOrder{}, fmt.Errorf("read purchase order %s: %w", no, notFound{})
	}
	line := func(n, part, desc string, qty int64, price string) domain.PurchaseOrderLine {
		return domain.PurchaseOrderLine{OrderNo: no, LineNo: n, ReleaseNo: "1", PartNo: part, Description: desc,
			Quantity: money.FromInt(qty), Unit: "EA", UnitPrice: money.MustParse(price), Currency: "USD", State: "Released"}
	}
	return domain.PurchaseOrder{OrderNo: no, Company: "10", SupplierID: "S1001", Currency: "USD", State: "Released",
		Lines: []domain.PurchaseOrderLine{
			line("1", "WIDGET-A", "Widget, type A", 10, "11.00"),
			line("2", "BOLT-M8", "Bolt M8 x 40", 100, "0.20"),
			line("3", "NUT-M8", "Nut M8", 100, "0.05"),
		}}, nil
}

type notFound struct{}

func (notFound) Error() string               { return "not found in IFS" }
func (notFound) ErrorKind() domain.ErrorKind { return domain.KindNotFound }

var _ exceptions.Source = (*Exceptions)(nil)
