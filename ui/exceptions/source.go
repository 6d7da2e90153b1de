// Package exceptions is the clerk's home screen: the queue of documents that
// could not reach their final state, why, and what to do about it (fix the
// mapping, replay, replay all like this, ignore with a comment).
//
// The queue can hold 100,000 rows, so the table asks its Source for one page
// at a time as rows scroll into view and never builds a widget per row.
package exceptions

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/money"
)

// SortKey is a column the queue can be ordered by.
type SortKey int

// Sort keys, in column order.
const (
	ByReason SortKey = iota
	ByPartner
	BySupplier
	ByAge
	ByAmount
	ByDocument
	// NoSort marks a column the queue cannot be ordered by (the PO and the
	// dates live in the document, not in the exception).
	NoSort SortKey = -1
)

// Filter selects and orders exceptions. The zero value is every open exception, oldest first.
type Filter struct {
	Reason string // stable reason code, "" for all
	Text   string // matched against partner, supplier and business key
	Sort   SortKey
	Desc   bool
}

// Row is one open exception as the table shows it.
type Row struct {
	ID          int64  // the exception's id: what Detail, Replay and Ignore take
	DocumentID  int64  // the document it is about, 0 for a poller or file problem
	Reason      string // stable code, e.g. "partner_unmapped"
	ReasonLabel string // short plain words, e.g. "Partner not mapped"
	Partner     string // the partner's key, QUAL:ID
	PartnerName string // its name at Cleo, "" when unknown
	Supplier    string // IFS supplier id, "" when unknown
	// SupplierName is the supplier's name in IFS, "" when unknown.
	SupplierName string
	BusinessKey  string // invoice or PO number
	// PONumber, InvoiceDate and DueDate come from the invoice the exception
	// is about: the PO it quotes, its date (BIG01) and the due date its
	// terms give (zero when the 810 states none: IFS then applies the
	// supplier's payment terms).
	PONumber    string
	InvoiceDate time.Time
	DueDate     time.Time
	Received    time.Time
	Amount      money.Decimal
	Currency    string
}

// Total is the sum of the selected exceptions' amounts in one currency.
type Total struct {
	Currency string
	Amount   money.Decimal
}

// ReplayOutcome is what a replay-all did: how many it replayed, how many
// left the queue, and for the others why they still fail ("INV-1: price
// variance …"), as the queue shows them afterwards.
type ReplayOutcome struct {
	Replayed, Resolved int
	StillFailing       []string
}

// Summary is the outcome in one line: "Replayed 3: 2 resolved, 1 still
// failing (INV-7: …)".
func (o ReplayOutcome) Summary() string {
	out := fmt.Sprintf("Replayed %d: %d resolved, %d still failing", o.Replayed, o.Resolved, len(o.StillFailing))
	if n := len(o.StillFailing); n > 0 {
		shown := o.StillFailing[:min(n, 3)]
		out += " (" + strings.Join(shown, "; ")
		if n > 3 {
			out += fmt.Sprintf("; and %d more", n-3)
		}
		out += ")"
	}
	return out + "."
}

// ReasonCount is how many open exceptions share one reason.
type ReasonCount struct {
	Reason string
	Label  string
	Count  int
}

// Field is one labelled value of the parsed document.
type Field struct {
	Name, Value string
}

// Compare is one attribute of an invoice line next to the IFS PO line it should match.
type Compare struct {
	Label   string // "Quantity", "Unit price", "Unit"
	Invoice string
	PO      string
	Differs bool // outside tolerance: highlighted
}

// LineDiff is one invoice line against its IFS purchase order line.
type LineDiff struct {
	Line  string // "PO 1001 line 2"
	Cells []Compare
}

// Suggestion is an IFS supplier proposed for an unmapped partner.
type Suggestion struct {
	SupplierID string
	Name       string
	Why        string // "same ISA id", "name 92 % similar"
}

