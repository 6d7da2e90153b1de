package engine

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/cleo"
	"github.com/ml-connector/ifs-cleo/core/events"
	"github.com/ml-connector/ifs-cleo/core/ifs"
	"github.com/ml-connector/ifs-cleo/core/sandbox/cleosim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/ifssim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/world"
	"github.com/ml-connector/ifs-cleo/core/store"
)

// sandboxes runs both sandboxes in-process and an engine against them
// through the real clients and the X12 codec.
type sandboxes struct {
	t    testing.TB
	ctx  context.Context
	w    *world.World
	isim *ifssim.Server
	csim *cleosim.Server
	ic   *ifs.Client
	st   *store.Store
	eng  *Engine
	bus  *events.Bus
	// ifsWrites are the bodies of every non-GET request IFS received.
	ifsWrites *bodyLog
	// breakIFS, when it returns true for a request, answers it with an
	// OData 404 before it reaches the sandbox (a page a server lost).
	breakIFS *requestFilter
}

// requestFilter is a replaceable predicate over requests.
type requestFilter struct {
	mu sync.Mutex
	fn func(*http.Request) bool
}

func (f *requestFilter) set(fn func(*http.Request) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fn = fn
}

func (f *requestFilter) match(r *http.Request) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fn != nil && f.fn(r)
}

// bodyLog records request bodies.
type bodyLog struct {
	mu     sync.Mutex
	bodies []string
}

func (l *bodyLog) add(what string, b []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.bodies = append(l.bodies, what+"\n"+string(b))
}

func (l *bodyLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.bodies...)
}

// sandboxClientRPM is the IFS client's own rate limit in newSandboxes;
// the throughput benchmarks set it to what a deployment would configure
// for the sandbox's limit.
var sandboxClientRPM float64 = 60000

// sandboxClientBurst is the IFS client's token bucket in newSandboxes.
var sandboxClientBurst = 100

func newSandboxes(t testing.TB, icfg ifssim.Config, ccfg cleosim.Config) *sandboxes {
	t.Helper()
	return newSandboxesOn(t, icfg, ccfg, nil)
}

// newSandboxesOn is newSandboxes on a given store (nil: a new SQLite file).
func newSandboxesOn(t testing.TB, icfg ifssim.Config, ccfg cleosim.Config, st *store.Store) *sandboxes {
	t.Helper()
	return newSandboxesWorld(t, world.New(1), icfg, ccfg, st)
}

