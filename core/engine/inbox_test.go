package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/events"
	"github.com/ml-connector/ifs-cleo/core/sandbox/cleosim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/ifssim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/world"
	"github.com/ml-connector/ifs-cleo/core/store"
)

// TestOldestFiles: the window keeps the n oldest files of what it is
// shown, in any order, each once, ties on created broken by id.
func TestOldestFiles(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	f := func(id string, min int) domain.RemoteFile {
		return domain.RemoteFile{ID: id, Created: t0.Add(time.Duration(min) * time.Minute)}
	}
	// Worked out by hand: created minutes e=5 a=1 c=3 b=3 d=4 g=0 (twice) h=9.
	// The three oldest are g(0), a(1), then b and c tie at 3 and b < c.
	shown := []domain.RemoteFile{f("e", 5), f("a", 1), f("c", 3), f("b", 3), f("g", 0), f("d", 4), f("g", 0), f("h", 9), f("a", 1)}
	wantNew := []bool{true, true, true, true, true, true, false, true, false}
	o := newOldestFiles(3)
	for i, x := range shown {
		if got := o.add(x); got != wantNew[i] {
			t.Errorf("add(%s) #%d = %v, want %v", x.ID, i, got, wantNew[i])
		}
	}
	var ids []string
	for _, x := range o.sorted() {
		ids = append(ids, x.ID)
	}
	if want := []string{"g", "a", "b"}; !slices.Equal(ids, want) {
		t.Errorf("kept %v, want %v", ids, want)
	}
	// A file dropped from the window is no longer held: shown again it
	// counts as new (a later pass takes it).
	if !o.add(f("c", 3)) || !o.add(f("e", 5)) {
		t.Error("a dropped file shown again must count as new")
	}
}

// shuffledInbox is a Cleo port whose streamed listing comes in a seeded
// random order with some files shown twice (a listing that shifted between
// pages), and whose downloads fail for the files in failOpen.
type shuffledInbox struct {
	CleoTransport
	rnd      *rand.Rand
	failOpen map[string]bool
	listings int
}

