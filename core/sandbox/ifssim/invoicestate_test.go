package ifssim

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

// TestInvoiceStateControl: the control API posts and cancels invoices, so a
// client's duplicate search that ignores Cancelled ones can be tested.
func TestInvoiceStateControl(t *testing.T) {
	e := newEnv(t, Config{})
	path, etag := e.createInvoice("S-1", "SUP1001")
	code, body := e.control("POST", "/invoices/220001", `{"state":"Cancelled"}`)
	var inv struct {
		InvoiceID int64  `json:"InvoiceID"`
		State     string `json:"State"`
		ETag      string `json:"ETag"`
	}
	if code != 200 || json.Unmarshal([]byte(body), &inv) != nil || inv.State != "Cancelled" || inv.InvoiceID != 220001 {
		t.Fatalf("cancel: %d %s", code, body)
	}
	g := e.do("GET", path, "")
	if g.json(t)["Objstate"] != "Cancelled" || g.header.Get("ETag") == etag || g.header.Get("ETag") != inv.ETag {
		t.Fatalf("after cancel: %s %s", g.header.Get("ETag"), g.body)
	}
	// The client's duplicate search skips Cancelled invoices.
	notCancelled := url.QueryEscape("InvoiceNo eq 'S-1' and Objstate ne IfsApp.ManualSupplierInvoiceHandling.ManSuppInvoiceState'Cancelled'")
	if r := e.do("GET", invSet+"?$filter="+notCancelled, ""); len(r.values(t)) != 0 {
		t.Errorf("cancelled invoice found by the duplicate search: %s", r.body)
	}
	if got := e.findInvoice("S-1", "SUP1001"); len(got) != 1 || got[0]["Objstate"] != "Cancelled" {
		t.Errorf("unfiltered search: %v", got)
	}
	// A cancelled invoice no longer blocks its number.
	r := e.do("POST", invSet, `{"Company":"MLC01","InvoiceNo":"S-1","Identity":"SUP1001"}`)
	if r.status != 201 || r.json(t)["InvoiceId"] != float64(220002) {
		t.Fatalf("re-post after cancel: %d %s", r.status, r.body)
	}
	if r := e.do("GET", invSet+"?$filter="+notCancelled, ""); len(r.values(t)) != 1 {
		t.Errorf("duplicate search after re-post: %s", r.body)
	}
	// Posted: still blocks the number, cannot be deleted, cannot be cancelled.
	if code, body := e.control("POST", "/invoices/220002", `{"state":"Posted"}`); code != 200 || !strings.Contains(body, `"State":"Posted"`) {
		t.Fatalf("post: %d %s", code, body)
	}
	if r := e.do("POST", invSet, `{"Company":"MLC01","InvoiceNo":"S-1","Identity":"SUP1001"}`); r.status != 400 || r.errCode(t) != "DATABASE_ERROR" {
		t.Errorf("duplicate of a posted invoice: %d %s", r.status, r.body)
	}
	if r := e.do("DELETE", invPath("220002"), "", "If-Match: *"); r.status != 400 || r.errCode(t) != "DATABASE_ERROR" {
		t.Errorf("DELETE posted: %d %s", r.status, r.body)
	}
	for _, tc := range []struct {
		path, body string
		want       int
	}{
		{"/invoices/220002", `{"state":"Cancelled"}`, 409},   // posted cannot be cancelled
		{"/invoices/220002", `{"state":"Preliminary"}`, 409}, // no way back
		{"/invoices/220002", `{"state":"Posted"}`, 200},      // same state: no-op
		{"/invoices/220002", `{"state":"PaidPosted"}`, 200},  // paid
		{"/invoices/220002", `{"state":"Flying"}`, 400},
		{"/invoices/220002", `{"status":"Posted"}`, 400},
		{"/invoices/999", `{"state":"Posted"}`, 404},
		{"/invoices/abc", `{"state":"Posted"}`, 404},
	} {
		if code, body := e.control("POST", tc.path, tc.body); code != tc.want {
			t.Errorf("POST %s %s: %d, want %d (%s)", tc.path, tc.body, code, tc.want, body)
		}
	}
	if code, body := e.control("GET", "/invoices/220002", ""); code != 200 || !strings.Contains(body, `"State":"PaidPosted"`) {
		t.Errorf("GET one: %d %s", code, body)
	}
	if err := e.srv.SetInvoiceState("MLC01", 220001, "Posted"); err == nil {
		t.Error("Cancelled → Posted allowed")
	}
}

// TestDeleteNeedsIfMatch: DELETE without If-Match is refused with 428 and
// deletes nothing, directly and inside a change set.
func TestDeleteNeedsIfMatch(t *testing.T) {
	e := newEnv(t, Config{})
	path, etag := e.createInvoice("DM-1", "SUP1001")
	r := e.do("DELETE", path, "")
	if r.status != 428 || r.errCode(t) != "PRECONDITION_REQUIRED" {
		t.Fatalf("DELETE without If-Match: %d %s", r.status, r.body)
	}
	if g := e.do("GET", path, ""); g.status != 200 || g.header.Get("ETag") != etag {
		t.Fatalf("record changed by a refused DELETE: %d", g.status)
	}
	body, ct := buildBatch([][]batchReq{{
		{id: "1", method: "POST", url: "ManSuppInvoiceSet", body: `{"Company":"MLC01","InvoiceNo":"DM-2","Identity":"SUP1001"}`},
		{id: "2", method: "DELETE", url: strings.TrimPrefix(path, invRoot)},
	}}, []bool{true})
	if got := batchStatuses(t, e.do("POST", invRoot+"$batch", body, "Content-Type: "+ct)); !equalInts(got, []int{428}) {
		t.Fatalf("batch DELETE without If-Match: %v", got)
	}
	if n := len(e.srv.Invoices()); n != 1 {
		t.Errorf("%d invoices after the refused change set", n)
	}
	if r := e.do("DELETE", path, "", "If-Match: "+etag); r.status != 204 {
		t.Errorf("DELETE with If-Match: %d %s", r.status, r.body)
	}
}
