package ifssim

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/ml-connector/ifs-cleo/core/sandbox/world"
)

// benchToken gets a token from s in-process.
func benchToken(b *testing.B, s *Server) string {
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {DefaultClientID}, "client_secret": {DefaultClientSecret}}
	req := httptest.NewRequest("POST", s.TokenPath(), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &tr); err != nil || tr.AccessToken == "" {
		b.Fatalf("token: %d %s", rec.Code, rec.Body)
	}
	return tr.AccessToken
}

// BenchmarkFilteredOrders is the sandbox's cost of the connector's PO poll
// (state filter, ordering, a page of rows), so client benchmarks can tell
// their own time from the server's.
func BenchmarkFilteredOrders(b *testing.B) {
	s := New(world.New(1), Config{})
	tok := benchToken(b, s)
	q := url.QueryEscape("Objstate eq IfsApp.PurchaseOrderHandling.PurchaseOrderState'Released' or Objstate eq IfsApp.PurchaseOrderHandling.PurchaseOrderState'Confirmed'")
	path := poRoot + "PurchaseOrderSet?$orderby=OrderNo&$top=500&$filter=" + q
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// BenchmarkCreateInvoice posts a header, a line and a posting (three
// requests, the step-by-step path of the client).
func BenchmarkCreateInvoice(b *testing.B) {
	s := New(world.New(1), Config{})
	tok := benchToken(b, s)
	send := func(method, path, body string) *httptest.ResponseRecorder { return serve(s, tok, method, path, body) }
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		rec := send("POST", invSet, fmt.Sprintf(`{"Company":"MLC01","InvoiceNo":"B-%d","Identity":"SUP1001","NetCurrAmount":10}`, i))
		if rec.Code != 201 {
			b.Fatalf("%d %s", rec.Code, rec.Body)
		}
		p := rec.Header().Get("Location")
		p = p[strings.Index(p, "/main/"):]
		send("POST", p+"/InvoiceItemArray", `{"NetCurrAmount":10}`)
		send("POST", p+"/PostingProposalArray", `{"Account":"4020","CurrAmount":10}`)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "invoices/s")
}

// BenchmarkBatchInvoice creates an invoice with a line and a posting in one
// $batch change set (the client's preferred path). The store grows with
// every iteration, as it does in the client's benchmark, so the cost of
// keeping a change set atomic shows up here.
func BenchmarkBatchInvoice(b *testing.B) {
	s := New(world.New(1), Config{})
	tok := benchToken(b, s)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		body, ct := buildBatch([][]batchReq{{
			{id: "1", method: "POST", url: "ManSuppInvoiceSet", body: fmt.Sprintf(`{"Company":"MLC01","InvoiceNo":"BB-%d","Identity":"SUP1003","NetCurrAmount":50}`, i)},
			{id: "2", method: "POST", url: "$1/InvoiceItemArray", body: `{"NetCurrAmount":50}`},
			{id: "3", method: "POST", url: "$1/PostingProposalArray", body: `{"Account":"4020","CurrAmount":50}`},
		}}, []bool{true})
		req := httptest.NewRequest("POST", invRoot+"$batch", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", ct)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), "201 Created") {
			b.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "invoices/s")
}

// BenchmarkFindInvoice is the client's duplicate check (company, supplier
// and invoice number) on a store that already holds many invoices: what a
// backlog drain asks once per invoice.
func BenchmarkFindInvoice(b *testing.B) {
	for _, n := range []int{2_000, 10_000} {
		b.Run(fmt.Sprintf("invoices=%d", n), func(b *testing.B) {
			s := New(world.New(1), Config{})
			tok := benchToken(b, s)
			send := func(method, path, body string) *httptest.ResponseRecorder { return serve(s, tok, method, path, body) }
			for i := range n {
				if i%1000 == 0 {
					tok = benchToken(b, s) // a token lives a few minutes in the sandbox
				}
				if rec := send("POST", invSet, fmt.Sprintf(`{"Company":"MLC01","InvoiceNo":"F-%d","Identity":"SUP1001","NetCurrAmount":10}`, i)); rec.Code != 201 {
					b.Fatalf("%d %s", rec.Code, rec.Body)
				}
			}
			tok = benchToken(b, s)
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				i++
				q := url.QueryEscape(fmt.Sprintf("Company eq 'MLC01' and Identity eq 'SUP1001' and InvoiceNo eq 'F-%d'", i*7919%n))
				rec := send("GET", invSet+"?$filter="+q, "")
				if rec.Code != 200 || !strings.Contains(rec.Body.String(), "F-") {
					b.Fatalf("%d %s", rec.Code, rec.Body)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		})
	}
}

// serve sends one JSON request to s with the bearer token tok.
func serve(s *Server, tok, method, path, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec
}
