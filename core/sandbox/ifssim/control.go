package ifssim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/money"
	"github.com/ml-connector/ifs-cleo/core/sandbox/world"
)

// The control API lives under Config.ControlPrefix ("/_sandbox"), outside
// the IFS URL space, and needs no token:
//
//	GET  /_sandbox/                     index of the endpoints
//	GET  /_sandbox/faults               current Faults as JSON
//	PUT  /_sandbox/faults               replace the Faults (JSON body)
//	POST /_sandbox/lose-next-writes     {"count":N,"mode":"gateway"|"reset"}: the next N
//	                                    committed writes are stored but their answer is lost
//	POST /_sandbox/reset                data, tokens, faults and stats back to the start
//	POST /_sandbox/tokens/expire        every issued token expires now
//	GET  /_sandbox/stats                Stats
//	GET  /_sandbox/invoices             supplier invoices created by clients
//	GET  /_sandbox/invoices/{id}        one of them (InvoiceId, in the sandbox's company)
//	POST /_sandbox/invoices/{id}        {"state":"Posted"|"Cancelled"|…}: post or cancel it as
//	                                    an IFS user would (404 unknown, 409 not allowed from its state)
//	GET  /_sandbox/purchase-orders/{no} the order as domain.PurchaseOrder
//	POST /_sandbox/purchase-orders/{no} {"state":"Released"} and/or {"touch":true}:
//	                                    change an order as an IFS user would;
//	                                    {"line":"1","received":"30","invoiced":"0"}: a goods
//	                                    receipt or an IFS-side invoice match on a line

// LoseNextWrites makes the answers of the next n committed writes get lost
// (added to any still pending), leaving the other faults as they are; mode
// is LostGateway or LostReset ("" keeps the current mode).
func (s *Server) LoseNextWrites(n int, mode string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.LostAnswers += n
	if mode != "" {
		s.faults.LostAnswerMode = mode
	}
}

// SetFaults replaces the fault injection at run time.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
	// A new limit starts with full buckets.
	s.buckets, s.serverBucket = map[string]*bucket{}, nil
}

// Faults returns the current fault injection.
func (s *Server) Faults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults
}

// Reset restores the initial data, forgets tokens, restores Config.Faults
// and zeroes the stats.
func (s *Server) Reset() { s.reset() }

// ExpireTokens makes every issued token invalid, as if they had all expired.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens = map[string]tokenInfo{}
}

// Stats returns the counters since the last reset.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.ByStatus = maps.Clone(s.stats.ByStatus)
	st.RateLimitedByClient = maps.Clone(s.stats.RateLimitedByClient)
	for _, r := range s.st.tables[tabInvoice] {
		if r.str("Creator") != SelfBillingCreator {
			st.Invoices++
		}
	}
	return st
}

// Invoices returns the supplier invoices clients created in the sandbox
// (not the seeded self-billing ones), by InvoiceId, with their lines and
// posting proposal.
func (s *Server) Invoices() []domain.SupplierInvoice { return s.invoices(false) }

// SelfBillingInvoices returns the seeded self-billing invoices as they are
// now (state, "already sent" marker, ETag), by InvoiceId, with their lines.
func (s *Server) SelfBillingInvoices() []domain.SupplierInvoice { return s.invoices(true) }

