package x12

// ReportIssue is an Issue with its formatted text, as the CLI prints it.
type ReportIssue struct {
	Issue
	Text string `json:"text"`
}

// ReportIssues adds the formatted text to each issue.
func ReportIssues(list []Issue) []ReportIssue {
	out := make([]ReportIssue, 0, len(list))
	for _, is := range list {
		out = append(out, ReportIssue{Issue: is, Text: is.Error()})
	}
	return out
}

// SetHeader is the set part of a Report.
type SetHeader struct {
	ID            string `json:"id"`
	ControlNumber string `json:"control_number"`
	Convention    string `json:"convention,omitempty"`
	Index         int    `json:"index"`
	Segments      int    `json:"segments"`
}

// InterchangeHeader is the interchange part of a Report.
type InterchangeHeader struct {
	SenderQualifier   string `json:"sender_qualifier"`
	SenderID          string `json:"sender_id"`
	ReceiverQualifier string `json:"receiver_qualifier"`
	ReceiverID        string `json:"receiver_id"`
	ControlNumber     string `json:"control_number"`
	Version           string `json:"version"`
	Date              string `json:"date"`
	Time              string `json:"time"`
	Usage             string `json:"usage"`
}

// GroupHeader is the group part of a Report.
type GroupHeader struct {
	FunctionalID  string `json:"functional_id"`
	SenderCode    string `json:"sender_code"`
	ReceiverCode  string `json:"receiver_code"`
	ControlNumber string `json:"control_number"`
	Version       string `json:"version"`
	Date          string `json:"date"`
	Time          string `json:"time"`
}

// Report is one transaction set as `ml-connector edi parse` prints it (one
// JSON object per line); with Set nil it carries a file's problems outside
// any set. Field names are a scripting contract.
type Report struct {
	File        string             `json:"file"`
	Set         *SetHeader         `json:"set"`
	Interchange *InterchangeHeader `json:"interchange,omitempty"`
	Group       *GroupHeader       `json:"group,omitempty"`
	Errors      []ReportIssue      `json:"errors"`
	Warnings    []ReportIssue      `json:"warnings"`
	// Business are problems X12 allows but posting does not (an 810
	// without a PO number or a line without a price): the 997 accepts the
	// set, the engine holds the invoice as an exception.
	Business      []ReportIssue  `json:"business,omitempty"`
	Invoice       *Invoice       `json:"invoice,omitempty"`
	PurchaseOrder *PurchaseOrder `json:"purchase_order,omitempty"`
	Ack           *Ack           `json:"ack,omitempty"`
}

// NewReport maps a set to its report, parsing 810, 850 and 997 sets into
// their typed documents and listing their problems.
func NewReport(file string, s *Set) Report {
	ic, g := s.Interchange, s.Group
	l := Report{File: file,
		Set: &SetHeader{ID: s.ID, ControlNumber: s.ControlNumber, Convention: s.Convention, Index: s.Index, Segments: s.Len()},
		Interchange: &InterchangeHeader{SenderQualifier: ic.SenderQualifier, SenderID: ic.SenderID, ReceiverQualifier: ic.ReceiverQualifier,
			ReceiverID: ic.ReceiverID, ControlNumber: ic.ControlNumber, Version: ic.Version, Date: ic.Date, Time: ic.Time, Usage: ic.Usage},
		Group: &GroupHeader{FunctionalID: g.FunctionalID, SenderCode: g.SenderCode, ReceiverCode: g.ReceiverCode,
			ControlNumber: g.ControlNumber, Version: g.Version, Date: g.Date, Time: g.Time},
	}
	errs, warns := s.Errors, s.Warnings
	switch s.ID {
	case "810":
		inv, _ := ParseInvoice(s)
		l.Invoice, errs, warns = inv, inv.Errors, inv.Warnings
		l.Business = ReportIssues(inv.BusinessIssues())
	case "850":
		po, _ := ParsePurchaseOrder(s)
		l.PurchaseOrder, errs, warns = po, po.Errors, po.Warnings
	case "997":
		a, _ := ParseAck(s)
		l.Ack, errs, warns = a, a.Issues, a.Warnings
	}
	l.Errors, l.Warnings = ReportIssues(errs), ReportIssues(warns)
	return l
}
