package engine

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ml-connector/ifs-cleo/core/sandbox/cleosim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/ifssim"
	"github.com/ml-connector/ifs-cleo/core/store"
)

// TestE2EOneFailingReferenceReadDoesNotStall: the accounts' second page is
// lost (the way a client that misreads relative next links loses it). The
// refresh stores the suppliers and partners it did read, keeps the last
// good accounts, raises REFERENCE_READ_FAILED for the accounts alone, and
// the invoice flow posts with the data it has. When the page is back, a
// replay of the exception reads again and resolves it.
func TestE2EOneFailingReferenceReadDoesNotStall(t *testing.T) {
	s := newSandboxes(t, ifssim.Config{PageSize: 3}, cleosim.Config{})
	s.sync(FlowReference)
	accounts, err := s.st.CodePartValues(s.ctx, s.w.Company.ID, "A")
	if err != nil || len(accounts) != len(s.w.Accounts) || len(accounts) <= 3 {
		t.Fatalf("first refresh: %d accounts (world %d, page size 3): %v", len(accounts), len(s.w.Accounts), err)
	}
	secondPage := func(r *http.Request) bool {
		q := r.URL.Query()
		return strings.HasSuffix(r.URL.Path, "/CodeAArray") && (q.Has("$skiptoken") || q.Has("$skip"))
	}
	s.breakIFS.set(secondPage)

	res, err := s.eng.RunFlow(s.ctx, FlowReference)
	if err != nil {
		t.Fatalf("a refresh with one failing read must not fail the run: %v", err)
	}
	if res.Failed != 1 {
		t.Errorf("run result %+v, want one failed read", res)
	}
	excs, _, err := s.eng.Exceptions(s.ctx, store.ExceptionQuery{Reasons: []string{string(ReasonReferenceRead)}, Limit: 10})
	if err != nil || len(excs) != 1 {
		t.Fatalf("REFERENCE_READ_FAILED exceptions: %d %v", len(excs), err)
	}
	exc := excs[0]
	if exc.Subject != "reference:accounts" || !strings.Contains(exc.Message, "IFS accounts") ||
		!strings.Contains(exc.Message, "404") || !strings.Contains(exc.Message, "last successful refresh stays in use") {
		t.Errorf("exception %s: %q", exc.Subject, exc.Message)
	}
	// The last good copy of the accounts is kept, the other reads stored.
	if kept, _ := s.st.CodePartValues(s.ctx, s.w.Company.ID, "A"); len(kept) != len(accounts) {
		t.Errorf("accounts after the failed read: %d, want the last good %d", len(kept), len(accounts))
	}
	if sups, _ := s.st.Suppliers(s.ctx); len(sups) != len(s.w.Suppliers) {
		t.Errorf("suppliers stored: %d, want %d", len(sups), len(s.w.Suppliers))
	}
	evs, _ := s.st.Events(s.ctx, store.EventQuery{Subject: "reference", Limit: 1})
	if len(evs) != 1 || !strings.Contains(string(evs[0].DetailJSON()), `"accounts_error"`) ||
		!strings.Contains(string(evs[0].DetailJSON()), `"suppliers":`) {
		t.Errorf("audit of the refresh: %+v", evs)
	}
	// A second failing refresh keeps one exception open, not two.
	s.sync(FlowReference)
	if again, _, _ := s.eng.Exceptions(s.ctx, store.ExceptionQuery{Reasons: []string{string(ReasonReferenceRead)}, Limit: 10}); len(again) != 1 {
		t.Errorf("%d open exceptions after a second failure, want 1", len(again))
	}

	// The invoice and PO flows go on with the data they have.
	before := len(s.isim.Invoices())
	s.sync(FlowPOs, FlowInvoices)
	if len(s.isim.Invoices()) <= before {
		t.Errorf("no invoice posted while the accounts could not be read (%d before, %d after)", before, len(s.isim.Invoices()))
	}

	// Replay while still broken: still failing, open.
	if r, err := s.eng.Replay(s.ctx, exc.ID); err != nil || r.Outcome != "still_failing" || r.Status != string(store.ExceptionOpen) {
		t.Errorf("replay while broken: %+v %v", r, err)
	}
	s.breakIFS.set(nil)
	r, err := s.eng.Replay(s.ctx, exc.ID)
	if err != nil || r.Status != string(store.ExceptionResolved) {
		t.Fatalf("replay after the fix: %+v %v", r, err)
	}
	if open, _, _ := s.eng.Exceptions(s.ctx, store.ExceptionQuery{Reasons: []string{string(ReasonReferenceRead)}, Limit: 10}); len(open) != 0 {
		t.Errorf("%d still open", len(open))
	}
}
