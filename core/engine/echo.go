package engine

import (
	"fmt"
	"strings"

	"github.com/ml-connector/ifs-cleo/core/store"
)

// fixUnexpected is the fix of UNEXPECTED_DOCUMENT.
const fixUnexpected = "read it in the document view; if it belongs to another buying system, pass it to that team and ignore it here with a comment; never re-key it as an invoice"

// isUs reports whether key ("QUAL:ID") is an X12 identity we send under:
// the configured one, or one a partner knows us by.
func (e *Engine) isUs(cfg *config, key string) bool {
	if e.p.Us.ID != "" && strings.EqualFold(ourKey(e.p.Us), key) {
		return true
	}
	for _, p := range cfg.Partners {
		if p.OurID != "" && strings.EqualFold(p.OurQualifier+":"+p.OurID, key) {
			return true
		}
	}
	return false
}

// classifyEcho decides what an 850 or 810 found in our mailbox is before
// it is stored (reference: issue "knowing that what we sent was
// delivered"; Cleo mailboxes may hand back copies of what we sent):
//
//   - a copy of an 850 or self-billing 810 this connector sent (sender is
//     us, same receiver, number and group control number) is matched to
//     it and goes no further: never posted, never acknowledged;
//   - any other 850 is UNEXPECTED_DOCUMENT, shown readably, never dropped;
//   - an 810 in our own name that we did not send is UNEXPECTED_DOCUMENT
//     too: posting it would book our own invoice as a supplier's.
//
// Supplier 810s and everything else pass unchanged. fromUs is true for
// anything in our own name: no 997 answers it (we would be acknowledging
// ourselves).
func (e *Engine) classifyEcho(tx *store.Tx, cfg *config, s Set, d *store.Document) (fromUs bool, err error) {
	fromUs = e.isUs(cfg, s.Partner())
	if s.ID != "850" && !(s.ID == "810" && fromUs) {
		return fromUs, nil
	}
	typ, key, what := store.Type850, "", "purchase order"
	if s.ID == "850" && s.Order != nil {
		key = s.Order.Order.OrderNo
	}
	if s.ID == "810" {
		typ, what = store.Type810, "invoice"
		if s.Invoice != nil {
			key = s.Invoice.Number
		}
	}
	d.Type = typ
	if fromUs && key != "" {
		receiver := strings.ToUpper(strings.TrimSpace(s.ReceiverQual)) + ":" + strings.TrimSpace(s.ReceiverID)
		sent, err := tx.Documents(store.DocumentQuery{Direction: store.Outbound, Type: typ, Partner: receiver, BusinessKey: key, Limit: 100})
		if err != nil {
			return false, fmt.Errorf("match %s %s to what we sent: %w", s.ID, key, err)
		}
		for _, o := range sent {
			if o.BusinessKey != key || strings.TrimLeft(o.GSControl, "0") != strings.TrimLeft(s.GSControl, "0") || len(o.RawEDI) == 0 && o.CleoName == "" {
				continue
			}
			d.Status, d.Reason, d.Fix = store.StatusMatched, "", ""
			d.RelatedID = o.ID
			d.Message = fmt.Sprintf("A copy of the %s %s we sent to %s (%s, group %s) came back through the mailbox; nothing to do", s.ID, key, o.Partner, o.CleoName, o.GSControl)
			return fromUs, nil
		}
	}
	d.Status, d.Reason, d.Fix = store.StatusException, string(ReasonUnexpected), fixUnexpected
	from := "Partner " + s.Partner()
	if fromUs {
		from = "A document in our own name (" + s.Partner() + ")"
	}
	d.Message = fmt.Sprintf("%s put %s %s %s (%s) in our Cleo mailbox, which this connector did not send", from, aOrAn(what), what,
		firstNonEmpty(key, "without a number"), s.ID)
	if s.ID == "850" {
		d.Message += "; the connector sends purchase orders and never receives them, so it may come from another buying system"
	} else {
		d.Message += "; it is not posted to IFS"
	}
	return fromUs, nil
}

func aOrAn(w string) string {
	if w != "" && strings.ContainsRune("aeiou", rune(w[0])) {
		return "an"
	}
	return "a"
}
