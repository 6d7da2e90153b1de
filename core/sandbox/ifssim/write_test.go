package ifssim

import (
	"github.com/ml-connector/ifs-cleo/core/sandbox/world"
	"strings"
	"testing"
)

const invSet = invRoot + "ManSuppInvoiceSet"

func invPath(id string) string { return invSet + "(Company='MLC01',InvoiceId=" + id + ")" }

func (e *env) createInvoice(no, supplier string) (path, etag string) {
	e.t.Helper()
	r := e.do("POST", invSet, `{"Company":"MLC01","InvoiceNo":"`+no+`","Identity":"`+supplier+`","InvoiceDate":"2026-11-10","NetCurrAmount":100,"VatCurrAmount":0,"GrossAmount":100}`)
	if r.status != 201 {
		e.t.Fatalf("create invoice: %d %s", r.status, r.body)
	}
	m := r.json(e.t)
	id := itoa(int(m["InvoiceId"].(float64)))
	return invPath(id), r.header.Get("ETag")
}

func TestPostInvoice(t *testing.T) {
	e := newEnv(t, Config{})
	r := e.do("POST", invSet, `{"Company":"MLC01","InvoiceNo":"INV-77","Identity":"SUP1004","InvoiceDate":"2026-11-10","DueDate":"2026-12-10","NetCurrAmount":"1234.50","VatCurrAmount":0,"GrossAmount":1234.50,"PoRefNumber":"P10003","@odata.type":"#IfsApp.ManualSupplierInvoiceHandling.ManSuppInvoice"}`)
	if r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	m := r.json(t)
	if m["InvoiceId"] != float64(220001) || m["Objstate"] != "Preliminary" || m["Currency"] != "EUR" || m["PartyType"] != "Supplier" ||
		m["Creator"] != InvoiceCreator || m["PayTermId"] != "N60" || m["luname"] != "ManSuppInvoice" ||
		m["keyref"] != "COMPANY=MLC01^INVOICE_ID=220001^" {
		t.Errorf("created entity: %s", r.body)
	}
	if r.header.Get("ETag") == "" || r.header.Get("ETag") != m["@odata.etag"] {
		t.Errorf("ETag header %q vs %v", r.header.Get("ETag"), m["@odata.etag"])
	}
	if !strings.HasSuffix(r.header.Get("Location"), "ManSuppInvoiceSet(Company='MLC01',InvoiceId=220001)") {
		t.Errorf("Location %q", r.header.Get("Location"))
	}
	// Lines and postings through the navigations; keys come from the parent.
	it := e.do("POST", invPath("220001")+"/InvoiceItemArray", `{"VatCode":"EU-RC","NetCurrAmount":1234.5,"VatCurrAmount":0,"OrderNo":"P10003","LineNo":"1","ReleaseNo":"1"}`)
	if it.status != 201 || it.json(t)["ItemId"] != float64(1) || it.json(t)["InvoiceId"] != float64(220001) {
		t.Fatalf("item: %d %s", it.status, it.body)
	}
	p1 := e.do("POST", invPath("220001")+"/PostingProposalArray", `{"Account":"4020","CodeB":"110","CurrAmount":1000,"Text":"parts"}`)
	p2 := e.do("POST", invPath("220001")+"/PostingProposalArray", `{"Account":"4050","CodeB":"400","CurrAmount":200}`)
	if p1.status != 201 || p2.status != 201 || p2.json(t)["RowNo"] != float64(2) {
		t.Fatalf("postings: %d %s / %d %s", p1.status, p1.body, p2.status, p2.body)
	}
	// The proposal may be saved unbalanced; the header shows the balance.
	h := e.do("GET", invPath("220001")+"?$select=ProposalBalance", "")
	if h.json(t)["ProposalBalance"] != -34.5 {
		t.Errorf("balance: %s", h.body)
	}
	inv := e.srv.Invoices()
	if len(inv) != 1 || inv[0].InvoiceNo != "INV-77" || len(inv[0].Lines) != 1 || len(inv[0].Postings) != 2 ||
		inv[0].Postings[1].Code.Account != "4050" || inv[0].NetAmount.String() != "1234.50" {
		t.Errorf("Invoices() = %+v", inv)
	}
	// A second invoice gets the next id; the filter for de-duplication works.
	e.createInvoice("INV-78", "SUP1004")
	f := e.do("GET", invSet+"?$filter=Company eq 'MLC01' and Identity eq 'SUP1004' and InvoiceNo eq 'INV-78'&$select=Company,InvoiceId,InvoiceNo,Objstate", "")
	if v := f.values(t); len(v) != 1 || v[0]["InvoiceId"] != float64(220002) {
		t.Errorf("dedup query: %s", f.body)
	}
	if r := e.do("GET", invSet+"?$filter=PartyType eq IfsApp.ManualSupplierInvoiceHandling.PartyType'Supplier'", ""); r.status != 200 || len(r.values(t)) != 2+len(world.SelfBillingInvoices(e.srv.world)) {
		t.Errorf("PartyType enum filter: %d %s", r.status, r.body)
	}
}

