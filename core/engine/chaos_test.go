package engine_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/cli"
	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/money"
	"github.com/ml-connector/ifs-cleo/core/sandbox/cleosim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/ifssim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/world"
	"github.com/ml-connector/ifs-cleo/core/store"
	"github.com/ml-connector/ifs-cleo/core/testharness"
	"github.com/ml-connector/ifs-cleo/core/x12"
)

// TestMain lets the chaos test use this test binary as the connector when
// no real binary is given: with MLC_CHAOS_CHILD=1 it runs the command line
// (the same cli.Main the real binary runs for headless commands) and exits.
func TestMain(m *testing.M) {
	if os.Getenv("MLC_CHAOS_CHILD") == "1" {
		os.Exit(cli.Main(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr, "help"))
	}
	code := m.Run()
	for _, fn := range afterTests {
		fn()
	}
	// Suite-wide: no PATCH to IFS without the record's ETag in If-Match.
	os.Exit(testharness.CheckIFSPatches(code))
}

// afterTests run once after every test (e.g. stopping a PostgreSQL server).
var afterTests []func()

func envInt(name string, def int64) int64 {
	if v, err := strconv.ParseInt(os.Getenv(name), 10, 64); err == nil {
		return v
	}
	return def
}

// TestChaos feeds a few hundred invoices and PO changes through the real
// command line, SIGKILLs it at random moments many times, then lets it
// finish and checks the exactly-once invariants:
//   - no duplicate invoice in IFS;
//   - every inbound file stored, acked and every set in a final state
//     (posted, skipped duplicate or an exception);
//   - no PO revision delivered twice under different names, and every file
//     at Cleo claimed by exactly one document;
//   - the audit chain intact.
//
// MLC_CHAOS=1 enables it; MLC_CHAOS_ITER (default 25) and MLC_CHAOS_SEED
// (default: time) shape it; MLC_CHAOS_BIN runs that binary (the cgo build)
// instead of this test binary.
func TestChaos(t *testing.T) { runChaos(t, false) }

// TestChaosDrain is the chaos test at full speed: a backlog of a few
// hundred files waits at Cleo, and the invoices flow drains it with every
// worker busy (no rate limit) while it is SIGKILLed again and again, some
// IFS answers lost. The same invariants must hold after recovery.
func TestChaosDrain(t *testing.T) { runChaos(t, true) }

