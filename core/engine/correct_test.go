package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/money"
	"github.com/ml-connector/ifs-cleo/core/sandbox/cleosim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/ifssim"
	"github.com/ml-connector/ifs-cleo/core/store"
)

// correctionCase posts the seeded world, picks a posted invoice whose first
// line bills at least two units, and has its supplier re-send it with the
// same number and one unit fewer on that line: the correction, worked out
// from the posted set by hand (IT102 − 1, TDS − IT104, new ISA13/GS06).
type correctionCase struct {
	s        *sandboxes
	earlier  store.Document
	unit     money.Decimal // IT104 of the changed line
	gross    money.Decimal // the earlier gross
	wantGros money.Decimal // gross after the correction
	patches  *atomic.Int64 // PATCH requests IFS received for invoices (suppliers get their EDI identity)
	noMatch  *atomic.Int64 // PATCH or DELETE without If-Match, or with *
}

// batchWrites counts the PATCHes in a $batch body and the PATCHes and
// DELETEs in it without an If-Match holding an ETag.
func batchWrites(body string) (patches, unmatched int) {
	lines := strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n")
	for i, l := range lines {
		patch, del := strings.HasPrefix(l, "PATCH "), strings.HasPrefix(l, "DELETE ")
		if !patch && !del {
			continue
		}
		if patch {
			patches++
		}
		matched := false
		for _, h := range lines[i+1:] {
			if h == "" {
				break
			}
			if v, ok := strings.CutPrefix(h, "If-Match: "); ok && v != "*" && v != "" {
				matched = true
			}
		}
		if !matched {
			unmatched++
		}
	}
	return patches, unmatched
}

func newCorrectionCase(t *testing.T) *correctionCase {
	s := newSandboxes(t, ifssim.Config{}, cleosim.Config{})
	c := &correctionCase{s: s, patches: &atomic.Int64{}, noMatch: &atomic.Int64{}}
	s.breakIFS.set(func(r *http.Request) bool {
		if r.Method == http.MethodPatch || r.Method == http.MethodDelete {
			if r.Method == http.MethodPatch && !strings.Contains(r.URL.Path, "SupplierInfoGeneralSet") {
				c.patches.Add(1)
			}
			if m := r.Header.Get("If-Match"); m == "" || m == "*" {
				c.noMatch.Add(1)
			}
		}
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/$batch") {
			// The writes inside a change set, each with its own headers.
			b, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(b))
			patches, unmatched := batchWrites(string(b))
			c.patches.Add(int64(patches))
			c.noMatch.Add(int64(unmatched))
		}
		return false
	})
	s.sync()
	docs := s.invoiceDocs()
	for _, k := range sortedKeys(docs) {
		d := docs[k]
		if d.Status != store.StatusPosted {
			continue
		}
		full, err := s.st.Document(s.ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		raw := string(full.RawEDI)
		if strings.Contains(raw, "TXI") || strings.Contains(raw, "SAC") {
			continue
		}
		var it1 []string
		for _, sg := range strings.Split(raw, "~") {
			if f := strings.Split(strings.TrimSpace(sg), "*"); f[0] == "IT1" {
				it1 = f
				break
			}
		}
		if len(it1) < 5 {
			continue
		}
		qty, err1 := money.Parse(it1[2])
		unit, err2 := money.Parse(it1[4])
		if err1 != nil || err2 != nil || qty.Cmp(money.FromInt(2)) < 0 {
			continue
		}
		c.earlier, c.unit, c.gross = full, unit, full.Amount
		c.wantGros = full.Amount.Sub(unit)
		return c
	}
	t.Fatal("no posted invoice of two or more units without tax or charges in the seeded world")
	return nil
}

