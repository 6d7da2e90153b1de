// Package domain holds the business types that cross package boundaries:
// what the IFS client returns and accepts, what the Cleo transports list and
// send, and how every remote failure is classified. It has no behaviour to
// speak of and imports nothing of the project, so core/ifs, core/cleo,
// core/engine and core/store can all speak it without importing each other.
//
// EDI-shaped models (an 810 as parsed, an 850 to write) live in core/x12; the
// engine maps between those and these.
package domain

import (
	"fmt"
	"time"

	"github.com/ml-connector/ifs-cleo/core/money"
)

// PurchaseOrder is an IFS purchase-order header with its lines.
type PurchaseOrder struct {
	OrderNo           string
	Company           string
	Site              string // IFS "Contract"
	SupplierID        string // IFS "VendorNo"
	OrderDate         time.Time
	WantedReceiptDate time.Time // zero when the tenant does not expose it
	Currency          string
	BuyerCode         string
	Coordinator       string // IFS "AuthorizeCode"
	State             string // IFS Objstate: Planned, Released, Confirmed, … Cancelled
	ETag              string // as read; a new ETag means the order changed
	Lines             []PurchaseOrderLine
}

// PurchaseOrderLine is one IFS purchase-order line (part or no-part).
type PurchaseOrderLine struct {
	OrderNo            string
	LineNo             string // a string in IFS, e.g. "1"
	ReleaseNo          string
	PartNo             string // the buyer's part number; empty for no-part lines
	VendorPartNo       string // the supplier's part number, when known
	Description        string
	Quantity           money.Decimal // BuyQtyDue
	Unit               string        // BuyUnitMeas, IFS unit code (e.g. "pcs", "kg")
	UnitPrice          money.Decimal // BuyUnitPrice, in the order currency
	NetAmount          money.Decimal // NetAmtCurr
	Currency           string
	WantedDeliveryDate time.Time
	State              string
	// CodeString is the accounting string the line posts to (code parts A..J);
	// the engine uses it to code invoice lines that match this PO line.
	CodeString CodeString
	ETag       string
	// InvoicedQty is what IFS reports as already invoiced on the line
	// (invoices matched inside IFS), in the line's unit; nil when the
	// tenant's resource profile names no such field or the row lacks it.
	InvoicedQty *money.Decimal `json:",omitempty"`
	// ReceivedQty is what IFS reports as received on the line, for
	// three-way matching; nil when the tenant does not expose it.
	ReceivedQty *money.Decimal `json:",omitempty"`
}

// CodeString is an IFS accounting code string: code part A (the account) and
// the company-configured parts B to J (cost centre, project, …). Empty
// strings are unused parts.
type CodeString struct {
	Account string // code part A
	CodeB   string // cost centre in the sandbox company
	CodeC   string
	CodeD   string
	CodeE   string
	CodeF   string
	CodeG   string
	CodeH   string
	CodeI   string
	CodeJ   string
}

// Supplier is an IFS supplier as reference data.
type Supplier struct {
	SupplierID  string
	Name        string
	CountryCode string
	Currency    string
	PayTermID   string
	State       string // Active, Blocked …
	// EDIAddress and EDIAlias are the EDI identity IFS holds for the
	// supplier, where the resource profile names a place for it
	// (suppliers fields EdiAddress, EdiAlias): the partner's ISA qualifier
	// and id as "ZZ:ACME01" and its Cleo alias. Read with the suppliers,
	// written by the reference flow; not kept in the store.
	EDIAddress string
	EDIAlias   string
	// ETag is the supplier row's ETag when it was read or written.
	ETag string
}

// CodePartValue is one value of an accounting code part (an account when
// CodePart is "A", a cost centre when "B" in the sandbox company).
type CodePartValue struct {
	Company     string
	CodePart    string // "A".."J"
	Value       string
	Description string
	ValidFrom   time.Time
	ValidUntil  time.Time // zero = open-ended
}

