package ifssim

import (
	"bufio"
	"fmt"
	"github.com/ml-connector/ifs-cleo/core/sandbox/world"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// batchReq is one request of a test batch.
type batchReq struct {
	id, method, url, body, ifMatch string
}

// buildBatch writes a $batch body; each inner slice with more than one
// request, or marked by cs, is a change set.
func buildBatch(items [][]batchReq, changeSet []bool) (string, string) {
	var b strings.Builder
	const bb, cb = "batch_1", "changeset_"
	part := func(w *strings.Builder, r batchReq) {
		w.WriteString("Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n")
		if r.id != "" {
			w.WriteString("Content-ID: " + r.id + "\r\n")
		}
		w.WriteString("\r\n")
		fmt.Fprintf(w, "%s %s HTTP/1.1\r\n", r.method, r.url)
		w.WriteString("Accept: application/json\r\n")
		if r.ifMatch != "" {
			w.WriteString("If-Match: " + r.ifMatch + "\r\n")
		}
		if r.body != "" {
			w.WriteString("Content-Type: application/json\r\n\r\n" + r.body + "\r\n")
		} else {
			w.WriteString("\r\n")
		}
	}
	for i, it := range items {
		b.WriteString("--" + bb + "\r\n")
		if !changeSet[i] {
			part(&b, it[0])
			continue
		}
		cs := fmt.Sprintf("%s%d", cb, i)
		b.WriteString("Content-Type: multipart/mixed; boundary=" + cs + "\r\n\r\n")
		for _, r := range it {
			b.WriteString("--" + cs + "\r\n")
			part(&b, r)
		}
		b.WriteString("--" + cs + "--\r\n")
	}
	b.WriteString("--" + bb + "--\r\n")
	return b.String(), "multipart/mixed; boundary=" + bb
}

// batchStatuses flattens a batch response into the status of every part,
// change-set parts in order.
func batchStatuses(t *testing.T, r result) []int {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("$batch: %d %s", r.status, r.body)
	}
	_, params, err := mime.ParseMediaType(r.header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	var walk func(body io.Reader, boundary string)
	walk = func(body io.Reader, boundary string) {
		mr := multipart.NewReader(body, boundary)
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			mt, ps, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
			if mt == "multipart/mixed" {
				walk(p, ps["boundary"])
				continue
			}
			resp, err := http.ReadResponse(bufio.NewReader(p), nil)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, resp.StatusCode)
		}
	}
	walk(strings.NewReader(r.body), params["boundary"])
	return out
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestBatchChangeSet(t *testing.T) {
	e := newEnv(t, Config{})
	header := `{"Company":"MLC01","InvoiceNo":"B-1","Identity":"SUP1003","NetCurrAmount":50}`
	body, ct := buildBatch([][]batchReq{{
		{id: "1", method: "POST", url: "ManSuppInvoiceSet", body: header},
		{id: "2", method: "POST", url: "$1/InvoiceItemArray", body: `{"NetCurrAmount":50,"OrderNo":"P10004"}`},
		{id: "3", method: "POST", url: "$1/PostingProposalArray", body: `{"Account":"4020","CodeB":"210","CurrAmount":50}`},
		{id: "4", method: "PATCH", url: "$1", body: `{"VoucherText":"via batch"}`, ifMatch: "$1"},
	}}, []bool{true})
	r := e.do("POST", invRoot+"$batch", body, "Content-Type: "+ct)
	if got := batchStatuses(t, r); !equalInts(got, []int{201, 201, 201, 204}) {
		t.Fatalf("statuses %v\n%s", got, r.body)
	}
	if !strings.Contains(r.body, "Content-ID: 3") {
		t.Error("Content-ID not echoed")
	}
	inv := e.srv.Invoices()
	if len(inv) != 1 || len(inv[0].Lines) != 1 || len(inv[0].Postings) != 1 {
		t.Fatalf("after batch: %+v", inv)
	}
	if g := e.do("GET", invPath("220001"), ""); g.json(t)["VoucherText"] != "via batch" {
		t.Errorf("If-Match $1: %s", g.body)
	}

	// A failing part rolls back the whole change set.
	body, ct = buildBatch([][]batchReq{{
		{id: "1", method: "POST", url: "ManSuppInvoiceSet", body: `{"Company":"MLC01","InvoiceNo":"B-2","Identity":"SUP1003"}`},
		{id: "2", method: "POST", url: "$1/InvoiceItemArray", body: `{"NetCurrAmount":50}`},
		{id: "3", method: "POST", url: "$1/PostingProposalArray", body: `{"Account":"4090","CurrAmount":50}`},
	}}, []bool{true})
	r = e.do("POST", invRoot+"$batch", body, "Content-Type: "+ct)
	if got := batchStatuses(t, r); !equalInts(got, []int{400}) {
		t.Fatalf("failed change set statuses %v\n%s", got, r.body)
	}
	if !strings.Contains(r.body, "DATABASE_ERROR") {
		t.Errorf("failure body: %s", r.body)
	}
	if inv := e.srv.Invoices(); len(inv) != 1 {
		t.Errorf("rolled-back change set left %d invoices", len(inv))
	}
	// The sequence rolled back too: the next invoice is 220002.
	if r := e.do("POST", invRoot+"ManSuppInvoiceSet", `{"Company":"MLC01","InvoiceNo":"B-3","Identity":"SUP1003"}`); r.json(t)["InvoiceId"] != float64(220002) {
		t.Errorf("after rollback: %s", r.body)
	}
}