func runChaos(t *testing.T, drain bool) {
	if os.Getenv("MLC_CHAOS") != "1" {
		t.Skip("set MLC_CHAOS=1 to run the chaos test")
	}
	iters := int(envInt("MLC_CHAOS_ITER", 25))
	seed := envInt("MLC_CHAOS_SEED", time.Now().UnixNano())
	t.Logf("chaos: %d kills, seed %d (MLC_CHAOS_SEED=%d to repeat)", iters, seed, seed)
	rnd := rand.New(rand.NewSource(seed))

	w := world.New(1)
	dir := t.TempDir()
	dd, sec := filepath.Join(dir, "data"), filepath.Join(dir, "data", "secrets")
	bin, childEnv := os.Getenv("MLC_CHAOS_BIN"), []string{}
	if bin == "" {
		bin, childEnv = os.Args[0], []string{"MLC_CHAOS_CHILD=1"}
	}
	run := func(ctx context.Context, args ...string) *exec.Cmd {
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Env = append(append(os.Environ(), childEnv...), "DBUS_SESSION_BUS_ADDRESS=disabled:")
		return cmd
	}
	var sb chaosSandbox
	if os.Getenv("MLC_CHAOS_SANDBOX") == "inprocess" {
		sb = newInProcessSandbox(t, w, dir)
	} else {
		sb = startSandboxProcess(t, run, dir)
	}
	infoPath := sb.infoPath()
	if out, err := run(context.Background(), "connect", "--data-dir", dd, "--sandbox", infoPath, "--secrets-dir", sec, "--no-test").CombinedOutput(); err != nil {
		t.Fatalf("connect: %v\n%s", err, out)
	}

	// Self-billing: the supplier of world.SelfBillingInvoices is marked
	// self-billing, so invoices_out sends its posted invoices while runs
	// are killed around it.
	if out, err := run(context.Background(), "sync", "--once", "--flow", "reference", "--data-dir", dd, "--secrets-dir", sec).CombinedOutput(); err != nil {
		t.Fatalf("reference: %v\n%s", err, out)
	}
	sbSup, _ := w.SupplierByID(world.SelfBillingSupplier(w))
	csvPath := filepath.Join(dir, "partners.csv")
	csv := "isa_qualifier,isa_id,supplier_id,partner_id,note,self_billing\n" + sbSup.Partner.ISAQualifier + "," + sbSup.Partner.ISAID + "," +
		sbSup.SupplierID + ",,chaos,yes\n"
	if err := os.WriteFile(csvPath, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := run(context.Background(), "mappings", "import", "partners", csvPath, "--data-dir", dd, "--secrets-dir", sec).CombinedOutput(); err != nil {
		t.Fatalf("mappings import: %v\n%s", err, out)
	}

	// Feed: invoices for every billable order, several per file, a few broken.
	feeder := newFeeder(w, sb, rnd)
	injected := 0
	feed := func(n int) {
		for i := 0; i < n; i++ {
			injected += feeder.file()
		}
	}
	if drain {
		// About 600 invoices that post: each bills a twelfth of an order.
		for range 600 {
			injected += feeder.share(12)
		}
	} else {
		feed(40)
	}
	var orders []string
	for _, po := range w.PurchaseOrders {
		orders = append(orders, po.OrderNo)
	}
	kills, touches := 0, 0
	// runKilled starts a command and SIGKILLs it if it has not finished
	// within the time given: a run stopped at a random moment.
	runKilled := func(cmd *exec.Cmd, within time.Duration) {
		t.Helper()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(within):
			cmd.Process.Signal(syscall.SIGKILL)
			<-done
			kills++
		}
	}
	var progress []string // drain: invoices posted/stored after each run
	for it := 0; it < iters; it++ {
		if drain {
			// Killed at a random moment of the drain: every worker may be
			// between an intent and its effect.
			if rnd.Intn(3) == 0 {
				sb.loseWrites(1 + rnd.Intn(3))
			}
			runKilled(run(context.Background(), "sync", "--once", "--flow", "invoices", "--data-dir", dd, "--secrets-dir", sec),
				time.Duration(300+rnd.Intn(2500))*time.Millisecond)
			// How far the drain had got: the kills must fall inside it.
			if st, err := store.Open(context.Background(), filepath.Join(dd, "ml-connector.db")); err == nil {
				n, _ := st.CountDocuments(context.Background(), store.DocumentQuery{Type: store.Type810, Direction: store.Inbound})
				p, _ := st.CountDocuments(context.Background(), store.DocumentQuery{Type: store.Type810, Statuses: []store.Status{store.StatusPosted}})
				progress = append(progress, fmt.Sprintf("%d/%d", p, n))
				st.Close()
			}
			continue
		}
		if it%3 == 0 {
			feed(10)
			// Buyers edit orders: new revisions to send.
			for j := 0; j < 15; j++ {
				no := orders[rnd.Intn(len(orders))]
				if po, ok := sb.po(no); ok && (po.State == "Released" || po.State == "Confirmed") {
					if sb.touch(no) == nil {
						touches++
					}
				}
			}
			sb.respond()
		}
		if rnd.Intn(4) == 0 {
			sb.loseWrites(1 + rnd.Intn(2)) // an IFS create done, its answer lost
		}
		args := []string{"sync", "--once", "--data-dir", dd, "--secrets-dir", sec}
		switch rnd.Intn(5) {
		case 1:
			args = append(args, "--flow", "pos")
		case 2:
			args = append(args, "--flow", "invoices")
		case 4:
			args = append(args, "--flow", "invoices_out")
		case 3:
			args = []string{"run", "--data-dir", dd, "--secrets-dir", sec} // the daemon: killed, never stops itself
		}
		cmd := run(context.Background(), args...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		runKilled(cmd, time.Duration(20+rnd.Intn(1500))*time.Millisecond)
	}
	t.Logf("chaos: %d files (%d cut off) with %d intact invoices injected, %d runs killed, %d PO edits", len(feeder.files), feeder.broken, injected, kills, touches)
	if drain {
		t.Logf("chaos drain: invoices posted/stored after each run: %v", progress)
	}
	// Recovery: let it finish, then let the suppliers answer every 850.
	for i := 0; i < 6; i++ {
		out, err := run(context.Background(), "sync", "--once", "--data-dir", dd, "--secrets-dir", sec).CombinedOutput()
		if err != nil && i == 5 {
			t.Fatalf("final sync: %v\n%s", err, out)
		}
		if i == 2 {
			sb.respond()
		}
	}

	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(dd, "ml-connector.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	checkChaosInvariants(t, st, sb, w, feeder, injected)
	checkSelfBillingOnce(t, st, sb, w)
}

// checkSelfBillingOnce: every posted self-billing invoice reached Cleo as
// exactly one 810 file, claimed by exactly one document; the preliminary
// one never went out.
func checkSelfBillingOnce(t *testing.T, st *store.Store, sb chaosSandbox, w *world.World) {
	t.Helper()
	ctx := context.Background()
	docs, _ := st.Documents(ctx, store.DocumentQuery{Type: store.Type810, Direction: store.Outbound, Limit: 1 << 20})
	byName := map[string]int{}
	for _, d := range docs {
		if d.CleoName != "" {
			byName[d.CleoName]++
		}
	}
	files := map[string][]string{} // invoice number → file names at Cleo
	for _, f := range sb.sent() {
		if !strings.HasPrefix(f.Filename, "810_") {
			continue
		}
		if byName[f.Filename] != 1 {
			t.Errorf("810 %s at Cleo is claimed by %d documents", f.Filename, byName[f.Filename])
		}
		no := strings.TrimPrefix(f.Filename, "810_")
		no = no[:strings.LastIndex(no, "_")]
		files[no] = append(files[no], f.Filename)
	}
	want := 0
	for _, inv := range world.SelfBillingInvoices(w) {
		got := files[inv.InvoiceNo]
		switch {
		case inv.State == "Posted" && len(got) != 1:
			t.Errorf("self-billing invoice %s reached Cleo as %v, want exactly one file", inv.InvoiceNo, got)
		case inv.State != "Posted" && len(got) != 0:
			t.Errorf("%s self-billing invoice %s was sent: %v", inv.State, inv.InvoiceNo, got)
		}
		if inv.State == "Posted" {
			want++
		}
	}
	t.Logf("chaos: %d self-billing invoices sent once each (%d 810 documents)", want, len(docs))
}

// checkChaosInvariants checks the exactly-once invariants after a chaos
// run (TestChaos, TestFailoverChaos): no duplicate invoice in IFS, no PO
// line billed beyond its quantity, every inbound file acked and every set
// final, one name per 850 revision, the audit chain intact.
func checkChaosInvariants(t *testing.T, st *store.Store, sb chaosSandbox, w *world.World, feeder *feeder, injected int) {
	t.Helper()
	ctx := context.Background()

	// 1. No duplicate invoice in IFS; every IFS invoice is a posted document.
	seen := map[string]bool{}
	for _, inv := range sb.invoices() {
		k := inv.SupplierID + "|" + inv.InvoiceNo
		if seen[k] {
			t.Errorf("duplicate invoice in IFS: %s", k)
		}
		seen[k] = true
	}
	posted, _ := st.CountDocuments(ctx, store.DocumentQuery{Type: store.Type810, Statuses: []store.Status{store.StatusPosted}})
	if posted != len(seen) {
		t.Errorf("IFS holds %d invoices, %d documents are posted", len(seen), posted)
	}
	// 1b. No PO line billed beyond its ordered quantity (the default
	// tolerance allows 0 % more), whatever was killed when.
	billedLines := 0
	for _, po := range w.PurchaseOrders {
		billed, err := st.BilledToDate(ctx, po.OrderNo, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range po.Lines {
			b := billed[store.POLineKey(po.OrderNo, l.LineNo, l.ReleaseNo)]
			if b.Quantity.Sign() != 0 {
				billedLines++
			}
			if b.Quantity.Cmp(l.Quantity) > 0 {
				t.Errorf("PO %s line %s: %s billed by documents %v, ordered %s", po.OrderNo, l.LineNo, b.Quantity, b.Documents, l.Quantity)
			}
		}
	}
	t.Logf("chaos: %d PO lines billed, none beyond its quantity", billedLines)
	// 2. Every inbound file stored and acked, every set final.
	for _, f := range sb.inbox() {
		if f.Status != "picked" && f.Status != "deleted" {
			t.Errorf("file %s still waiting at Cleo (%s)", f.Filename, f.Status)
		}
	}
	unacked, _ := st.UnackedInboundFiles(ctx)
	if len(unacked) > 0 {
		t.Errorf("%d files stored but not acked", len(unacked))
	}
	open, _ := st.Documents(ctx, store.DocumentQuery{Direction: store.Inbound, Statuses: []store.Status{store.StatusReceived, store.StatusPosting}, Limit: 1000})
	for _, d := range open {
		t.Errorf("document %d %s %s left in %s", d.ID, d.Type, d.BusinessKey, d.Status)
	}
	n810, _ := st.CountDocuments(ctx, store.DocumentQuery{Type: store.Type810, Direction: store.Inbound})
	if n810 < injected {
		t.Errorf("%d invoices injected, %d documents", injected, n810)
	}
	failedFiles, _ := st.InboundFiles(ctx, store.FileFailed, 0)
	for _, f := range failedFiles {
		if n, _ := st.CountExceptions(ctx, store.ExceptionQuery{Text: fmt.Sprintf("file:%d", f.ID)}); n == 0 {
			t.Errorf("failed file %s has no exception", f.Name)
		}
	}
	// 3. 850s: every delivered file claimed by one document; one name per revision.
	docs, _ := st.Documents(ctx, store.DocumentQuery{Type: store.Type850, Direction: store.Outbound, Limit: 1 << 20})
	byName := map[string]store.Document{}
	for _, d := range docs {
		if d.CleoName == "" {
			continue
		}
		if o, dup := byName[d.CleoName]; dup {
			t.Errorf("name %s used by documents %d and %d", d.CleoName, o.ID, d.ID)
		}
		byName[d.CleoName] = d
	}
	revs := map[string]string{}
	for _, d := range docs {
		full, _ := st.Document(ctx, d.ID)
		var pf struct {
			ETag string `json:"etag"`
		}
		json.Unmarshal(full.Parsed, &pf)
		k := d.BusinessKey + "|" + pf.ETag
		if o, dup := revs[k]; dup {
			t.Errorf("PO %s revision %s built twice (%s and %s)", d.BusinessKey, pf.ETag, o, d.CleoName)
		}
		revs[k] = d.CleoName
	}
	st850 := map[string]int{}
	for _, d := range docs {
		st850[string(d.Status)+"/"+d.Reason]++
	}
	t.Logf("850 documents by status: %v", st850)
	delivered := 0
	for _, f := range sb.sent() {
		if !strings.HasPrefix(f.Filename, "850_") {
			continue
		}
		delivered++
		if _, ok := byName[f.Filename]; !ok {
			t.Errorf("850 %s at Cleo belongs to no document (sent under a forgotten name)", f.Filename)
		}
	}
	if delivered == 0 {
		t.Error("no 850 delivered")
	}
	// 4. The audit chain.
	rep, err := st.VerifyChain(ctx)
	if err != nil || !rep.OK {
		t.Errorf("audit chain: %+v %v", rep, err)
	}
	var reasons []string
	byReason, _ := st.ExceptionsByReason(ctx, store.ExceptionQuery{})
	for _, rc := range byReason {
		reasons = append(reasons, fmt.Sprintf("%s=%d", rc.Reason, rc.Count))
	}
	sort.Strings(reasons)
	t.Logf("chaos result: %d IFS invoices, %d 810 documents, %d 850s delivered, exceptions %v, %d audit events",
		len(seen), n810, delivered, reasons, rep.Events)
}

// feeder writes supplier invoice files into the Cleo sandbox.
type feeder struct {
	w      *world.World
	sb     chaosSandbox
	rnd    *rand.Rand
	pos    []domain.PurchaseOrder
	n      int
	broken int
	files  map[string]bool
}

func newFeeder(w *world.World, sb chaosSandbox, rnd *rand.Rand) *feeder {
	f := &feeder{w: w, sb: sb, rnd: rnd, files: map[string]bool{}}
	for _, po := range w.PurchaseOrders {
		switch po.State {
		case world.StateConfirmed, world.StateArrived, world.StateReceived, world.StateReleased:
			if len(po.Lines) > 0 {
				f.pos = append(f.pos, po)
			}
		}
	}
	return f
}

// share injects one file with one invoice for the next order in turn,
// billing 1/parts of each of its lines (at least one unit): files that
// post, for a drain. It returns 1.
func (f *feeder) share(parts int64) int {
	po := f.pos[f.n%len(f.pos)]
	sup, _ := f.w.SupplierByID(po.SupplierID)
	f.n++
	inv := &x12.Invoice{Number: fmt.Sprintf("CD-%s-%05d", po.OrderNo, f.n), Date: x12.DateOf(f.w.Today), PONumber: po.OrderNo,
		Type: "DI", Currency: po.Currency}
	for _, l := range po.Lines {
		q := l.Quantity.Div(money.FromInt(parts), 0)
		if q.IsZero() {
			q = money.FromInt(1)
		}
		uom := map[string]string{"PCS": "EA", "BOX": "BX", "M": "MR", "L": "LT", "H": "HR"}[strings.ToUpper(l.Unit)]
		if uom == "" {
			uom = strings.ToUpper(l.Unit)
		}
		inv.Lines = append(inv.Lines, x12.InvoiceLine{LineNumber: l.LineNo, Quantity: q, UOM: uom, UnitPrice: l.UnitPrice, BuyerPart: l.PartNo})
	}
	inv.Total = inv.ComputeTotal()
	env := x12.Envelope{SenderQualifier: sup.Partner.ISAQualifier, SenderID: sup.Partner.ISAID, ReceiverQualifier: f.w.Us.Qualifier,
		ReceiverID: f.w.Us.ID, InterchangeControl: int64(f.n), GroupControl: int64(f.n), SetControl: 1, Time: f.w.Today}
	var b bytes.Buffer
	if err := x12.Write810(&b, env, inv); err != nil {
		panic(err)
	}
	name := fmt.Sprintf("810_drain_%05d.edi", f.n)
	if err := f.sb.inject(sup.Partner.Alias, name, b.Bytes()); err != nil {
		panic(err)
	}
	f.files[name] = true
	return 1
}

// file injects one file of 1–4 invoices from one supplier and returns how
// many invoices it holds (a broken file counts its sets anyway).
func (f *feeder) file() int {
	po := f.pos[f.rnd.Intn(len(f.pos))]
	sup, _ := f.w.SupplierByID(po.SupplierID)
	n := 1 + f.rnd.Intn(4)
	var invs []*x12.Invoice
	for _, cand := range f.pos {
		if cand.SupplierID != po.SupplierID || len(invs) == n {
			continue
		}
		f.n++
		inv := &x12.Invoice{Number: fmt.Sprintf("CH-%s-%05d", cand.OrderNo, f.n), Date: x12.DateOf(f.w.Today), PONumber: cand.OrderNo,
			Type: "DI", Currency: cand.Currency}
		for _, l := range cand.Lines {
			q := l.Quantity.Div(money.FromInt(int64(2+f.rnd.Intn(3))), 0)
			if q.IsZero() {
				q = money.FromInt(1)
			}
			// The X12 unit our own 850 gave the line (DE 355), as a supplier echoes it.
			uom := map[string]string{"PCS": "EA", "BOX": "BX", "M": "MR", "L": "LT", "H": "HR"}[strings.ToUpper(l.Unit)]
			if uom == "" {
				uom = strings.ToUpper(l.Unit)
			}
			inv.Lines = append(inv.Lines, x12.InvoiceLine{LineNumber: l.LineNo, Quantity: q, UOM: uom, UnitPrice: l.UnitPrice, BuyerPart: l.PartNo})
		}
		if f.rnd.Intn(10) == 0 {
			inv.Lines[0].UnitPrice = inv.Lines[0].UnitPrice.Mul(money.MustParse("1.5")).Round(2) // price variance
		}
		inv.Total = inv.ComputeTotal()
		invs = append(invs, inv)
		if f.rnd.Intn(8) == 0 {
			invs = append(invs, inv) // an exact re-send inside the file
		}
	}
	env := x12.Envelope{SenderQualifier: sup.Partner.ISAQualifier, SenderID: sup.Partner.ISAID, ReceiverQualifier: f.w.Us.Qualifier,
		ReceiverID: f.w.Us.ID, InterchangeControl: int64(f.n), GroupControl: int64(f.n), SetControl: 1, Time: f.w.Today}
	var b bytes.Buffer
	if err := x12.Write810(&b, env, invs...); err != nil {
		panic(err)
	}
	raw := b.Bytes()
	if f.rnd.Intn(15) == 0 {
		raw = raw[:len(raw)/2] // cut off in transit: how many sets survive is the reader's call
		f.broken++
		n = 0
	} else {
		n = len(invs)
	}
	name := fmt.Sprintf("810_chaos_%05d.edi", f.n)
	if err := f.sb.inject(sup.Partner.Alias, name, raw); err != nil {
		panic(err)
	}
	f.files[name] = true
	return n
}

// chaosSandbox is what the chaos test needs from the two sandboxes: the
// control operations, in-process or over the control API of the
// "ml-connector sandbox" process.
type chaosSandbox interface {
	infoPath() string
	inject(connection, name string, content []byte) error
	sent() []cleosim.File
	inbox() []cleosim.File
	respond()
	invoices() []domain.SupplierInvoice
	po(no string) (domain.PurchaseOrder, bool)
	touch(no string) error
	loseWrites(n int)
}

// inProcess runs both sandboxes in this process (MLC_CHAOS_SANDBOX=inprocess).
type inProcess struct {
	info string
	isim *ifssim.Server
	csim *cleosim.Server
	w    *world.World
}

func newInProcessSandbox(t *testing.T, w *world.World, dir string) *inProcess {
	isim := ifssim.New(w, ifssim.Config{})
	csim := cleosim.New(w, cleosim.Config{})
	isrv := httptest.NewServer(isim)
	csrv := httptest.NewServer(csim)
	t.Cleanup(isrv.Close)
	t.Cleanup(csrv.Close)
	user, pass := csim.Credentials()
	p := filepath.Join(dir, "info.json")
	info, _ := json.Marshal(map[string]any{
		"ifs": map[string]string{"url": isrv.URL, "token_url": isrv.URL + isim.TokenPath(), "realm": isim.Realm(),
			"client_id": ifssim.DefaultClientID, "client_secret": ifssim.DefaultClientSecret, "company": w.Company.ID},
		"cleo": map[string]string{"url": csrv.URL, "username": user, "password": pass},
	})
	os.WriteFile(p, info, 0o600)
	return &inProcess{info: p, isim: isim, csim: csim, w: w}
}

func (s *inProcess) infoPath() string { return s.info }
func (s *inProcess) inject(c, name string, content []byte) error {
	_, err := s.csim.Inject(c, name, content, s.w.Today)
	return err
}
func (s *inProcess) sent() []cleosim.File                      { return s.csim.Sent() }
func (s *inProcess) inbox() []cleosim.File                     { return s.csim.Inbox() }
func (s *inProcess) respond()                                  { s.csim.Respond() }
func (s *inProcess) invoices() []domain.SupplierInvoice        { return s.isim.Invoices() }
func (s *inProcess) po(no string) (domain.PurchaseOrder, bool) { return s.isim.PurchaseOrder(no) }
func (s *inProcess) touch(no string) error                     { return s.isim.TouchPurchaseOrder(no) }
func (s *inProcess) loseWrites(n int)                          { s.isim.LoseNextWrites(n, "") }

// process is "ml-connector sandbox" run as its own process (the default),
// driven through its control APIs.
type process struct {
	t       *testing.T
	info    string
	ifsCtl  string
	cleoCtl string
}

func startSandboxProcess(t *testing.T, run func(context.Context, ...string) *exec.Cmd, dir string) *process {
	info := testharness.StartSandbox(t, func(args ...string) *exec.Cmd { return run(context.Background(), args...) }, "--rate-limit", "0")
	return &process{t: t, info: info.Path, ifsCtl: info.IFS.ControlURL, cleoCtl: info.Cleo.ControlURL}
}

func (p *process) call(method, url string, body, dst any) error {
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %s", method, url, resp.Status)
	}
	if dst != nil {
		return json.NewDecoder(resp.Body).Decode(dst)
	}
	return nil
}

func (p *process) must(err error) {
	if err != nil {
		p.t.Fatal(err)
	}
}

func (p *process) infoPath() string { return p.info }
func (p *process) inject(c, name string, content []byte) error {
	return p.call("POST", p.cleoCtl+"/inject", map[string]any{"connection": c, "filename": name,
		"content_base64": base64.StdEncoding.EncodeToString(content)}, nil)
}
func (p *process) sent() (out []cleosim.File) {
	p.must(p.call("GET", p.cleoCtl+"/sent", nil, &out))
	return out
}
func (p *process) inbox() (out []cleosim.File) {
	p.must(p.call("GET", p.cleoCtl+"/inbox", nil, &out))
	return out
}
func (p *process) respond() { p.must(p.call("POST", p.cleoCtl+"/respond", nil, nil)) }
func (p *process) invoices() (out []domain.SupplierInvoice) {
	p.must(p.call("GET", p.ifsCtl+"/invoices", nil, &out))
	return out
}
func (p *process) po(no string) (po domain.PurchaseOrder, ok bool) {
	return po, p.call("GET", p.ifsCtl+"/purchase-orders/"+no, nil, &po) == nil
}
func (p *process) touch(no string) error {
	return p.call("POST", p.ifsCtl+"/purchase-orders/"+no, map[string]any{"touch": true}, nil)
}
func (p *process) loseWrites(n int) {
	p.must(p.call("POST", p.ifsCtl+"/lose-next-writes", map[string]any{"count": n}, nil))
}
