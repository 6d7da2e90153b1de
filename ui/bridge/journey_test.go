package bridge_test

import (
	"github.com/ml-connector/ifs-cleo/core/engine"
	"os"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/ml-connector/ifs-cleo/core/events"
	"github.com/ml-connector/ifs-cleo/core/sandbox/cleosim"
	"github.com/ml-connector/ifs-cleo/ui"
	"github.com/ml-connector/ifs-cleo/ui/connections"
	"github.com/ml-connector/ifs-cleo/ui/exceptions"
	"github.com/ml-connector/ifs-cleo/ui/uikit"
)

// The two journeys of the GUI issue, driven through the same screens the
// window shows (headless Fyne), over the real engine and the sandboxes.

func newUI(t *testing.T, e *env) (*ui.UI, *uikit.Runner) {
	t.Helper()
	a := test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	run := uikit.NewManualRunner()
	p := e.b.Params()
	p.Runner = run
	// No event loop: in the test driver fyne.Do runs on the caller's
	// goroutine, so the loop would touch widgets beside the test.
	p.Events = nil
	u := ui.New(a, w, p)
	u.Start(e.ctx)
	run.Drain()
	return u, run
}

// syncedUI is the start of every journey over the real engine: both
// sandbox connections configured, the engine started and one sync of every
// flow finished, with the shell built on top.
func syncedUI(t *testing.T) (*env, *ui.UI, *uikit.Runner) {
	t.Helper()
	e := newEnv(t)
	if err := e.sb.Configure(e.ctx, e.st, e.sec); err != nil {
		t.Fatal(err)
	}
	sub := e.bus.Subscribe(events.RunFinished, 0)
	defer sub.Unsubscribe()
	if err := e.b.Start(e.ctx); err != nil {
		t.Fatal(err)
	}
	u, run := newUI(t, e)
	u.SyncNow()
	run.Drain()
	waitRuns(t, sub, "reference", "pos", "invoices")
	return e, u, run
}

func TestJourneyAdminEntersCredentialsAndTestsBothConnections(t *testing.T) {
	e := newEnv(t)
	if err := e.b.Start(e.ctx); err != nil {
		t.Fatal(err)
	}
	u, run := newUI(t, e)
	u.Show(ui.ScreenConnections)
	run.Drain() // the screen loads what is stored before the admin types
	u.Connections.Fill(connections.Settings{
		IFS:  connections.IFSSettings{URL: e.sb.IFSURL, Realm: e.sb.Realm, ClientID: e.sb.ClientID, Company: e.sb.Company},
		Cleo: connections.CleoSettings{Transport: "rest", URL: e.sb.CleoURL, User: e.sb.CleoUser},
	}, map[string]string{connections.SecretIFSClient: e.sb.ClientSecret, connections.SecretCleoPassword: e.sb.CleoPassword})
	u.Connections.Test(connections.IFS)
	run.Drain()
	u.Connections.Test(connections.Cleo)
	run.Drain()
	if msg := u.Connections.Error(); msg != "" {
		t.Fatal(msg)
	}
	for _, target := range []string{connections.IFS, connections.Cleo} {
		if r := u.Connections.Report(target); !strings.Contains(r, "all steps passed") {
			t.Errorf("%s report:\n%s", target, r)
		}
	}
	if !e.b.Configured() {
		t.Fatal("the engine did not start after both tests passed")
	}
	if v, err := e.sec.Get(e.ctx, connections.SecretIFSClient); err != nil || v != e.sb.ClientSecret {
		t.Fatal("the IFS secret did not reach the secret store")
	}
}