func TestBatchTopLevelAndErrors(t *testing.T) {
	e := newEnv(t, Config{})
	bad := batchReq{method: "POST", url: "ManSuppInvoiceSet", body: `{"Company":"MLC01","InvoiceNo":"T-1","Identity":"NOPE"}`}
	good := batchReq{method: "POST", url: "ManSuppInvoiceSet", body: `{"Company":"MLC01","InvoiceNo":"T-2","Identity":"SUP1001"}`}
	read := batchReq{method: "GET", url: "ManSuppInvoiceSet?$select=InvoiceNo"}
	absolute := batchReq{method: "GET", url: invRoot + "ManSuppInvoiceSet"}

	// Without continue-on-error processing stops at the first failure.
	body, ct := buildBatch([][]batchReq{{read}, {bad}, {good}}, []bool{false, false, false})
	r := e.do("POST", invRoot+"$batch", body, "Content-Type: "+ct)
	if got := batchStatuses(t, r); !equalInts(got, []int{200, 400}) {
		t.Errorf("stop on error: %v", got)
	}
	if len(e.srv.Invoices()) != 0 {
		t.Error("part after the failure ran")
	}
	// With it, later parts run.
	r = e.do("POST", invRoot+"$batch", body, "Content-Type: "+ct, "Prefer: odata.continue-on-error")
	if got := batchStatuses(t, r); !equalInts(got, []int{200, 400, 201}) {
		t.Errorf("continue on error: %v", got)
	}
	if r.header.Get("Preference-Applied") != "odata.continue-on-error" {
		t.Errorf("Preference-Applied %q", r.header.Get("Preference-Applied"))
	}
	// Absolute paths of the same service work.
	body, ct = buildBatch([][]batchReq{{absolute}}, []bool{false})
	if got := batchStatuses(t, e.do("POST", invRoot+"$batch", body, "Content-Type: "+ct)); !equalInts(got, []int{200}) {
		t.Errorf("absolute path: %v", got)
	}

	// GET inside a change set is refused as a whole.
	body, ct = buildBatch([][]batchReq{{good, read}}, []bool{true})
	r = e.do("POST", invRoot+"$batch", body, "Content-Type: "+ct)
	if r.status != 400 {
		t.Errorf("GET in change set: %d %s", r.status, r.body)
	}
	for name, tc := range map[string][2]string{
		"not multipart": {"{}", "application/json"},
		"no boundary":   {"x", "multipart/mixed"},
	} {
		if r := e.do("POST", invRoot+"$batch", tc[0], "Content-Type: "+tc[1]); r.status != 400 {
			t.Errorf("%s: %d", name, r.status)
		}
	}
	// Another service's set inside this service's batch.
	body, ct = buildBatch([][]batchReq{{{method: "GET", url: poRoot + "PurchaseOrderSet"}}}, []bool{false})
	if got := batchStatuses(t, e.do("POST", invRoot+"$batch", body, "Content-Type: "+ct)); !equalInts(got, []int{400}) {
		t.Errorf("foreign service: %v", got)
	}
	// Unknown Content-ID reference.
	body, ct = buildBatch([][]batchReq{{{method: "POST", url: "$9/InvoiceItemArray", body: `{}`}}}, []bool{true})
	if got := batchStatuses(t, e.do("POST", invRoot+"$batch", body, "Content-Type: "+ct)); !equalInts(got, []int{400}) {
		t.Errorf("unknown $ref: %v", got)
	}
}