func (s *Server) invoices(selfBilling bool) []domain.SupplierInvoice {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := &reqCtx{s: s, st: s.st}
	var out []domain.SupplierInvoice
	for _, r := range s.st.tables[tabInvoice] {
		if (r.str("Creator") == SelfBillingCreator) != selfBilling {
			continue
		}
		inv := domain.SupplierInvoice{
			Company: r.str("Company"), InvoiceID: r.int("InvoiceId"), InvoiceNo: r.str("InvoiceNo"),
			SupplierID: r.str("Identity"), InvoiceDate: r.date("InvoiceDate"), DueDate: r.date("DueDate"),
			Currency: r.str("Currency"), PayTermID: r.str("PayTermId"), PORef: r.str("PoRefNumber"),
			GrossAmount: r.dec("GrossAmount"), NetAmount: r.dec("NetCurrAmount"), TaxAmount: r.dec("VatCurrAmount"),
			CreditNote: r.dec("GrossAmount").Sign() < 0, State: r.str("Objstate"), ETag: c.etag(r),
			SelfBilling: r.v["SelfBilling"] == true, Sent: r.v["EdiSent"] == true, CreatedAt: r.date("CreationDate"),
		}
		match := func(x *row) bool {
			return x.str("Company") == inv.Company && x.int("InvoiceId") == inv.InvoiceID
		}
		for _, it := range s.st.tables[tabItem] {
			if match(it) {
				inv.Lines = append(inv.Lines, domain.SupplierInvoiceLine{
					ItemID: it.int("ItemId"), TaxCode: it.str("VatCode"), NetAmount: it.dec("NetCurrAmount"),
					TaxAmount: it.dec("VatCurrAmount"), OrderNo: it.str("OrderNo"), LineNo: it.str("LineNo"),
					ReleaseNo: it.str("ReleaseNo"), Text: it.str("Text"),
					Quantity: it.dec("Quantity"), UnitPrice: it.dec("UnitPrice"), UOM: it.str("UnitMeas"),
				})
			}
		}
		for _, p := range s.st.tables[tabPosting] {
			if match(p) {
				inv.Postings = append(inv.Postings, domain.PostingLine{
					RowNo: p.int("RowNo"), Amount: p.dec("CurrAmount"), Text: p.str("Text"), TaxCode: p.str("TaxCode"),
					Code: domain.CodeString{Account: p.str("Account"), CodeB: p.str("CodeB"), CodeC: p.str("CodeC"),
						CodeD: p.str("CodeD"), CodeE: p.str("CodeE"), CodeF: p.str("CodeF"), CodeG: p.str("CodeG"),
						CodeH: p.str("CodeH"), CodeI: p.str("CodeI"), CodeJ: p.str("CodeJ")},
				})
			}
		}
		sort.Slice(inv.Lines, func(i, j int) bool { return inv.Lines[i].ItemID < inv.Lines[j].ItemID })
		sort.Slice(inv.Postings, func(i, j int) bool { return inv.Postings[i].RowNo < inv.Postings[j].RowNo })
		out = append(out, inv)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].InvoiceID < out[j].InvoiceID })
	return out
}

// PurchaseOrder returns the sandbox's current view of an order.
func (s *Server) PurchaseOrder(no string) (domain.PurchaseOrder, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := &reqCtx{s: s, st: s.st}
	h := findRow(s.st, tabPO, map[string]any{"OrderNo": no})
	if h == nil {
		return domain.PurchaseOrder{}, false
	}
	po := domain.PurchaseOrder{
		OrderNo: no, Company: h.str("Company"), Site: h.str("Contract"), SupplierID: h.str("VendorNo"),
		OrderDate: h.date("OrderDate"), WantedReceiptDate: h.date("WantedReceiptDate"), Currency: h.str("CurrencyCode"),
		BuyerCode: h.str("BuyerCode"), Coordinator: h.str("AuthorizeCode"), State: h.str("Objstate"), ETag: c.etag(h),
	}
	for _, l := range s.st.tables[tabPOLine] {
		if l.str("OrderNo") != no {
			continue
		}
		po.Lines = append(po.Lines, domain.PurchaseOrderLine{
			OrderNo: no, LineNo: l.str("LineNo"), ReleaseNo: l.str("ReleaseNo"), PartNo: l.str("PartNo"),
			VendorPartNo: l.str("VendorPartNo"), Description: l.str("Description"), Quantity: l.dec("BuyQtyDue"),
			Unit: l.str("BuyUnitMeas"), UnitPrice: l.dec("BuyUnitPrice"), NetAmount: l.dec("NetAmtCurr"),
			Currency: l.str("CurrencyCode"), WantedDeliveryDate: l.date("WantedDeliveryDate"), State: l.str("Objstate"),
			CodeString: domain.CodeString{Account: l.str("CodeA"), CodeB: l.str("CodeB")}, ETag: c.etag(l),
			ReceivedQty: new(l.dec("QtyReceived")), InvoicedQty: new(l.dec("QtyInvoiced")),
		})
	}
	return po, true
}

