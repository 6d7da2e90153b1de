// Package evidence writes a document's evidence pack: one zip with the raw
// EDI, the connector's parsed form and IFS payload, the IFS requests and
// responses from the audit trail, the hash-chained timeline, the related
// documents and the verification of the whole chain at export time. The
// command line (`audit export`) and the Documents screen both call Export,
// so a pack is the same whichever way it was made.
package evidence

import (
	"archive/zip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/ml-connector/ifs-cleo/core/locations"
	"github.com/ml-connector/ifs-cleo/core/store"
)

// Document is a document as scripts and evidence packs see it (the contract
// of `documents --json` and of document.json in a pack).
type Document struct {
	ID           int64     `json:"id"`
	Type         string    `json:"type"`
	Direction    string    `json:"direction"`
	Partner      string    `json:"partner"`
	SupplierID   string    `json:"supplier_id"`
	BusinessKey  string    `json:"business_key"`
	Status       string    `json:"status"`
	Reason       string    `json:"reason"`
	Message      string    `json:"message,omitempty"`
	Amount       string    `json:"amount,omitempty"`
	Currency     string    `json:"currency,omitempty"`
	TestMode     bool      `json:"test_mode"`
	CleoName     string    `json:"cleo_name,omitempty"`
	IFSInvoiceID int64     `json:"ifs_invoice_id,omitempty"`
	FileID       int64     `json:"inbound_file_id,omitempty"`
	RelatedID    int64     `json:"related_id,omitempty"`
	Attempts     int       `json:"attempts"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	// Delivery is what the network says about an outbound file: pending,
	// delivered, failed or stuck; empty when it was never asked (inbound
	// documents, transports that cannot tell).
	Delivery       string `json:"delivery,omitempty"`
	TransferID     string `json:"transfer_id,omitempty"`
	DeliveryStatus string `json:"delivery_status,omitempty"` // the network's own word ("Receipt Pending")
	DeliveryDetail string `json:"delivery_detail,omitempty"`
}

// WithDelivery adds the delivery record to the document's view.
func (j Document) WithDelivery(dl store.Delivery) Document {
	j.Delivery, j.TransferID, j.DeliveryStatus, j.DeliveryDetail = string(dl.State), dl.TransferID, dl.NetworkStatus, dl.Detail
	return j
}

// DocumentOf converts a stored document.
func DocumentOf(d store.Document) Document {
	j := Document{ID: d.ID, Type: string(d.Type), Direction: string(d.Direction), Partner: d.Partner, SupplierID: d.SupplierID,
		BusinessKey: d.BusinessKey, Status: string(d.Status), Reason: d.Reason, Message: d.Message, Currency: d.Currency,
		TestMode: d.TestMode, CleoName: d.CleoName, IFSInvoiceID: d.IFSInvoiceID, FileID: d.InboundFileID, RelatedID: d.RelatedID,
		Attempts: d.Attempts, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
	if !d.Amount.IsZero() {
		j.Amount = d.Amount.String()
	}
	return j
}

// Event is one audit event as packs and `audit --json` show it.
type Event struct {
	ID       int64           `json:"id"`
	At       time.Time       `json:"at"`
	Actor    string          `json:"actor"`
	Action   string          `json:"action"`
	Detail   json.RawMessage `json:"detail"`
	PrevHash string          `json:"prev_hash"`
	Hash     string          `json:"hash"`
}

// EventOf converts a stored event, secrets redacted.
func EventOf(e store.Event) Event {
	return Event{ID: e.ID, At: e.At, Actor: e.Actor, Action: e.Action, Detail: Redact(e.DetailJSON()), PrevHash: e.PrevHash, Hash: e.Hash}
}

// secretField matches JSON members whose names say they hold a secret.
var secretField = regexp.MustCompile(`(?i)"([a-z0-9_]*(secret|password|passwd|token|authorization|api_key|apikey|private_key)[a-z0-9_]*)"\s*:\s*"(?:[^"\\]|\\.)*"`)

// Redact blanks secret-looking members. The engine never records secrets;
// this is the second line of defence for an export that leaves the machine.
func Redact(b []byte) json.RawMessage {
	return secretField.ReplaceAll(b, []byte(`"$1":"[redacted]"`))
}

// DefaultPath is where a pack goes when the user names no file.
func DefaultPath(loc locations.Locations, docID int64) string {
	return filepath.Join(loc.Get(locations.Exports), fmt.Sprintf("document-%d.zip", docID))
}

