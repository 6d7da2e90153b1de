package ifs_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/ifs"
	"github.com/ml-connector/ifs-cleo/core/sandbox/ifssim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/world"
)

// BenchmarkInvoiceThroughput measures sustained supplier-invoice creation
// (a de-duplication lookup plus a $batch create per invoice) against the
// sandbox with 25 ms added latency and its default rate limit.
//
// To keep wall time short the limit is scaled up by benchScale (and with it
// the sandbox's one-second burst) while latency stays 25 ms; per-minute
// figures are scaled back to the real limit. Shares are measured after a
// warm-up that drains the client's initial burst, so they show the steady
// state: the share of the server's limit used, and the share of 429s.
func BenchmarkInvoiceThroughput(b *testing.B) {
	const benchScale = 6
	limit := ifssim.DefaultRateLimit * benchScale // requests a minute
	// The client is configured just under the server's limit: 98 % of its
	// rate, half its burst.
	benchInvoices(b, benchScale, limit, 0.98*float64(limit), limit/60/2, false)
}

func benchInvoices(b *testing.B, benchScale, limit int, clientRate float64, burst int, adaptive bool) {
	srv := ifssim.New(world.New(1), ifssim.Config{Faults: ifssim.Faults{RateLimitPerMinute: limit, LatencyMS: 25}})
	hs := httptest.NewServer(srv)
	defer hs.Close()
	c, err := ifs.New(ifs.Config{BaseURL: hs.URL, Realm: srv.Realm(), ClientID: ifssim.DefaultClientID,
		ClientSecret: ifssim.DefaultClientSecret, Company: srv.World().Company.ID,
		RequestsPerMinute: clientRate, Burst: burst, AdaptiveRate: adaptive})
	if err != nil {
		b.Fatal(err)
	}
	base := testInvoice(srv.World(), "")
	var seq atomic.Int64
	ctx := context.Background()
	createOne := func() error {
		inv := base
		inv.InvoiceNo = fmt.Sprintf("BENCH-%06d", seq.Add(1))
		found, err := c.FindSupplierInvoice(ctx, inv.Company, inv.SupplierID, inv.InvoiceNo)
		if err != nil || found != nil {
			return fmt.Errorf("find %s: %v %v", inv.InvoiceNo, found, err)
		}
		_, err = c.CreateSupplierInvoice(ctx, inv)
		return err
	}
	const workers = 16
	run := func(n int) error {
		var wg sync.WaitGroup
		var left atomic.Int64
		left.Store(int64(n))
		errs := make(chan error, workers)
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for left.Add(-1) >= 0 {
					if err := createOne(); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		return <-errs
	}
	// Warm-up: spend the client's initial burst and get a token.
	if err := run(limit / 60); err != nil {
		b.Fatal(err)
	}
	before := srv.Stats()
	b.ResetTimer()
	start := time.Now()
	if err := run(b.N); err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	after := srv.Stats()
	reqs := after.Requests - before.Requests
	limited := after.RateLimited - before.RateLimited
	accepted := reqs - limited
	allowed := float64(limit) / 60 * elapsed.Seconds()
	b.ReportMetric(float64(b.N)/elapsed.Minutes()/float64(benchScale), "invoices/min@1000rpm")
	b.ReportMetric(float64(reqs)/float64(b.N), "req/invoice")
	b.ReportMetric(100*float64(accepted)/allowed, "%limit_used")
	b.ReportMetric(100*float64(limited)/float64(max(reqs, 1)), "%429")
	b.ReportMetric(float64(after.TokenCalls-before.TokenCalls), "token_calls")
}
