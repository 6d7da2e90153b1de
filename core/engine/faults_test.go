package engine

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/sandbox/cleosim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/ifssim"
	"github.com/ml-connector/ifs-cleo/core/store"
)

// outcome is the business result of a sandbox session: every document's
// final status and reason by key, and the remote state.
type outcome struct {
	docs     map[string]string // "810 INV-1" → "posted/"
	invoices int
	sentPOs  map[string]int // PO number → 850s delivered
}

func (s *sandboxes) outcome() outcome {
	s.t.Helper()
	o := outcome{docs: map[string]string{}, sentPOs: map[string]int{}}
	ds, err := s.st.Documents(s.ctx, store.DocumentQuery{Direction: store.Inbound, Oldest: true, Limit: 100000})
	if err != nil {
		s.t.Fatal(err)
	}
	for _, d := range ds {
		k := fmt.Sprintf("%s %s %s", d.Type, d.Partner, d.BusinessKey)
		for n := 2; o.docs[k] != ""; n++ {
			k = fmt.Sprintf("%s %s %s #%d", d.Type, d.Partner, d.BusinessKey, n)
		}
		o.docs[k] = string(d.Status) + "/" + d.Reason
	}
	// No duplicate invoice in IFS (supplier + number).
	seen := map[string]bool{}
	for _, inv := range s.isim.Invoices() {
		k := inv.SupplierID + "|" + inv.InvoiceNo
		if seen[k] {
			s.t.Errorf("duplicate invoice in IFS: %s", k)
		}
		seen[k] = true
	}
	o.invoices = len(seen)
	// No PO delivered twice for one purpose (never two names for one revision).
	names := map[string]bool{}
	for _, f := range s.csim.Sent() {
		if !strings.HasPrefix(f.Filename, "850_") {
			continue
		}
		if names[f.Filename] {
			s.t.Errorf("850 %s delivered twice", f.Filename)
		}
		names[f.Filename] = true
		parts := strings.Split(f.Filename, "_")
		o.sentPOs[parts[1]+"_"+parts[2]]++
	}
	for k, n := range o.sentPOs {
		if n > 1 {
			s.t.Errorf("PO revision %s delivered %d times under different names", k, n)
		}
	}
	return o
}

// settle syncs until nothing is queued any more and a whole round ran
// without a flow failing (bounded). A flow that failed outright leaves
// nothing queued either: with expiring IFS tokens the PO flow can fail on
// an auth error before it builds anything, two rounds running, and
// settling then stopped with no PO sent (CI saw "POs delivered 0").
func (s *sandboxes) settle(max int) {
	s.t.Helper()
	for i := 0; i < max; i++ {
		_, err := s.eng.SyncOnce(s.ctx)
		q, _ := s.st.CountDocuments(s.ctx, store.DocumentQuery{Statuses: []store.Status{store.StatusReceived, store.StatusPosting,
			store.StatusBuilt, store.StatusSending}})
		files, _ := s.st.UnackedInboundFiles(s.ctx)
		inbox := 0
		for _, f := range s.csim.Inbox() {
			if f.Status != "picked" && f.Status != "deleted" {
				inbox++
			}
		}
		if q == 0 && len(files) == 0 && inbox == 0 && i > 0 && err == nil {
			return
		}
		if err != nil {
			s.t.Logf("settle round %d: %v", i+1, err)
		}
	}
}

func diffOutcome(t *testing.T, want, got outcome) {
	t.Helper()
	var keys []string
	for k := range want.docs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if got.docs[k] != want.docs[k] {
			t.Errorf("%s: %q, without faults %q", k, got.docs[k], want.docs[k])
		}
	}
	if len(got.docs) != len(want.docs) {
		t.Errorf("%d documents, without faults %d", len(got.docs), len(want.docs))
	}
	if got.invoices != want.invoices {
		t.Errorf("IFS invoices %d, without faults %d", got.invoices, want.invoices)
	}
	if len(got.sentPOs) != len(want.sentPOs) {
		t.Errorf("POs delivered %d, without faults %d", len(got.sentPOs), len(want.sentPOs))
	}
}

// expiringIFS kills every IFS token after every n-th call: token expiry in
// the middle of a run, deterministically.
type expiringIFS struct {
	IFS
	sim   *ifssim.Server
	n     int64
	calls atomic.Int64
}