func TestJourneyClerkMapsUnknownPartnerFromItsExceptionAndReplays(t *testing.T) {
	e, u, run := syncedUI(t)
	u.Show(ui.ScreenExceptions)
	run.Drain()
	x := u.Exceptions
	if !x.SetReason("PARTNER_NOT_MAPPED") {
		t.Fatal("the queue offers no PARTNER_NOT_MAPPED filter")
	}
	run.Drain()
	x.Select(0)
	run.Drain()
	d := x.Current()
	if d == nil || d.PartnerKey == "" || !strings.Contains(d.Fix, "map") {
		t.Fatalf("no mapping fix offered: %+v", d)
	}
	// The unknown partner is a supplier's new EDI mailbox; its invoice names
	// that supplier and bills one of its open orders.
	sup, po, ok := cleosim.UnknownPartnerSupplier(e.sb.World)
	if !ok || d.BusinessKey != cleosim.UnknownPartnerInvoice {
		t.Fatalf("the queue's unmapped partner is %s (%s), want the seeded %s", d.PartnerKey, d.BusinessKey, cleosim.UnknownPartnerInvoice)
	}
	// The PO tab shows the order the invoice quotes although the reason is
	// the partner, not the PO (it opens on the suggestions, not the PO).
	if d.ComparePO != po.OrderNo || d.POFirst {
		t.Fatalf("PO to compare %q (first %v), want %s in the second tab", d.ComparePO, d.POFirst, po.OrderNo)
	}
	if rows := x.Comparison(); len(rows) == 0 {
		t.Fatalf("the PO tab compares nothing: %s", x.ComparisonMessage())
	}
	// One suggestion source: the exception offers what the Mappings screen
	// offers for this partner, the PO's supplier first, with its reason.
	if len(d.Suggestions) == 0 || d.Suggestions[0].SupplierID != sup.SupplierID || !strings.Contains(d.Suggestions[0].Why, po.OrderNo) {
		t.Fatalf("exception's suggestions %+v, want %s first because of PO %s", d.Suggestions, sup.SupplierID, po.OrderNo)
	}
	if pms, err := e.b.Params().Mappings.Partners(e.ctx); err != nil {
		t.Fatal(err)
	} else {
		found := false
		for _, pm := range pms {
			if pm.PartnerKey != d.PartnerKey {
				continue
			}
			found = true
			// Its one invoice waits in the queue, and the screen says so.
			if pm.Waiting != 1 || pm.SupplierID != "" {
				t.Fatalf("Mappings row %+v: want 1 invoice waiting, no supplier", pm)
			}
			if len(pm.Suggestions) != len(d.Suggestions) {
				t.Fatalf("Mappings suggests %+v, the exception %+v", pm.Suggestions, d.Suggestions)
			}
			for i := range pm.Suggestions {
				if pm.Suggestions[i].SupplierID != d.Suggestions[i].SupplierID || pm.Suggestions[i].Why != d.Suggestions[i].Why {
					t.Fatalf("Mappings suggests %+v, the exception %+v", pm.Suggestions, d.Suggestions)
				}
			}
		}
		if !found {
			t.Fatalf("the Mappings screen does not list partner %s", d.PartnerKey)
		}
	}
	x.SetSupplier(sup.SupplierID)
	x.MapAndReplay()
	run.Drain()
	res, errText := x.Status()
	if errText != "" || !strings.Contains(res, "Mapped "+d.PartnerKey+" to supplier "+sup.SupplierID) {
		t.Fatalf("result %q, error %q", res, errText)
	}
	t.Logf("after mapping and replay: %s", res)
	doc, err := e.b.Params().Documents.Search(e.ctx, documentsQuery(d.BusinessKey), 1)
	if err != nil || len(doc) != 1 {
		t.Fatal(err)
	}
	if doc[0].Status != "posted" {
		t.Fatalf("%s after mapping %s to %s and replaying: %+v, want posted against %s", d.BusinessKey, d.PartnerKey, sup.SupplierID, doc[0], po.OrderNo)
	}
	// The Documents table names the supplier and shows the stored amount.
	stored, err := e.st.Document(e.ctx, doc[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if doc[0].SupplierID != sup.SupplierID || doc[0].SupplierName != sup.Name || doc[0].Amount != stored.Amount.String() ||
		doc[0].Amount == "" || doc[0].Currency != stored.Currency || doc[0].TypeWords() != "Invoice received" {
		t.Fatalf("documents row %+v, want supplier %s %q, amount %s %s", doc[0], sup.SupplierID, sup.Name, stored.Amount, stored.Currency)
	}
	// The other screens over the same engine: dashboard figures, the
	// replay-all preview (which changes nothing), the evidence pack.
	snap, err := e.b.Params().Dashboard.Snapshot(e.ctx)
	if err != nil || len(snap.Flows) != len(engine.Flows) || snap.Today.Received == 0 || len(snap.ByReason) == 0 {
		t.Fatalf("dashboard %+v %v", snap, err)
	}
	before, _ := e.b.Params().Exceptions.Count(e.ctx, exceptions.Filter{})
	pv, err := e.b.Params().Exceptions.PreviewReplayAll(e.ctx, "GL_UNMAPPED")
	if err != nil || len(pv.Items) == 0 {
		t.Fatalf("preview %+v %v", pv, err)
	}
	if after, _ := e.b.Params().Exceptions.Count(e.ctx, exceptions.Filter{}); after != before {
		t.Fatalf("the preview changed the queue: %d → %d", before, after)
	}
	path, err := e.b.Params().Documents.ExportEvidence(e.ctx, doc[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(path); err != nil || st.Size() == 0 {
		t.Fatalf("evidence pack %q: %v", path, err)
	}
	// "Fix the mapping right there" for a GL rule: the clerk codes the
	// special-handling charge to freight and the invoice posts.
	x.SetReason("GL_UNMAPPED")
	run.Drain()
	x.Select(0)
	run.Drain()
	g := x.Current()
	if g == nil || g.GLFix == nil || g.GLFix.ChargeCode == "NONPO" {
		t.Fatalf("no GL fix offered: %+v", g)
	}
	x.SetGLCoding("4050", "400")
	x.AddGLRuleAndReplay()
	run.Drain()
	res, errText = x.Status()
	t.Logf("GL fix: %s %s", res, errText)
	if errText != "" || !strings.Contains(res, "GL rule added") || !strings.Contains(res, "posted") {
		t.Fatalf("after the GL rule: %q %q", res, errText)
	}
}

// The queue speaks the clerk's language: partner and supplier names, and
// the PO, date and due date of the invoice each exception is about.
func TestExceptionRowsInTheClerksWords(t *testing.T) {
	e, _, _ := syncedUI(t)
	rows, err := e.b.Params().Exceptions.Page(e.ctx, exceptions.Filter{Reason: "PRICE_VARIANCE"}, 0, 10)
	if err != nil || len(rows) == 0 {
		t.Fatalf("price variance rows %d %v", len(rows), err)
	}
	alias := map[string]string{}
	for _, p := range e.sb.World.Partners() {
		alias[strings.TrimSpace(p.ISAQualifier)+":"+strings.TrimSpace(p.ISAID)] = p.Alias
	}
	found := false
	for _, r := range rows {
		sup, ok := e.sb.World.SupplierByID(r.Supplier)
		if !ok || r.SupplierName != sup.Name || r.PartnerName == "" || r.PartnerName != alias[r.Partner] {
			t.Fatalf("names: %+v (world supplier %q, partner %q)", r, sup.Name, alias[r.Partner])
		}
		if r.InvoiceDate.IsZero() {
			t.Fatalf("no invoice date: %+v", r)
		}
		// A due date is the 810's own (its terms) or unknown ("—"): never
		// before the invoice date, never a year-1 date.
		if !r.DueDate.IsZero() && r.DueDate.Before(r.InvoiceDate) {
			t.Fatalf("due before the invoice date: %+v", r)
		}
		if r.BusinessKey == "INV-P10013-PV" {
			found = r.PONumber == "P10013"
		}
	}
	if !found {
		t.Fatalf("INV-P10013-PV with PO P10013 not among %+v", rows)
	}
}

// Replay-all reports per item, and its report matches the queue afterwards:
// the queue shrinks by exactly the resolved ones, and those "still failing"
// are still open (under the same reason or, like a price variance that is
// now a line billed twice, under the reason they fail with now).
func TestReplayAllReportMatchesQueue(t *testing.T) {
	e, _, _ := syncedUI(t)
	src := e.b.Params().Exceptions
	for _, reason := range []string{"GL_UNMAPPED", "PRICE_VARIANCE", "ACK_UNMATCHED"} {
		n, err := src.Count(e.ctx, exceptions.Filter{Reason: reason})
		if err != nil || n == 0 {
			t.Fatalf("%s: %d open, %v", reason, n, err)
		}
		before, _ := src.Count(e.ctx, exceptions.Filter{})
		o, err := src.ReplayAll(e.ctx, reason)
		if err != nil {
			t.Fatal(err)
		}
		after, _ := src.Count(e.ctx, exceptions.Filter{})
		if o.Replayed != n || o.Resolved+len(o.StillFailing) != o.Replayed || after != before-o.Resolved {
			t.Fatalf("%s: %d open before, %d after; report %+v", reason, before, after, o)
		}
		t.Logf("%s: %s", reason, o.Summary())
	}
}