// resend injects the corrected 810 from the earlier one's sender.
func (c *correctionCase) resend(t *testing.T) {
	t.Helper()
	f, err := c.s.st.InboundFile(c.s.ctx, c.earlier.InboundFileID)
	if err != nil {
		t.Fatal(err)
	}
	// The earlier file's ISA and GS, with new control numbers.
	env := strings.SplitN(string(f.Raw), "~", 3)
	isa := strings.Split(strings.TrimSpace(env[0]), "*")
	isa[13] = "000077777"
	gs := strings.Split(strings.TrimSpace(env[1]), "*")
	gs[6] = "77777"
	out := []string{strings.Join(isa, "*"), strings.Join(gs, "*")}
	done := false
	for _, sg := range strings.Split(string(c.earlier.RawEDI), "~") {
		sg = strings.TrimSpace(sg)
		if sg == "" {
			continue
		}
		f := strings.Split(sg, "*")
		switch f[0] {
		case "IT1":
			if !done { // the first IT1 only
				q, _ := money.Parse(f[2])
				f[2] = q.Sub(money.FromInt(1)).String()
				done = true
			}
		case "TDS":
			cents, _ := money.Parse(f[1])
			f[1] = cents.Sub(c.unit.Mul(money.FromInt(100))).Round(0).String()
		}
		out = append(out, strings.Join(f, "*"))
	}
	out = append(out, "GE*1*77777", "IEA*1*000077777")
	corrected := strings.Join(out, "~\n") + "~\n"
	conn := f.Partner
	if conn == "" {
		t.Fatalf("no Cleo connection recorded for %s", c.earlier.BusinessKey)
	}
	if _, err := c.s.csim.Inject(conn, "corrected-"+c.earlier.BusinessKey+".edi", []byte(corrected), c.s.w.Today); err != nil {
		t.Fatal(err)
	}
	c.s.sync(FlowInvoices)
}

func (c *correctionCase) pending(t *testing.T) (store.Exception, CorrectionContext) {
	t.Helper()
	excs, _, err := c.s.eng.Exceptions(c.s.ctx, store.ExceptionQuery{Reasons: []string{string(ReasonCorrectionPending)}, Limit: 10})
	if err != nil || len(excs) != 1 {
		t.Fatalf("CORRECTION_PENDING exceptions: %d %v", len(excs), err)
	}
	var cc CorrectionContext
	if err := json.Unmarshal(excs[0].Context, &cc); err != nil {
		t.Fatal(err)
	}
	return excs[0], cc
}

func (c *correctionCase) ifsInvoice(t *testing.T) domain.SupplierInvoice {
	t.Helper()
	for _, inv := range c.s.isim.Invoices() {
		if inv.InvoiceID == c.earlier.IFSInvoiceID {
			return inv
		}
	}
	t.Fatalf("IFS invoice %d not found", c.earlier.IFSInvoiceID)
	return domain.SupplierInvoice{}
}

// A corrected re-send of an unapproved invoice: side by side, then applied
// to the same IFS invoice with If-Match; the amounts in IFS are the
// corrected ones and the PO line is billed once, with the corrected amount.
func TestE2ECorrectionApplied(t *testing.T) {
	c := newCorrectionCase(t)
	c.resend(t)
	exc, cc := c.pending(t)
	if cc.IFSInvoiceID != c.earlier.IFSInvoiceID || cc.OtherDocument != c.earlier.ID || cc.IFSState != "Preliminary" {
		t.Fatalf("context %+v", cc)
	}
	var gross *FieldDiff
	for i := range cc.Fields {
		if cc.Fields[i].Field == "gross amount" {
			gross = &cc.Fields[i]
		}
	}
	if gross == nil || gross.Corrected != c.wantGros.StringFixed(2) || gross.IFSNow != c.gross.StringFixed(2) || !gross.Differs {
		t.Fatalf("gross side by side: %+v (want %s → %s)", gross, c.gross, c.wantGros)
	}
	before := len(c.s.isim.Invoices())
	res, err := c.s.eng.UpdateIFSInvoice(c.s.ctx, exc.ID, false)
	if err != nil || res.Outcome != "updated" {
		t.Fatalf("update: %+v %v", res, err)
	}
	inv := c.ifsInvoice(t)
	if !grossOf(inv).Equal(c.wantGros) || len(c.s.isim.Invoices()) != before {
		t.Errorf("IFS invoice gross %s (want %s), %d invoices (want %d)", grossOf(inv), c.wantGros, len(c.s.isim.Invoices()), before)
	}
	if c.patches.Load() == 0 || c.noMatch.Load() != 0 {
		t.Errorf("%d PATCHes, %d without If-Match", c.patches.Load(), c.noMatch.Load())
	}
	// Audit: the intent with the ETag seen, the attempts with both ETags.
	evs, _ := c.s.st.Events(c.s.ctx, store.EventQuery{DocumentID: exc.DocumentID, Limit: 50})
	var intent, attempts bool
	for _, e := range evs {
		j := string(e.DetailJSON())
		intent = intent || e.Action == "invoice.correction_intent" && strings.Contains(j, `"seen_etag":"W/`)
		attempts = attempts || e.Action == "invoice.correction_attempts" && strings.Contains(j, `"if_match":"W/`) && strings.Contains(j, `"etag_new":"W/`)
	}
	if !intent || !attempts {
		t.Errorf("audit: intent %v attempts %v", intent, attempts)
	}
	// Billed once: the earlier document no longer counts, the corrected does.
	_, pf, _ := c.s.eng.loadParsed(c.s.ctx, c.earlier.ID)
	billed, err := c.s.st.BilledToDate(c.s.ctx, pf.Invoice.PONumber, 0)
	if err != nil {
		t.Fatal(err)
	}
	for k, b := range billed {
		for _, id := range b.Documents {
			if id == c.earlier.ID {
				t.Errorf("PO line %s still billed by the superseded document %d", k, id)
			}
		}
	}
	d, _ := c.s.st.Document(c.s.ctx, exc.DocumentID)
	if d.Status != store.StatusPosted || d.IFSInvoiceID != c.earlier.IFSInvoiceID {
		t.Errorf("corrected document: %s, IFS %d", d.Status, d.IFSInvoiceID)
	}
}