// invoiceMoves are the state changes an IFS user (or AP's posting run) can
// make to a manual supplier invoice [I]: posting and cancelling a
// preliminary one, payments on a posted one.
var invoiceMoves = map[string][]string{
	"Preliminary":      {"PrelPosted", "Posted", "Cancelled"},
	"PrelPosted":       {"Posted", "Cancelled"},
	"Posted":           {"PartlyPaidPosted", "PaidPosted"},
	"PartlyPaidPosted": {"PaidPosted"},
}

// Errors of the control operations, so the control API can answer 404, 409
// or 400.
var (
	ErrNotFound        = errors.New("not found")
	ErrStateTransition = errors.New("state change not allowed")
	ErrUnknownState    = errors.New("unknown state")
)

// SetInvoiceState moves a supplier invoice to state, as posting or
// cancelling it in IFS would, and gives it a new ETag. Allowed:
// Preliminary → PrelPosted/Posted/Cancelled, PrelPosted → Posted/Cancelled,
// Posted → PartlyPaidPosted/PaidPosted, PartlyPaidPosted → PaidPosted.
// Setting the current state again is a no-op. A Cancelled invoice no longer
// counts for the duplicate supplier+invoice number rule.
func (s *Server) SetInvoiceState(company string, invoiceID int64, state string) error {
	known := false
	for _, st := range invoiceStates {
		known = known || st == state
	}
	if !known {
		return fmt.Errorf("set state of invoice %d: %w %q (want one of %v)", invoiceID, ErrUnknownState, state, invoiceStates)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := findRow(s.st, tabInvoice, map[string]any{"Company": company, "InvoiceId": invoiceID})
	if r == nil {
		return fmt.Errorf("set state of invoice %s/%d: %w", company, invoiceID, ErrNotFound)
	}
	old := r.str("Objstate")
	if old == state {
		return nil
	}
	allowed := false
	for _, to := range invoiceMoves[old] {
		allowed = allowed || to == state
	}
	if !allowed {
		return fmt.Errorf("set state of invoice %d from %s to %s: %w", invoiceID, old, state, ErrStateTransition)
	}
	s.st.touch(r)
	r.v["Objstate"] = state
	return nil
}

// SetPurchaseOrderState moves an order (and its lines that were in the
// order's old state) to state, giving them new ETags: releasing a Planned
// order this way is what makes the connector send an 850.
func (s *Server) SetPurchaseOrderState(no, state string) error {
	valid := false
	for _, st := range world.POStates {
		valid = valid || st == state
	}
	if !valid {
		return fmt.Errorf("set state of %s: unknown state %q", no, state)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	h := findRow(s.st, tabPO, map[string]any{"OrderNo": no})
	if h == nil {
		return fmt.Errorf("set state of %s: no such order", no)
	}
	old := h.str("Objstate")
	if old == state {
		return nil
	}
	change := []historyChange{{column: "ROWSTATE", prompt: "Status", old: old, new: state}}
	h.v["Objstate"] = state
	s.st.touch(h)
	s.logHistory(s.st, s.model.types[tabPO], h, "IFSBUYER", change)
	for _, l := range s.st.tables[tabPOLine] {
		if l.str("OrderNo") == no && l.str("Objstate") == old {
			l.v["Objstate"] = state
			s.st.touch(l)
			s.logHistory(s.st, s.model.types[tabPOLine], l, "IFSBUYER", change)
		}
	}
	return nil
}

// SetLineQuantities records goods received and/or invoices matched in IFS
// on one order line (nil leaves a quantity as it is), as a goods receipt or
// an IFS-side invoice match would, and gives the line a new ETag.
func (s *Server) SetLineQuantities(no, lineNo, releaseNo string, received, invoiced *money.Decimal) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if releaseNo == "" {
		releaseNo = "1"
	}
	l := findRow(s.st, tabPOLine, map[string]any{"OrderNo": no, "LineNo": lineNo, "ReleaseNo": releaseNo})
	if l == nil {
		return fmt.Errorf("set quantities of %s line %s/%s: no such order line", no, lineNo, releaseNo)
	}
	for name, v := range map[string]*money.Decimal{"QtyReceived": received, "QtyInvoiced": invoiced} {
		if v == nil {
			continue
		}
		if !v.Valid() || v.Sign() < 0 {
			return fmt.Errorf("set quantities of %s line %s: %s %s must be zero or more", no, lineNo, name, v)
		}
		l.v[name] = *v
	}
	s.st.touch(l)
	return nil
}

// TouchPurchaseOrder saves an order unchanged, as an IFS user pressing Save
// would: the header gets a new ETag.
func (s *Server) TouchPurchaseOrder(no string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := findRow(s.st, tabPO, map[string]any{"OrderNo": no})
	if h == nil {
		return fmt.Errorf("touch %s: no such order", no)
	}
	s.st.touch(h)
	return nil
}

func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimPrefix(r.URL.Path, s.cfg.ControlPrefix)
	p = strings.TrimSuffix(p, "/")
	fail := func(status int, msg string) { writeJSON(w, status, map[string]string{"message": msg}) }
	switch {
	case p == "" && r.Method == http.MethodGet:
		writeJSON(w, 200, map[string]any{"endpoints": []string{
			"GET faults", "PUT faults", "POST lose-next-writes {\"count\":1,\"mode\":\"reset\"}", "POST reset", "POST tokens/expire", "GET stats", "GET invoices", "GET invoices/{id}", "POST invoices/{id} {\"state\":\"Cancelled\"}",
			"GET purchase-orders/{no}", "POST purchase-orders/{no} {\"state\":\"Released\",\"touch\":true}",
		}})
	case p == "/faults" && r.Method == http.MethodGet:
		writeJSON(w, 200, s.Faults())
	case p == "/faults" && r.Method == http.MethodPut:
		var f Faults
		dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			fail(400, "bad faults JSON: "+err.Error())
			return
		}
		if err := f.Validate(); err != nil {
			fail(400, "bad faults: "+err.Error())
			return
		}
		s.SetFaults(f)
		writeJSON(w, 200, s.Faults())
	case p == "/lose-next-writes" && r.Method == http.MethodPost:
		var body struct {
			Count int    `json:"count"`
			Mode  string `json:"mode"`
		}
		dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&body); err != nil {
			fail(400, "bad JSON: "+err.Error())
			return
		}
		if body.Count <= 0 {
			fail(400, `want {"count":N} with N > 0 and optionally "mode":"gateway" or "reset"`)
			return
		}
		if err := (Faults{LostAnswerMode: body.Mode}).Validate(); err != nil {
			fail(400, err.Error())
			return
		}
		s.LoseNextWrites(body.Count, body.Mode)
		writeJSON(w, 200, s.Faults())
	case p == "/reset" && r.Method == http.MethodPost:
		s.Reset()
		w.WriteHeader(204)
	case p == "/tokens/expire" && r.Method == http.MethodPost:
		s.ExpireTokens()
		w.WriteHeader(204)
	case p == "/stats" && r.Method == http.MethodGet:
		writeJSON(w, 200, s.Stats())
	case strings.HasPrefix(p, "/invoices/"):
		id, err := strconv.ParseInt(strings.TrimPrefix(p, "/invoices/"), 10, 64)
		if err != nil {
			fail(404, "no control endpoint "+r.Method+" "+r.URL.Path+" (want /invoices/{InvoiceId})")
			return
		}
		switch r.Method {
		case http.MethodGet:
		case http.MethodPost:
			var body struct {
				State string `json:"state"`
			}
			dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&body); err != nil || body.State == "" {
				fail(400, `want {"state":"Posted"} (or another invoice state)`)
				return
			}
			if err := s.SetInvoiceState(s.world.Company.ID, id, body.State); err != nil {
				status := 400
				switch {
				case errors.Is(err, ErrNotFound):
					status = 404
				case errors.Is(err, ErrStateTransition):
					status = 409
				}
				fail(status, err.Error())
				return
			}
		default:
			fail(405, "method not allowed")
			return
		}
		for _, inv := range s.Invoices() {
			if inv.InvoiceID == id {
				writeJSON(w, 200, inv)
				return
			}
		}
		fail(404, fmt.Sprintf("no invoice %d", id))
	case p == "/invoices" && r.Method == http.MethodGet:
		inv := s.Invoices()
		if inv == nil {
			inv = []domain.SupplierInvoice{}
		}
		writeJSON(w, 200, inv)
	case strings.HasPrefix(p, "/purchase-orders/"):
		no := strings.TrimPrefix(p, "/purchase-orders/")
		switch r.Method {
		case http.MethodGet:
		case http.MethodPost:
			var body struct {
				State string `json:"state"`
				Touch bool   `json:"touch"`
				// Line, with Received and/or Invoiced, records quantities
				// on that line (release Release, default "1").
				Line     string         `json:"line"`
				Release  string         `json:"release"`
				Received *money.Decimal `json:"received"`
				Invoiced *money.Decimal `json:"invoiced"`
			}
			if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body); err != nil {
				fail(400, "bad JSON: "+err.Error())
				return
			}
			var err error
			if body.State != "" {
				err = s.SetPurchaseOrderState(no, body.State)
			} else if body.Touch {
				err = s.TouchPurchaseOrder(no)
			}
			if err == nil && body.Line != "" {
				err = s.SetLineQuantities(no, body.Line, body.Release, body.Received, body.Invoiced)
			}
			if err != nil {
				status := 400
				if strings.Contains(err.Error(), "no such order") {
					status = 404
				}
				fail(status, err.Error())
				return
			}
		default:
			fail(405, "method not allowed")
			return
		}
		po, ok := s.PurchaseOrder(no)
		if !ok {
			fail(404, "no such order "+no)
			return
		}
		writeJSON(w, 200, po)
	default:
		fail(404, "no control endpoint "+r.Method+" "+r.URL.Path)
	}
}

// SetSupplierEDIIdentity sets (or, with empty values, clears) the EDI
// identity IFS holds for a supplier, as a person in IFS would, and gives
// the row a new ETag.
func (s *Server) SetSupplierEDIIdentity(supplierID, address, alias string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := findRow(s.st, tabSupplier, map[string]any{"SupplierId": supplierID})
	if r == nil {
		return fmt.Errorf("set EDI identity of supplier %s: %w", supplierID, ErrNotFound)
	}
	r.v["EdiAddress"], r.v["EdiAlias"] = nilIfEmpty(address), nilIfEmpty(alias)
	s.st.touch(r)
	return nil
}

// SupplierEDIIdentity is the EDI identity IFS holds for a supplier now,
// with the row's version (it changes with every write); found is false for
// an unknown supplier.
func (s *Server) SupplierEDIIdentity(supplierID string) (address, alias string, version int64, found bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := findRow(s.st, tabSupplier, map[string]any{"SupplierId": supplierID})
	if r == nil {
		return "", "", 0, false
	}
	return r.str("EdiAddress"), r.str("EdiAlias"), r.ver, true
}
