package ifs_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/httpx/httpxtest"
	"github.com/ml-connector/ifs-cleo/core/ifs"
	"github.com/ml-connector/ifs-cleo/core/sandbox/ifssim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/world"
)

// A write that IFS committed but whose answer the gateway replaced by a
// 502 page: the client must find the invoice instead of posting it twice.
// ifssim's faults strike before processing, so this wraps the sandbox and
// loses the answer after it.
func TestCreateAnswerLostAfterCommit(t *testing.T) {
	for _, batch := range []bool{true, false} {
		t.Run(fmt.Sprintf("batch=%v", batch), func(t *testing.T) {
			clk := httpxtest.NewClock(time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC))
			srv := ifssim.New(world.New(1), ifssim.Config{Now: clk.Now})
			var lost atomic.Int32
			hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				header := strings.HasSuffix(r.URL.Path, "/$batch") || strings.HasSuffix(r.URL.Path, "/ManSuppInvoiceSet")
				if r.Method == http.MethodPost && header && lost.Load() == 0 {
					rec := httptest.NewRecorder()
					srv.ServeHTTP(rec, r)
					if rec.Code < 300 {
						lost.Add(1)
						w.Header().Set("Content-Type", "text/html")
						w.WriteHeader(502)
						fmt.Fprint(w, "<html><head><title>502 Bad Gateway</title></head></html>")
						return
					}
				}
				srv.ServeHTTP(w, r)
			}))
			defer hs.Close()
			prof := ifs.DefaultProfile()
			prof.Batch = batch
			c, err := ifs.New(ifs.Config{BaseURL: hs.URL, Realm: srv.Realm(), ClientID: ifssim.DefaultClientID,
				ClientSecret: ifssim.DefaultClientSecret, Company: "MLC01", Clock: clk, Profile: prof, RequestsPerMinute: -1})
			if err != nil {
				t.Fatal(err)
			}
			inv := testInvoice(srv.World(), "INV-LOST")
			got, err := c.CreateSupplierInvoice(t.Context(), inv)
			if err != nil {
				t.Fatal(err)
			}
			stored := srv.Invoices()
			if lost.Load() != 1 || len(stored) != 1 || len(stored[0].Lines) != 1 || len(stored[0].Postings) != 1 {
				t.Fatalf("lost %d answers; sandbox holds %+v", lost.Load(), stored)
			}
			if got.InvoiceID != stored[0].InvoiceID || len(got.Lines) != 1 || len(got.Postings) != 1 {
				t.Errorf("returned %+v, stored %+v", got, stored[0])
			}
		})
	}
}