// Someone changes the invoice's net amount in IFS after the clerk looked:
// the correction stops with the three values, nothing is written; with
// reapply the supplier's values go over IFS's.
func TestE2ECorrectionConflict(t *testing.T) {
	c := newCorrectionCase(t)
	c.resend(t)
	exc, cc := c.pending(t)
	edited := cc.Seen
	edited.NetAmount = edited.NetAmount.Add(money.MustParse("5.00"))
	if _, err := c.s.ic.CorrectSupplierInvoice(c.s.ctx, cc.Seen, edited); err != nil {
		t.Fatal(err)
	}
	res, err := c.s.eng.UpdateIFSInvoice(c.s.ctx, exc.ID, false)
	if err != nil || res.Outcome != "conflict" || len(res.Conflicts) == 0 {
		t.Fatalf("update over another user's change: %+v %v", res, err)
	}
	msg := res.Message
	if !strings.Contains(msg, "IFS now says "+edited.NetAmount.String()) && !strings.Contains(msg, "IFS now says "+edited.NetAmount.StringFixed(2)) {
		t.Errorf("conflict message %q does not say what IFS says now (%s)", msg, edited.NetAmount)
	}
	if inv := c.ifsInvoice(t); !inv.NetAmount.Equal(edited.NetAmount) {
		t.Errorf("a conflict wrote to IFS: net %s", inv.NetAmount)
	}
	if e2, _ := c.s.st.Exception(c.s.ctx, exc.ID); e2.State != store.ExceptionOpen {
		t.Errorf("exception after the conflict: %s", e2.State)
	}
	res, err = c.s.eng.UpdateIFSInvoice(c.s.ctx, exc.ID, true)
	if err != nil || res.Outcome != "updated" {
		t.Fatalf("re-apply: %+v %v", res, err)
	}
	if inv := c.ifsInvoice(t); !grossOf(inv).Equal(c.wantGros) {
		t.Errorf("after re-apply: gross %s, want %s", grossOf(inv), c.wantGros)
	}
}