// TestBatchRollbackUndo: a change set that updates, deletes and creates
// before failing leaves every touched table exactly as it was (rows, ETags,
// children, key sequence, History Log), and the store works normally after.
func TestBatchRollbackUndo(t *testing.T) {
	e := newEnv(t, Config{HistoryLog: true})
	pathA, etagA := e.createInvoice("U-A", "SUP1001")
	pathB, _ := e.createInvoice("U-B", "SUP1002")
	e.do("POST", pathB+"/PostingProposalArray", `{"Account":"4020","CurrAmount":5}`)
	e.do("POST", pathB+"/InvoiceItemArray", `{"NetCurrAmount":5}`)
	etagB := e.do("GET", pathB, "").header.Get("ETag") // the children changed it
	snapshot := func() string {
		var b strings.Builder
		for _, p := range []string{invSet, pathA, pathB, pathB + "/PostingProposalArray", pathB + "/InvoiceItemArray",
			poRoot + "PurchaseOrderSet(OrderNo='P10001')", poRoot + "PurchaseOrderSet(OrderNo='P10001')/PurchaseOrderLineArray",
			"/main/ifsapplications/projection/v1/HistoryLogHandling.svc/HistoryLogOverviewSet"} {
			r := e.do("GET", p, "")
			fmt.Fprintf(&b, "%s %d %s %s\n", p, r.status, r.header.Get("ETag"), r.body)
		}
		return b.String()
	}
	before := snapshot()
	rel := func(p string) string { return strings.TrimPrefix(p, invRoot) }

	body, ct := buildBatch([][]batchReq{{
		{id: "1", method: "PATCH", url: rel(pathA), body: `{"VoucherText":"changed"}`, ifMatch: etagA},
		{id: "2", method: "DELETE", url: rel(pathB), ifMatch: etagB},
		{id: "3", method: "POST", url: "ManSuppInvoiceSet", body: `{"Company":"MLC01","InvoiceNo":"U-C","Identity":"SUP1003"}`},
		{id: "4", method: "POST", url: "$3/InvoiceItemArray", body: `{"NetCurrAmount":1}`},
		{id: "5", method: "PATCH", url: "$3", body: `{"VoucherText":"new"}`, ifMatch: "$3"},
		{id: "6", method: "POST", url: "$3/PostingProposalArray", body: `{"Account":"4090","CurrAmount":1}`},
	}}, []bool{true})
	if got := batchStatuses(t, e.do("POST", invRoot+"$batch", body, "Content-Type: "+ct)); !equalInts(got, []int{400}) {
		t.Fatalf("statuses %v", got)
	}
	// PO changes (with History Log entries) rolled back in their own service.
	po := e.do("GET", poRoot+"PurchaseOrderSet(OrderNo='P10001')", "").header.Get("ETag")
	body, ct = buildBatch([][]batchReq{{
		{id: "1", method: "PATCH", url: "PurchaseOrderSet(OrderNo='P10001')", body: `{"BuyerCode":"ZED"}`, ifMatch: po},
		{id: "2", method: "PATCH", url: "PurchaseOrderSet(OrderNo='P10001')/PurchaseOrderLineArray(LineNo='1',ReleaseNo='1')", body: `{"Description":"x"}`, ifMatch: "*"},
		{id: "3", method: "PATCH", url: "PurchaseOrderSet(OrderNo='NOPE')", body: `{"BuyerCode":"ZED"}`, ifMatch: "*"},
	}}, []bool{true})
	if got := batchStatuses(t, e.do("POST", poRoot+"$batch", body, "Content-Type: "+ct)); !equalInts(got, []int{404}) {
		t.Fatalf("PO statuses %v", got)
	}
	if after := snapshot(); after != before {
		t.Fatalf("rolled-back change sets changed the store:\nbefore %s\nafter  %s", before, after)
	}

	// The same change set without the failing part commits, and the key
	// sequence continues where the rolled-back one had started.
	body, ct = buildBatch([][]batchReq{{
		{id: "1", method: "PATCH", url: rel(pathA), body: `{"VoucherText":"changed"}`, ifMatch: etagA},
		{id: "2", method: "DELETE", url: rel(pathB), ifMatch: etagB},
		{id: "3", method: "POST", url: "ManSuppInvoiceSet", body: `{"Company":"MLC01","InvoiceNo":"U-C","Identity":"SUP1003"}`},
		{id: "4", method: "POST", url: "$3/InvoiceItemArray", body: `{"NetCurrAmount":1}`},
	}}, []bool{true})
	if got := batchStatuses(t, e.do("POST", invRoot+"$batch", body, "Content-Type: "+ct)); !equalInts(got, []int{204, 204, 201, 201}) {
		t.Fatalf("commit statuses %v", got)
	}
	inv := e.srv.Invoices()
	if len(inv) != 2 || inv[0].InvoiceNo != "U-A" || inv[1].InvoiceNo != "U-C" || inv[1].InvoiceID != 220003 || len(inv[1].Lines) != 1 {
		t.Fatalf("after commit: %+v", inv)
	}
	if g := e.do("GET", pathA, ""); g.json(t)["VoucherText"] != "changed" {
		t.Errorf("PATCH not committed: %s", g.body)
	}
	for _, p := range []string{pathB, pathB + "/PostingProposalArray"} {
		if r := e.do("GET", p, ""); r.status != 404 {
			t.Errorf("GET %s after committed DELETE: %d", p, r.status)
		}
	}
	if r := e.do("GET", invPath("220003")+"/InvoiceItemArray", ""); len(r.values(t)) != 1 {
		t.Errorf("lines of the committed invoice: %s", r.body)
	}
	seeded := 0 // the seeded self-billing invoices' lines
	for _, inv := range world.SelfBillingInvoices(e.srv.world) {
		seeded += len(inv.Lines)
	}
	if n := len(e.srv.st.tables[tabPosting]) + len(e.srv.st.tables[tabItem]) - seeded; n != 1 {
		t.Errorf("%d child rows, want only U-C's line", n)
	}
	if e.srv.st.undo != nil {
		t.Error("undo log left open")
	}
}

