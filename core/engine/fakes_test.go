package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/ml-connector/ifs-cleo/core/domain"
)

// kindErr is a classified error for fakes.
type kindErr struct {
	kind domain.ErrorKind
	msg  string
}

func (e kindErr) Error() string               { return e.msg }
func (e kindErr) ErrorKind() domain.ErrorKind { return e.kind }

// fakeIFS is an in-memory IFS with fault hooks.
type fakeIFS struct {
	mu        sync.Mutex
	orders    map[string]domain.PurchaseOrder
	suppliers []domain.Supplier
	accounts  []domain.CodePartValue
	// costCentres are code part B (nil: none, as a tenant without them).
	costCentres []domain.CodePartValue
	invoices    []domain.SupplierInvoice
	nextID      int64
	creates     int
	// failCreate, when set, is returned by the next CreateSupplierInvoice calls (and decremented).
	failCreate    error
	failCreateN   int
	createThenErr bool // create succeeds but the call reports failure (lost response)
}

func newFakeIFS() *fakeIFS { return &fakeIFS{orders: map[string]domain.PurchaseOrder{}, nextID: 1000} }

func (f *fakeIFS) PurchaseOrders(ctx context.Context) ([]domain.PurchaseOrder, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []domain.PurchaseOrder
	for _, k := range sortedKeys(f.orders) {
		po := f.orders[k]
		if po.State == "Released" || po.State == "Confirmed" || po.State == "Cancelled" {
			out = append(out, po)
		}
	}
	return out, nil
}

func (f *fakeIFS) PurchaseOrder(ctx context.Context, no string) (domain.PurchaseOrder, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	po, ok := f.orders[no]
	if !ok {
		return po, kindErr{domain.KindNotFound, "PO " + no + " not found"}
	}
	return po, nil
}

func (f *fakeIFS) Suppliers(ctx context.Context) ([]domain.Supplier, error) { return f.suppliers, nil }
func (f *fakeIFS) CodePartValues(ctx context.Context, part string) ([]domain.CodePartValue, error) {
	switch part {
	case "A":
		return f.accounts, nil
	case "B":
		return f.costCentres, nil
	}
	return nil, nil
}

func (f *fakeIFS) FindSupplierInvoice(ctx context.Context, company, sup, no string) (domain.SupplierInvoice, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, inv := range f.invoices {
		if inv.Company == company && inv.SupplierID == sup && inv.InvoiceNo == no {
			return inv, true, nil
		}
	}
	return domain.SupplierInvoice{}, false, nil
}

func (f *fakeIFS) CreateSupplierInvoice(ctx context.Context, inv domain.SupplierInvoice) (domain.SupplierInvoice, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failCreateN > 0 {
		f.failCreateN--
		return inv, f.failCreate
	}
	for _, x := range f.invoices {
		if x.Company == inv.Company && x.SupplierID == inv.SupplierID && x.InvoiceNo == inv.InvoiceNo {
			return inv, kindErr{domain.KindBusinessRule, "DATABASE_ERROR: duplicate invoice"}
		}
	}
	f.nextID++
	f.creates++
	inv.InvoiceID = f.nextID
	inv.State = "Preliminary"
	f.invoices = append(f.invoices, inv)
	if f.createThenErr {
		f.createThenErr = false
		return inv, kindErr{domain.KindTransient, "connection reset"}
	}
	return inv, nil
}

func (f *fakeIFS) TestConnection(ctx context.Context) domain.TestReport {
	return domain.TestReport{Target: "IFS Cloud", Steps: []domain.TestStep{{Name: "fake", OK: true}}}
}

// fakeCleo is an in-memory Cleo.
type fakeCleo struct {
	mu       sync.Mutex
	partners []domain.Partner
	inbound  map[string][]byte
	meta     map[string]domain.RemoteFile
	order    []string
	sent     map[string][]byte // name → content
	sendLog  []string
	acked    map[string]int
	extIDs   map[string]string
	failSend error
}

func newFakeCleo() *fakeCleo {
	return &fakeCleo{inbound: map[string][]byte{}, meta: map[string]domain.RemoteFile{}, sent: map[string][]byte{},
		acked: map[string]int{}, extIDs: map[string]string{}}
}

func (c *fakeCleo) put(id, name string, content []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inbound[id] = content
	c.meta[id] = domain.RemoteFile{ID: id, Name: name, Size: int64(len(content))}
	c.order = append(c.order, id)
}

func (c *fakeCleo) Partners(ctx context.Context) ([]domain.Partner, error) { return c.partners, nil }
func (c *fakeCleo) Inbound(ctx context.Context) ([]domain.RemoteFile, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []domain.RemoteFile
	for _, id := range c.order {
		if _, ok := c.inbound[id]; ok {
			out = append(out, c.meta[id])
		}
	}
	return out, nil
}
func (c *fakeCleo) Open(ctx context.Context, id string) (io.ReadCloser, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.inbound[id]
	if !ok {
		return nil, kindErr{domain.KindNotFound, "file " + id}
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}
func (c *fakeCleo) Ack(ctx context.Context, id string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.inbound, id)
	c.acked[id]++
	return nil
}
func (c *fakeCleo) Send(ctx context.Context, partner, name string, content []byte) (domain.SendResult, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failSend != nil {
		return domain.SendResult{}, c.failSend
	}
	if _, ok := c.sent[name]; ok {
		return domain.SendResult{Name: name, AlreadyPresent: true}, nil
	}
	c.sent[name] = content
	c.sendLog = append(c.sendLog, name)
	return domain.SendResult{ID: "out-" + name, Name: name}, nil
}
func (c *fakeCleo) SetPartnerExternalID(ctx context.Context, p, ext string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.extIDs[p] = ext
	return nil
}
func (c *fakeCleo) TestConnection(ctx context.Context) domain.TestReport {
	return domain.TestReport{Target: "Cleo", Steps: []domain.TestStep{{Name: "fake", OK: true}}}
}

func (c *fakeCleo) sentNames(prefix string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for n := range c.sent {
		if strings.HasPrefix(n, prefix) {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// jsonEDI is a codec over JSON: a "file" is {"sets": [...]}; it lets flow
// tests state sets directly. Real X12 is covered by the sandbox tests.
type jsonEDI struct{}

type jsonFile struct {
	Sets []Set `json:"sets"`
}

func (j jsonEDI) SplitStrict(raw []byte) ([]Set, error) { return j.Split(raw) }

func (jsonEDI) Split(raw []byte) ([]Set, error) {
	var f jsonFile
	if err := json.Unmarshal(raw, &f); err != nil || len(f.Sets) == 0 {
		return nil, fmt.Errorf("not an X12 file")
	}
	for i := range f.Sets {
		f.Sets[i].Index = i
		if f.Sets[i].Raw == nil {
			b, _ := json.Marshal(f.Sets[i])
			f.Sets[i].Raw = b
		}
	}
	return f.Sets, nil
}

func (jsonEDI) Write850(po PO850, env Envelope) ([]byte, error) {
	return json.Marshal(map[string]any{"850": po, "env": env})
}

func (jsonEDI) Write810(inv SelfBilling810, env Envelope) ([]byte, error) {
	return json.Marshal(map[string]any{"810": inv, "env": env})
}

func (jsonEDI) Write997(group []Set, env Envelope) ([]byte, error) {
	var ids []string
	for _, s := range group {
		ids = append(ids, s.STControl)
	}
	return json.Marshal(map[string]any{"997": ids, "env": env})
}