// The earlier invoice is approved (posted) in IFS: the re-send is a
// duplicate that says so and what to do; nothing is written.
func TestE2ECorrectionOfApprovedInvoiceRefused(t *testing.T) {
	c := newCorrectionCase(t)
	if err := c.s.isim.SetInvoiceState(c.s.w.Company.ID, c.earlier.IFSInvoiceID, "Posted"); err != nil {
		t.Fatal(err)
	}
	c.resend(t)
	excs, _, _ := c.s.eng.Exceptions(c.s.ctx, store.ExceptionQuery{Reasons: []string{string(ReasonDuplicateNumber)}, Limit: 50})
	found := false
	for _, e := range excs {
		found = found || strings.Contains(e.Message, fmt.Sprintf("IFS invoice %d is Posted and can no longer be changed", c.earlier.IFSInvoiceID)) &&
			strings.Contains(e.Fix, "credit note")
	}
	if !found {
		t.Errorf("no duplicate exception explaining the posted invoice: %+v", excs)
	}
	if inv := c.ifsInvoice(t); !grossOf(inv).Equal(c.gross) || c.patches.Load() != 0 {
		t.Errorf("IFS changed: gross %s, %d PATCHes", grossOf(inv), c.patches.Load())
	}
}

// GL re-coding of a posted invoice's posting proposal: checked against
// IFS's accounts first, written with If-Match (through another user's save
// of the row's text: a 412, re-read, re-applied), audited, and optionally
// saved as the supplier's rule.
func TestE2ERecodeGL(t *testing.T) {
	c := newCorrectionCase(t)
	s := c.s
	before := c.ifsInvoice(t)
	if len(before.Postings) == 0 {
		t.Fatal("no posting proposal")
	}
	from := before.Postings[0].Code
	var to string
	for _, a := range s.w.Accounts {
		if a.Value != from.Account && a.Valid(s.w.Today) {
			to = a.Value
			break
		}
	}
	// An account IFS does not know is refused before anything is written.
	if _, err := s.eng.RecodeGL(s.ctx, c.earlier.ID, 1, domain.CodeString{Account: "zzz"}, ""); err == nil ||
		!strings.Contains(err.Error(), `account "zzz" is not an IFS account`) || c.patches.Load() != 0 {
		t.Fatalf("unknown account: %v (%d PATCHes)", err, c.patches.Load())
	}
	if _, err := s.eng.RecodeGL(s.ctx, c.earlier.ID, 9, domain.CodeString{Account: to}, ""); err == nil || !strings.Contains(err.Error(), "posting line 9 does not exist") {
		t.Fatalf("line 9: %v", err)
	}
	// The state check and the row's read are each followed by another
	// user's save: the row's PATCH meets a 412 and is re-applied.
	s.isim.SetFaults(ifssim.Faults{ConcurrentEdits: 3})
	res, err := s.eng.RecodeGL(s.ctx, c.earlier.ID, 1, domain.CodeString{Account: to, CodeB: from.CodeB}, "NONPO")
	s.isim.SetFaults(ifssim.Faults{})
	if err != nil {
		t.Fatal(err)
	}
	after := c.ifsInvoice(t)
	if after.Postings[0].Code.Account != to || !after.Postings[0].Amount.Equal(before.Postings[0].Amount) {
		t.Errorf("IFS posting 1 after re-coding: %+v (want account %s, amount %s)", after.Postings[0], to, before.Postings[0].Amount)
	}
	saw412 := false
	for _, a := range res.Attempts {
		saw412 = saw412 || a.Status == 412
	}
	if !saw412 {
		t.Errorf("no 412 met and re-applied: %+v", res.Attempts)
	}
	if res.From.Account != from.Account || !res.RuleSaved || c.noMatch.Load() != 0 {
		t.Errorf("result %+v, %d writes without If-Match", res, c.noMatch.Load())
	}
	evs, _ := s.st.Events(s.ctx, store.EventQuery{DocumentID: c.earlier.ID, Limit: 50})
	audited := false
	for _, e := range evs {
		j := string(e.DetailJSON())
		audited = audited || e.Action == "invoice.recoded" && e.Actor == "tester" && strings.Contains(j, `"mapping_version"`) && strings.Contains(j, `"if_match":"W/`)
	}
	if !audited {
		t.Error("re-coding not audited with actor, mapping version and If-Match")
	}
	rules, _ := s.st.GLRules(s.ctx)
	saved := false
	for _, r := range rules {
		saved = saved || r.SupplierID == c.earlier.SupplierID && r.ChargeCode == "NONPO" && r.Code.Account == to
	}
	if !saved {
		t.Errorf("rule not saved: %+v", rules)
	}
}
