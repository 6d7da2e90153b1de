package engine

import (
	"context"
	"io"
	"time"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/ifs"
	"github.com/ml-connector/ifs-cleo/core/money"
)

// IFS is what the engine needs from IFS Cloud. core/ifs's client satisfies it
// through a thin adapter (see Params); tests use an in-memory fake.
type IFS interface {
	// PurchaseOrders lists the orders that may need an 850: released,
	// confirmed or changed ones, and cancelled ones (for BEG 01). Lines
	// may be empty; the engine then asks PurchaseOrder.
	PurchaseOrders(ctx context.Context) ([]domain.PurchaseOrder, error)
	// PurchaseOrder reads one order with its lines; a domain.KindNotFound
	// error when it does not exist.
	PurchaseOrder(ctx context.Context, orderNo string) (domain.PurchaseOrder, error)
	Suppliers(ctx context.Context) ([]domain.Supplier, error)
	// CodePartValues lists the values of one code part ("A" accounts, "B" cost centres).
	CodePartValues(ctx context.Context, codePart string) ([]domain.CodePartValue, error)
	// FindSupplierInvoice returns the invoice, or found=false when IFS has none
	// for this supplier and invoice number.
	FindSupplierInvoice(ctx context.Context, company, supplierID, invoiceNo string) (inv domain.SupplierInvoice, found bool, err error)
	// CreateSupplierInvoice creates header, lines and posting proposal
	// all-or-nothing and returns the invoice with its IFS ids.
	CreateSupplierInvoice(ctx context.Context, inv domain.SupplierInvoice) (domain.SupplierInvoice, error)
	TestConnection(ctx context.Context) domain.TestReport
}

// IFSCorrector is what a supplier's corrected invoice needs beyond IFS:
// the invoice as IFS holds it now, and a conditional update of it. The
// real client has both; without them a corrected re-send stays a
// DUPLICATE_INVOICE_NUMBER exception.
type IFSCorrector interface {
	SupplierInvoice(ctx context.Context, company string, invoiceID int64) (domain.SupplierInvoice, error)
	CorrectSupplierInvoice(ctx context.Context, seen, want domain.SupplierInvoice) (ifs.CorrectionResult, error)
}

// IFSSelfBilling is what the invoices-out flow needs beyond IFS: the
// self-billing invoices due to be sent and the "already sent" marker. The
// real client has both (through IFSClient); without it the flow does
// nothing.
type IFSSelfBilling interface {
	// SelfBillingInvoices lists the due invoices of the given suppliers,
	// with their lines; since bounds the creation date when the tenant has
	// no sent marker (HasSentMarker false).
	SelfBillingInvoices(ctx context.Context, suppliers []string, since time.Time) ([]domain.SupplierInvoice, error)
	// SupplierInvoice reads one invoice with its lines (for a replay).
	SupplierInvoice(ctx context.Context, company string, invoiceID int64) (domain.SupplierInvoice, error)
	// MarkSelfBillingSent sets the invoice's "already sent" marker (ETag,
	// then PATCH with If-Match).
	MarkSelfBillingSent(ctx context.Context, company string, invoiceID int64) error
	HasSentMarker() bool
}

// IFSSupplierEDI writes a partner's EDI identity onto its IFS supplier,
// where the resource profile names a place for it. The real client has it
// (through IFSClient); without it, or when HasSupplierEDIIdentity is
// false, mappings stay in the app only.
type IFSSupplierEDI interface {
	HasSupplierEDIIdentity() bool
	// SetSupplierEDIIdentity reads the supplier with its ETag and PATCHes
	// address ("ZZ:ACME01") and alias with If-Match; nothing is written
	// when IFS already holds them.
	SetSupplierEDIIdentity(ctx context.Context, supplierID, address, alias string) (domain.Supplier, error)
}

