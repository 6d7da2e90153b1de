package x12_test

import (
	"io"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/x12"
	"github.com/ml-connector/ifs-cleo/core/x12/internal/bench"
)

// TestMemoryFlat streams a generated interchange through the reader and the
// typed 810 mapping without ever holding the file, and checks that the heap
// in use stays bounded while the input grows well past it.
func TestMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("streams tens of MB")
	}
	const invoices = 12000 // about 40 MB of X12
	pr, pw := io.Pipe()
	go func() {
		env := x12.Envelope{SenderQualifier: "ZZ", SenderID: "A", ReceiverQualifier: "ZZ", ReceiverID: "B", InterchangeControl: 1, GroupControl: 1,
			SetControl: 1, Time: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)}
		w, _ := x12.NewWriter(pw, env)
		w.BeginGroup("IN")
		rng := rand.New(rand.NewPCG(1, 1))
		for i := 0; i < invoices; i++ {
			w.Invoice(bench.Invoice(rng, i))
		}
		pw.CloseWithError(w.Close())
	}()
	rd := x12.NewReader(pr)
	var peak uint64
	var ms runtime.MemStats
	n := 0
	for rd.Next() {
		if _, err := x12.ParseInvoice(rd.Set()); err != nil {
			t.Fatal(err)
		}
		n++
		if n%1000 == 0 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
		}
	}
	if rd.Err() != nil || n != invoices {
		t.Fatalf("%v, %d invoices", rd.Err(), n)
	}
	// Holding the input would need 40 MB or more; a streaming reader keeps a
	// slab or two of 256 KB and one set.
	if peak > 16<<20 {
		t.Fatalf("heap in use reached %d MB", peak>>20)
	}
	t.Logf("peak heap in use after GC: %.1f MB for %d invoices", float64(peak)/(1<<20), n)
}

// TestSetsAcrossGoroutines hands each set to its own goroutine while the
// reader goes on filling the same slab (run with -race).
func TestSetsAcrossGoroutines(t *testing.T) {
	pr, pw := io.Pipe()
	go func() {
		env := x12.Envelope{SenderQualifier: "ZZ", SenderID: "A", ReceiverQualifier: "ZZ", ReceiverID: "B", InterchangeControl: 1, GroupControl: 1,
			SetControl: 1, Time: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)}
		w, _ := x12.NewWriter(pw, env)
		w.BeginGroup("IN")
		rng := rand.New(rand.NewPCG(2, 2))
		for i := 0; i < 200; i++ {
			w.Invoice(bench.Invoice(rng, i))
		}
		pw.CloseWithError(w.Close())
	}()
	rd := x12.NewReader(pr)
	done := make(chan error, 256)
	n := 0
	for rd.Next() {
		s := rd.Set()
		n++
		go func() {
			inv, err := x12.ParseInvoice(s)
			if err == nil && len(inv.Lines) < 20 {
				err = io.ErrUnexpectedEOF
			}
			done <- err
		}()
	}
	for i := 0; i < n; i++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if n != 200 || rd.Err() != nil {
		t.Fatal(n, rd.Err())
	}
}