func TestPostValidation(t *testing.T) {
	e := newEnv(t, Config{})
	path, _ := e.createInvoice("DUP-1", "SUP1001")
	tests := []struct {
		name, path, body string
		status           int
		code, msg        string
	}{
		{"unknown supplier", invSet, `{"Company":"MLC01","InvoiceNo":"X1","Identity":"SUP9999"}`, 400, "DATABASE_ERROR", "ORA-20"},
		{"unknown company", invSet, `{"Company":"ZZ","InvoiceNo":"X1","Identity":"SUP1001"}`, 400, "DATABASE_ERROR", "ORA-20"},
		{"duplicate number", invSet, `{"Company":"MLC01","InvoiceNo":"DUP-1","Identity":"SUP1001"}`, 400, "DATABASE_ERROR", "DUP-1"},
		{"same number other supplier", invSet, `{"Company":"MLC01","InvoiceNo":"DUP-1","Identity":"SUP1002"}`, 201, "", ""},
		{"missing invoice no", invSet, `{"Company":"MLC01","Identity":"SUP1001"}`, 400, "DATABASE_ERROR", "InvoiceNo"},
		{"unknown property", invSet, `{"Company":"MLC01","InvoiceNo":"X2","Identity":"SUP1001","Colour":"red"}`, 400, "BAD_REQUEST", "Colour"},
		{"server key", invSet, `{"Company":"MLC01","InvoiceNo":"X3","Identity":"SUP1001","InvoiceId":5}`, 400, "BAD_REQUEST", "InvoiceId"},
		{"Objstate", invSet, `{"Company":"MLC01","InvoiceNo":"X4","Identity":"SUP1001","Objstate":"Posted"}`, 400, "BAD_REQUEST", "Objstate"},
		{"luname", invSet, `{"Company":"MLC01","InvoiceNo":"X5","Identity":"SUP1001","luname":"ManSuppInvoice"}`, 400, "BAD_REQUEST", "luname"},
		{"keyref", invSet, `{"Company":"MLC01","InvoiceNo":"X5","Identity":"SUP1001","keyref":"x"}`, 400, "BAD_REQUEST", "keyref"},
		{"etag", invSet, `{"Company":"MLC01","InvoiceNo":"X6","Identity":"SUP1001","@odata.etag":"W/\"x\""}`, 400, "BAD_REQUEST", "@odata.etag"},
		{"read-only balance", invSet, `{"Company":"MLC01","InvoiceNo":"X6","Identity":"SUP1001","ProposalBalance":0}`, 400, "BAD_REQUEST", "ProposalBalance"},
		{"bad decimal", invSet, `{"Company":"MLC01","InvoiceNo":"X7","Identity":"SUP1001","NetCurrAmount":"12,5"}`, 400, "BAD_REQUEST", "NetCurrAmount"},
		{"bad date", invSet, `{"Company":"MLC01","InvoiceNo":"X7","Identity":"SUP1001","InvoiceDate":"10/11/2026"}`, 400, "BAD_REQUEST", "InvoiceDate"},
		{"bad enum", invSet, `{"Company":"MLC01","InvoiceNo":"X7","Identity":"SUP1001","PartyType":"Alien"}`, 400, "BAD_REQUEST", "Alien"},
		{"customer party", invSet, `{"Company":"MLC01","InvoiceNo":"X7","Identity":"SUP1001","PartyType":"Customer"}`, 400, "DATABASE_ERROR", "Customer"},
		{"not an object", invSet, `[1,2]`, 400, "BAD_REQUEST", ""},
		{"invalid account", path + "/PostingProposalArray", `{"Account":"9999","CurrAmount":1}`, 400, "DATABASE_ERROR", "9999"},
		{"closed account", path + "/PostingProposalArray", `{"Account":"4090","CurrAmount":1}`, 400, "DATABASE_ERROR", "4090"},
		{"future account", path + "/PostingProposalArray", `{"Account":"6990","CurrAmount":1}`, 400, "DATABASE_ERROR", "6990"},
		{"closed cost centre", path + "/PostingProposalArray", `{"Account":"4020","CodeB":"190","CurrAmount":1}`, 400, "DATABASE_ERROR", "190"},
		{"unused code part", path + "/PostingProposalArray", `{"Account":"4020","CodeC":"X","CurrAmount":1}`, 400, "DATABASE_ERROR", "Code part C"},
		{"missing account", path + "/PostingProposalArray", `{"CurrAmount":1}`, 400, "DATABASE_ERROR", "Account"},
		{"valid posting", path + "/PostingProposalArray", `{"Account":"4020","CodeB":"110","CurrAmount":1}`, 201, "", ""},
		{"item of unknown PO", path + "/InvoiceItemArray", `{"OrderNo":"P99999","NetCurrAmount":1}`, 400, "DATABASE_ERROR", "P99999"},
		{"item with other parent", path + "/InvoiceItemArray", `{"InvoiceId":1,"NetCurrAmount":1}`, 400, "BAD_REQUEST", ""},
		{"item of missing invoice", invPath("1") + "/InvoiceItemArray", `{"NetCurrAmount":1}`, 404, "OBJECT_NOT_FOUND", ""},
		{"POST to read-only set", poRoot + "PurchaseOrderSet", `{"OrderNo":"X"}`, 405, "", ""},
		{"POST to a key", path, `{}`, 405, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do("POST", tt.path, tt.body)
			if r.status != tt.status {
				t.Fatalf("%d, want %d: %s", r.status, tt.status, r.body)
			}
			if tt.code != "" && r.errCode(t) != tt.code {
				t.Errorf("code %s, want %s", r.errCode(t), tt.code)
			}
			if !strings.Contains(r.body, tt.msg) {
				t.Errorf("body lacks %q: %s", tt.msg, r.body)
			}
		})
	}
}

