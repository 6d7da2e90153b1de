package x12_test

import (
	"bytes"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/x12"
	"github.com/ml-connector/ifs-cleo/core/x12/internal/bench"
)

// BenchmarkParseInvoiceOne maps one generated 25-line invoice (no I/O).
func BenchmarkParseInvoiceOne(b *testing.B) {
	var buf bytes.Buffer
	inv := bench.Invoice(rand.New(rand.NewPCG(1, 2)), 1)
	env := x12.Envelope{SenderQualifier: "ZZ", SenderID: "A", ReceiverQualifier: "ZZ", ReceiverID: "B", InterchangeControl: 1, GroupControl: 1, Time: time.Unix(0, 0).UTC()}
	if err := x12.Write810(&buf, env, inv); err != nil {
		b.Fatal(err)
	}
	rd := x12.NewReader(&buf)
	rd.Next()
	s := rd.Set()
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := x12.ParseInvoice(s); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseInvoiceIntoOne maps one generated invoice into a reused Invoice.
func BenchmarkParseInvoiceIntoOne(b *testing.B) {
	var buf bytes.Buffer
	inv := bench.Invoice(rand.New(rand.NewPCG(1, 2)), 1)
	env := x12.Envelope{SenderQualifier: "ZZ", SenderID: "A", ReceiverQualifier: "ZZ", ReceiverID: "B", InterchangeControl: 1, GroupControl: 1, Time: time.Unix(0, 0).UTC()}
	if err := x12.Write810(&buf, env, inv); err != nil {
		b.Fatal(err)
	}
	rd := x12.NewReader(&buf)
	rd.Next()
	s := rd.Set()
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	var out x12.Invoice
	for b.Loop() {
		if err := x12.ParseInvoiceInto(s, &out); err != nil {
			b.Fatal(err)
		}
	}
}
