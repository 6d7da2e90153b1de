package evidence

import (
	"archive/zip"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ml-connector/ifs-cleo/core/domain"
	dec "github.com/ml-connector/ifs-cleo/core/money"
	"github.com/ml-connector/ifs-cleo/core/store"
)

// TestSummaryHTML: the pack's page for people names the supplier and the
// partner, shows the amount and the timeline as sentences, says the chain
// is intact, and escapes what a supplier sent (an invoice number with
// markup in it stays text).
func TestSummaryHTML(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "data", "ml-connector.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.ReplaceSuppliers(ctx, []domain.Supplier{{SupplierID: "S100", Name: "Acme Fasteners Ltd", Currency: "GBP"}}); err != nil {
		t.Fatal(err)
	}
	if err := st.ReplacePartners(ctx, []domain.Partner{{ID: "P1", Alias: "ACME_AS2", ISAQualifier: "ZZ", ISAID: "ACME01"}}); err != nil {
		t.Fatal(err)
	}
	key := `INV-<script>alert(1)</script>&7`
	d := &store.Document{Direction: store.Inbound, Type: store.Type810, Partner: "ZZ:ACME01", SupplierID: "S100", BusinessKey: key,
		Status: store.StatusPosted, Amount: dec.MustParse("1234.50"), Currency: "GBP", IFSInvoiceID: 220006, RawEDI: []byte("ISA*00*")}
	if err := st.InsertDocument(ctx, d, "ann"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AppendEvent(ctx, store.Event{DocumentID: d.ID, Actor: "engine", Action: "invoice.posted",
		Detail: map[string]any{"from": "posting", "to": "posted", "detail": map[string]any{"ifs_invoice_id": 220006,
			"response": map[string]any{"InvoiceNo": "INV-7", "GrossAmount": "1234.50", "Currency": "GBP", "DueDate": "2027-01-03T00:00:00Z"}}}}); err != nil {
		t.Fatal(err)
	}
	path, err := Export(ctx, st, d.ID, filepath.Join(t.TempDir(), "pack.zip"))
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var page string
	for _, f := range zr.File {
		if f.Name == "summary.html" {
			rc, _ := f.Open()
			b, _ := io.ReadAll(rc)
			rc.Close()
			page = string(b)
		}
	}
	for _, want := range []string{
		"<title>Evidence: Invoice (810) INV-&lt;script&gt;alert(1)&lt;/script&gt;&amp;7 received from ACME_AS2 (ZZ:ACME01)</title>",
		"Acme Fasteners Ltd (S100)",
		`<td class="num">1234.50 GBP</td>`,
		"<tr><th>IFS invoice</th><td>220006</td></tr>",
		"Created in IFS as invoice 220006, 1234.50 GBP, number INV-7, due 2027-01-03 (posting → posted)",
		"Intact: all 2 events",
		" UTC</td>",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("summary.html lacks %q", want)
		}
	}
	if strings.Contains(page, "<script>") {
		t.Error("the invoice number became markup")
	}
	if t.Failed() {
		t.Log(page)
	}
}