func TestDuplicateWarnOnly(t *testing.T) {
	e := newEnv(t, Config{DuplicateInvoiceWarnOnly: true})
	e.createInvoice("D-1", "SUP1001")
	e.createInvoice("D-1", "SUP1001")
	if n := len(e.srv.Invoices()); n != 2 {
		t.Errorf("%d invoices, want 2", n)
	}
}

func TestPatchDeleteConcurrency(t *testing.T) {
	e := newEnv(t, Config{})
	path, etag := e.createInvoice("P-1", "SUP1001")

	// PATCH with the current ETag: 204 and a new ETag.
	r := e.do("PATCH", path, `{"VoucherText":"first"}`, "If-Match: "+etag)
	if r.status != 204 || r.header.Get("ETag") == "" || r.header.Get("ETag") == etag {
		t.Fatalf("PATCH: %d ETag %q (old %q) %s", r.status, r.header.Get("ETag"), etag, r.body)
	}
	newTag := r.header.Get("ETag")
	// The old ETag is stale now.
	r = e.do("PATCH", path, `{"VoucherText":"second"}`, "If-Match: "+etag)
	if r.status != 412 || r.errCode(t) != "ETAG_MISMATCH" {
		t.Fatalf("stale PATCH: %d %s", r.status, r.body)
	}
	if g := e.do("GET", path, ""); g.json(t)["VoucherText"] != "first" {
		t.Errorf("stale PATCH changed the record: %s", g.body)
	}
	// return=representation gives 200 with the entity.
	r = e.do("PATCH", path, `{"VoucherText":"third","InvoiceId":999,"Company":"ignored"}`, "If-Match: "+newTag, "Prefer: return=representation")
	if r.status != 200 || r.json(t)["VoucherText"] != "third" || r.json(t)["InvoiceId"] != float64(220001) {
		t.Fatalf("PATCH representation: %d %s", r.status, r.body)
	}
	// * skips the check.
	if r = e.do("PATCH", path, `{"VoucherText":"fourth"}`, "If-Match: *"); r.status != 204 {
		t.Fatalf("PATCH *: %d %s", r.status, r.body)
	}
	// Without If-Match: upsert, updating the existing row.
	if r = e.do("PATCH", path, `{"VoucherText":"fifth"}`); r.status != 204 {
		t.Fatalf("PATCH no If-Match on existing: %d %s", r.status, r.body)
	}
	// Without If-Match on a missing key: insert with the key from the URL.
	r = e.do("PATCH", invPath("777"), `{"InvoiceNo":"UPSERTED","Identity":"SUP1002"}`)
	if r.status != 201 || r.json(t)["InvoiceId"] != float64(777) || r.json(t)["Objstate"] != "Preliminary" {
		t.Fatalf("upsert: %d %s", r.status, r.body)
	}
	// With If-Match on a missing key: 404, nothing created.
	if r = e.do("PATCH", invPath("778"), `{"InvoiceNo":"X","Identity":"SUP1002"}`, "If-Match: *"); r.status != 404 {
		t.Errorf("If-Match on missing: %d", r.status)
	}
	// Validation on PATCH restores the row.
	r = e.do("PATCH", path, `{"Identity":"SUP9999"}`, "If-Match: *")
	if r.status != 400 || r.errCode(t) != "DATABASE_ERROR" {
		t.Errorf("invalid PATCH: %d %s", r.status, r.body)
	}
	if g := e.do("GET", path, ""); g.json(t)["Identity"] != "SUP1001" {
		t.Errorf("failed PATCH left changes: %s", g.body)
	}
	for name, body := range map[string]string{"unknown": `{"Nope":1}`, "system": `{"Objstate":"Posted"}`} {
		if r := e.do("PATCH", path, body, "If-Match: *"); r.status != 400 {
			t.Errorf("PATCH %s field: %d", name, r.status)
		}
	}
	// If-None-Match is not supported.
	if r = e.do("GET", path, "", "If-None-Match: *"); r.status != 400 {
		t.Errorf("If-None-Match: %d", r.status)
	}
	// PO headers are updatable (PATCH) but not deletable.
	po := e.do("GET", poRoot+"PurchaseOrderSet(OrderNo='P10001')", "")
	if r = e.do("PATCH", poRoot+"PurchaseOrderSet(OrderNo='P10001')", `{"BuyerCode":"ZED"}`, "If-Match: "+po.header.Get("ETag")); r.status != 204 {
		t.Errorf("PATCH PO: %d %s", r.status, r.body)
	}
	if r = e.do("DELETE", poRoot+"PurchaseOrderSet(OrderNo='P10001')", "", "If-Match: *"); r.status != 405 {
		t.Errorf("DELETE PO: %d", r.status)
	}
	if r = e.do("PATCH", poRoot+"PurchaseOrderSet(OrderNo='NEW1')", `{"BuyerCode":"ZED"}`); r.status != 404 {
		t.Errorf("upsert into PO set: %d", r.status)
	}

	// DELETE: stale → 412; current → 204, children go too; then 404.
	e.do("POST", path+"/PostingProposalArray", `{"Account":"4020","CurrAmount":1}`)
	if r = e.do("DELETE", path, "", "If-Match: "+etag); r.status != 412 {
		t.Errorf("stale DELETE: %d", r.status)
	}
	cur := e.do("GET", path, "").header.Get("ETag")
	if r = e.do("DELETE", path, "", "If-Match: "+cur); r.status != 204 {
		t.Fatalf("DELETE: %d %s", r.status, r.body)
	}
	if r = e.do("GET", path, ""); r.status != 404 {
		t.Errorf("GET after DELETE: %d", r.status)
	}
	for _, inv := range e.srv.Invoices() {
		if inv.InvoiceNo == "P-1" || inv.InvoiceID == 220001 {
			t.Errorf("deleted invoice still listed: %+v", inv)
		}
	}
	if n := len(e.srv.st.tables[tabPosting]); n != 0 {
		t.Errorf("%d postings left after deleting their invoice", n)
	}
}