// Cleo is what the engine needs from the EDI network (any transport).
type Cleo interface {
	Partners(ctx context.Context) ([]domain.Partner, error)
	// Inbound lists files waiting for us, oldest first.
	Inbound(ctx context.Context) ([]domain.RemoteFile, error)
	Open(ctx context.Context, id string) (io.ReadCloser, error)
	// Ack marks a file picked up; acking twice is not an error.
	Ack(ctx context.Context, id string) error
	// Send delivers content under a deterministic name; AlreadyPresent in
	// the result means an earlier attempt delivered it.
	Send(ctx context.Context, partnerID, name string, content []byte) (domain.SendResult, error)
	// SetPartnerExternalID writes the IFS supplier id back to the partner;
	// a domain.KindInvalid or KindNotFound error when the transport cannot.
	SetPartnerExternalID(ctx context.Context, partnerID, externalID string) error
	TestConnection(ctx context.Context) domain.TestReport
}

// InboundStream is a Cleo port that can hand over its listing file by
// file as pages arrive instead of all at once, so a run holds only the
// oldest files of a large backlog (listWindow) and lists again for the
// rest. Files come in any order and may repeat; total is how many the
// network said were waiting. A port that cannot answers an error matching
// errors.ErrUnsupported, and Inbound is used.
type InboundStream interface {
	InboundEach(ctx context.Context, each func(domain.RemoteFile) error) (total int, err error)
}

// Deliveries follows an outbound file after Send. A Cleo port whose
// transport can tell (Cleo's transfer log; a file leaving an SFTP or
// folder outbox) implements it and reports TracksDelivery true.
type Deliveries interface {
	// TracksDelivery is false when the transport cannot say anything
	// after Send (documents then carry no delivery state).
	TracksDelivery() bool
	// Delivery asks the network about a file Send handed over.
	Delivery(ctx context.Context, partnerID, alias string, sent domain.SendResult) (domain.DeliveryReport, error)
	// Redeliver sends the file again under the same name only when the
	// network confirms the earlier attempt did not go out.
	Redeliver(ctx context.Context, partnerID, alias string, sent domain.SendResult, content []byte) (domain.DeliveryReport, error)
}

// DeliveryLog is a Deliveries that can read the network's log of sends
// for many files at once. Delivered answers for a file the log shows
// delivered; for any other file ok is false and Delivery is asked.
type DeliveryLog interface {
	DeliveredSince(ctx context.Context, since time.Time, max int) (Delivered func(partnerID, alias string, sent domain.SendResult) (domain.DeliveryReport, bool), err error)
}

// EDI reads and writes X12. core/x12 satisfies it through X12Codec.
type EDI interface {
	// Split reads every transaction set of a file. err is set only when
	// the file is not X12 at all; per-set problems are in Set.Errors.
	Split(raw []byte) ([]Set, error)
	// SplitStrict reads the same file with the envelope deviations real
	// files often carry (ISA widths, GS08 unlike ISA12, GS04 format) as
	// errors, for partners whose strictness is "strict".
	SplitStrict(raw []byte) ([]Set, error)
	// Write850 builds a complete interchange for one purchase order.
	Write850(po PO850, env Envelope) ([]byte, error)
	// Write810 builds a complete interchange for one self-billing invoice.
	Write810(inv SelfBilling810, env Envelope) ([]byte, error)
	// Write997 acknowledges the given sets of one received functional group.
	Write997(group []Set, env Envelope) ([]byte, error)
}

// Clock is the time source; tests use a fixed one.
type Clock interface{ Now() time.Time }

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now().UTC() }

// Notifier shows a desktop notification (the GUI injects one; headless runs
// log). It must not block.
type Notifier func(title, body string)

