package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// DeliveryState is what the network says happened to an outbound file after
// the connector handed it over. It sits beside the document's status, which
// is about the partner's 997: a file can be delivered and then rejected.
type DeliveryState string

// The delivery states.
const (
	DeliveryPending   DeliveryState = "pending"   // handed to the network; not yet confirmed out
	DeliveryDelivered DeliveryState = "delivered" // the network confirms it left (transfer Success, MDN when one is expected)
	DeliveryFailed    DeliveryState = "failed"    // the network's transfer failed; see Detail
	DeliveryStuck     DeliveryState = "stuck"     // still pending beyond the partner's limit
)

// DeliveryStates lists the states in the order screens show them.
var DeliveryStates = []DeliveryState{DeliveryPending, DeliveryDelivered, DeliveryFailed, DeliveryStuck}

// Delivery is the delivery record of one outbound document.
type Delivery struct {
	DocumentID    int64
	State         DeliveryState
	TransferID    string    // the network's id of the latest transfer (Cleo's TransferID)
	NetworkStatus string    // the network's own word for it ("Receipt Pending", "Error" …)
	Detail        string    // the network's result text, as it gave it
	Attempts      int       // hand-overs of this document (a replay that re-sends adds one)
	HandedAt      time.Time // when the current attempt was handed over
	CheckedAt     time.Time // when the network was last asked
	SettledAt     time.Time // when it became delivered or failed; zero while pending
}

const deliveryColumns = `document_id, state, transfer_id, network_status, detail, attempts, handed_at, checked_at, settled_at`

func scanDelivery(sc rowScanner) (Delivery, error) {
	var d Delivery
	var handed, checked, settled string
	err := sc.Scan(&d.DocumentID, &d.State, &d.TransferID, &d.NetworkStatus, &d.Detail, &d.Attempts, &handed, &checked, &settled)
	d.HandedAt, d.CheckedAt, d.SettledAt = parseTime(handed), parseTime(checked), parseTime(settled)
	return d, err
}

func (st DeliveryState) valid() bool {
	for _, s := range DeliveryStates {
		if s == st {
			return true
		}
	}
	return false
}

// PutDelivery records the delivery of a document, inserting or replacing
// its row. A change of state (or of transfer) is audited on the document
// as "delivery.<state>" with the network's words, in the same transaction.
func (t *Tx) PutDelivery(d Delivery) error {
	if d.DocumentID == 0 || !d.State.valid() || d.HandedAt.IsZero() {
		return fmt.Errorf("put delivery %+v: %w", d, ErrInvalid)
	}
	if d.Attempts <= 0 {
		d.Attempts = 1
	}
	prev, err := scanDelivery(t.tx.QueryRow(`SELECT `+deliveryColumns+` FROM deliveries WHERE document_id = ?`, d.DocumentID))
	found := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("put delivery of document %d: %w", d.DocumentID, err)
	}
	if d.CheckedAt.IsZero() {
		d.CheckedAt = t.now
	}
	if _, err := t.tx.Exec(`INSERT INTO deliveries (`+deliveryColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (document_id) DO UPDATE SET state = excluded.state, transfer_id = excluded.transfer_id,
		network_status = excluded.network_status, detail = excluded.detail, attempts = excluded.attempts,
		handed_at = excluded.handed_at, checked_at = excluded.checked_at, settled_at = excluded.settled_at`,
		d.DocumentID, d.State, d.TransferID, d.NetworkStatus, d.Detail, d.Attempts, fmtTime(d.HandedAt),
		fmtTime(d.CheckedAt), fmtTime(d.SettledAt)); err != nil {
		return fmt.Errorf("put delivery of document %d: %w", d.DocumentID, err)
	}
	if found && prev.State == d.State && prev.TransferID == d.TransferID && prev.NetworkStatus == d.NetworkStatus && prev.Attempts == d.Attempts {
		return nil // a re-check that learned nothing new is not an audit event
	}
	detail := map[string]any{"state": d.State, "attempts": d.Attempts}
	if found {
		detail["from"] = prev.State
	}
	for k, v := range map[string]string{"transfer_id": d.TransferID, "network_status": d.NetworkStatus, "detail": d.Detail} {
		if v != "" {
			detail[k] = v
		}
	}
	_, err = t.AppendEvent(Event{DocumentID: d.DocumentID, Action: "delivery." + string(d.State), Detail: detail})
	return err
}

// PutDelivery is Tx.PutDelivery in a transaction of its own.
func (s *Store) PutDelivery(ctx context.Context, d Delivery) error {
	return s.Update(ctx, func(tx *Tx) error { return tx.PutDelivery(d) })
}

// Delivery returns the delivery record of a document; ErrNotFound when the
// document was never handed to a network that can be asked.
func (s *Store) Delivery(ctx context.Context, docID int64) (Delivery, error) {
	d, err := scanDelivery(s.r.QueryRowContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries WHERE document_id = ?`, docID))
	if errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("delivery of document %d: %w", docID, ErrNotFound)
	}
	if err != nil {
		return d, fmt.Errorf("delivery of document %d: %w", docID, err)
	}
	return d, nil
}