func TestConcurrentUserFault(t *testing.T) {
	e := newEnv(t, Config{})
	path, _ := e.createInvoice("C-1", "SUP1001")
	e.srv.SetFaults(Faults{ConcurrentEdits: 1})
	g := e.do("GET", path, "")
	r := e.do("PATCH", path, `{"VoucherText":"mine"}`, "If-Match: "+g.header.Get("ETag"))
	if r.status != 412 {
		t.Fatalf("PATCH after concurrent edit: %d %s", r.status, r.body)
	}
	// The next read-modify-write succeeds: the fault was used up.
	g = e.do("GET", path, "")
	if !strings.Contains(g.json(t)["VoucherText"].(string), "(edited)") {
		t.Errorf("concurrent user left no trace: %s", g.body)
	}
	if r = e.do("PATCH", path, `{"VoucherText":"mine"}`, "If-Match: "+g.header.Get("ETag")); r.status != 204 {
		t.Errorf("retry: %d %s", r.status, r.body)
	}
	// Rate 1: every read is followed by an edit.
	e.srv.SetFaults(Faults{ConcurrentEditRate: 1})
	for i := 0; i < 3; i++ {
		g = e.do("GET", path, "")
		if r = e.do("PATCH", path, `{"VoucherText":"x"}`, "If-Match: "+g.header.Get("ETag")); r.status != 412 {
			t.Errorf("attempt %d: %d", i, r.status)
		}
	}
}

