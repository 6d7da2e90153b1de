package engine

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/store"
)

// PartnerInfo is a trading partner as the engine uses it: the network's
// record plus the admin's settings (mode, 997 deadline).
type PartnerInfo struct {
	ID           string // Cleo's id, used to send
	Alias        string
	ISAQualifier string
	ISAID        string
	GSID         string
	ExternalID   string // IFS supplier id stored at Cleo
	// OurQualifier and OurID are the X12 identity the partner expects us
	// to use (Cleo's receiver ids for the connection); the fallback when
	// no identity of our own is configured.
	OurQualifier string
	OurID        string
	Mode         string // "live" or "test"
	AckDeadline  time.Duration
	// DeliveryLimit is how long a file may stay pending in the network
	// before it is DELIVERY_STUCK; 0: the engine's default.
	DeliveryLimit time.Duration
	// Strictness is how strictly the partner's X12 is read: "standard"
	// (or ""), "strict" or "lenient" (see applyStrictness).
	Strictness string
}

// Key is "QUAL:ID", the partner key of documents, exceptions and mappings.
func (p PartnerInfo) Key() string { return p.ISAQualifier + ":" + p.ISAID }

// config is the snapshot one processing step works with.
type config struct {
	Maps     Mappings
	Ref      Reference
	Partners []PartnerInfo
	byKey    map[string]*PartnerInfo
	// pos caches the purchase orders read during one run (see cachedPO).
	pos poCache
}

// supplierOf is the IFS supplier a partner's documents belong to: the
// confirmed mapping, else the supplier id stored at Cleo; "" when unknown.
func (c *config) supplierOf(partnerKey string) string {
	if s := c.Maps.PartnerSupplier[partnerKey]; s != "" {
		return s
	}
	if p := c.partnerByKey(partnerKey); p != nil {
		return p.ExternalID
	}
	return ""
}

// inboundClaim is what judging inbound document d holds (keyedQueue).
// Two invoices that bill one PO, or carry one invoice number of one
// supplier, must be judged one after the other and in the order received:
// the second must see what the first billed (cumulative matching) or
// posted (duplicate numbers, corrections, exact re-sends, credit memos
// after their invoice on the same order). So an invoice claims its order
// and its normalised number alone, and its supplier shared: a supplier's
// invoices for different orders are judged side by side, which is what
// spends IFS's rate limit when one supplier sends most of a backlog. A
// document whose order is not known here (no PO number, no parsed form
// yet) claims its whole supplier alone, as every document did before;
// numbers and orders are normalised coarsely (store.NormalizeInvoiceNumber)
// so that two spellings of one never run side by side. A 997 touches only
// its partner's outbound documents.
func (c *config) inboundClaim(d store.Document) claim {
	sup := c.supplierOf(d.Partner)
	if sup == "" {
		return one("partner:" + d.Partner)
	}
	supKey := "supplier:" + sup
	switch d.Type {
	case store.Type810:
		po := parsedPONumber(d.Parsed)
		num := store.NormalizeInvoiceNumber(d.BusinessKey)
		if po == "" || num == "" {
			return one(supKey)
		}
		return claim{excl: []string{"po:" + store.NormalizeInvoiceNumber(po), "invoice:" + sup + "\x00" + num}, shared: []string{supKey}}
	case store.Type997:
		return claim{excl: []string{"ack:" + d.Partner}, shared: []string{supKey}}
	}
	return one(supKey)
}

// parsedPONumber is the PO number of the invoice in a document's parsed
// form, "" when there is none or the form cannot be read.
func parsedPONumber(parsed json.RawMessage) string {
	if len(parsed) == 0 {
		return ""
	}
	var pf struct {
		Invoice *struct{ PONumber string } `json:"invoice"`
	}
	if json.Unmarshal(parsed, &pf) != nil || pf.Invoice == nil {
		return ""
	}
	return strings.TrimSpace(pf.Invoice.PONumber)
}

// poCache holds the purchase orders read in one run, so several invoices
// of one order cost one read. It lives as long as the config snapshot (one
// run's processing step); the invoices of one order are judged by one
// worker at a time (inboundClaim), so an entry is never used by two
// invoices at once. It holds at most max orders (poCacheMax when 0), so a
// backlog over 5,000 orders does not keep every one for the whole run.
type poCache struct {
	mu  sync.Mutex
	m   map[string]domain.PurchaseOrder
	max int
}

