package ifssim

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/sandbox/world"
)

func TestRateLimit(t *testing.T) {
	e := newEnv(t, Config{Faults: Faults{RateLimitPerMinute: 600, RateBurst: 5}})
	path := poRoot + "PurchaseOrderSet?$top=1"
	for i := 0; i < 5; i++ {
		if r := e.do("GET", path, ""); r.status != 200 {
			t.Fatalf("request %d within burst: %d", i, r.status)
		}
	}
	r := e.do("GET", path, "")
	if r.status != 429 || r.header.Get("Retry-After") != "1" || r.errCode(t) != "TOO_MANY_REQUESTS" {
		t.Fatalf("over the limit: %d Retry-After %q %s", r.status, r.header.Get("Retry-After"), r.body)
	}
	// 600/min = 10/s: after 100 ms one more request fits, the next does not.
	e.clock.add(100 * time.Millisecond)
	if r := e.do("GET", path, ""); r.status != 200 {
		t.Errorf("after refill: %d", r.status)
	}
	if r := e.do("GET", path, ""); r.status != 429 {
		t.Errorf("bucket empty again: %d", r.status)
	}
	// A whole second refills the burst.
	e.clock.add(time.Second)
	for i := 0; i < 5; i++ {
		if r := e.do("GET", path, ""); r.status != 200 {
			t.Errorf("refilled burst %d: %d", i, r.status)
		}
	}
	st := e.srv.Stats()
	if st.RateLimited != 2 || st.ByStatus[429] != 2 || st.ByStatus[200] != 11 {
		t.Errorf("stats %+v", st)
	}
	// Slow limit: Retry-After says how many seconds until a request fits.
	e.srv.SetFaults(Faults{RateLimitPerMinute: 6, RateBurst: 1})
	e.do("GET", path, "")
	if r := e.do("GET", path, ""); r.status != 429 || r.header.Get("Retry-After") != "10" {
		t.Errorf("slow limit: %d Retry-After %q", r.status, r.header.Get("Retry-After"))
	}
}

func TestRandomFailures(t *testing.T) {
	e := newEnv(t, Config{})
	path := poRoot + "PurchaseOrderSet?$top=1"
	e.srv.SetFaults(Faults{Error503Rate: 1})
	r := e.do("GET", path, "")
	if r.status != 503 || r.errCode(t) != "SERVICE_UNAVAILABLE" {
		t.Errorf("503: %d %s", r.status, r.body)
	}
	e.srv.SetFaults(Faults{Gateway502Rate: 1})
	r = e.do("GET", path, "")
	if r.status != 502 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !strings.Contains(r.body, "<html>") {
		t.Errorf("502: %d %s %s", r.status, r.header.Get("Content-Type"), r.body)
	}
	// Faults come before auth, as a gateway's would.
	if r := e.do("GET", path, "", "Authorization: "); r.status != 502 {
		t.Errorf("502 without token: %d", r.status)
	}
	// A share of failures, reproducible from the seed.
	run := func() []int {
		s := New(world.New(1), Config{Faults: Faults{Error503Rate: 0.3}, FaultSeed: 99})
		var got []int
		for i := 0; i < 40; i++ {
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
			got = append(got, rec.Code)
		}
		return got
	}
	a, b := run(), run()
	if !equalInts(a, b) {
		t.Error("fault sequence differs between runs with the same seed")
	}
	n503 := 0
	for _, c := range a {
		if c == 503 {
			n503++
		}
	}
	if n503 < 4 || n503 > 24 {
		t.Errorf("%d of 40 answered 503 at rate 0.3", n503)
	}
}

func TestLatencyHonoursCancel(t *testing.T) {
	s := New(world.New(1), Config{Faults: Faults{LatencyMS: 60_000}})
	ctx, cancel := context.WithCancel(context.Background())
	req := httptest.NewRequest("GET", poRoot+"PurchaseOrderSet", nil).WithContext(ctx)
	done := make(chan int)
	go func() {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		done <- rec.Code
	}()
	select {
	case <-done:
		t.Fatal("answered before the added latency or a cancel")
	case <-time.After(20 * time.Millisecond):
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("cancelled request still waiting")
	}
}