func (c *shuffledInbox) InboundEach(ctx context.Context, each func(domain.RemoteFile) error) (int, error) {
	c.listings++
	var all []domain.RemoteFile
	total, err := c.CleoTransport.InboundEach(ctx, func(f domain.RemoteFile) error {
		all = append(all, f)
		if c.rnd.Intn(4) == 0 {
			all = append(all, f)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	c.rnd.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	for _, f := range all {
		if err := each(f); err != nil {
			return 0, err
		}
	}
	return total, nil
}

func (c *shuffledInbox) Open(ctx context.Context, id string) (io.ReadCloser, error) {
	if c.failOpen[id] {
		return nil, errors.New("connection reset by peer")
	}
	return c.CleoTransport.Open(ctx, id)
}

// TestFetchInWindows: 23 waiting files fetched in windows of 5 are stored
// oldest first across the passes, whatever order the listing comes in,
// with one listing per window; a file whose download fails is left for the
// next run without stopping this one or making it list forever.
func TestFetchInWindows(t *testing.T) {
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	s := newSandboxes(t, ifssim.Config{}, cleosim.Config{EmptyInbox: true})
	var pos []domain.PurchaseOrder
	for _, po := range s.w.PurchaseOrders {
		if po.State == world.StateConfirmed && len(po.Lines) > 0 {
			pos = append(pos, po)
		}
	}
	const n = 23
	rnd := rand.New(rand.NewSource(seed))
	t0 := s.w.Today.Add(-48 * time.Hour)
	// Injected in a random order, so the sandbox's ids say nothing about
	// age: file i was created i minutes after t0.
	names := make([]string, n)
	ids := map[string]string{}
	for _, i := range rnd.Perm(n) {
		names[i] = fmt.Sprintf("810_window_%02d.edi", i)
		alias, raw, _ := poInvoiceFile(t, s.w, pos[i%len(pos)], fmt.Sprintf("W-%02d", i), 100, int64(500+i))
		f, err := s.csim.Inject(alias, names[i], raw, t0.Add(time.Duration(i)*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		ids[names[i]] = f.ID
	}
	const broken = 7
	inbox := &shuffledInbox{CleoTransport: s.eng.p.Cleo.(CleoTransport), rnd: rnd, failOpen: map[string]bool{ids[names[broken]]: true}}
	s.eng.p.Cleo = inbox
	s.eng.listWindow = 5

	r := &run{}
	ctx := context.WithValue(s.ctx, splitHookKey{}, func(ds []store.Document) { r.addTotal(len(ds)) })
	if err := s.eng.fetchInbound(ctx, r); err != nil {
		t.Fatal(err)
	}
	// Passes of 5 oldest not-yet-tried files: 0-4, 5-9 (7 fails), 10-14,
	// 15-19, then 20-22, which fit: 5 listings.
	if inbox.listings != 5 {
		t.Errorf("%d listings, want 5 (23 files in windows of 5)", inbox.listings)
	}
	// Nothing was judged (no run), so the progress total is what the
	// split documents add: one per stored file, the file left taken out.
	if r.total != n-1 {
		t.Errorf("progress total %d, want %d", r.total, n-1)
	}
	stored, err := s.st.InboundFiles(s.ctx, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	var got, want []string
	for _, f := range stored {
		got = append(got, f.Name)
		if f.AckedAt.IsZero() {
			t.Errorf("%s stored but not acked", f.Name)
		}
	}
	for i, name := range names {
		if i != broken {
			want = append(want, name)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("stored in this order:\n%v\nwant oldest first:\n%v", got, want)
	}
	if left := s.csim.Inbox(); len(left) != 1 || left[0].Filename != names[broken] {
		t.Fatalf("left at Cleo: %+v, want only %s", left, names[broken])
	}

	// The next run, with the download working again, takes the file left.
	delete(inbox.failOpen, ids[names[broken]])
	inbox.listings = 0
	if err := s.eng.fetchInbound(s.ctx, &run{}); err != nil {
		t.Fatal(err)
	}
	if inbox.listings != 1 {
		t.Errorf("second run: %d listings, want 1", inbox.listings)
	}
	f, err := s.st.InboundFileByRemoteID(s.ctx, ids[names[broken]])
	if err != nil || f.AckedAt.IsZero() {
		t.Fatalf("the file left by the first run: %+v %v, want stored and acked", f, err)
	}
	if left := s.csim.Inbox(); len(left) != 0 {
		t.Errorf("%d files still at Cleo", len(left))
	}
	docs, err := s.st.Documents(s.ctx, store.DocumentQuery{Direction: store.Inbound, Limit: 100})
	if err != nil || len(docs) != n {
		t.Errorf("%d documents (%v), want %d, one per file", len(docs), err, n)
	}
}

// TestProgressEndsAtTotal: an invoices run over the seeded inbox, fetched
// in windows of 2 files, ends with its progress at done = total: each file
// counts as one document until it is split, then as its documents.
func TestProgressEndsAtTotal(t *testing.T) {
	s := newSandboxes(t, ifssim.Config{}, cleosim.Config{})
	s.sync(FlowReference)
	s.eng.listWindow = 2
	files := len(s.csim.Inbox())
	sub := s.bus.Subscribe(events.RunProgress, 100000)
	defer sub.Unsubscribe()
	s.sync(FlowInvoices)
	var last events.RunData
	seen := 0
	for done := false; !done; {
		select {
		case ev := <-sub.C():
			if d, ok := ev.Data.(events.RunData); ok && d.Flow == FlowInvoices {
				last, seen = d, seen+1
			}
		default:
			done = true
		}
	}
	// What the run did: every document it judged or sent (the seeded
	// inbox has no exact re-send, so nothing is skipped as a duplicate).
	docs, err := s.st.Documents(s.ctx, store.DocumentQuery{Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	handled := 0
	for _, d := range docs {
		if d.Status == store.StatusReceived || d.Status == store.StatusBuilt || d.Status == store.StatusSending {
			t.Errorf("%s %s %s left %s by the run", d.Direction, d.Type, d.BusinessKey, d.Status)
		}
		handled++
	}
	t.Logf("%d files, %d documents, %d progress events, last %d/%d", files, len(docs), seen, last.Done, last.Total)
	if files < 3 || seen == 0 {
		t.Fatalf("%d files and %d progress events: the test needs several files in windows of 2", files, seen)
	}
	if last.Done != last.Total || last.Total != handled {
		t.Errorf("progress ended at %d/%d, want done = total = the %d documents handled", last.Done, last.Total, handled)
	}
}

// TestPOCacheBounded: the run's order cache keeps at most max orders, the
// one just put always among them, and an order put again takes no room.
func TestPOCacheBounded(t *testing.T) {
	c := poCache{max: 8}
	for i := range 100 {
		no := fmt.Sprintf("P%03d", i)
		c.put(domain.PurchaseOrder{OrderNo: no})
		c.put(domain.PurchaseOrder{OrderNo: no})
		if _, ok := c.get(no); !ok {
			t.Fatalf("%s not kept right after put", no)
		}
		if n := len(c.m); n != min(i+1, 8) {
			t.Fatalf("after %d orders the cache holds %d, want %d", i+1, n, min(i+1, 8))
		}
	}
	var d poCache
	for i := range poCacheMax + 10 {
		d.put(domain.PurchaseOrder{OrderNo: fmt.Sprint(i)})
	}
	if len(d.m) != poCacheMax {
		t.Errorf("default bound: %d orders kept, want %d", len(d.m), poCacheMax)
	}
}

// gatedInbox holds back the download of one file until the first document
// goes out to Cleo, or until a deadline, and says which came first.
type gatedInbox struct {
	CleoTransport
	gated    string
	sentOnce sync.Once
	sent     chan struct{}
	late     atomic.Bool // the deadline passed with nothing sent
}

func (c *gatedInbox) Send(ctx context.Context, partnerID, name string, content []byte) (domain.SendResult, error) {
	c.sentOnce.Do(func() { close(c.sent) })
	return c.CleoTransport.Send(ctx, partnerID, name, content)
}

func (c *gatedInbox) Open(ctx context.Context, id string) (io.ReadCloser, error) {
	if id == c.gated {
		select {
		case <-c.sent:
		case <-time.After(15 * time.Second):
			c.late.Store(true)
		}
	}
	return c.CleoTransport.Open(ctx, id)
}

// TestAcksGoBackWhileFilesDownload: the 997 of a stored file goes to Cleo
// while later files still download, not after the last one is stored. The
// newest file's download waits for the first 997 to be sent; with the 997s
// only at the end of the fetch it would wait out its deadline. Each of the
// six invoices still posts once and gets one 997.
func TestAcksGoBackWhileFilesDownload(t *testing.T) {
	s := newSandboxes(t, ifssim.Config{}, cleosim.Config{EmptyInbox: true})
	s.sync(FlowReference)
	var pos []domain.PurchaseOrder
	for _, po := range s.w.PurchaseOrders {
		if po.State == world.StateConfirmed && len(po.Lines) > 0 {
			pos = append(pos, po)
		}
	}
	const n = 6
	t0 := s.w.Today.Add(-time.Hour)
	var newest string
	for i := range n {
		alias, raw, _ := poInvoiceFile(t, s.w, pos[i%len(pos)], fmt.Sprintf("G-%02d", i), 100, int64(700+i))
		f, err := s.csim.Inject(alias, fmt.Sprintf("810_gated_%02d.edi", i), raw, t0.Add(time.Duration(i)*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		newest = f.ID
	}
	inbox := &gatedInbox{CleoTransport: s.eng.p.Cleo.(CleoTransport), gated: newest, sent: make(chan struct{})}
	s.eng.p.Cleo = inbox
	s.eng.listWindow = 2 // three windows: the newest file is in the last
	s.sync(FlowInvoices)
	if inbox.late.Load() {
		t.Error("no 997 went to Cleo while the last file waited 15 s to download: the 997s wait for the end of the fetch")
	}
	posted, err := s.st.Documents(s.ctx, store.DocumentQuery{Type: store.Type810, Statuses: []store.Status{store.StatusPosted}, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	acks, err := s.st.Documents(s.ctx, store.DocumentQuery{Type: store.Type997, Direction: store.Outbound, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	sent := 0
	for _, d := range acks {
		if d.Status == store.StatusSent || d.Status == store.StatusAcknowledged {
			sent++
		}
	}
	if len(posted) != n || len(acks) != n || sent != n {
		t.Fatalf("%d invoices posted, %d 997s built, %d sent; want %d of each", len(posted), len(acks), sent, n)
	}
}
