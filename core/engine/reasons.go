package engine

import (
	"fmt"
	"strings"
)

// Reason is a stable exception reason code. Scripts and the GUI filter on
// these; the message and fix are the words a clerk reads.
type Reason string

// The reason codes. Never renumber or rename: they are stored and exported.
const (
	ReasonFileUnreadable    Reason = "FILE_UNREADABLE"           // not X12 at all
	ReasonEDIInvalid        Reason = "EDI_INVALID"               // a set with syntax or envelope errors
	ReasonUnsupported       Reason = "UNSUPPORTED_DOCUMENT"      // a set type we do not process inbound
	ReasonPartnerNotMapped  Reason = "PARTNER_NOT_MAPPED"        // sender has no IFS supplier
	ReasonSupplierInactive  Reason = "SUPPLIER_INACTIVE"         // mapped supplier blocked in IFS
	ReasonPONotFound        Reason = "PO_NOT_FOUND"              // BIG04 unknown in IFS
	ReasonPOMissing         Reason = "PO_NUMBER_MISSING"         // no PO reference on the invoice
	ReasonPONotOpen         Reason = "PO_NOT_OPEN"               // PO closed/cancelled/planned
	ReasonPOSupplier        Reason = "PO_SUPPLIER_MISMATCH"      // PO of another supplier
	ReasonPOLineNotFound    Reason = "PO_LINE_NOT_FOUND"         // an invoice line matches no PO line
	ReasonPriceVariance     Reason = "PRICE_VARIANCE"            // unit price outside tolerance
	ReasonQuantityOver      Reason = "QUANTITY_OVER_PO"          // quantity above the PO within tolerance
	ReasonCurrency          Reason = "CURRENCY_MISMATCH"         // invoice currency ≠ PO currency
	ReasonGLUnmapped        Reason = "GL_UNMAPPED"               // a charge or non-PO line with no coding rule
	ReasonGLInvalid         Reason = "GL_ACCOUNT_INVALID"        // coded account unknown or closed
	ReasonDuplicateNumber   Reason = "DUPLICATE_INVOICE_NUMBER"  // same number, different content
	ReasonIFSRejected       Reason = "IFS_REJECTED"              // IFS refused the invoice (business rule)
	ReasonIFSAccess         Reason = "IFS_ACCESS"                // auth/forbidden on IFS
	ReasonRemoteUnavailable Reason = "REMOTE_UNAVAILABLE"        // transient failures beyond the retry budget
	ReasonPONoPartner       Reason = "PO_SUPPLIER_NO_PARTNER"    // PO supplier has no EDI partner
	ReasonSendFailed        Reason = "SEND_FAILED"               // Cleo refused the upload
	ReasonAckRejected       Reason = "ACK_REJECTED"              // 997 rejected our 850
	ReasonAckOverdue        Reason = "ACK_OVERDUE"               // no 997 before the deadline
	ReasonAckUnmatched      Reason = "ACK_UNMATCHED"             // 997 for nothing we sent
	ReasonHeartbeatStale    Reason = "HEARTBEAT_STALE"           // a poller has not succeeded for too long
	ReasonAlreadyInvoiced   Reason = "PO_LINE_ALREADY_INVOICED"  // the PO line is fully invoiced already: never a tolerance matter
	ReasonAmountOver        Reason = "AMOUNT_OVER_PO"            // cumulative amount on a PO line above the PO value and tolerance
	ReasonNotReceived       Reason = "QUANTITY_NOT_RECEIVED"     // three-way: more invoiced than received; waits, re-checked each run
	ReasonReceiptUnknown    Reason = "RECEIPT_QTY_UNKNOWN"       // three-way supplier but IFS reports no received quantity
	ReasonUnitMismatch      Reason = "UNIT_MISMATCH"             // invoice unit differs from the PO unit and nothing converts it
	ReasonInternal          Reason = "INTERNAL_ERROR"            // a run stopped on a bug (panic); the log has the stack
	ReasonPriceMissing      Reason = "PRICE_OR_QUANTITY_MISSING" // an IT1 without unit price or quantity: never a free line
	ReasonReferenceRead     Reason = "REFERENCE_READ_FAILED"     // one reference resource could not be read; its last good copy stays in use
	ReasonSBINoPartner      Reason = "SELF_BILLING_NO_PARTNER"   // a self-billing invoice's supplier has no EDI partner
	ReasonSBIIncomplete     Reason = "SELF_BILLING_INCOMPLETE"   // a self-billing invoice cannot be stated exactly as an 810
	ReasonUnexpected        Reason = "UNEXPECTED_DOCUMENT"       // an 850, or an 810 in our name, in our mailbox that we did not send
	ReasonDeliveryFailed    Reason = "DELIVERY_FAILED"           // Cleo took the file but its transfer to the partner failed
	ReasonDeliveryStuck     Reason = "DELIVERY_STUCK"            // the transfer has been pending longer than the partner's limit
)

// PartnerContext is the context of PARTNER_NOT_MAPPED: the sender and the
// suppliers the engine suggests, best first.
type PartnerContext struct {
	Partner     string       `json:"partner"`
	Suggestions []Suggestion `json:"suggestions"`
}

// DuplicateContext is the context of DUPLICATE_INVOICE_NUMBER: the earlier
// document of this connector, or the invoice already in IFS.
type DuplicateContext struct {
	OtherDocument int64 `json:"other_document,omitempty"`
	IFSInvoiceID  int64 `json:"ifs_invoice_id,omitempty"`
}