// newSandboxesWorld is newSandboxesOn over a given world (a benchmark
// adds orders to world.New(1) first).
func newSandboxesWorld(t testing.TB, w *world.World, icfg ifssim.Config, ccfg cleosim.Config, st *store.Store) *sandboxes {
	t.Helper()
	if ccfg.SupplierDelay == 0 {
		ccfg.SupplierDelay = -1 // suppliers answer only when told
	}
	isim := ifssim.New(w, icfg)
	csim := cleosim.New(w, ccfg)
	writes := &bodyLog{}
	breakIFS := &requestFilter{}
	// Every write that reaches the IFS sandbox is kept, so a test can
	// assert what IFS was sent, byte for byte.
	isrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if breakIFS.match(r) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"error":{"code":"OBJECT_NOT_FOUND","message":"The resource does not exist"}}`)
			return
		}
		if r.Method != http.MethodGet && r.Body != nil {
			b, _ := io.ReadAll(r.Body)
			writes.add(r.Method+" "+r.URL.Path, b)
			r.Body = io.NopCloser(bytes.NewReader(b))
		}
		isim.ServeHTTP(w, r)
	}))
	csrv := httptest.NewServer(csim)
	t.Cleanup(isrv.Close)
	t.Cleanup(csrv.Close)
	user, pass := csim.Credentials()
	s := newEngineFor(t, w, sandboxTarget{ifsURL: isrv.URL, tokenURL: isrv.URL + isim.TokenPath(), realm: isim.Realm(),
		cleoURL: csrv.URL, cleoUser: user, cleoPass: pass}, st)
	s.isim, s.csim, s.ifsWrites, s.breakIFS = isim, csim, writes, breakIFS
	return s
}

// sandboxTarget is where an engine under test connects: the sandboxes in
// this process, or an "ml-connector sandbox" process.
type sandboxTarget struct {
	ifsURL, tokenURL, realm     string
	cleoURL, cleoUser, cleoPass string
}

// newEngineFor builds the engine for world w against to, on st (nil: a new
// SQLite file), with the IFS client configured as the sandboxes' tests
// configure it (sandboxClientRPM, sandboxClientBurst).
func newEngineFor(t testing.TB, w *world.World, to sandboxTarget, st *store.Store) *sandboxes {
	t.Helper()
	ctx := context.Background()
	ic, err := ifs.New(ifs.Config{BaseURL: to.ifsURL, TokenURL: to.tokenURL, Realm: to.realm,
		ClientID: ifssim.DefaultClientID, ClientSecret: ifssim.DefaultClientSecret, Company: w.Company.ID, RequestsPerMinute: sandboxClientRPM, Burst: sandboxClientBurst})
	if err != nil {
		t.Fatal(err)
	}
	cc, err := cleo.NewREST(cleo.RESTConfig{BaseURL: to.cleoURL, Username: to.cleoUser, Password: to.cleoPass})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	if st == nil {
		st, err = store.Open(ctx, filepath.Join(t.TempDir(), "mlc.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
	}
	bus := events.NewBus()
	eng, err := New(Params{Store: st, IFS: &IFSClient{C: ic, Company: w.Company.ID}, Cleo: CleoTransport{T: cc}, EDI: X12Codec{},
		Bus: bus, Company: w.Company.ID, Us: Identity{Qualifier: w.Us.Qualifier, ID: w.Us.ID, GSID: w.Us.GSID}, Actor: "tester"})
	if err != nil {
		t.Fatal(err)
	}
	return &sandboxes{t: t, ctx: ctx, w: w, ic: ic, st: st, eng: eng, bus: bus}
}

func (s *sandboxes) sync(flows ...string) []RunResult {
	s.t.Helper()
	res, err := s.eng.SyncOnce(s.ctx, flows...)
	if err != nil {
		s.t.Fatalf("sync %v: %v", flows, err)
	}
	return res
}

func (s *sandboxes) invoiceDocs() map[string]store.Document {
	ds, err := s.st.Documents(s.ctx, store.DocumentQuery{Type: store.Type810, Direction: store.Inbound, Oldest: true, Limit: 10000})
	if err != nil {
		s.t.Fatal(err)
	}
	out := map[string]store.Document{}
	for i, d := range ds {
		k := d.BusinessKey
		if _, dup := out[k]; dup {
			k += "#2"
		}
		if k == "" {
			k = "#" + string(rune('0'+i))
		}
		out[k] = d
	}
	return out
}

func TestE2ESeededCases(t *testing.T) {
	s := newSandboxes(t, ifssim.Config{}, cleosim.Config{})
	s.sync()
	docs := s.invoiceDocs()
	byReason := map[string][]string{}
	for k, d := range docs {
		byReason[string(d.Status)+"/"+d.Reason] = append(byReason[string(d.Status)+"/"+d.Reason], k)
	}
	t.Logf("810 outcomes: %v", byReason)
	want := map[string]string{ // suffix of the invoice number → status/reason
		"-PV": "exception/" + string(ReasonPriceVariance),
		"-QO": "exception/" + string(ReasonQuantityOver),
		"-SH": "exception/" + string(ReasonGLUnmapped),
		"-M":  "posted/",
	}
	found := map[string]bool{}
	for k, d := range docs {
		for suf, w := range want {
			if strings.HasSuffix(k, suf) {
				found[suf] = true
				if got := string(d.Status) + "/" + d.Reason; got != w {
					t.Errorf("%s: %s (%s), want %s", k, got, d.Message, w)
				}
			}
		}
		switch {
		case k == cleosim.UnknownPartnerInvoice:
			found["unknown"] = true
			if d.Reason != string(ReasonPartnerNotMapped) {
				t.Errorf("unknown partner: %s %s", d.Status, d.Reason)
			}
		case k == cleosim.MissingPOInvoice:
			found["missing PO"] = true
			if d.Status != store.StatusException || d.Reason != string(ReasonPONotFound) {
				t.Errorf("missing PO: %s %s", d.Status, d.Reason)
			}
		case strings.HasPrefix(k, "CM-"):
			found["credit"] = true
			if d.Status != store.StatusPosted || d.Amount.Sign() >= 0 {
				t.Errorf("credit memo: %s %s amount %s (%s)", d.Status, d.Reason, d.Amount, d.Message)
			}
		case strings.HasSuffix(k, "#2"):
			found["resend"] = true
			if d.Status != store.StatusSkippedDuplicate {
				t.Errorf("re-send %s: %s %s", k, d.Status, d.Reason)
			}
		}
	}
	for _, k := range []string{"-PV", "-QO", "-SH", "-M", "unknown", "missing PO", "credit", "resend"} {
		if !found[k] {
			t.Errorf("seeded case %s not seen", k)
		}
	}
	// The malformed file is an exception, never lost.
	excs, _, _ := s.eng.Exceptions(s.ctx, store.ExceptionQuery{Reasons: []string{string(ReasonEDIInvalid), string(ReasonFileUnreadable)}, Limit: 100})
	if len(excs) == 0 {
		t.Error("malformed file produced no exception")
	}
	// 997s for 850s we never sent.
	acks, _, _ := s.eng.Exceptions(s.ctx, store.ExceptionQuery{Reasons: []string{string(ReasonAckUnmatched)}})
	if len(acks) != 2 {
		t.Errorf("unmatched 997s: %d", len(acks))
	}
	// Every posted invoice is in IFS exactly once.
	posted := 0
	for _, d := range docs {
		if d.Status == store.StatusPosted {
			posted++
			if d.IFSInvoiceID == 0 {
				t.Errorf("%s posted without IFS id", d.BusinessKey)
			}
		}
	}
	if n := len(s.isim.Invoices()); n != posted {
		t.Errorf("IFS has %d invoices, %d documents posted", n, posted)
	}
	// POs went out as 850s, one per released order, under distinct names.
	sent := s.csim.Sent()
	pos, _ := s.st.Documents(s.ctx, store.DocumentQuery{Type: store.Type850, Direction: store.Outbound, Limit: 1000})
	if len(pos) == 0 || len(sent) < len(pos) {
		t.Fatalf("850s: %d documents, %d files at Cleo", len(pos), len(sent))
	}
	// Suppliers answer: 997s (and some 810s) come back.
	s.csim.Respond()
	s.sync(FlowInvoices)
	pos, _ = s.st.Documents(s.ctx, store.DocumentQuery{Type: store.Type850, Direction: store.Outbound, Limit: 1000})
	acked := 0
	for _, p := range pos {
		if p.Status == store.StatusAcknowledged {
			acked++
		}
	}
	if acked == 0 {
		t.Errorf("no 850 acknowledged after supplier replies: %+v", pos[0])
	}
	// Idempotent: another full sync creates nothing new in IFS or Cleo.
	before, sentBefore := len(s.isim.Invoices()), len(s.csim.Sent())
	s.sync()
	if len(s.isim.Invoices()) != before || len(s.csim.Sent()) != sentBefore {
		t.Errorf("second sync changed remote state: IFS %d→%d, Cleo %d→%d", before, len(s.isim.Invoices()), sentBefore, len(s.csim.Sent()))
	}
	rep, err := s.st.VerifyChain(s.ctx)
	if err != nil || !rep.OK {
		t.Fatalf("audit chain %+v %v", rep, err)
	}
	_ = time.Second
}

// The clerk's fix for the unknown partner: it is a supplier's new mailbox,
// so mapping it to that supplier and replaying its exception posts the
// invoice in IFS, against the supplier's open order.
func TestE2EUnknownPartnerMappedAndReplayedPosts(t *testing.T) {
	s := newSandboxes(t, ifssim.Config{}, cleosim.Config{})
	s.sync()
	sup, po, ok := cleosim.UnknownPartnerSupplier(s.w)
	if !ok {
		t.Fatal("the world has no supplier behind the unknown partner")
	}
	excs, _, err := s.eng.Exceptions(s.ctx, store.ExceptionQuery{Reasons: []string{string(ReasonPartnerNotMapped)}, Limit: 10})
	if err != nil || len(excs) != 1 {
		t.Fatalf("PARTNER_NOT_MAPPED exceptions: %d %v", len(excs), err)
	}
	key := s.w.UnknownPartner.ISAQualifier + ":" + s.w.UnknownPartner.ISAID
	before := len(s.isim.Invoices())
	// Replaying before the fix changes nothing.
	if res, err := s.eng.Replay(s.ctx, excs[0].ID); err != nil || res.Status != string(store.StatusException) {
		t.Fatalf("replay before mapping: %+v %v", res, err)
	}
	excs, _, _ = s.eng.Exceptions(s.ctx, store.ExceptionQuery{Reasons: []string{string(ReasonPartnerNotMapped)}, Limit: 10})
	if len(excs) != 1 {
		t.Fatalf("after a replay without the fix: %d exceptions", len(excs))
	}
	// The engine proposes the right supplier first: the invoice quotes one of its POs.
	sugg, err := s.eng.Suggestions(s.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var top *Suggestion
	for i := range sugg {
		if sugg[i].PartnerKey == key {
			top = &sugg[i]
			break
		}
	}
	if top == nil || top.SupplierID != sup.SupplierID || !strings.Contains(top.Why, po.OrderNo) {
		t.Fatalf("top suggestion for %s = %+v, want %s because of PO %s (all: %+v)", key, top, sup.SupplierID, po.OrderNo, sugg)
	}
	if err := s.eng.SetPartnerSupplier(s.ctx, key, sup.SupplierID); err != nil {
		t.Fatal(err)
	}
	res, err := s.eng.Replay(s.ctx, excs[0].ID)
	if err != nil || res.Status != string(store.StatusPosted) {
		t.Fatalf("replay after mapping %s to %s: %+v %v", key, sup.SupplierID, res, err)
	}
	d := s.invoiceDocs()[cleosim.UnknownPartnerInvoice]
	if d.Status != store.StatusPosted || d.SupplierID != sup.SupplierID || d.IFSInvoiceID == 0 {
		t.Fatalf("%s: %s %s supplier %s IFS id %d", d.BusinessKey, d.Status, d.Reason, d.SupplierID, d.IFSInvoiceID)
	}
	if n := len(s.isim.Invoices()); n != before+1 {
		t.Fatalf("IFS invoices %d → %d", before, n)
	}
	t.Logf("%s from %s posted as supplier %s (%s) against %s, IFS invoice %d", d.BusinessKey, key, sup.SupplierID, sup.Name, po.OrderNo, d.IFSInvoiceID)
}

// The demo's double billing, end to end over real X12 and both sandboxes:
// one supplier bills the same PO line in its multi-invoice file (posted)
// and again at a higher price (a price variance). Widening the supplier's
// tolerance, exactly what the variance's fix suggests, must not post it.
func TestE2ELineBilledTwiceStaysUnposted(t *testing.T) {
	s := newSandboxes(t, ifssim.Config{}, cleosim.Config{})
	s.sync()
	docs := s.invoiceDocs()
	var pv store.Document
	for k, d := range docs {
		if strings.HasSuffix(k, "-PV") {
			pv = d
		}
	}
	if pv.ID == 0 || pv.Reason != string(ReasonPriceVariance) {
		t.Fatalf("price-variance invoice: %+v", pv)
	}
	_, pf, err := s.eng.loadParsed(s.ctx, pv.ID)
	if err != nil {
		t.Fatal(err)
	}
	poNo := pf.Invoice.PONumber
	m, ok := docs["INV-"+poNo+"-M"]
	if !ok || m.Status != store.StatusPosted {
		// The seeded world (seed 1) bills the variance's order in the
		// supplier's batch file too; that is the case under test.
		t.Fatalf("seeded world changed: no posted batch invoice for %s (%+v)", poNo, m)
	}
	countFor := func() int {
		n := 0
		for _, inv := range s.isim.Invoices() {
			if inv.PORef == poNo {
				n++
			}
		}
		return n
	}
	if n := countFor(); n != 1 {
		t.Fatalf("IFS invoices for %s: %d", poNo, n)
	}
	if err := s.eng.SetTolerance(s.ctx, pv.SupplierID, Tolerance{PricePct: d("50"), QtyPct: d("50"), Absolute: d("1000")}); err != nil {
		t.Fatal(err)
	}
	exc, err := s.st.OpenExceptionOf(s.ctx, pv.ID)
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.eng.Replay(s.ctx, exc.ID)
	if err != nil || res.Status != string(store.StatusException) || res.NewReason != string(ReasonAlreadyInvoiced) {
		t.Fatalf("replay after widening the tolerance: %+v %v", res, err)
	}
	if n := countFor(); n != 1 {
		t.Fatalf("IFS invoices for %s after the replay: %d", poNo, n)
	}
	got, _ := s.st.Document(s.ctx, pv.ID)
	if !strings.Contains(got.Message, "is already fully invoiced") || !strings.Contains(got.Message, fmt.Sprint(m.ID)) {
		t.Fatalf("message %q does not name the posted invoice's document %d", got.Message, m.ID)
	}
}

// Due dates reach IFS from the 810's ITD; nothing sent to IFS carries a
// zero date.
func TestE2EDueDatesAndNoZeroDates(t *testing.T) {
	s := newSandboxes(t, ifssim.Config{}, cleosim.Config{})
	s.sync()
	docs := s.invoiceDocs()
	found := false
	for k, d := range docs {
		if d.Status != store.StatusPosted {
			continue
		}
		_, pf, err := s.eng.loadParsed(s.ctx, d.ID)
		if err != nil || pf.Invoice == nil || len(pf.Invoice.Terms) == 0 {
			continue
		}
		found = true
		// ITD 2 % 10 net 30 from the invoice date (seeded on the first clean invoice).
		want := pf.Invoice.Date.AddDate(0, 0, 30).Format("2006-01-02")
		for _, inv := range s.isim.Invoices() {
			if inv.InvoiceNo == k && inv.DueDate.Format("2006-01-02") != want {
				t.Errorf("%s due %s in IFS, want %s", k, inv.DueDate.Format("2006-01-02"), want)
			}
		}
		seen := false
		for _, b := range s.ifsWrites.all() {
			seen = seen || strings.Contains(b, `"`+k+`"`) && strings.Contains(b, `"DueDate":"`+want+`"`)
		}
		if !seen {
			t.Errorf("no write to IFS carried %s with DueDate %s", k, want)
		}
	}
	if !found {
		t.Fatal("no posted invoice with ITD terms in the seeded mix")
	}
	writes := s.ifsWrites.all()
	if len(writes) == 0 {
		t.Fatal("no writes reached IFS")
	}
	for _, b := range writes {
		if strings.Contains(b, "0001-01-01") {
			t.Fatalf("a zero date was sent to IFS: %s", b)
		}
	}
}