// Export writes the evidence pack of document docID to path (created 0600,
// written to a temporary file and renamed, so a failed export leaves no
// half pack) and returns path. Every read is checked: a pack whose chain
// could not be verified, or whose timeline could not be read, is not
// written. A chain found broken is exported with the problem it found.
func Export(ctx context.Context, st *store.Store, docID int64, path string) (string, error) {
	op := fmt.Sprintf("export evidence of document %d", docID)
	doc, err := st.Document(ctx, docID)
	if err != nil {
		return "", fmt.Errorf("%s: %w", op, err)
	}
	evs, err := st.DocumentEvents(ctx, docID)
	if err != nil {
		return "", fmt.Errorf("%s: timeline: %w", op, err)
	}
	rep, err := st.VerifyChain(ctx)
	if err != nil {
		return "", fmt.Errorf("%s: verify the audit chain: %w", op, err)
	}
	related, err := st.Documents(ctx, store.DocumentQuery{RelatedID: doc.ID, Limit: 100})
	if err != nil {
		return "", fmt.Errorf("%s: related documents: %w", op, err)
	}
	var rel []Document
	for _, r := range related {
		rel = append(rel, DocumentOf(r))
	}
	if doc.RelatedID != 0 {
		r, err := st.Document(ctx, doc.RelatedID)
		if err != nil {
			return "", fmt.Errorf("%s: related document %d: %w", op, doc.RelatedID, err)
		}
		rel = append(rel, DocumentOf(r))
	}
	docView := DocumentOf(doc)
	if dl, err := st.Delivery(ctx, doc.ID); err == nil {
		docView = docView.WithDelivery(dl)
	} else if !errors.Is(err, store.ErrNotFound) {
		return "", fmt.Errorf("%s: delivery: %w", op, err)
	}
	nm, err := namesOf(ctx, st, doc)
	if err != nil {
		return "", fmt.Errorf("%s: %w", op, err)
	}
	if err := write(doc, docView, nm, evs, rel, rep, path); err != nil {
		return "", fmt.Errorf("%s: %w", op, err)
	}
	return path, nil
}

// summary is the timeline in words, oldest first, with the document's
// current state on top.
func summary(d Document, evs []store.Event) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s · partner %s · supplier %s · status %s", d.Direction, d.Type, d.BusinessKey, d.Partner, d.SupplierID, d.Status)
	if d.Reason != "" {
		fmt.Fprintf(&b, " (%s)", d.Reason)
	}
	if d.Amount != "" {
		fmt.Fprintf(&b, " · %s %s", d.Amount, d.Currency)
	}
	if d.Delivery != "" {
		fmt.Fprintf(&b, " · delivery %s %s", d.Delivery, d.TransferID)
	}
	b.WriteString("\n\n")
	for _, e := range evs {
		fmt.Fprintf(&b, "%s  %-10s  %s\n", e.At.UTC().Format("2006-01-02 15:04:05 UTC"), e.Actor, Sentence(e))
	}
	return []byte(b.String())
}

func write(doc store.Document, docView Document, nm names, evs []store.Event, rel []Document, rep store.ChainReport, path string) error {
	now := time.Now().UTC()
	ext := ".x12"
	if len(doc.RawEDI) > 0 && doc.RawEDI[0] == '{' {
		ext = ".json"
	}
	page, err := summaryHTML(docView, nm, evs, rel, rep, "raw"+ext, now)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path+".tmp", os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer os.Remove(path + ".tmp")
	zw := zip.NewWriter(f)
	add := func(name string, b []byte) error {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: now})
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	}
	js := func(v any) []byte {
		b, _ := json.MarshalIndent(v, "", "  ")
		return Redact(b)
	}
	var ifsCalls []json.RawMessage
	var timeline []Event
	for _, e := range evs {
		timeline = append(timeline, EventOf(e))
		if strings.HasPrefix(e.Action, "invoice.") {
			ifsCalls = append(ifsCalls, Redact([]byte(fmt.Sprintf(`{"action":%q,"at":%q,"detail":%s}`, e.Action, e.At.Format(time.RFC3339Nano), e.DetailJSON()))))
		}
	}
	steps := []struct {
		name string
		b    []byte
	}{
		{"README.txt", []byte(fmt.Sprintf("Evidence pack for document %d (%s %s %s), exported %s.\n"+
			"raw%s: the transaction set as received or sent; parsed.json: the connector's reading of it and the IFS payload;\n"+
			"ifs.json: IFS requests and responses from the audit trail; events.json: the hash-chained audit timeline;\n"+
			"summary.html: the document, its timeline as sentences and the chain check, for people (opens in a browser);\n"+
			"summary.txt: the same timeline as plain text;\n"+
			"chain.json: the verification of the whole audit chain at export time. Secrets are never recorded.\n",
			doc.ID, doc.Direction, doc.Type, doc.BusinessKey, now.Format(time.RFC3339), ext))},
		{"document.json", js(docView)},
		{"raw" + ext, doc.RawEDI},
		{"parsed.json", Redact(doc.Parsed)},
		{"ifs.json", js(ifsCalls)},
		{"events.json", js(timeline)},
		{"summary.html", page},
		{"summary.txt", summary(docView, evs)},
		{"related.json", js(rel)},
		{"chain.json", js(rep)},
	}
	for _, s := range steps {
		if err := add(s.name, s.b); err != nil {
			f.Close()
			return err
		}
	}
	if err := zw.Close(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(path+".tmp", path)
}
