// Package bench holds what the benchmarks and cmd/x12bench share: a
// generator of large multi-invoice interchanges and the three measured
// workloads (the tokenizer ceiling, the segment reader, typed 810s).
package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strconv"
	"time"

	"github.com/ml-connector/ifs-cleo/core/money"
	"github.com/ml-connector/ifs-cleo/core/x12"
)

// Generate writes an interchange of 810 invoices with 20 to 30 IT1 lines
// each into path until it holds at least minBytes. The content is fixed by
// seed, so runs compare like with like.
func Generate(path string, minBytes int64, seed uint64) (size int64, invoices int, err error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	cw := &countWriter{w: f}
	env := x12.Envelope{SenderQualifier: "ZZ", SenderID: "ACMESUPPLY", ReceiverQualifier: "ZZ", ReceiverID: "MLCONNECTOR",
		InterchangeControl: 1, GroupControl: 1, SetControl: 1, Time: time.Date(2026, 1, 2, 15, 4, 0, 0, time.UTC), Newline: true}
	w, err := x12.NewWriter(cw, env)
	if err != nil {
		return 0, 0, err
	}
	w.BeginGroup("IN")
	rng := rand.New(rand.NewPCG(seed, 42))
	for cw.n < minBytes {
		inv := Invoice(rng, invoices)
		if err := w.Invoice(inv); err != nil {
			return 0, 0, err
		}
		invoices++
		if invoices%999999 == 0 { // ST02 stays within 9 digits
			w.BeginGroup("IN")
		}
	}
	if err := w.Close(); err != nil {
		return 0, 0, err
	}
	return cw.n, invoices, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

// Write counts what passes through.
func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

var words = []string{"Hex bolt M8x40", "Washer 8mm zinc", "Bearing 6204-2RS", "Hydraulic hose 1/2in", "Gasket set", "Filter cartridge",
	"Drive belt XPZ", "Cable tie 300mm", "Grease LGMT2 1kg", "Coupling half", "Seal kit", "Valve 3/8 brass"}

// Invoice builds invoice number i with 20 to 30 lines.
func Invoice(rng *rand.Rand, i int) *x12.Invoice {
	n := 20 + rng.IntN(11)
	inv := &x12.Invoice{
		Number: "INV" + strconv.Itoa(100000+i), Date: x12.Date{Year: 2026, Month: 1, Day: 2}, PONumber: "PO" + strconv.Itoa(5000+i%977),
		Currency: "USD", Type: "DI",
		References: []x12.Reference{{Qualifier: "IA", ID: "V100"}},
		Parties: []x12.Party{
			{Code: "RE", Name: "Acme Supply Inc", IDQualifier: "92", ID: "V100", Address: []string{"100 Industrial Way"}, City: "Springfield", State: "IL", PostalCode: "62701", Country: "US"},
			{Code: "ST", Name: "ML Corp Plant 1", IDQualifier: "92", ID: "SITE1"},
		},
		Terms: []x12.Terms{{Type: "01", BasisDate: "3", NetDays: 30, Description: "NET 30"}},
		Dates: []x12.DateRef{{Qualifier: "011", Date: x12.Date{Year: 2026, Month: 1, Day: 1}}},
	}
	inv.Lines = make([]x12.InvoiceLine, n)
	for k := range inv.Lines {
		inv.Lines[k] = x12.InvoiceLine{
			LineNumber: strconv.Itoa(k + 1), Quantity: money.FromInt(int64(1 + rng.IntN(500))), UOM: "EA",
			UnitPrice: money.New(int64(100+rng.IntN(99900)), 2), BuyerPart: "P-" + strconv.Itoa(10000+rng.IntN(9000)),
			VendorPart: "ACME-" + strconv.Itoa(rng.IntN(100000)), Description: words[rng.IntN(len(words))],
		}
	}
	inv.Charges = []x12.Charge{{Indicator: "C", Code: "D240", Amount: money.New(int64(rng.IntN(10000)), 2)}}
	inv.Total = inv.ComputeTotal()
	return inv
}

// Ceiling is the minimal zero-copy tokenizer: ReadSlice on the terminator
// and bytes.IndexByte on the element separator, nothing else. No X12 reader
// can be faster on the same bytes.
func Ceiling(r io.Reader) (segments, elements int, err error) {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		seg, err := br.ReadSlice('~')
		if len(seg) > 0 {
			segments++
			for {
				i := bytes.IndexByte(seg, '*')
				if i < 0 {
					break
				}
				elements++
				seg = seg[i+1:]
			}
		}
		if err == io.EOF {
			return segments, elements, nil
		}
		if err != nil {
			return segments, elements, err
		}
	}
}

// Segments runs the x12 reader over every set.
func Segments(r io.Reader) (sets, segments int, err error) {
	rd := x12.NewReader(r)
	for rd.Next() {
		sets++
		segments += rd.Set().Len()
	}
	return sets, segments, rd.Err()
}

// Invoices reads every set and maps it to a typed 810; any error is fatal.
func Invoices(r io.Reader) (invoices, lines int, err error) {
	rd := x12.NewReader(r)
	for rd.Next() {
		inv, err := x12.ParseInvoice(rd.Set())
		if err != nil {
			return invoices, lines, fmt.Errorf("invoice %d: %w", invoices+1, err)
		}
		invoices++
		lines += len(inv.Lines)
	}
	return invoices, lines, rd.Err()
}

// InvoicesReused is Invoices with one Invoice reused for every set
// (x12.ParseInvoiceInto), as a bulk converter that is done with each invoice would.
func InvoicesReused(r io.Reader) (invoices, lines int, err error) {
	return intoOne(x12.NewReader(r))
}

// InvoicesRecycled is InvoicesReused with a reader that recycles its memory
// (x12.Reader.Recycle): a streaming converter that keeps nothing of a set
// after mapping it allocates next to nothing.
func InvoicesRecycled(r io.Reader) (invoices, lines int, err error) {
	return intoOne(x12.NewReader(r).Recycle())
}

// intoOne maps every set of rd into one reused Invoice.
func intoOne(rd *x12.Reader) (invoices, lines int, err error) {
	var inv x12.Invoice
	for rd.Next() {
		if err := x12.ParseInvoiceInto(rd.Set(), &inv); err != nil {
			return invoices, lines, fmt.Errorf("invoice %d: %w", invoices+1, err)
		}
		invoices++
		lines += len(inv.Lines)
	}
	return invoices, lines, rd.Err()
}