func (x *expiringIFS) tick() {
	if x.calls.Add(1)%x.n == 0 {
		x.sim.ExpireTokens()
	}
}
func (x *expiringIFS) PurchaseOrder(ctx context.Context, no string) (domain.PurchaseOrder, error) {
	x.tick()
	return x.IFS.PurchaseOrder(ctx, no)
}
func (x *expiringIFS) CreateSupplierInvoice(ctx context.Context, inv domain.SupplierInvoice) (domain.SupplierInvoice, error) {
	x.tick()
	return x.IFS.CreateSupplierInvoice(ctx, inv)
}

func TestE2EFaults(t *testing.T) {
	base := newSandboxes(t, ifssim.Config{}, cleosim.Config{})
	base.settle(4)
	want := base.outcome()
	if want.invoices == 0 || len(want.sentPOs) == 0 {
		t.Fatalf("baseline did nothing: %+v", want)
	}
	cases := []struct {
		name  string
		ifs   ifssim.Faults
		cleo  cleosim.Faults
		setup func(s *sandboxes)
	}{
		{name: "IFS 503s and HTML 502s", ifs: ifssim.Faults{Error503Rate: 0.05, Gateway502Rate: 0.02}},
		{name: "IFS 503s and HTML 502s, heavy", ifs: ifssim.Faults{Error503Rate: 0.15, Gateway502Rate: 0.05}},
		{name: "IFS 429 storm", ifs: ifssim.Faults{RateLimitPerMinute: 3000, RateBurst: 4}},
		{name: "Cleo 500s and 429s", cleo: cleosim.Faults{Error500Rate: 0.1, RateLimited: 5, RetryAfterS: 1}},
		{name: "Cleo 429s", cleo: cleosim.Faults{RateLimited: 2, RetryAfterS: 1}},
		{name: "Cleo token expiry mid-listing", cleo: cleosim.Faults{ExpireTokensAfter: 3}},
		{name: "Cleo duplicate uploads (409)", cleo: cleosim.Faults{Duplicate409: 3}},
		{name: "IFS token expiry mid-run", setup: func(s *sandboxes) {
			s.eng.p.IFS = &expiringIFS{IFS: s.eng.p.IFS, sim: s.isim, n: 3}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel() // the clients' back-off waits overlap
			s := newSandboxes(t, ifssim.Config{Faults: c.ifs, FaultSeed: 7}, cleosim.Config{Faults: c.cleo, FaultSeed: 7})
			if c.setup != nil {
				c.setup(s)
			}
			s.settle(8)
			if c.cleo.Duplicate409 > 0 {
				// A 409 means an earlier attempt delivered the file, so the
				// sandbox holds nothing: those POs count as sent here.
				s.t.Logf("409 answered for %d uploads", c.cleo.Duplicate409)
				got := s.outcome()
				diffOutcome(t, outcome{docs: want.docs, invoices: want.invoices, sentPOs: got.sentPOs}, got)
				return
			}
			diffOutcome(t, want, s.outcome())
		})
	}
}

func TestE2EConcurrentChangeSendsReplacement(t *testing.T) {
	s := newSandboxes(t, ifssim.Config{}, cleosim.Config{EmptyInbox: true})
	s.sync(FlowReference, FlowPOs)
	pos, _ := s.st.Documents(s.ctx, store.DocumentQuery{Type: store.Type850, Statuses: []store.Status{store.StatusSent}, Limit: 1})
	if len(pos) == 0 {
		t.Fatal("no PO sent")
	}
	no := pos[0].BusinessKey
	// Someone saves the order in IFS: new ETag, a replacement goes out.
	if err := s.isim.TouchPurchaseOrder(no); err != nil {
		t.Fatal(err)
	}
	s.sync(FlowPOs)
	var names []string
	for _, f := range s.csim.Sent() {
		if strings.HasPrefix(f.Filename, "850_"+no+"_") {
			names = append(names, f.Filename)
		}
	}
	if len(names) != 2 || !strings.Contains(names[1], "_05_") {
		t.Fatalf("850s for %s: %v", no, names)
	}
	// Cancelled in IFS: a cancellation (BEG 01).
	if err := s.isim.SetPurchaseOrderState(no, "Cancelled"); err != nil {
		t.Fatal(err)
	}
	s.sync(FlowPOs)
	found := false
	for _, f := range s.csim.Sent() {
		if strings.HasPrefix(f.Filename, "850_"+no+"_01_") && strings.Contains(string(f.Content), "BEG*01*") {
			found = true
		}
	}
	if !found {
		t.Fatal("no cancellation sent")
	}
}
