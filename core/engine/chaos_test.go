package engine_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
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
	"github.com/ml-connector/ifs-cleo/core/x12"
)

// TestMain lets the chaos test use this test binary as the connector when
// no real binary is given: with MLC_CHAOS_CHILD=1 it runs the command line
// (the same cli.Main the real binary runs for headless commands) and exits.
func TestMain(m *testing.M) {
	if os.Getenv("MLC_CHAOS_CHILD") == "1" {
		os.Exit(cli.Main(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr, "help"))
	}
	os.Exit(m.Run())
}

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
func TestChaos(t *testing.T) {
	if os.Getenv("MLC_CHAOS") != "1" {
		t.Skip("set MLC_CHAOS=1 to run the chaos test")
	}
	iters := int(envInt("MLC_CHAOS_ITER", 25))
	seed := envInt("MLC_CHAOS_SEED", time.Now().UnixNano())
	t.Logf("chaos: %d kills, seed %d (MLC_CHAOS_SEED=%d to repeat)", iters, seed, seed)
	rnd := rand.New(rand.NewSource(seed))

	w := world.New(1)
	isim := ifssim.New(w, ifssim.Config{})
	csim := cleosim.New(w, cleosim.Config{SupplierDelay: -1, EmptyInbox: true})
	isrv := httptest.NewServer(isim)
	csrv := httptest.NewServer(csim)
	defer isrv.Close()
	defer csrv.Close()
	user, pass := csim.Credentials()
	dir := t.TempDir()
	infoPath := filepath.Join(dir, "info.json")
	info, _ := json.Marshal(map[string]any{
		"ifs": map[string]string{"url": isrv.URL, "token_url": isrv.URL + isim.TokenPath(), "realm": isim.Realm(),
			"client_id": ifssim.DefaultClientID, "client_secret": ifssim.DefaultClientSecret, "company": w.Company.ID},
		"cleo": map[string]string{"url": csrv.URL, "username": user, "password": pass},
	})
	os.WriteFile(infoPath, info, 0o600)
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
	if out, err := run(context.Background(), "connect", "--data-dir", dd, "--sandbox", infoPath, "--secrets-dir", sec, "--no-test").CombinedOutput(); err != nil {
		t.Fatalf("connect: %v\n%s", err, out)
	}

	// Feed: invoices for every billable order, several per file, a few broken.
	feeder := newFeeder(w, csim, rnd)
	injected := 0
	feed := func(n int) {
		for i := 0; i < n; i++ {
			injected += feeder.file()
		}
	}
	feed(40)
	var orders []string
	for _, po := range w.PurchaseOrders {
		orders = append(orders, po.OrderNo)
	}
	kills, touches := 0, 0
	for it := 0; it < iters; it++ {
		if it%3 == 0 {
			feed(10)
			// Buyers edit orders: new revisions to send.
			for j := 0; j < 15; j++ {
				no := orders[rnd.Intn(len(orders))]
				if po, ok := isim.PurchaseOrder(no); ok && (po.State == "Released" || po.State == "Confirmed") {
					if err := isim.TouchPurchaseOrder(no); err == nil {
						touches++
					}
				}
			}
			csim.Respond()
		}
		if rnd.Intn(4) == 0 {
			isim.LoseNextWrites(1+rnd.Intn(2), "") // an IFS create done, its answer lost
		}
		args := []string{"sync", "--once", "--data-dir", dd, "--secrets-dir", sec}
		switch rnd.Intn(4) {
		case 1:
			args = append(args, "--flow", "pos")
		case 2:
			args = append(args, "--flow", "invoices")
		case 3:
			args = []string{"run", "--data-dir", dd, "--secrets-dir", sec} // the daemon: killed, never stops itself
		}
		cmd := run(context.Background(), args...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(time.Duration(20+rnd.Intn(1500)) * time.Millisecond):
			cmd.Process.Signal(syscall.SIGKILL)
			<-done
			kills++
		}
	}
	t.Logf("chaos: %d files (%d cut off) with %d intact invoices injected, %d runs killed, %d PO edits", len(feeder.files), feeder.broken, injected, kills, touches)
	// Recovery: let it finish, then let the suppliers answer every 850.
	for i := 0; i < 6; i++ {
		out, err := run(context.Background(), "sync", "--once", "--data-dir", dd, "--secrets-dir", sec).CombinedOutput()
		if err != nil && i == 5 {
			t.Fatalf("final sync: %v\n%s", err, out)
		}
		if i == 2 {
			csim.Respond()
		}
	}

	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(dd, "ml-connector.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	// 1. No duplicate invoice in IFS; every IFS invoice is a posted document.
	seen := map[string]bool{}
	for _, inv := range isim.Invoices() {
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
	// 2. Every inbound file stored and acked, every set final.
	for _, f := range csim.Inbox() {
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
	for _, f := range csim.Sent() {
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
	csim   *cleosim.Server
	rnd    *rand.Rand
	pos    []domain.PurchaseOrder
	n      int
	broken int
	files  map[string]bool
}

func newFeeder(w *world.World, csim *cleosim.Server, rnd *rand.Rand) *feeder {
	f := &feeder{w: w, csim: csim, rnd: rnd, files: map[string]bool{}}
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
			inv.Lines = append(inv.Lines, x12.InvoiceLine{LineNumber: l.LineNo, Quantity: q, UOM: "EA", UnitPrice: l.UnitPrice, BuyerPart: l.PartNo})
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
	if _, err := f.csim.Inject(sup.Partner.Alias, name, raw, f.w.Today); err != nil {
		panic(err)
	}
	f.files[name] = true
	return n
}