// Valid reports whether the value may be posted to on day t.
func (v CodePartValue) Valid(t time.Time) bool {
	if !v.ValidFrom.IsZero() && t.Before(v.ValidFrom) {
		return false
	}
	if !v.ValidUntil.IsZero() && t.After(v.ValidUntil) {
		return false
	}
	return true
}

// SupplierInvoice is a manual supplier invoice in IFS with its lines and
// posting proposal. Amounts are in the invoice currency; a credit note has
// negative amounts.
type SupplierInvoice struct {
	Company     string
	InvoiceID   int64 // assigned by IFS on create; 0 before
	InvoiceNo   string
	SupplierID  string    // IFS "Identity"
	InvoiceDate time.Time `json:",omitzero"`
	// DueDate is zero when the invoice says nothing: IFS then computes it
	// from PayTermID. A zero date is never sent.
	DueDate time.Time `json:",omitzero"`
	// DiscountDate and DiscountPercent are the early-payment discount of
	// the invoice's terms, kept with the posting (zero when none).
	DiscountDate    time.Time     `json:",omitzero"`
	DiscountPercent money.Decimal `json:",omitzero"`
	Currency        string
	PayTermID       string
	PORef           string // IFS "PoRefNumber"
	GrossAmount     money.Decimal
	NetAmount       money.Decimal
	TaxAmount       money.Decimal
	CreditNote      bool
	State           string // Preliminary, Posted, … Cancelled
	ETag            string
	// SelfBilling marks an invoice the buyer made for the supplier
	// (evaluated receipt settlement), which goes out as an 810; Sent is the
	// tenant's "already sent" marker as read; CreatedAt its creation time.
	// All three are resource-profile fields that a tenant may not have.
	SelfBilling bool      `json:",omitempty"`
	Sent        bool      `json:",omitempty"`
	CreatedAt   time.Time `json:",omitzero"`
	Lines       []SupplierInvoiceLine
	Postings    []PostingLine
}

// SupplierInvoiceLine is one invoice item.
type SupplierInvoiceLine struct {
	ItemID    int64 // assigned by IFS
	TaxCode   string
	NetAmount money.Decimal
	TaxAmount money.Decimal
	OrderNo   string
	LineNo    string
	ReleaseNo string
	Text      string
	// Quantity, UnitPrice and UOM are what the line bills, where the tenant
	// has them (self-billing invoices come from receipts); zero/empty when
	// not read.
	Quantity  money.Decimal `json:",omitzero"`
	UnitPrice money.Decimal `json:",omitzero"`
	UOM       string        `json:",omitempty"`
}

// PostingLine is one row of the posting proposal: an amount coded to a code string.
type PostingLine struct {
	RowNo   int64 // assigned by IFS
	Code    CodeString
	Amount  money.Decimal
	Text    string
	TaxCode string
}

// Partner is a trading partner as the EDI network knows it.
type Partner struct {
	ID    string // the network's id for the connection/mailbox
	Alias string // human name, e.g. "ACME_AS2"
	// ISAQualifier and ISAID identify the partner in X12 envelopes (ISA05/06
	// when they send to us).
	ISAQualifier string
	ISAID        string
	// OurQualifier and OurID are what the partner expects as receiver (our ISA08/07).
	OurQualifier string
	OurID        string
	// ExternalID holds the IFS supplier id where the network stores one.
	ExternalID string
	Enabled    bool
	Transport  string // as2, sftp, ftp …
}

// RemoteFile is an inbound file waiting at the EDI network.
type RemoteFile struct {
	ID           string
	Name         string
	Size         int64
	Created      time.Time // UTC
	PartnerID    string
	PartnerAlias string
	DocumentType string // "810", "997" … when the network knows it
}

// Before reports whether f is taken before g: files are taken oldest
// first, by the network's created time and then by id, so that an invoice
// is judged before the credit memo sent after it.
func (f RemoteFile) Before(g RemoteFile) bool {
	if !f.Created.Equal(g.Created) {
		return f.Created.Before(g.Created)
	}
	return f.ID < g.ID
}

