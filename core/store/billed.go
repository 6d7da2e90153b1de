package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/ml-connector/ifs-cleo/core/money"
)

// BilledLine is what one inbound invoice bills against one purchase-order
// line: the quantity in the PO line's unit (after unit conversion) and the
// net amount in the invoice currency, both negative for a credit memo.
type BilledLine struct {
	OrderNo   string
	LineNo    string
	ReleaseNo string
	Quantity  money.Decimal
	Amount    money.Decimal
}

// POLineKey identifies a purchase-order line across invoices: "ORDER|LINE|RELEASE".
// Leading zeros of the line number are dropped ("01" and "1" are one line,
// as the engine's line matching treats them).
func POLineKey(orderNo, lineNo, releaseNo string) string {
	return strings.TrimSpace(orderNo) + "|" + strings.TrimLeft(strings.TrimSpace(lineNo), "0") + "|" +
		strings.TrimLeft(strings.TrimSpace(releaseNo), "0")
}

// Key returns POLineKey of the line.
func (b BilledLine) Key() string { return POLineKey(b.OrderNo, b.LineNo, b.ReleaseNo) }

// BilledTotal is what the connector has invoiced on one PO line to date.
type BilledTotal struct {
	Quantity  money.Decimal
	Amount    money.Decimal
	Documents []int64 // the posting or posted documents that contribute, oldest first
}

// billedStatuses are the document statuses whose billed lines count: the
// intent is recorded before IFS is called, so a posting document already
// holds its quantity and a second invoice cannot slip in beside it.
var billedStatuses = []Status{StatusPosting, StatusPosted}

// setBilledLines replaces the billed lines of a document.
func (t *Tx) setBilledLines(docID int64, lines []BilledLine) error {
	if _, err := t.tx.Exec(`DELETE FROM billed_lines WHERE document_id = ?`, docID); err != nil {
		return fmt.Errorf("billed lines of document %d: %w", docID, err)
	}
	// One row per PO line: several invoice lines on the same PO line add up.
	sum := map[string]*BilledLine{}
	var order []string
	for _, l := range lines {
		if !l.Quantity.Valid() || !l.Amount.Valid() || strings.TrimSpace(l.OrderNo) == "" || strings.TrimSpace(l.LineNo) == "" {
			return fmt.Errorf("billed line %+v of document %d: %w", l, docID, ErrInvalid)
		}
		k := l.Key()
		if s, ok := sum[k]; ok {
			s.Quantity = s.Quantity.Add(l.Quantity)
			s.Amount = s.Amount.Add(l.Amount)
			continue
		}
		c := l
		sum[k] = &c
		order = append(order, k)
	}
	for _, k := range order {
		l := sum[k]
		parts := strings.SplitN(k, "|", 3)
		if _, err := t.tx.Exec(`INSERT INTO billed_lines (document_id, order_no, line_no, release_no, quantity, amount)
			VALUES (?, ?, ?, ?, ?, ?)`, docID, parts[0], parts[1], parts[2], l.Quantity.String(), l.Amount.String()); err != nil {
			return fmt.Errorf("billed lines of document %d (%s line %s): %w", docID, parts[0], parts[1], err)
		}
	}
	return nil
}

// BilledLines returns the rows a document bills, in PO line order.
func (s *Store) BilledLines(ctx context.Context, docID int64) ([]BilledLine, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT order_no, line_no, release_no, quantity, amount FROM billed_lines
		WHERE document_id = ? ORDER BY order_no, line_no, release_no`, docID)
	if err != nil {
		return nil, fmt.Errorf("billed lines of document %d: %w", docID, err)
	}
	defer rows.Close()
	var out []BilledLine
	for rows.Next() {
		var b BilledLine
		var q, a string
		if err := rows.Scan(&b.OrderNo, &b.LineNo, &b.ReleaseNo, &q, &a); err != nil {
			return nil, fmt.Errorf("billed lines of document %d: %w", docID, err)
		}
		if b.Quantity, err = money.Parse(q); err != nil {
			return nil, fmt.Errorf("billed lines of document %d: quantity %q: %w", docID, q, err)
		}
		if b.Amount, err = money.Parse(a); err != nil {
			return nil, fmt.Errorf("billed lines of document %d: amount %q: %w", docID, a, err)
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// BilledToDate sums, per PO line of orderNo (keyed by POLineKey), what the
// invoices in posting or posted status have billed, leaving out document
// exclude (the invoice being checked, 0 for none). Sums are exact decimals.
func (s *Store) BilledToDate(ctx context.Context, orderNo string, exclude int64) (map[string]BilledTotal, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT b.document_id, b.order_no, b.line_no, b.release_no, b.quantity, b.amount
		FROM billed_lines b JOIN documents d ON d.id = b.document_id
		WHERE b.order_no = ? AND b.document_id <> ? AND d.status IN (?, ?)
		ORDER BY b.document_id`, strings.TrimSpace(orderNo), exclude, billedStatuses[0], billedStatuses[1])
	if err != nil {
		return nil, fmt.Errorf("billed to date on PO %s: %w", orderNo, err)
	}
	defer rows.Close()
	out := map[string]BilledTotal{}
	for rows.Next() {
		var id int64
		var o, l, r, q, a string
		if err := rows.Scan(&id, &o, &l, &r, &q, &a); err != nil {
			return nil, fmt.Errorf("billed to date on PO %s: %w", orderNo, err)
		}
		qty, err := money.Parse(q)
		if err != nil {
			return nil, fmt.Errorf("billed to date on PO %s: quantity %q of document %d: %w", orderNo, q, id, err)
		}
		amt, err := money.Parse(a)
		if err != nil {
			return nil, fmt.Errorf("billed to date on PO %s: amount %q of document %d: %w", orderNo, a, id, err)
		}
		k := POLineKey(o, l, r)
		t := out[k]
		t.Quantity = t.Quantity.Add(qty)
		t.Amount = t.Amount.Add(amt)
		t.Documents = append(t.Documents, id)
		out[k] = t
	}
	return out, rows.Err()
}
