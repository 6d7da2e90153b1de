package ifssim

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// control sends a control API request and returns status and body.
func (e *env) control(method, path, body string) (int, string) {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.hs.URL+e.srv.ControlPrefix()+path, strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// try is do without the fatal on a transport error: a reset connection is
// an expected outcome here.
func (e *env) try(method, path, body string, hdr ...string) (result, error) {
	req, _ := http.NewRequest(method, e.hs.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+e.token)
	req.Header.Set("Content-Type", "application/json")
	for _, h := range hdr {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Set(k, strings.TrimSpace(v))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return result{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return result{resp.StatusCode, resp.Header, string(b)}, err
}

// findInvoice is the client's de-duplication query (reference §4.3).
func (e *env) findInvoice(no, supplier string) []map[string]any {
	e.t.Helper()
	f := url.QueryEscape(fmt.Sprintf("Company eq 'MLC01' and Identity eq '%s' and InvoiceNo eq '%s'", supplier, no))
	r := e.do("GET", invSet+"?$select=Company,InvoiceId,InvoiceNo,Objstate&$filter="+f, "")
	if r.status != 200 {
		e.t.Fatalf("find %s: %d %s", no, r.status, r.body)
	}
	return r.values(e.t)
}

func TestLostAnswerGateway(t *testing.T) {
	e := newEnv(t, Config{})
	if code, body := e.control("POST", "/lose-next-writes", `{"count":1}`); code != 200 || !strings.Contains(body, `"lost_answers":1`) {
		t.Fatalf("lose-next-writes: %d %s", code, body)
	}
	// Reads are never lost, and do not use up the one-shot.
	if r := e.do("GET", poRoot+"PurchaseOrderSet?$top=1", ""); r.status != 200 {
		t.Fatalf("read: %d", r.status)
	}
	// A failed write stores nothing, so its answer is not lost either.
	if r := e.do("POST", invSet, `{"Company":"MLC01","InvoiceNo":"L-0","Identity":"NOPE"}`); r.status != 400 {
		t.Fatalf("failed write: %d %s", r.status, r.body)
	}
	r := e.do("POST", invSet, `{"Company":"MLC01","InvoiceNo":"L-1","Identity":"SUP1001"}`)
	if r.status != 502 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") ||
		!strings.Contains(r.body, "502 Bad Gateway") || r.header.Get("ETag") != "" || r.header.Get("Location") != "" {
		t.Fatalf("lost answer: %d %v %s", r.status, r.header, r.body)
	}
	// The invoice was stored: the de-duplication query finds it once, and a
	// blind retry is refused as a duplicate.
	if got := e.findInvoice("L-1", "SUP1001"); len(got) != 1 || got[0]["InvoiceId"] != float64(220001) || got[0]["Objstate"] != "Preliminary" {
		t.Fatalf("after lost answer: %v", got)
	}
	if r := e.do("POST", invSet, `{"Company":"MLC01","InvoiceNo":"L-1","Identity":"SUP1001"}`); r.status != 400 || r.errCode(t) != "DATABASE_ERROR" {
		t.Errorf("retry of a stored POST: %d %s", r.status, r.body)
	}
	// The one-shot is used up.
	if r := e.do("POST", invSet, `{"Company":"MLC01","InvoiceNo":"L-2","Identity":"SUP1001"}`); r.status != 201 {
		t.Errorf("after the one-shot: %d %s", r.status, r.body)
	}
	if st := e.srv.Stats(); st.LostAnswers != 1 || st.Invoices != 2 || st.ByStatus[201] != 2 {
		t.Errorf("stats %+v", st)
	}

	// PATCH and DELETE answers are lost after the change is made.
	path := invPath("220002")
	etag := e.do("GET", path, "").header.Get("ETag")
	e.srv.LoseNextWrites(2, "")
	if r := e.do("PATCH", path, `{"VoucherText":"landed"}`, "If-Match: "+etag); r.status != 502 {
		t.Fatalf("lost PATCH: %d", r.status)
	}
	g := e.do("GET", path, "")
	if g.json(t)["VoucherText"] != "landed" || g.header.Get("ETag") == etag {
		t.Fatalf("PATCH not stored: %s", g.body)
	}
	if r := e.do("DELETE", path, "", "If-Match: "+g.header.Get("ETag")); r.status != 502 {
		t.Fatalf("lost DELETE: %d", r.status)
	}
	if r := e.do("GET", path, ""); r.status != 404 {
		t.Errorf("DELETE not done: %d", r.status)
	}

	// Control API validation.
	for _, body := range []string{`{"count":0}`, `{"count":1,"mode":"smoke"}`, `{"cnt":1}`, `nope`} {
		if code, _ := e.control("POST", "/lose-next-writes", body); code != 400 {
			t.Errorf("lose-next-writes %s: %d", body, code)
		}
	}
	if code, _ := e.control("PUT", "/faults", `{"lost_answer_rate":1.5}`); code != 400 {
		t.Errorf("rate 1.5 accepted: %d", code)
	}
}

func TestLostAnswerReset(t *testing.T) {
	e := newEnv(t, Config{})
	if code, body := e.control("POST", "/lose-next-writes", `{"count":1,"mode":"reset"}`); code != 200 || !strings.Contains(body, `"lost_answer_mode":"reset"`) {
		t.Fatalf("lose-next-writes: %d %s", code, body)
	}
	r, err := e.try("POST", invSet, `{"Company":"MLC01","InvoiceNo":"R-1","Identity":"SUP1002"}`)
	if err == nil {
		t.Fatalf("reset connection answered: %d %s", r.status, r.body)
	}
	if got := e.findInvoice("R-1", "SUP1002"); len(got) != 1 {
		t.Fatalf("after reset: %v", got)
	}
	// The next write is answered, on a new connection.
	if r, err := e.try("POST", invSet, `{"Company":"MLC01","InvoiceNo":"R-2","Identity":"SUP1002"}`); err != nil || r.status != 201 {
		t.Fatalf("after reset: %v %d", err, r.status)
	}
}

func TestLostAnswerBatch(t *testing.T) {
	e := newEnv(t, Config{Faults: Faults{LostAnswerRate: 1}})
	cs := func(no, account string) (string, string) {
		return buildBatch([][]batchReq{{
			{id: "1", method: "POST", url: "ManSuppInvoiceSet", body: `{"Company":"MLC01","InvoiceNo":"` + no + `","Identity":"SUP1003","NetCurrAmount":50}`},
			{id: "2", method: "POST", url: "$1/InvoiceItemArray", body: `{"NetCurrAmount":50}`},
			{id: "3", method: "POST", url: "$1/PostingProposalArray", body: `{"Account":"` + account + `","CurrAmount":50}`},
		}}, []bool{true})
	}
	// A change set that rolls back stored nothing: its answer arrives.
	body, ct := cs("BL-0", "4090")
	if got := batchStatuses(t, e.do("POST", invRoot+"$batch", body, "Content-Type: "+ct)); !equalInts(got, []int{400}) {
		t.Fatalf("failed change set: %v", got)
	}
	// A change set that commits: stored whole, answer lost.
	body, ct = cs("BL-1", "4020")
	r := e.do("POST", invRoot+"$batch", body, "Content-Type: "+ct)
	if r.status != 502 || !strings.Contains(r.body, "<html>") {
		t.Fatalf("lost batch answer: %d %s", r.status, r.body)
	}
	inv := e.srv.Invoices()
	if len(inv) != 1 || inv[0].InvoiceNo != "BL-1" || len(inv[0].Lines) != 1 || len(inv[0].Postings) != 1 {
		t.Fatalf("stored after lost batch: %+v", inv)
	}
	// A read-only batch is not a write.
	body, ct = buildBatch([][]batchReq{{{method: "GET", url: "ManSuppInvoiceSet"}}}, []bool{false})
	if got := batchStatuses(t, e.do("POST", invRoot+"$batch", body, "Content-Type: "+ct)); !equalInts(got, []int{200}) {
		t.Errorf("read batch: %v", got)
	}
}

// TestLostAnswerRate: a share of committed writes, reproducible from the
// seed; every write is stored whatever the client saw.
func TestLostAnswerRate(t *testing.T) {
	run := func() []int {
		e := newEnv(t, Config{Faults: Faults{LostAnswerRate: 0.3}, FaultSeed: 5})
		var got []int
		for i := 0; i < 40; i++ {
			got = append(got, e.do("POST", invSet, fmt.Sprintf(`{"Company":"MLC01","InvoiceNo":"LR-%d","Identity":"SUP1001"}`, i)).status)
		}
		if n := len(e.srv.Invoices()); n != 40 {
			t.Errorf("%d invoices stored, want 40", n)
		}
		if st := e.srv.Stats(); st.ByStatus[201] != 40 {
			t.Errorf("processed statuses %v", st.ByStatus)
		}
		return got
	}
	a, b := run(), run()
	if !equalInts(a, b) {
		t.Error("lost answers differ between runs with the same seed")
	}
	lost := 0
	for _, s := range a {
		if s == 502 {
			lost++
		}
	}
	if lost < 4 || lost > 24 {
		t.Errorf("%d of 40 answers lost at rate 0.3", lost)
	}
}
