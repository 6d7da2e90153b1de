package store

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode"

	"github.com/ml-connector/ifs-cleo/core/money"
)

// Direction says whether a document came from a partner or went to one.
type Direction string

// The directions.
const (
	Inbound  Direction = "inbound"
	Outbound Direction = "outbound"
)

// DocType is the X12 transaction set identifier.
type DocType string

// The document types the connector handles.
const (
	Type810 DocType = "810" // invoice (inbound)
	Type850 DocType = "850" // purchase order (outbound)
	Type997 DocType = "997" // functional acknowledgment (both ways)
)

// Status is where a document stands. Inbound and outbound documents use
// different sets; see InboundStatuses and OutboundStatuses.
type Status string

// Inbound statuses (an 810 received, or a 997 received for one of our POs).
const (
	StatusReceived         Status = "received"          // stored, not yet looked at
	StatusMapped           Status = "mapped"            // partner mapped to an IFS supplier
	StatusMatched          Status = "matched"           // matched against the IFS PO and coded
	StatusPosting          Status = "posting"           // intent recorded, IFS create under way
	StatusPosted           Status = "posted"            // created in IFS
	StatusSkippedDuplicate Status = "skipped_duplicate" // exact re-send of an invoice already posted
	StatusException        Status = "exception"         // needs a person; see the open exception
	StatusIgnored          Status = "ignored"           // a person decided to do nothing
	StatusTestReviewed     Status = "test_reviewed"     // test-mode partner: processed up to the would-be payload
)

// Outbound statuses (an 850 we send, or the 997 we return for an 810).
const (
	StatusBuilt        Status = "built"        // EDI built and stored
	StatusSending      Status = "sending"      // intent recorded, upload under way
	StatusSent         Status = "sent"         // delivered to Cleo
	StatusAcknowledged Status = "acknowledged" // 997 accepted
	StatusRejected     Status = "rejected"     // 997 rejected
	StatusOverdue      Status = "overdue"      // no 997 before the partner's deadline
)

// InboundStatuses lists the statuses valid for inbound documents.
var InboundStatuses = []Status{StatusReceived, StatusMapped, StatusMatched, StatusPosting, StatusPosted,
	StatusSkippedDuplicate, StatusException, StatusIgnored, StatusTestReviewed}

// OutboundStatuses lists the statuses valid for outbound documents. An
// outbound document can also be in exception or ignored (a PO that cannot be
// built or sent).
var OutboundStatuses = []Status{StatusBuilt, StatusSending, StatusSent, StatusAcknowledged, StatusRejected,
	StatusOverdue, StatusException, StatusIgnored, StatusTestReviewed}

// ValidFor reports whether st is a status a document of direction d may have.
func (st Status) ValidFor(d Direction) bool {
	list := InboundStatuses
	if d == Outbound {
		list = OutboundStatuses
	}
	for _, x := range list {
		if x == st {
			return true
		}
	}
	return false
}

// Intermediate reports whether st is a status a crash can leave behind with
// a remote effect possibly done (posting, sending): the engine reconciles
// these on start.
func (st Status) Intermediate() bool { return st == StatusPosting || st == StatusSending }

// FileStatus is where an inbound file stands.
type FileStatus string

// The inbound file statuses.
const (
	FileReceived FileStatus = "received" // stored; not yet split
	FileSplit    FileStatus = "split"    // its transaction sets are documents
	FileFailed   FileStatus = "failed"   // could not be split; see its error and exception
)

// ExceptionState is where an exception stands.
type ExceptionState string

// The exception states.
const (
	ExceptionOpen     ExceptionState = "open"
	ExceptionResolved ExceptionState = "resolved"
	ExceptionIgnored  ExceptionState = "ignored"
)

// amountE4 is the sort/filter key for an amount: rounded to four decimals,
// as an integer. It is never used as the amount itself.
func amountE4(d money.Decimal, set bool) any {
	if !set || !d.Valid() {
		return nil
	}
	r := d.Rescale(4)
	if !r.Valid() {
		return nil
	}
	return r.Coef()
}

// NormalizeInvoiceNumber is the form of an invoice number used in
// fingerprints: upper case with spaces, dashes, slashes, dots and underscores
// removed, so "inv-0042" and "INV 0042" are the same number; an all-digit
// number also loses its leading zeros ("00042" is "42"), because suppliers'
// systems pad numbers inconsistently.
func NormalizeInvoiceNumber(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case unicode.IsSpace(r), r == '-', r == '/', r == '.', r == '_':
			continue
		default:
			b.WriteRune(unicode.ToUpper(r))
		}
	}
	out := b.String()
	if out != "" && strings.Trim(out, "0123456789") == "" {
		out = strings.TrimLeft(out, "0")
		if out == "" {
			out = "0"
		}
	}
	return out
}

// Fingerprint is the local de-duplication key of an invoice: supplier,
// normalised invoice number and amount (normalised so 100.0 equals 100.00).
// Two documents with the same fingerprint are the same invoice.
func Fingerprint(supplierID, invoiceNo string, amount money.Decimal) string {
	h := sha256.New()
	h.Write([]byte(strings.TrimSpace(supplierID)))
	h.Write([]byte{0})
	h.Write([]byte(NormalizeInvoiceNumber(invoiceNo)))
	h.Write([]byte{0})
	h.Write([]byte(amount.Normalize().String()))
	return hex.EncodeToString(h.Sum(nil))
}

// ContentHash is the hex SHA-256 of b, the form used for content_hash and
// inbound file checksums.
func ContentHash(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
