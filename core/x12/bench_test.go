package x12_test

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/ml-connector/ifs-cleo/core/x12/internal/bench"
)

// The generated file is made once per `go test -bench` run, in a temporary
// directory removed by TestMain, never committed.
var (
	genOnce sync.Once
	genPath string
	genSize int64
	genErr  error
	genDir  string
)

const benchBytes = 100 << 20

func benchFile(b *testing.B) (string, int64) {
	genOnce.Do(func() {
		genDir, genErr = os.MkdirTemp("", "x12bench")
		if genErr != nil {
			return
		}
		genPath = filepath.Join(genDir, "invoices.edi")
		genSize, _, genErr = bench.Generate(genPath, benchBytes, 1)
	})
	if genErr != nil {
		b.Fatal(genErr)
	}
	return genPath, genSize
}

func TestMain(m *testing.M) {
	code := m.Run()
	if genDir != "" {
		os.RemoveAll(genDir)
	}
	os.Exit(code)
}

func runBench(b *testing.B, fn func(f *os.File) error) {
	path, size := benchFile(b)
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		if err := fn(f); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}

// BenchmarkCeiling is the minimal ReadSlice+IndexByte tokenizer (the upper bound).
func BenchmarkCeiling(b *testing.B) {
	runBench(b, func(f *os.File) error { _, _, err := bench.Ceiling(f); return err })
}

// BenchmarkReader is the x12 segment reader with envelope checks, one arena per set.
func BenchmarkReader(b *testing.B) {
	runBench(b, func(f *os.File) error { _, _, err := bench.Segments(f); return err })
}

// BenchmarkInvoice810 is the reader plus typed 810 mapping with its cross-checks.
func BenchmarkInvoice810(b *testing.B) {
	runBench(b, func(f *os.File) error { _, _, err := bench.Invoices(f); return err })
}

// BenchmarkInvoice810Reused maps into one reused Invoice (ParseInvoiceInto).
func BenchmarkInvoice810Reused(b *testing.B) {
	runBench(b, func(f *os.File) error { _, _, err := bench.InvoicesReused(f); return err })
}

// BenchmarkInvoice810Recycled maps into one reused Invoice with a reader
// that recycles its memory (Reader.Recycle).
func BenchmarkInvoice810Recycled(b *testing.B) {
	runBench(b, func(f *os.File) error { _, _, err := bench.InvoicesRecycled(f); return err })
}
