package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/money"
)

// testClock is a deterministic clock that advances one second per call.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

func openTest(t *testing.T) (*Store, *testClock) {
	t.Helper()
	clk := &testClock{t: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)}
	s := openBackend(t, WithClock(clk.Now))
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s, clk
}

func TestOpenCreatesPrivateFileAndMigrates(t *testing.T) {
	sqliteOnly(t)
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "nested", "dir")
	path := filepath.Join(dir, "db.sqlite")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.SchemaVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ms, _ := loadMigrations(sqliteDialect)
	if v != len(ms) || v < 1 {
		t.Fatalf("schema version %d, want %d", v, len(ms))
	}
	// The read pool must really be read-only.
	if _, err := s.r.ExecContext(ctx, `INSERT INTO cursors (name, value, updated_at) VALUES ('x','y','z')`); err == nil {
		t.Fatal("write through the read pool succeeded")
	}
	var mode string
	if err := s.w.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode %q, %v", mode, err)
	}
	var fk int
	if err := s.w.QueryRowContext(ctx, `PRAGMA foreign_keys`).Scan(&fk); err != nil || fk != 1 {
		t.Fatalf("foreign_keys %d, %v", fk, err)
	}
	var cache int
	if err := s.w.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&cache); err != nil || cache != -32768 {
		t.Fatalf("writer cache_size %d, %v; want -32768 (32 MiB)", cache, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", p, st.Mode().Perm())
		}
	}
	st, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o700 {
		t.Errorf("dir mode %v, want 0700", st.Mode().Perm())
	}
	// Re-open: migrations are not re-applied.
	s2, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	v2, _ := s2.SchemaVersion(ctx)
	if v2 != v {
		t.Fatalf("version after reopen %d, want %d", v2, v)
	}
	s2.Close()
}

