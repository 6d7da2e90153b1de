package bridge

// The Documents screen's source: search, one document with its timeline, evidence packs.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/engine"
	"github.com/ml-connector/ifs-cleo/core/evidence"
	"github.com/ml-connector/ifs-cleo/core/locations"
	"github.com/ml-connector/ifs-cleo/core/store"
	"github.com/ml-connector/ifs-cleo/ui/documents"
)

type documentSource struct{ b *Bridge }

func docRow(d store.Document) documents.Row {
	r := documents.Row{ID: d.ID, Type: string(d.Type), Direction: string(d.Direction), Partner: d.Partner,
		BusinessKey: d.BusinessKey, Status: string(d.Status), Reason: d.Reason, Time: d.CreatedAt,
		SupplierID: d.SupplierID, Currency: d.Currency}
	if !d.Amount.IsZero() || d.Type == store.Type810 {
		r.Amount = d.Amount.String()
	}
	return r
}

// names are the partner and supplier names the Documents table shows
// beside the ids, from the reference-data caches.
type names struct {
	partners  map[string]string // by partner key ("ZZ:ACME01") and by Cleo id
	suppliers map[string]string // by IFS supplier id
}

func loadNames(ctx context.Context, st *store.Store) (names, error) {
	n := names{partners: map[string]string{}, suppliers: map[string]string{}}
	ps, err := st.Partners(ctx)
	if err != nil {
		return n, err
	}
	for _, p := range ps {
		n.partners[store.PartnerKey(p.ISAQualifier, p.ISAID)] = p.Alias
		n.partners[p.ID] = p.Alias
	}
	ss, err := st.Suppliers(ctx)
	if err != nil {
		return n, err
	}
	for _, sp := range ss {
		n.suppliers[sp.SupplierID] = sp.Name
	}
	return n, nil
}

func (n names) fill(r documents.Row) documents.Row {
	r.PartnerName, r.SupplierName = n.partners[r.Partner], n.suppliers[r.SupplierID]
	return r
}

func withDelivery(r documents.Row, dl store.Delivery) documents.Row {
	r.Delivery, r.TransferID, r.DeliveryDetail = string(dl.State), dl.TransferID, dl.Detail
	return r
}

func (s *documentSource) Search(ctx context.Context, q documents.Query, limit int) ([]documents.Row, error) {
	dq := kindQuery(documents.KindOf(q.Kind))
	dq.Text, dq.From, dq.To, dq.Limit = q.Text, q.From, q.To, limit
	list, err := s.b.cfg.Store.Documents(ctx, dq)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(list))
	for i, d := range list {
		ids[i] = d.ID
	}
	dls, err := s.b.cfg.Store.DeliveriesOf(ctx, ids)
	if err != nil {
		return nil, err
	}
	nm, err := loadNames(ctx, s.b.cfg.Store)
	if err != nil {
		return nil, err
	}
	out := make([]documents.Row, len(list))
	for i, d := range list {
		out[i] = nm.fill(withDelivery(docRow(d), dls[d.ID]))
	}
	return out, nil
}

// kindQuery is the store's query for a kind of document named in words:
// the Documents screen's "Show" list and the Dashboard's counts use it both.
func kindQuery(k documents.Kind) store.DocumentQuery {
	q := store.DocumentQuery{Type: store.DocType(k.Type), Direction: store.Direction(k.Direction)}
	for _, st := range k.Statuses {
		q.Statuses = append(q.Statuses, store.Status(st))
	}
	return q
}

func (s *documentSource) Document(ctx context.Context, id int64) (documents.Detail, error) {
	st := s.b.cfg.Store
	d, err := st.Document(ctx, id)
	if err != nil {
		return documents.Detail{}, err
	}
	evs, err := st.DocumentEvents(ctx, id)
	if err != nil {
		return documents.Detail{}, err
	}
	dl, err := st.Delivery(ctx, id)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return documents.Detail{}, err
	}
	nm, err := loadNames(ctx, st)
	if err != nil {
		return documents.Detail{}, err
	}
	out := documents.Detail{Row: nm.fill(withDelivery(docRow(d), dl)), RawEDI: string(d.RawEDI), ParsedJSON: d.Parsed}
	for _, f := range flatten(d.Parsed) {
		out.Parsed = append(out.Parsed, documents.Field{Name: f.Name, Value: f.Value})
	}
	for _, e := range evs {
		detail := ""
		if b, ok := e.Detail.(json.RawMessage); ok && len(b) > 0 && string(b) != "null" {
			detail = string(b)
		}
		out.Timeline = append(out.Timeline, documents.Event{Time: e.At, Actor: e.Actor, Action: e.Action, Detail: detail,
			Summary: evidence.Sentence(e)})
	}
	if rep, err := st.VerifyChain(ctx); err == nil {
		out.ChainOK = rep.OK
	}
	return out, nil
}

// ExportEvidence writes the document's evidence pack into the data dir's
// exports folder with the same code as `audit export`, and returns its path.
func (s *documentSource) ExportEvidence(ctx context.Context, id int64) (string, error) {
	loc, err := locations.New(s.b.cfg.DataDir)
	if err != nil {
		return "", err
	}
	return evidence.Export(ctx, s.b.cfg.Store, id, evidence.DefaultPath(loc, id))
}

var _ documents.Recoder = (*documentSource)(nil)

// Postings reads the posting proposal IFS holds for a posted invoice.
func (s *documentSource) Postings(ctx context.Context, id int64) ([]documents.Posting, error) {
	var ps []domain.PostingLine
	if s.b.asClient() {
		if err := s.b.askJSON(ctx, "postings", strconv.FormatInt(id, 10), nil, &ps); err != nil {
			return nil, err
		}
	} else {
		e, _, err := s.b.engine()
		if err != nil {
			return nil, err
		}
		if ps, err = e.Postings(ctx, id); err != nil {
			return nil, err
		}
	}
	out := make([]documents.Posting, len(ps))
	for i, p := range ps {
		out[i] = documents.Posting{Row: i + 1, Amount: p.Amount.String(), Account: p.Code.Account, CodeB: p.Code.CodeB, Text: p.Text}
	}
	return out, nil
}

// Recode re-codes one posting row in IFS (engine.RecodeRow; on a client
// desk a request the leader executes) and says what it did in words.
func (s *documentSource) Recode(ctx context.Context, id int64, r documents.Recode) (string, error) {
	var res engine.RecodeResult
	if s.b.asClient() {
		args := map[string]string{"row": strconv.Itoa(r.Row), "account": r.Account, "code_b": r.CodeB, "rule_charge": r.RuleCharge}
		if err := s.b.askJSON(ctx, "recode", strconv.FormatInt(id, 10), args, &res); err != nil {
			return "", err
		}
	} else {
		e, _, err := s.b.engine()
		if err != nil {
			return "", err
		}
		if res, err = e.RecodeRow(ctx, id, r.Row, r.Account, r.CodeB, r.RuleCharge); err != nil {
			return "", err
		}
	}
	msg := fmt.Sprintf("Posting row %d of IFS invoice %d re-coded from %s to %s.", res.Line, res.IFSInvoiceID, codeText(res.From), codeText(res.To))
	if res.RuleSaved {
		msg += fmt.Sprintf(" Saved as the supplier's rule for %s.", r.RuleCharge)
	}
	return msg, nil
}

// codeText is an account and cost centre as a clerk reads them.
func codeText(c domain.CodeString) string {
	if c.CodeB == "" {
		return c.Account
	}
	return c.Account + " / " + c.CodeB
}
