package bridge_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/store"
	"github.com/ml-connector/ifs-cleo/ui"
	"github.com/ml-connector/ifs-cleo/ui/documents"
)

// Re-coding from the Documents screen over the real engine and the IFS
// sandbox: the posting proposal is read from IFS, one row re-coded to
// another valid account (If-Match, audited on the document), and IFS reads
// back the new coding while the other rows stay as they were.
func TestDocumentsRecodeGLInIFS(t *testing.T) {
	e, u, run := syncedUI(t)
	posted, err := e.st.Documents(e.ctx, store.DocumentQuery{Type: store.Type810, Direction: store.Inbound,
		Statuses: []store.Status{store.StatusPosted}, Limit: 1})
	if err != nil || len(posted) == 0 {
		t.Fatalf("no posted invoice: %v", err)
	}
	d := posted[0]
	u.Show(ui.ScreenDocuments)
	u.Documents.Search(d.BusinessKey)
	run.Drain()
	if len(u.Documents.Rows()) == 0 {
		t.Fatalf("search %s found nothing", d.BusinessKey)
	}
	u.Documents.Open(0)
	run.Drain()
	rc, ok := e.b.Params().Documents.(documents.Recoder)
	if !ok {
		t.Fatal("the bridge's documents source cannot re-code")
	}
	before, err := rc.Postings(e.ctx, d.ID)
	if err != nil || len(before) == 0 {
		t.Fatalf("postings of %s: %+v %v", d.BusinessKey, before, err)
	}
	accs, err := e.st.CodePartValues(e.ctx, e.sb.Company, "A")
	if err != nil {
		t.Fatal(err)
	}
	to := ""
	for _, a := range accs {
		if a.Value != before[0].Account && a.Valid(time.Now()) {
			to = a.Value
			break
		}
	}
	if to == "" {
		t.Fatal("no other valid account")
	}
	u.Documents.Recode(documents.Recode{Row: 1, Account: to, CodeB: before[0].CodeB})
	run.Drain()
	if msg := u.Documents.Error(); msg != "" {
		t.Fatalf("re-code refused: %s", msg)
	}
	if r := u.Documents.ExportResult(); !strings.Contains(r, "re-coded from "+before[0].Account) || !strings.Contains(r, to) {
		t.Fatalf("result %q", r)
	}
	after, err := rc.Postings(e.ctx, d.ID)
	if err != nil || len(after) != len(before) {
		t.Fatalf("postings after: %+v %v", after, err)
	}
	if after[0].Account != to || after[0].Amount != before[0].Amount {
		t.Fatalf("row 1 in IFS: %+v, want account %s and amount %s", after[0], to, before[0].Amount)
	}
	for i := 1; i < len(after); i++ {
		if after[i] != before[i] {
			t.Fatalf("row %d changed: %+v → %+v", i+1, before[i], after[i])
		}
	}
	cur := u.Documents.Current()
	found := false
	for _, ev := range cur.Timeline {
		found = found || ev.Action == "invoice.recoded"
	}
	if !found {
		t.Fatalf("the timeline shows no re-coding: %+v", cur.Timeline)
	}
	// An account IFS does not know is refused in place.
	u.Documents.Recode(documents.Recode{Row: 1, Account: "zzz"})
	run.Drain()
	if msg := u.Documents.Error(); !strings.Contains(msg, "zzz") {
		t.Fatalf("unknown account: %q", msg)
	}
}