// poCacheMax bounds the orders one run keeps: a few megabytes. When full,
// an order chosen at random makes room. Unlike least-recently-used, random
// replacement still hits on max of n orders when a backlog bills its
// orders in turn (each order's invoices spread over the whole backlog).
const poCacheMax = 4096

func (c *poCache) get(no string) (domain.PurchaseOrder, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	po, ok := c.m[no]
	return po, ok
}

func (c *poCache) put(po domain.PurchaseOrder) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]domain.PurchaseOrder{}
	}
	limit := c.max
	if limit <= 0 {
		limit = poCacheMax
	}
	if _, ok := c.m[po.OrderNo]; !ok && len(c.m) >= limit {
		for no := range c.m { // Go starts a map's iteration at random
			delete(c.m, no)
			break
		}
	}
	c.m[po.OrderNo] = po
}

func (c *config) index() {
	c.byKey = map[string]*PartnerInfo{}
	for i := range c.Partners {
		c.byKey[c.Partners[i].Key()] = &c.Partners[i]
	}
}

func (c *config) partnerByKey(key string) *PartnerInfo {
	if c.byKey == nil {
		c.index()
	}
	return c.byKey[key]
}

// partnerForSupplier finds the partner an 850 goes to: a confirmed mapping
// first, then the partner whose external id is the supplier.
func (c *config) partnerForSupplier(supplierID string) *PartnerInfo {
	for _, k := range sortedKeys(c.Maps.PartnerSupplier) {
		if c.Maps.PartnerSupplier[k] == supplierID {
			if p := c.partnerByKey(k); p != nil {
				return p
			}
		}
	}
	for i := range c.Partners {
		if c.Partners[i].ExternalID == supplierID && supplierID != "" {
			return &c.Partners[i]
		}
	}
	return nil
}

// Suggestion proposes an IFS supplier for a partner, for an admin to confirm.
type Suggestion struct {
	PartnerKey   string  `json:"partner"`
	SupplierID   string  `json:"supplier_id"`
	SupplierName string  `json:"supplier_name"`
	Score        float64 `json:"score"` // 1 = certain
	Why          string  `json:"why"`   // "external id", "name similarity 0.67"
}

// suggest ranks suppliers for a partner: the external id stored at Cleo
// is certain; otherwise name similarity between alias and supplier name.
func (c *config) suggest(key string, p *PartnerInfo) []Suggestion {
	var out []Suggestion
	if p != nil && p.ExternalID != "" {
		if s, ok := c.Ref.Suppliers[p.ExternalID]; ok {
			return []Suggestion{{PartnerKey: key, SupplierID: s.SupplierID, SupplierName: s.Name, Score: 1, Why: "external id at Cleo"}}
		}
	}
	if p == nil {
		return nil
	}
	for _, s := range c.Ref.Suppliers {
		sc := nameSimilarity(p.Alias, s.Name)
		if id := strings.ToUpper(s.SupplierID); id != "" && strings.Contains(strings.ToUpper(p.ISAID), id) {
			sc = max(sc, 0.9)
		}
		if sc >= 0.3 {
			out = append(out, Suggestion{PartnerKey: key, SupplierID: s.SupplierID, SupplierName: s.Name, Score: sc, Why: "name similarity"})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].SupplierID < out[j].SupplierID
	})
	if len(out) > 3 {
		out = out[:3]
	}
	return out
}

// suppliersByID indexes a supplier list.
func suppliersByID(list []domain.Supplier) map[string]domain.Supplier {
	m := make(map[string]domain.Supplier, len(list))
	for _, s := range list {
		m[s.SupplierID] = s
	}
	return m
}

// cachedPO reads a purchase order once per run (issue #13: several
// invoices of one order are common). Only successful reads are kept; what
// the order's invoices bill is tracked in the store, not in the cached copy.
func (e *Engine) cachedPO(ctx context.Context, cfg *config, no string) (domain.PurchaseOrder, error) {
	if po, ok := cfg.pos.get(no); ok {
		return po, nil
	}
	po, err := e.p.IFS.PurchaseOrder(ctx, no)
	if err != nil {
		return po, err
	}
	cfg.pos.put(po)
	return po, nil
}