// DeliveriesOf returns the delivery records of the given documents by id;
// documents without one are absent from the map.
func (s *Store) DeliveriesOf(ctx context.Context, docIDs []int64) (map[int64]Delivery, error) {
	out := map[int64]Delivery{}
	for len(docIDs) > 0 {
		n := min(len(docIDs), 500)
		chunk := docIDs[:n]
		docIDs = docIDs[n:]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		q := `SELECT ` + deliveryColumns + ` FROM deliveries WHERE document_id IN (?` + strings.Repeat(", ?", len(chunk)-1) + `)`
		if err := s.collectDeliveries(ctx, q, args, func(d Delivery) { out[d.DocumentID] = d }); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// DeliveriesIn returns the delivery records in the given states, oldest
// hand-over first.
func (s *Store) DeliveriesIn(ctx context.Context, states ...DeliveryState) ([]Delivery, error) {
	if len(states) == 0 {
		return nil, nil
	}
	args := make([]any, len(states))
	for i, st := range states {
		args[i] = st
	}
	q := `SELECT ` + deliveryColumns + ` FROM deliveries WHERE state IN (?` + strings.Repeat(", ?", len(states)-1) +
		`) ORDER BY handed_at, document_id`
	var out []Delivery
	err := s.collectDeliveries(ctx, q, args, func(d Delivery) { out = append(out, d) })
	return out, err
}

// DeliveriesAfter returns up to limit delivery records in the given
// states whose document ID is above after, by document ID: a large set
// is walked in bounded pages (the last ID of a page is the next after).
func (s *Store) DeliveriesAfter(ctx context.Context, after int64, limit int, states ...DeliveryState) ([]Delivery, error) {
	if len(states) == 0 || limit <= 0 {
		return nil, nil
	}
	args := []any{after}
	for _, st := range states {
		args = append(args, st)
	}
	args = append(args, limit)
	q := `SELECT ` + deliveryColumns + ` FROM deliveries WHERE document_id > ? AND state IN (?` + strings.Repeat(", ?", len(states)-1) +
		`) ORDER BY document_id LIMIT ?`
	var out []Delivery
	err := s.collectDeliveries(ctx, q, args, func(d Delivery) { out = append(out, d) })
	return out, err
}

func (s *Store) collectDeliveries(ctx context.Context, q string, args []any, each func(Delivery)) error {
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("deliveries: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return fmt.Errorf("deliveries: %w", err)
		}
		each(d)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("deliveries: %w", err)
	}
	return nil
}

// DeliveryCounts counts the delivery records per state (the Dashboard's
// "deliveries failed / stuck").
func (s *Store) DeliveryCounts(ctx context.Context) (map[DeliveryState]int, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT state, COUNT(*) FROM deliveries GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("delivery counts: %w", err)
	}
	defer rows.Close()
	out := map[DeliveryState]int{}
	for rows.Next() {
		var st DeliveryState
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("delivery counts: %w", err)
		}
		out[st] = n
	}
	return out, rows.Err()
}