// Detail is everything the detail pane shows for one exception.
type Detail struct {
	Row
	Message string // plain-language reason
	Fix     string // plain-language next step
	RawEDI  string
	Parsed  []Field // the generic view, shown when ParsedJSON is not a document docview knows
	// ParsedJSON is the engine's stored parsed form, which the pane shows
	// readably (ui/docview); nil when the exception has no document.
	ParsedJSON []byte
	Lines      []LineDiff // PO mismatches: the failing attribute, from the exception's context
	// ComparePO is the IFS purchase order to show side by side with the
	// invoice lines: the PO the invoice quotes, whatever the reason (a
	// clerk fixing a GL rule still wants to see the order). The screen reads
	// it with Source.PurchaseOrder when the exception opens.
	ComparePO string
	// POFirst opens the PO tab first: the exception is a PO mismatch.
	POFirst      bool
	InvoiceLines []InvoiceLine
	// Units are the unit equivalents the engine applies for this supplier,
	// so the comparison flags only what differs once normalised.
	Units []UnitEquivalent
	// PartnerKey is set when the fix is a partner ↔ supplier mapping, which the
	// clerk can make right here; Suggestions are the engine's best guesses.
	PartnerKey  string
	Suggestions []Suggestion
	// GLFix is set when the fix is a GL coding rule, which the clerk can add
	// right here.
	GLFix *GLFix
	// Decisions are the decisions the current user may take here (Decide*
	// kinds); empty when none applies.
	Decisions []string
	// DecisionText describes a decision already taken ("On hold until
	// 2026-12-09 (carol): …"), "" when none.
	DecisionText string
	// Tolerance is the tolerance in force and the variance, for PO
	// mismatches ("supplier S100: price 2 %, quantity 0 %; this is 20 % above").
	Tolerance string
	// Correction is set for a supplier's corrected re-send of an invoice
	// still editable in IFS: the versions side by side, and the button
	// that updates the IFS invoice.
	Correction *Correction
}

// Correction is a corrected invoice against the earlier one and IFS.
type Correction struct {
	IFSInvoiceID int64
	Fields       []CorrectionField
	// Conflicts are fields someone changed in IFS after the clerk looked
	// and that the correction changes too ("line 1 NetCurrAmount: IFS now
	// 120.00, correction 118.00, you had seen 125.00"); the clerk may
	// re-apply the correction over them.
	Conflicts []string
}

// CorrectionField is one field in three versions.
type CorrectionField struct {
	Field, Earlier, Corrected, IFSNow string
	Differs                           bool // the update writes it (Corrected ≠ IFSNow)
	Edited                            bool // someone changed it in IFS since it was posted
}

// The decisions a clerk can take on a mismatch.
const (
	DecideOverride    = "override"     // accept this invoice despite the variance (approvers)
	DecideHold        = "hold"         // park until a follow-up date
	DecideDispute     = "dispute"      // tell the supplier; a draft is returned
	DecideReReference = "re_reference" // point the invoice at another PO of the supplier
)

// Decision is what the clerk decided, with why.
type Decision struct {
	Kind    string
	Comment string    // why (the dispute note for DecideDispute)
	Until   time.Time // DecideHold
	PO      string    // DecideReReference
}

// GLFix names the GL coding rule an exception lacks.
type GLFix struct {
	SupplierID string
	ChargeCode string // the charge (SAC) code, or "NONPO" for lines without a PO
}

// PreviewItem says what a replay would do to one exception.
type PreviewItem struct {
	ID          int64
	BusinessKey string
	Outcome     string // "will post", "still fails: PO 1001 is closed"
}

// Preview is the dry run of "replay all like this".
type Preview struct {
	Reason string
	Items  []PreviewItem
}

// Source is what the screen needs from the engine. Every method is called off
// the UI goroutine.
type Source interface {
	Count(ctx context.Context, f Filter) (int, error)
	// Totals sums the amounts of the exceptions f selects, per currency
	// (alphabetical), exactly.
	Totals(ctx context.Context, f Filter) ([]Total, error)
	Page(ctx context.Context, f Filter, offset, limit int) ([]Row, error)
	Reasons(ctx context.Context) ([]ReasonCount, error)
	Detail(ctx context.Context, id int64) (Detail, error)
	// Replay re-runs one document and returns its outcome in plain words.
	Replay(ctx context.Context, id int64) (string, error)
	PreviewReplayAll(ctx context.Context, reason string) (Preview, error)
	// ReplayAll replays every open exception with reason and says, item by
	// item, which ones resolved and why the others still fail.
	ReplayAll(ctx context.Context, reason string) (ReplayOutcome, error)
	Ignore(ctx context.Context, id int64, comment string) error
	// MapPartner maps an EDI partner to an IFS supplier (an audited mapping change).
	MapPartner(ctx context.Context, partnerKey, supplierID string) error
	// AddGLRule codes a supplier's charge to an account and cost centre (an
	// audited mapping change).
	AddGLRule(ctx context.Context, supplierID, chargeCode, account, costCentre string) error
	// Decide takes a decision on one exception (audited, refused to a role
	// that may not take it) and returns its outcome in plain words.
	Decide(ctx context.Context, id int64, d Decision) (string, error)
	// UpdateIFS applies a corrected invoice to the IFS invoice (read ETag,
	// PATCH If-Match); reapply writes over fields changed in IFS meanwhile.
	// A conflict or a refusal is an error saying what to do.
	UpdateIFS(ctx context.Context, id int64, reapply bool) (string, error)
	// PurchaseOrder reads an IFS purchase order with its lines; errors are
	// classified (domain.KindOf) so the pane can say what to do.
	PurchaseOrder(ctx context.Context, orderNo string) (domain.PurchaseOrder, error)
}