func TestControlAPI(t *testing.T) {
	e := newEnv(t, Config{})
	ctl := e.hs.URL + e.srv.ControlPrefix()
	do := func(method, path, body string) (int, string) {
		req, _ := http.NewRequest(method, ctl+path, strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := resp.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		return resp.StatusCode, b.String()
	}
	if code, body := do("GET", "/", ""); code != 200 || !strings.Contains(body, "faults") {
		t.Errorf("index: %d %s", code, body)
	}
	code, body := do("PUT", "/faults", `{"rate_limit_per_minute":1000,"error_503_rate":0.5,"latency_ms":3,"concurrent_edits":2}`)
	if code != 200 {
		t.Fatalf("PUT faults: %d %s", code, body)
	}
	f := e.srv.Faults()
	if f.RateLimitPerMinute != 1000 || f.Error503Rate != 0.5 || f.LatencyMS != 3 || f.ConcurrentEdits != 2 {
		t.Errorf("faults after PUT: %+v", f)
	}
	var got Faults
	_, body = do("GET", "/faults", "")
	if json.Unmarshal([]byte(body), &got) != nil || got != f {
		t.Errorf("GET faults: %s", body)
	}
	if code, _ := do("PUT", "/faults", `{"nonsense":1}`); code != 400 {
		t.Errorf("unknown fault field: %d", code)
	}
	e.srv.SetFaults(Faults{})

	// Releasing a planned order changes its state and ETag, through HTTP too.
	planned := e.srv.World().OrdersInState(world.StatePlanned)[0].OrderNo
	before := e.do("GET", poRoot+"PurchaseOrderSet(OrderNo='"+planned+"')", "")
	code, body = do("POST", "/purchase-orders/"+planned, `{"state":"Released"}`)
	if code != 200 || !strings.Contains(body, `"State":"Released"`) {
		t.Fatalf("release: %d %s", code, body)
	}
	after := e.do("GET", poRoot+"PurchaseOrderSet(OrderNo='"+planned+"')", "")
	if after.json(t)["Objstate"] != "Released" || after.header.Get("ETag") == before.header.Get("ETag") {
		t.Errorf("after release: %s", after.body)
	}
	lines := e.do("GET", poRoot+"PurchaseOrderSet(OrderNo='"+planned+"')/PurchaseOrderLineArray", "")
	for _, l := range lines.values(t) {
		if l["Objstate"] != "Released" {
			t.Errorf("line not released: %v", l)
		}
	}
	if code, _ := do("POST", "/purchase-orders/"+planned, `{"touch":true}`); code != 200 {
		t.Errorf("touch: %d", code)
	}
	if e.do("GET", poRoot+"PurchaseOrderSet(OrderNo='"+planned+"')", "").header.Get("ETag") == after.header.Get("ETag") {
		t.Error("touch kept the ETag")
	}
	if code, _ := do("POST", "/purchase-orders/NOPE", `{"state":"Released"}`); code != 404 {
		t.Errorf("unknown order: %d", code)
	}
	if code, _ := do("POST", "/purchase-orders/"+planned, `{"state":"Flying"}`); code != 400 {
		t.Errorf("bad state: %d", code)
	}

	e.createInvoice("CTL-1", "SUP1001")
	code, body = do("GET", "/invoices", "")
	if code != 200 || !strings.Contains(body, `"InvoiceNo":"CTL-1"`) {
		t.Errorf("invoices: %d %s", code, body)
	}
	code, body = do("GET", "/stats", "")
	if code != 200 || !strings.Contains(body, `"invoices":1`) {
		t.Errorf("stats: %d %s", code, body)
	}
	if code, _ := do("POST", "/tokens/expire", ""); code != 204 {
		t.Errorf("expire: %d", code)
	}
	if r := e.do("GET", poRoot, ""); r.status != 401 {
		t.Errorf("token after expire: %d", r.status)
	}
	if code, _ := do("POST", "/reset", ""); code != 204 {
		t.Errorf("reset: %d", code)
	}
	if n := len(e.srv.Invoices()); n != 0 {
		t.Errorf("%d invoices after reset", n)
	}
	if po, _ := e.srv.PurchaseOrder(planned); po.State != world.StatePlanned {
		t.Errorf("state after reset: %s", po.State)
	}
	if code, _ := do("GET", "/nothing", ""); code != 404 {
		t.Errorf("unknown control path: %d", code)
	}
}

func TestConfigurableNames(t *testing.T) {
	n := Names{
		InvoiceProjection: "SupplierInvoiceHandling", InvoiceSet: "SupplierInvoiceSet", PostingNav: "PostingArray",
		Roots: map[string][]string{"SupplierInvoiceHandling": {"int"}},
	}
	e := newEnv(t, Config{Names: n})
	base := "/int/ifsapplications/projection/v1/SupplierInvoiceHandling.svc/"
	r := e.do("POST", base+"SupplierInvoiceSet", `{"Company":"MLC01","InvoiceNo":"N-1","Identity":"SUP1001"}`)
	if r.status != 201 {
		t.Fatalf("renamed set: %d %s", r.status, r.body)
	}
	if r := e.do("POST", base+"SupplierInvoiceSet(Company='MLC01',InvoiceId=220001)/PostingArray", `{"Account":"4020","CurrAmount":1}`); r.status != 201 {
		t.Errorf("renamed nav: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/main/ifsapplications/projection/v1/SupplierInvoiceHandling.svc/SupplierInvoiceSet", ""); r.status != 404 {
		t.Errorf("service on a root it is not configured for: %d", r.status)
	}
	if r := e.do("GET", invRoot+"ManSuppInvoiceSet", ""); r.status != 404 {
		t.Errorf("old name still served: %d", r.status)
	}
}

// TestParallelClients runs readers, writers and fault switches at once, for
// the race detector and to check no invoice is lost or duplicated.
func TestParallelClients(t *testing.T) {
	e := newEnv(t, Config{})
	const workers, each = 6, 10
	errs := make(chan string, workers*each)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				body := fmt.Sprintf(`{"Company":"MLC01","InvoiceNo":"PAR-%d-%d","Identity":"SUP1001"}`, w, i)
				req, _ := http.NewRequest("POST", e.hs.URL+invSet, strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+e.token)
				req.Header.Set("Content-Type", "application/json")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					errs <- err.Error()
					continue
				}
				resp.Body.Close()
				if resp.StatusCode != 201 {
					errs <- fmt.Sprintf("POST %d", resp.StatusCode)
				}
				req, _ = http.NewRequest("GET", e.hs.URL+poRoot+"PurchaseOrderSet?$top=5", nil)
				req.Header.Set("Authorization", "Bearer "+e.token)
				if resp, err := http.DefaultClient.Do(req); err == nil {
					resp.Body.Close()
				}
				e.srv.SetFaults(Faults{ConcurrentEditRate: 0.1})
				_ = e.srv.Stats()
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for msg := range errs {
		t.Error(msg)
	}
	inv := e.srv.Invoices()
	ids := map[int64]bool{}
	for _, i := range inv {
		ids[i.InvoiceID] = true
	}
	if len(inv) != workers*each || len(ids) != workers*each {
		t.Errorf("%d invoices with %d distinct ids, want %d", len(inv), len(ids), workers*each)
	}
}