func TestChildEntitiesThroughNavigation(t *testing.T) {
	e := newEnv(t, Config{})
	path, _ := e.createInvoice("N-1", "SUP1001")
	p := e.do("POST", path+"/PostingProposalArray", `{"Account":"4020","CodeB":"110","CurrAmount":60}`)
	if p.status != 201 {
		t.Fatal(p.status, p.body)
	}
	tag := p.header.Get("ETag")
	for _, key := range []string{"(1)", "(RowNo=1)", "(Company='MLC01',InvoiceId=220001,RowNo=1)"} {
		if r := e.do("GET", path+"/PostingProposalArray"+key, ""); r.status != 200 || r.header.Get("ETag") != tag {
			t.Errorf("GET posting %s: %d %s", key, r.status, r.body)
		}
	}
	if r := e.do("GET", path+"/PostingProposalArray(Company='MLC01',InvoiceId=1,RowNo=1)", ""); r.status != 400 {
		t.Errorf("key contradicting the parent: %d", r.status)
	}
	if r := e.do("GET", path+"/PostingProposalArray(2)", ""); r.status != 404 {
		t.Errorf("missing child: %d", r.status)
	}
	r := e.do("PATCH", path+"/PostingProposalArray(1)", `{"Account":"4090"}`, "If-Match: "+tag)
	if r.status != 400 || r.errCode(t) != "DATABASE_ERROR" {
		t.Errorf("PATCH to closed account: %d %s", r.status, r.body)
	}
	r = e.do("PATCH", path+"/PostingProposalArray(1)", `{"CurrAmount":100}`, "If-Match: "+tag)
	if r.status != 204 {
		t.Fatalf("PATCH posting: %d %s", r.status, r.body)
	}
	if r := e.do("DELETE", path+"/PostingProposalArray(1)", "", "If-Match: "+tag); r.status != 412 {
		t.Errorf("stale DELETE of posting: %d", r.status)
	}
	if r := e.do("GET", path+"/PostingProposalArray/$count", ""); r.body != "1" {
		t.Errorf("count %s", r.body)
	}
	if r := e.do("DELETE", path+"/PostingProposalArray(1)", "", "If-Match: *"); r.status != 204 {
		t.Errorf("DELETE posting: %d %s", r.status, r.body)
	}
	if r := e.do("GET", path+"/PostingProposalArray", ""); len(r.values(t)) != 0 {
		t.Errorf("postings left: %s", r.body)
	}
}