// TestInvoiceNumberIndex: the duplicate check and a filter by company,
// supplier and number go through an index; it follows a PATCH that
// renumbers an invoice and a change set that renumbers one and rolls back.
func TestInvoiceNumberIndex(t *testing.T) {
	e := newEnv(t, Config{})
	find := func(no string) int {
		t.Helper()
		q := url.QueryEscape(fmt.Sprintf("Company eq 'MLC01' and Identity eq 'SUP1003' and InvoiceNo eq '%s'", no))
		r := e.do("GET", invRoot+"ManSuppInvoiceSet?$filter="+q, "")
		if r.status != 200 {
			t.Fatalf("find %s: %d %s", no, r.status, r.body)
		}
		return len(r.values(t))
	}
	post := func(no string) result {
		return e.do("POST", invRoot+"ManSuppInvoiceSet", fmt.Sprintf(`{"Company":"MLC01","InvoiceNo":"%s","Identity":"SUP1003"}`, no))
	}
	if r := post("N-1"); r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	if find("N-1") != 1 || find("N-2") != 0 {
		t.Fatal("the created invoice is not found by its number alone")
	}
	// Renumbered by PATCH: found under the new number only, and the old
	// number is free again while the new one is taken.
	g := e.do("GET", invPath("220001"), "")
	if r := e.do("PATCH", invPath("220001"), `{"InvoiceNo":"N-2"}`, "If-Match: "+g.header.Get("ETag")); r.status != 204 {
		t.Fatalf("renumber: %d %s", r.status, r.body)
	}
	if find("N-1") != 0 || find("N-2") != 1 {
		t.Errorf("after the PATCH: N-1 found %d times, N-2 %d, want 0 and 1", find("N-1"), find("N-2"))
	}
	if r := post("N-2"); r.status != 400 || !strings.Contains(r.body, "DUPLINVNO") {
		t.Errorf("a second N-2: %d %s, want the duplicate refused", r.status, r.body)
	}
	// Renumbered inside a change set that then fails: rolled back, so it
	// is found under N-2 again, not N-3.
	g = e.do("GET", invPath("220001"), "")
	body, ct := buildBatch([][]batchReq{{
		{id: "1", method: "PATCH", url: "ManSuppInvoiceSet(Company='MLC01',InvoiceId=220001)", body: `{"InvoiceNo":"N-3"}`, ifMatch: g.header.Get("ETag")},
		{id: "2", method: "POST", url: "ManSuppInvoiceSet", body: `{"Company":"MLC01","InvoiceNo":"N-4","Identity":"NOPE"}`},
	}}, []bool{true})
	if got := batchStatuses(t, e.do("POST", invRoot+"$batch", body, "Content-Type: "+ct)); !equalInts(got, []int{400}) {
		t.Fatalf("failing change set: %v", got)
	}
	if find("N-2") != 1 || find("N-3") != 0 {
		t.Errorf("after the rollback: N-2 found %d times, N-3 %d, want 1 and 0", find("N-2"), find("N-3"))
	}
	if r := post("N-1"); r.status != 201 {
		t.Errorf("N-1 after renumbering: %d %s, want it free", r.status, r.body)
	}
}