// SendResult describes an outbound delivery.
type SendResult struct {
	ID             string // the network's id for the file, when it gives one
	Name           string
	AlreadyPresent bool // the network already had this name: an earlier attempt delivered it
}

// DeliveryState is a network's verdict on an outbound file it was handed.
type DeliveryState string

// The verdicts a transport can give.
const (
	DeliveryPending   DeliveryState = "pending"   // still on its way (queued, in progress, waiting for a receipt)
	DeliveryDelivered DeliveryState = "delivered" // it left for the partner (and the receipt came, when one is expected)
	DeliveryFailed    DeliveryState = "failed"    // the last attempt that ran failed; the file did not go out
)

// DeliveryReport is what a network says about an outbound file.
type DeliveryReport struct {
	State      DeliveryState
	TransferID string    // the network's id of the deciding transfer (Cleo's TransferID)
	Status     string    // the network's own word ("Receipt Pending", "Error" …)
	Detail     string    // the network's result text, in its words
	Since      time.Time // when the deciding attempt started; zero when unknown
	Attempts   int       // transfers the network logged for the file
	// InOutbox is true when the file still waits in the network's outbox,
	// so running the send again needs no new upload.
	InOutbox bool
}

// TestStep is one line of a connection test report.
type TestStep struct {
	Name     string        // "Get token", "Read PurchaseOrderSet" …
	OK       bool          // passed
	Skipped  bool          // not run because an earlier step failed
	Detail   string        // what was seen ("42 suppliers", "HTTP 403 FORBIDDEN …")
	Fix      string        // plain-language next step when it failed
	Duration time.Duration //
	// Warning marks a step that passed but needs attention soon (a
	// certificate close to expiry); Fix then says what to do.
	Warning bool
}

// TestReport is the step-by-step result of TestConnection.
type TestReport struct {
	Target string // "IFS Cloud" or "Cleo"
	Steps  []TestStep
	// Cert is the server's TLS certificate as the test saw it; zero when the
	// connection did not use TLS (plain http sandbox, SFTP, folder).
	Cert CertInfo
}

// CertWarnWithin is how long before a server certificate expires the
// connection test starts warning: enough for a tenant admin to renew it.
const CertWarnWithin = 30 * 24 * time.Hour

// CertInfo is a server's TLS leaf certificate, as far as an admin needs it.
type CertInfo struct {
	Host     string    // host name the client connected to
	Subject  string    // certificate subject, e.g. "CN=acme.ifs.cloud"
	NotAfter time.Time // end of validity, UTC
}

// IsZero reports whether no certificate was seen.
func (c CertInfo) IsZero() bool { return c.NotAfter.IsZero() }

// CertStep is the test step describing c at now: it passes while c is valid,
// passes with Warning inside warnWithin of its end (so the report stays OK
// but the admin sees it), and fails once c has expired.
func CertStep(c CertInfo, now time.Time, warnWithin time.Duration) TestStep {
	end := c.NotAfter.UTC()
	date := end.Format("2006-01-02")
	left := end.Sub(now)
	days := int(left / (24 * time.Hour))
	s := TestStep{Name: "TLS certificate", OK: true,
		Detail: fmt.Sprintf("TLS certificate for %s valid until %s (%d days)", c.Host, date, days)}
	if c.Subject != "" {
		s.Detail += ", subject " + c.Subject
	}
	switch {
	case left <= 0:
		s.OK = false
		s.Detail = fmt.Sprintf("TLS certificate for %s expired on %s", c.Host, date)
		s.Fix = "Renew the server certificate, or ask the tenant admin to: connections to " + c.Host + " fail until then."
	case left <= warnWithin:
		s.Warning = true
		s.Fix = fmt.Sprintf("Renew the certificate or ask the tenant admin before %s.", date)
	}
	return s
}

// OK reports whether every step passed.
func (r TestReport) OK() bool {
	for _, s := range r.Steps {
		if !s.OK {
			return false
		}
	}
	return len(r.Steps) > 0
}
