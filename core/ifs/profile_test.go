package ifs_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ml-connector/ifs-cleo/core/ifs"
)

func TestDefaultProfile(t *testing.T) {
	p := ifs.DefaultProfile()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := p.PurchaseOrders.ServicePath(); got != "/main/ifsapplications/projection/v1/PurchaseOrderHandling.svc" {
		t.Errorf("PO service %s", got)
	}
	if got := p.PurchaseOrderLines.ServicePath(); got != "/int/ifsapplications/entity/v1/PurchaseOrderLineEntity.svc" {
		t.Errorf("line service %s", got)
	}
	if p.PurchaseOrders.Field("VendorNo") != "VendorNo" || p.PurchaseOrderLines.Field("Account") != "CodeA" {
		t.Error("field mapping")
	}
	if !p.Batch || p.StateFilter != "auto" {
		t.Errorf("batch %v state filter %q", p.Batch, p.StateFilter)
	}
}

func TestProfileOverlay(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tenant.json")
	os.WriteFile(path, []byte(`{"name":"acme","batch":false,"state_filter":"client",
		"supplier_invoices":{"projection":"SupplierInvoiceHandling","fields":{"Identity":"SupplierId","GrossAmount":"-"}}}`), 0o600)
	p, err := ifs.LoadProfile(path)
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "acme" || p.Batch || p.StateFilter != "client" {
		t.Errorf("top-level overlay: %+v", p)
	}
	si := p.SupplierInvoices
	if si.Projection != "SupplierInvoiceHandling" || si.EntitySet != "ManSuppInvoiceSet" || si.Prefix != "main" {
		t.Errorf("resource overlay lost defaults: %+v", si)
	}
	if si.Field("Identity") != "SupplierId" || si.Field("GrossAmount") != "" || si.Field("InvoiceNo") != "InvoiceNo" {
		t.Errorf("fields: %v", si.Fields)
	}
	if p.PurchaseOrderLines.Field("Account") != "CodeA" {
		t.Error("untouched resource lost its default fields")
	}
}

func TestProfileErrors(t *testing.T) {
	tests := []struct {
		json string
		want []string
	}{
		{`{"purchase_orders":{"prefix":"api"}}`, []string{"purchase_orders", `prefix "api"`}},
		{`{"suppliers":{"api":"entity"}}`, []string{"suppliers", "entity services exist only under the int prefix"}},
		{`{"supplier_invoices":{"entity_set":"Man Supp"}}`, []string{"supplier_invoices", "not an OData identifier"}},
		{`{"invoice_lines":{"navigation":""}}`, []string{"invoice_lines", "navigation is missing"}},
		{`{"posting_proposal":{"projection":"X"}}`, []string{"posting_proposal", "set only navigation and fields"}},
		{`{"purchase_orders":{"fields":{"VendorNumber":"X"}}}`, []string{`unknown logical field "VendorNumber"`, "VendorNo"}},
		{`{"state_filter":"sometimes"}`, []string{"state_filter"}},
		{`{"purchase_ordres":{}}`, []string{"unknown field"}},
		{`{"purchase_orders":{"projection":"A","entity_set":"B"},"suppliers":{"prefix":"x"},"code_parts":{"navigation":"1x"}}`,
			[]string{"suppliers", "code_parts"}},
	}
	for _, tt := range tests {
		_, err := ifs.ParseProfile([]byte(tt.json))
		if err == nil {
			t.Errorf("%s: no error", tt.json)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", tt.json, err, w)
			}
		}
	}
}