// Set is one transaction set as the engine sees it, independent of the
// parser's own types.
type Set struct {
	Index        int    // 0-based position in the file
	Interchange  int    // 0-based interchange of the file it came in
	ID           string // "810", "997", "850" …
	SenderQual   string // ISA05
	SenderID     string // ISA06, trimmed
	ReceiverQual string // ISA07
	ReceiverID   string // ISA08, trimmed
	ISAControl   string // ISA13
	GSControl    string // GS06
	GSFunctional string // GS01
	GSSender     string // GS02
	GSReceiver   string // GS03
	Version      string // GS08
	STControl    string // ST02
	Raw          []byte // the set's segments, for the evidence pack
	Errors       []string
	Warnings     []string
	// Tolerable are the Errors a lenient partner may send (x12.Tolerable:
	// undefined segments, extra elements, lengths); ApplyLenient moves them
	// to Warnings.
	Tolerable []string
	// Lenient: the sender is set to lenient, so Write997 accepts the set
	// with its tolerable errors noted (AK501 E) instead of rejecting it.
	Lenient bool
	// EnvelopeFailed: the set's interchange envelope (ISA/IEA) failed, so
	// no 997 answers its group (a TA1 would; X12 never acknowledges such
	// sets as accepted).
	EnvelopeFailed bool
	// AckCodes carries the parser's own error positions for the 997
	// (opaque to the engine; the codec's Write997 reads it).
	AckCodes any
	Invoice  *Invoice // when ID is 810 and it mapped
	Ack      *Ack     // when ID is 997 and it mapped
	// Order is an 850 found in our mailbox (a copy of one we sent, or a
	// PO from another buying system), in the form the 850s we write use.
	Order *PO850
}

// Partner returns "QUAL:ID" of the sender, the key mappings use.
func (s Set) Partner() string { return s.SenderQual + ":" + s.SenderID }

// Invoice is an 810 as the engine needs it.
type Invoice struct {
	Number     string
	Date       time.Time
	PONumber   string
	Currency   string
	CreditMemo bool
	Total      money.Decimal // TDS, implied decimals applied
	Tax        money.Decimal // sum of TXI amounts (zero when none)
	// TaxStated says a TXI gave an amount (possibly 0.00): "tax 0" as
	// opposed to no tax given, where the total decides (buildInvoice).
	TaxStated bool `json:",omitempty"`
	Lines     []InvoiceLine
	Charges   []Charge
	// Terms are the ITD segments; ShipDate (DTM*011) and DeliveryDate
	// (DTM*035) are the basis dates ITD02 may count from.
	Terms        []PaymentTerms `json:",omitempty"`
	ShipDate     time.Time      `json:",omitzero"`
	DeliveryDate time.Time      `json:",omitzero"`
}

// InvoiceLine is one IT1.
type InvoiceLine struct {
	LineNumber  string // IT101: the PO line number by convention
	Quantity    money.Decimal
	UOM         string
	UnitPrice   money.Decimal
	BuyerPart   string
	VendorPart  string
	Description string
	// NoPrice and NoQuantity: the 810 left IT104 or IT102 empty. A line
	// without a price is not a free line: it cannot be posted.
	NoPrice    bool `json:",omitempty"`
	NoQuantity bool `json:",omitempty"`
}

// Charge is a SAC at summary level (or a line SAC rolled up).
type Charge struct {
	Allowance   bool   // A = allowance (reduces), C = charge
	Code        string // SAC02, e.g. "D240" freight
	Amount      money.Decimal
	Description string
}

// Ack is a received 997.
type Ack struct {
	GroupControlNumber string // AK102
	FunctionalID       string // AK101
	Status             string // AK901: A, E, P, R
	Sets               []AckSet
}

// AckSet is one AK2 loop.
type AckSet struct {
	ControlNumber string // AK202
	Status        string // AK501
	Problems      []AckProblem
}

// AckProblem is one AK3 (segment) with an optional AK4 (element) error.
type AckProblem struct {
	Segment     string // AK301, e.g. "PO1"
	Position    int    // AK302
	SegmentCode string // AK304 (DE 720)
	Element     int    // AK401 position; 0 when the AK3 has no AK4
	ElementCode string // AK403 (DE 723)
	Data        string // AK404 copy of the bad data
}

// Envelope carries the interchange identities and control numbers for a write.
type Envelope struct {
	SenderQual, SenderID     string
	ReceiverQual, ReceiverID string
	GSSender, GSReceiver     string
	ISAControl               int64
	GSControl                int64
	STControl                int64
	Test                     bool // ISA15 = T
	Time                     time.Time
}

// PO850 is what the 850 writer needs.
type PO850 struct {
	Purpose string // "00" original, "05" replace, "01" cancellation
	Order   domain.PurchaseOrder
	// ShipTo, BillTo are names for the N1 loops; optional.
	BuyerName string
	Supplier  domain.Supplier
}