// problem is a failure on its way to becoming an exception record.
type problem struct {
	Reason  Reason
	Message string
	Fix     string
	Context any // JSON-encodable: a typed context (MatchContext) or a map
}

func (p *problem) Error() string { return string(p.Reason) + ": " + p.Message }

func newProblem(r Reason, fix string, format string, args ...any) *problem {
	return &problem{Reason: r, Message: fmt.Sprintf(format, args...), Fix: fix}
}

// Fix texts, in the words of the screen that resolves them.
const (
	fixMapPartner   = "map it to an IFS supplier in Mappings, then replay"
	fixCheckPO      = "check the PO number with the supplier or in IFS, then replay (or ignore)"
	fixTolerance    = "ask the supplier for a corrected invoice, change the PO in IFS, or widen the supplier's tolerance; then replay"
	fixGLRule       = "add a GL coding rule for this supplier and charge in Mappings, then replay"
	fixDuplicate    = "compare with the invoice already in IFS; ask the supplier for a credit or new number, or ignore"
	fixSupplierEDI  = "the supplier must resend a corrected file; ignore this one with a comment"
	fixIFSRejected  = "read the IFS message, correct the data in IFS or the mapping, then replay"
	fixIFSAccess    = "check the IFS connection (client secret, projection grants) in Connections, then replay"
	fixRetryLater   = "the system was unavailable several times; check the connection, then replay"
	fixPartnerForPO = "map the supplier to its EDI partner in Mappings; the PO is sent on the next run"
	fixAckRejected  = "correct the PO in IFS (a change sends a replacement) or call the supplier"
	// fixDeliveryFailed: the network said why; replay re-sends only what
	// Cleo confirms did not go out.
	fixDeliveryFailed = "read Cleo's reason; have the partner connection fixed (certificate, address, partner's server), then replay: the same file is sent again under the same name"
	fixDeliveryStuck  = "ask the Cleo administrator or the partner why the transfer does not complete (an AS2 receipt that never came, a partner server that does not answer); replay asks Cleo again"
	fixAckOverdue     = "call the supplier to confirm they received the document, or check the Cleo connection"
	// fixAckRejected810: an 810 the supplier rejected is corrected in IFS
	// (a credit note and a new invoice once posted), not re-sent as is.
	fixAckRejected810 = "read the supplier's reasons; correct the invoice in IFS (a posted one by credit note and a new invoice) or call the supplier; replay only re-sends the same 810"
	fixAckUnmatched   = "no action usually needed; check it does not belong to a PO sent by another system"
	// fixAckUnmatchedRejected: a rejection that matches nothing still
	// means a document did not get through.
	fixAckUnmatchedRejected = "ask the supplier which document (the group control number in the message) they rejected and why; if another system sent it in our name, have it corrected there; then ignore this with a comment"
	fixReference            = "run Connections → Test on the connection named in the message (it reads two pages of each resource); it clears itself on the next successful refresh"
	fixHeartbeat            = "check the connection in Connections and the log; it clears itself on the next success"
	// A line billed twice is a duplicate payment in waiting: no tolerance
	// or override may post it.
	fixAlreadyInvoiced = "ask the supplier whether this bills the same goods again; if the earlier invoice was wrong, its credit memo re-opens the quantity and a replay then posts this one; otherwise ignore it (or dispute it) with a comment"
	fixNotReceived     = "nothing to do while the goods are on their way: it posts by itself once IFS shows them received; or switch the supplier to two-way matching in Mappings"
	fixReceiptUnknown  = "name the received-quantity field in the IFS resource profile (purchase_order_lines QtyReceived), or switch the supplier to two-way matching in Mappings; then replay"
	fixInternal        = "send the log file (logs/ in the data dir) to support; documents are safe and the next run retries them"
	fixSBIPartner      = "map the supplier to its EDI partner in Mappings, then replay (the invoice is read from IFS again)"
	fixSBIMarker       = "check the resource profile's supplier_invoices field EdiSent (or map it to \"-\" if the tenant has none) and the client's grants; it clears itself when IFS takes the marker"
	fixSBIIncomplete   = "correct the invoice in IFS (or the PO line it bills), then replay: it is read from IFS again and sent once"
	fixUnit            = "add a unit conversion for this supplier in Mappings (how many PO units one invoice unit is), then replay"
)

// ackCodeWords translates 997 codes into clerk language.
var ackCodeWords = map[string]string{
	// AK304 (DE 720) segment errors
	"S1": "a segment the supplier does not recognise",
	"S2": "a segment in an unexpected place",
	"S3": "a required segment is missing",
	"S4": "a loop occurs too often",
	"S5": "a segment repeats too often",
	"S6": "a segment not defined for this document",
	"S7": "segments out of order",
	"S8": "a segment has data element errors",
	// AK403 (DE 723) element errors
	"E1":  "a required field is missing",
	"E2":  "a conditionally required field is missing",
	"E3":  "too many fields",
	"E4":  "a field is too short",
	"E5":  "a field is too long",
	"E6":  "a field has invalid characters",
	"E7":  "a code value the supplier does not accept",
	"E8":  "an invalid date",
	"E9":  "an invalid time",
	"E10": "a field that should not be there",
	// AK501 / AK901
	"A": "accepted", "E": "accepted with errors", "P": "partially accepted", "R": "rejected",
	"M": "rejected: message authentication failed", "W": "rejected: assurance failed", "X": "rejected: content could not be analysed",
}

// AckStatusWords renders a 997 status code in plain words.
func AckStatusWords(code string) string {
	if w, ok := ackCodeWords[strings.ToUpper(code)]; ok {
		return w
	}
	return "status " + code
}
