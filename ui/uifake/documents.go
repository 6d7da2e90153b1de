package uifake

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ml-connector/ifs-cleo/core/money"
	"github.com/ml-connector/ifs-cleo/ui/documents"
)

// Documents is an in-memory documents.Source.
type Documents struct {
	mu   sync.Mutex
	Rows []documents.Row
	Err  error
	// Recoded are the re-codings asked for; RecodeErr refuses them.
	Recoded   []documents.Recode
	RecodeErr error
}

// NewDocuments returns n documents, newest first.
func NewDocuments(n int) *Documents {
	d := &Documents{}
	types := []string{"810", "850", "997"}
	for i := range n {
		typ := types[i%3]
		dir, key, st := "inbound", fmt.Sprintf("INV-%06d", 100000+i), "posted"
		if typ == "850" {
			dir, key, st = "outbound", fmt.Sprintf("PO%d", 1000+i), "acknowledged"
		}
		if typ == "997" {
			key, st = fmt.Sprintf("ACK %d", 500+i), "received"
		}
		r := documents.Row{ID: int64(i + 1), Type: typ, Direction: dir, Partner: partners[i%len(partners)], BusinessKey: key, Status: st,
			Time: Epoch.Add(-time.Duration(i) * 37 * time.Minute), PartnerName: strings.ToLower(partners[i%len(partners)]) + " EDI"}
		if typ != "997" {
			r.SupplierID = fmt.Sprintf("S%d", 1000+i%7)
			r.SupplierName = fmt.Sprintf("Supplier %c Ltd", 'A'+i%7)
			r.Amount, r.Currency = money.New(int64(10000+(i*7919)%900000), 2).String(), "USD"
		}
		d.Rows = append(d.Rows, r)
	}
	return d
}

// Search implements documents.Source.
func (d *Documents) Search(_ context.Context, q documents.Query, limit int) ([]documents.Row, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.Err != nil {
		return nil, d.Err
	}
	var out []documents.Row
	t := strings.ToLower(q.Text)
	for _, r := range d.Rows {
		if t != "" && !strings.Contains(strings.ToLower(r.BusinessKey+" "+r.Partner), t) {
			continue
		}
		if k := documents.KindOf(q.Kind); k.Type != "" && r.Type != k.Type || k.Direction != "" && r.Direction != k.Direction ||
			len(k.Statuses) > 0 && !slices.Contains(k.Statuses, r.Status) {
			continue
		}
		if !q.From.IsZero() && r.Time.Before(q.From) || !q.To.IsZero() && !r.Time.Before(q.To) {
			continue
		}
		out = append(out, r)
		if len(out) == limit {
			break
		}
	}
	return out, nil
}

// Document implements documents.Source.
func (d *Documents) Document(_ context.Context, id int64) (documents.Detail, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, r := range d.Rows {
		if r.ID == id {
			var parsed []byte
			switch r.Type {
			case "810":
				parsed = invoiceJSON(r.BusinessKey, r.Partner, money.MustParse("125.00"), "USD")
			case "850":
				parsed = purchaseOrderJSON(r.BusinessKey, r.Partner)
			case "997":
				parsed = ackJSON(strings.TrimPrefix(r.BusinessKey, "ACK "))
			}
			return documents.Detail{Row: r, ChainOK: true, ParsedJSON: parsed,
				RawEDI: "ISA*00*~GS*IN*" + r.Partner + "~ST*" + r.Type + "*0001~SE*2*0001~GE*1*1~IEA*1*1~",
				Parsed: []documents.Field{{Name: "Number", Value: r.BusinessKey}, {Name: "Partner", Value: r.Partner}},
				Timeline: []documents.Event{
					{Time: r.Time, Actor: "system", Action: "document.created", Detail: `{"business_key":"` + r.BusinessKey + `"}`,
						Summary: "inbound " + r.Type + " " + r.BusinessKey + " from " + r.Partner + " stored as received"},
					{Time: r.Time.Add(time.Minute), Actor: "system", Action: "status." + r.Status, Detail: `{"ifs_invoice_id":4711}`,
						Summary: "Created in IFS as invoice 4711, 1234.50 GBP (posting → " + r.Status + ")"},
				}}, nil
		}
	}
	return documents.Detail{}, fmt.Errorf("document %d: not found", id)
}

// ExportEvidence implements documents.Source.
func (d *Documents) ExportEvidence(_ context.Context, id int64) (string, error) {
	return fmt.Sprintf("/data/exports/evidence-%d.zip", id), nil
}

// Postings implements documents.Recoder: two rows for every invoice.
func (d *Documents) Postings(_ context.Context, id int64) ([]documents.Posting, error) {
	return []documents.Posting{
		{Row: 1, Amount: "100.00", Account: "6100", CodeB: "CC10", Text: "Goods"},
		{Row: 2, Amount: "25.00", Account: "6300", CodeB: "CC10", Text: "Freight"},
	}, nil
}

// Recode implements documents.Recoder: it records the request.
func (d *Documents) Recode(_ context.Context, id int64, r documents.Recode) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.RecodeErr != nil {
		return "", d.RecodeErr
	}
	d.Recoded = append(d.Recoded, r)
	return fmt.Sprintf("Posting row %d of document %d re-coded to %s / %s.", r.Row, id, r.Account, r.CodeB), nil
}

// Recodes returns the re-codings asked for so far.
func (d *Documents) Recodes() []documents.Recode {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]documents.Recode(nil), d.Recoded...)
}

var (
	_ documents.Source  = (*Documents)(nil)
	_ documents.Recoder = (*Documents)(nil)
)