func TestRefusesNewerSchema(t *testing.T) {
	sqliteOnly(t)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.ExecContext(ctx, `INSERT INTO schema_version (version, name, applied_at) VALUES (999, 'future', '')`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := Open(ctx, path); err == nil {
		t.Fatal("opened a database from the future")
	}
}

func TestDocumentLifecycleWithAuditAndException(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	f, created, err := s.InsertInboundFile(ctx, InboundFile{RemoteID: "cleo-1", Name: "inv.edi", Partner: "ACME", Raw: []byte("ISA*...")})
	if err != nil || !created {
		t.Fatalf("insert file: %v %v", created, err)
	}
	again, created, err := s.InsertInboundFile(ctx, InboundFile{RemoteID: "cleo-1", Name: "inv.edi", Raw: []byte("ISA*...")})
	if err != nil || created || again.ID != f.ID {
		t.Fatalf("repeat insert: %+v %v %v", again, created, err)
	}

	d := &Document{Direction: Inbound, Type: Type810, Partner: "ACME", BusinessKey: "INV-1",
		InboundFileID: f.ID, RawEDI: []byte("ST*810*0001~"), Parsed: []byte(`{"invoice":"INV-1"}`),
		Amount: money.MustParse("125.50"), Currency: "USD"}
	if err := s.InsertDocument(ctx, d, ""); err != nil {
		t.Fatal(err)
	}
	if d.ID == 0 || d.Status != StatusReceived || d.ContentHash == "" {
		t.Fatalf("after insert: %+v", d)
	}
	got, err := s.Document(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if string(got.RawEDI) != "ST*810*0001~" || string(got.Parsed) != `{"invoice":"INV-1"}` || got.Amount.String() != "125.50" {
		t.Fatalf("read back: %+v", got)
	}

	// Wrong precondition.
	_, err = s.Transition(ctx, d.ID, Transition{From: []Status{StatusMapped}, To: StatusMatched})
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("want conflict, got %v", err)
	}
	// Outbound status on an inbound document.
	if _, err := s.Transition(ctx, d.ID, Transition{To: StatusSent}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("want invalid, got %v", err)
	}
	// To exception: opens one.
	_, err = s.Transition(ctx, d.ID, Transition{From: []Status{StatusReceived}, To: StatusException,
		Reason: "partner_unmapped", Message: "Partner ZZ:ACME01 is not mapped to an IFS supplier", Fix: "map it",
		Context: map[string]string{"isa": "ZZ:ACME01"}})
	if err != nil {
		t.Fatal(err)
	}
	ex, err := s.OpenExceptionOf(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ex.Reason != "partner_unmapped" || ex.Partner != "ACME" || ex.Amount.String() != "125.50" || string(ex.Context) != `{"isa":"ZZ:ACME01"}` {
		t.Fatalf("exception: %+v", ex)
	}
	// Same reason again keeps the same exception (its age).
	if _, err := s.Transition(ctx, d.ID, Transition{To: StatusException, Reason: "partner_unmapped", Message: "still", IncAttempts: true}); err != nil {
		t.Fatal(err)
	}
	ex2, _ := s.OpenExceptionOf(ctx, d.ID)
	if ex2.ID != ex.ID || ex2.Message != "still" || !ex2.CreatedAt.Equal(ex.CreatedAt) {
		t.Fatalf("refreshed exception: %+v vs %+v", ex2, ex)
	}
	// A replay that gets further resolves it.
	sup := "S100"
	invID := int64(42)
	doc, err := s.Transition(ctx, d.ID, Transition{To: StatusMapped, Actor: "alice", Patch: DocumentPatch{SupplierID: &sup}})
	if err != nil {
		t.Fatal(err)
	}
	if doc.SupplierID != "S100" || doc.Attempts != 1 {
		t.Fatalf("doc after mapping: %+v", doc)
	}
	if _, err := s.OpenExceptionOf(ctx, d.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("exception still open: %v", err)
	}
	closed, _ := s.Exception(ctx, ex.ID)
	if closed.State != ExceptionResolved || closed.ResolvedBy != "alice" {
		t.Fatalf("closed exception: %+v", closed)
	}
	if _, err := s.Transition(ctx, d.ID, Transition{To: StatusPosted, Patch: DocumentPatch{IFSInvoiceID: &invID}}); err != nil {
		t.Fatal(err)
	}
	ev, err := s.DocumentEvents(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range ev {
		actions = append(actions, e.Action)
	}
	want := []string{"document.created", "status.exception", "status.exception", "status.mapped", "status.posted"}
	if len(actions) != len(want) {
		t.Fatalf("actions %v, want %v", actions, want)
	}
	for i := range want {
		if actions[i] != want[i] {
			t.Fatalf("actions %v, want %v", actions, want)
		}
	}
	if ev[3].Actor != "alice" || ev[0].Actor != SystemActor {
		t.Fatalf("actors: %q %q", ev[3].Actor, ev[0].Actor)
	}
	rep, err := s.VerifyChain(ctx)
	if err != nil || !rep.OK {
		t.Fatalf("chain: %+v %v", rep, err)
	}
}

func TestControlNumbersNeverReused(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	n1, err := s.NextControlNumber(ctx, "ZZ:US", "ZZ:ACME", ControlISA)
	if err != nil || n1 != 1 {
		t.Fatalf("%d %v", n1, err)
	}
	// A rolled-back transaction gives its number back: nothing was committed
	// with it, so nothing can have been sent with it.
	boom := errors.New("boom")
	err = s.Update(ctx, func(tx *Tx) error {
		if _, err := tx.NextControlNumber("ZZ:US", "ZZ:ACME", ControlISA); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	n2, _ := s.NextControlNumber(ctx, "ZZ:US", "ZZ:ACME", ControlISA)
	if n2 != 2 {
		t.Fatalf("after rollback got %d, want 2", n2)
	}
	other, _ := s.NextControlNumber(ctx, "ZZ:US", "ZZ:OTHER", ControlISA)
	if other != 1 {
		t.Fatalf("other pair got %d", other)
	}
	if err := s.Update(ctx, func(tx *Tx) error { return tx.SeedControlNumber("ZZ:US", "ZZ:ACME", ControlISA, 500) }); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(ctx, func(tx *Tx) error { return tx.SeedControlNumber("ZZ:US", "ZZ:ACME", ControlISA, 10) }); err != nil {
		t.Fatal(err)
	}
	n3, _ := s.NextControlNumber(ctx, "ZZ:US", "ZZ:ACME", ControlISA)
	if n3 != 501 {
		t.Fatalf("after seed got %d, want 501", n3)
	}
	if err := s.Update(ctx, func(tx *Tx) error {
		return tx.SeedControlNumber("ZZ:US", "ZZ:ACME", ControlST, MaxControlNumber)
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.NextControlNumber(ctx, "ZZ:US", "ZZ:ACME", ControlST); !errors.Is(err, ErrConflict) {
		t.Fatalf("exhausted counter: %v", err)
	}
}

func TestControlNumbersConcurrent(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	const workers, each = 8, 25
	var mu sync.Mutex
	seen := map[int64]bool{}
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				n, err := s.NextControlNumber(ctx, "A", "B", ControlGS)
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				if seen[n] {
					errs <- errors.New("duplicate control number")
				}
				seen[n] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(seen) != workers*each {
		t.Fatalf("%d numbers, want %d", len(seen), workers*each)
	}
}

func TestUpgradeFromFirstSchemaKeepsDataSearchable(t *testing.T) {
	sqliteOnly(t)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	testMigrationLimit = 1
	old, err := Open(ctx, path)
	testMigrationLimit = 0
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := old.SchemaVersion(ctx); v != 1 {
		t.Fatalf("old schema %d", v)
	}
	d := &Document{Direction: Inbound, Type: Type810, Partner: "ACME", BusinessKey: "INV-4711", Status: StatusException,
		Reason: "price_mismatch", Message: "Price differs"}
	if err := old.InsertDocument(ctx, d, ""); err != nil {
		t.Fatal(err)
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ms, _ := loadMigrations(sqliteDialect)
	if v, _ := s.SchemaVersion(ctx); v != len(ms) {
		t.Fatalf("upgraded schema %d, want %d", v, len(ms))
	}
	if n, _ := s.CountDocuments(ctx, DocumentQuery{Text: "4711"}); n != 1 {
		t.Fatalf("old document not found by text after upgrade: %d", n)
	}
	if n, _ := s.CountExceptions(ctx, ExceptionQuery{Text: "differs"}); n != 1 {
		t.Fatalf("old exception not found by text after upgrade: %d", n)
	}
	rep, err := s.VerifyChain(ctx)
	if err != nil || !rep.OK {
		t.Fatalf("chain after upgrade %+v %v", rep, err)
	}
}

func TestReadersNeverBlockOnTheWriter(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, _ := openTest(t)
	var wg sync.WaitGroup
	done := make(chan struct{})
	errs := make(chan error, 8)
	for r := 0; r < 2; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				if _, err := s.Exceptions(ctx, ExceptionQuery{Text: "INV", Limit: 20}); err != nil {
					errs <- err
					return
				}
				if _, err := s.CountDocuments(ctx, DocumentQuery{Type: Type810}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for i := 0; i < 50; i++ {
		d := &Document{Direction: Inbound, Type: Type810, BusinessKey: "INV-" + strconv.Itoa(i), Status: StatusException,
			Reason: "po_not_found", Message: "PO not found"}
		if err := s.InsertDocument(ctx, d, ""); err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n, _ := s.CountExceptions(ctx, ExceptionQuery{}); n != 50 {
		t.Fatalf("open exceptions %d", n)
	}
	// The WAL file exists while the store is open and is as private as the database.
	if testBackend == "postgres" {
		return
	}
	st, err := os.Stat(s.Path() + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("wal mode %v", st.Mode().Perm())
	}
}
