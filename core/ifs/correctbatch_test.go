package ifs_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/httpx/httpxtest"
	"github.com/ml-connector/ifs-cleo/core/ifs"
	"github.com/ml-connector/ifs-cleo/core/money"
	"github.com/ml-connector/ifs-cleo/core/sandbox/ifssim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/world"
)

// requestLog records the method and path of every OData request.
type requestLog struct {
	mu   sync.Mutex
	reqs []string
}

func (l *requestLog) since(n int) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.reqs[n:]...)
}

func (l *requestLog) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.reqs)
}

// loggedFixture is correctionFixture on a sandbox whose requests are
// logged, with the profile's $batch switched as given.
func loggedFixture(t *testing.T, batch bool) (*ifs.Client, *ifssim.Server, *requestLog, domain.SupplierInvoice) {
	t.Helper()
	clk := httpxtest.NewClock(time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC))
	srv := ifssim.New(world.New(1), ifssim.Config{Now: clk.Now})
	log := &requestLog{}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.mu.Lock()
		log.reqs = append(log.reqs, r.Method+" "+r.URL.Path)
		log.mu.Unlock()
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	env := &inProcess{srv: srv, hs: hs, clock: clk}
	prof := ifs.DefaultProfile()
	prof.Batch = batch
	c, _ := client(t, env, func(cfg *ifs.Config) { cfg.Profile = prof })
	inv := testInvoice(env.World(), "COR-B")
	net, tax := money.MustParse("100.00"), money.MustParse("25.00")
	inv.NetAmount, inv.TaxAmount, inv.GrossAmount = net, tax, net.Add(tax)
	inv.Lines[0].NetAmount, inv.Lines[0].TaxAmount = net, tax
	inv.Postings[0].Amount = net
	created, err := c.CreateSupplierInvoice(t.Context(), inv)
	if err != nil {
		t.Fatal(err)
	}
	seen, err := c.SupplierInvoice(t.Context(), created.Company, created.InvoiceID)
	if err != nil {
		t.Fatal(err)
	}
	return c, srv, log, *seen
}

func writesIn(reqs []string) (batches, direct int) {
	for _, r := range reqs {
		switch {
		case strings.HasPrefix(r, "POST ") && strings.HasSuffix(r, "/$batch"):
			batches++
		case !strings.HasPrefix(r, "GET "):
			direct++
		}
	}
	return
}

// Where the profile allows $batch, a correction's writes go in one change
// set (every PATCH and DELETE with the ETag read as If-Match), and a write
// IFS refuses inside it leaves the invoice exactly as it was; without
// $batch the rows are written one by one.
func TestCorrectionInOneChangeSet(t *testing.T) {
	t.Run("one change set", func(t *testing.T) {
		c, _, log, seen := loggedFixture(t, true)
		n := log.len()
		res, err := c.CorrectSupplierInvoice(t.Context(), seen, corrected(seen))
		if err != nil {
			t.Fatal(err)
		}
		if b, d := writesIn(log.since(n)); b != 1 || d != 0 {
			t.Fatalf("%d $batch and %d direct writes, want 1 and 0: %v", b, d, log.since(n))
		}
		if !res.Invoice.NetAmount.Equal(money.MustParse("104.40")) || len(res.Invoice.Lines) != 2 || len(res.Invoice.Postings) != 2 ||
			!res.Invoice.Postings[1].Amount.Equal(money.MustParse("10.00")) {
			t.Fatalf("IFS after the correction: %+v", res.Invoice)
		}
		methods := map[string]int{}
		for _, a := range res.Attempts {
			methods[a.Method]++
			if a.Method != http.MethodPost && (a.IfMatch == "" || a.IfMatch == "*" || a.IfMatch != a.ETagRead) {
				t.Fatalf("write without the read ETag: %+v", a)
			}
			if a.Status >= 300 {
				t.Fatalf("attempt %+v", a)
			}
		}
		if methods["PATCH"] != 3 || methods["POST"] != 2 {
			t.Fatalf("attempts %+v", res.Attempts)
		}
	})
	t.Run("all or nothing", func(t *testing.T) {
		c, srv, _, seen := loggedFixture(t, true)
		want := corrected(seen)
		want.Postings[1].Code.Account = "9999" // not an IFS account: the last write fails
		_, err := c.CorrectSupplierInvoice(t.Context(), seen, want)
		if err == nil || !strings.Contains(err.Error(), "9999") {
			t.Fatalf("want IFS's refusal of account 9999, got %v", err)
		}
		for _, inv := range srv.Invoices() {
			if inv.InvoiceID != seen.InvoiceID {
				continue
			}
			if !inv.NetAmount.Equal(money.MustParse("100.00")) || len(inv.Lines) != 1 || len(inv.Postings) != 1 ||
				!inv.Lines[0].NetAmount.Equal(money.MustParse("100.00")) {
				t.Fatalf("a refused change set changed IFS: %+v", inv)
			}
		}
	})
	t.Run("412 inside the change set is planned again", func(t *testing.T) {
		c, srv, log, seen := loggedFixture(t, true)
		srv.SetFaults(ifssim.Faults{ConcurrentEdits: 2})
		n := log.len()
		res, err := c.CorrectSupplierInvoice(t.Context(), seen, corrected(seen))
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := writesIn(log.since(n)); b != 2 {
			t.Fatalf("%d change sets, want the refused one and its re-plan", b)
		}
		saw412 := false
		for _, a := range res.Attempts {
			saw412 = saw412 || a.Status == http.StatusPreconditionFailed
		}
		if !saw412 || !res.Invoice.NetAmount.Equal(money.MustParse("104.40")) || len(res.Invoice.Lines) != 2 {
			t.Fatalf("want a 412 then the whole correction once: %+v %+v", res.Attempts, res.Invoice)
		}
	})
	t.Run("row by row without $batch", func(t *testing.T) {
		c, _, log, seen := loggedFixture(t, false)
		n := log.len()
		res, err := c.CorrectSupplierInvoice(t.Context(), seen, corrected(seen))
		if err != nil {
			t.Fatal(err)
		}
		if b, d := writesIn(log.since(n)); b != 0 || d != 5 {
			t.Fatalf("%d $batch and %d direct writes, want 0 and 5", b, d)
		}
		if !res.Invoice.NetAmount.Equal(money.MustParse("104.40")) {
			t.Fatalf("IFS after the correction: %+v", res.Invoice)
		}
	})
}
