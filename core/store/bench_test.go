package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/money"
	"github.com/ml-connector/ifs-cleo/core/testharness"
)

// benchDocs is the size of the store the query benchmarks run against.
// MLC_BENCH_DOCS makes it smaller for a quick look.
var benchDocs = func() int {
	if n, err := strconv.Atoi(os.Getenv("MLC_BENCH_DOCS")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}()

// benchGenVersion changes whenever the generator below changes, so a cached
// database built by an older generator is not reused.
const benchGenVersion = "3"

var benchReasons = []string{"partner_unmapped", "po_not_found", "po_closed", "supplier_mismatch", "price_mismatch",
	"quantity_mismatch", "gl_code_missing", "duplicate_different_content", "unit_unknown", "ifs_rejected"}

// benchStore returns a read-only-used store with benchDocs documents: on
// SQLite the file built by sqliteBenchStore; in the PostgreSQL run of the
// suite (TestMain runs the binary again with MLC_STORE_TEST_BACKEND) the
// same documents copied into a database on the test server, once per
// process, so both backends answer the same queries over the same data.
func benchStore(b *testing.B) *Store {
	b.Helper()
	if testBackend != "postgres" {
		return sqliteBenchStore(b)
	}
	pgBench.once.Do(func() {
		src := sqliteBenchStore(b)
		url, pw := testharness.PostgresDatabase(b)
		dst, err := OpenURL(context.Background(), url, WithPassword(pw))
		if err != nil {
			pgBench.err = err
			return
		}
		start := time.Now()
		if _, err := src.CopyTo(context.Background(), dst); err != nil {
			pgBench.err = err
			return
		}
		b.Logf("copied %d documents into PostgreSQL in %s", benchDocs, time.Since(start).Round(time.Millisecond))
		pgBench.s = dst // kept open for the process's benchmarks
	})
	if pgBench.err != nil {
		b.Fatalf("PostgreSQL bench store: %v", pgBench.err)
	}
	return pgBench.s
}

// pgBench is the PostgreSQL copy of the bench store, built once.
var pgBench struct {
	once sync.Once
	s    *Store
	err  error
}

// benchName prefixes a case with its backend, so the two runs' lines in
// bench.txt sit side by side and cannot be mistaken for each other.
func benchName(name string) string {
	if testBackend == "postgres" {
		return "backend=postgres/" + name
	}
	return "backend=sqlite/" + name
}

// sqliteBenchStore is the SQLite file with benchDocs documents, built once
// and cached under os.TempDir keyed by the schema and generator, so
// repeated bench runs skip the build.
func sqliteBenchStore(b *testing.B) *Store {
	b.Helper()
	h := sha256.New()
	h.Write([]byte(benchGenVersion))
	_ = fs.WalkDir(migrationFS, "migrations", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			data, _ := migrationFS.ReadFile(p)
			h.Write([]byte(p))
			h.Write(data)
		}
		return nil
	})
	key := hex.EncodeToString(h.Sum(nil))[:16]
	path := filepath.Join(os.TempDir(), fmt.Sprintf("mlc-store-bench-%d-%s.db", benchDocs, key))
	if _, err := os.Stat(path); err != nil {
		// Databases built for an older schema or generator are dead weight.
		old, _ := filepath.Glob(filepath.Join(os.TempDir(), "mlc-store-bench-*.db"))
		for _, p := range old {
			_ = os.Remove(p)
		}
		tmp := path + fmt.Sprintf(".building-%d", os.Getpid())
		start := time.Now()
		if err := buildBenchDB(tmp, benchDocs); err != nil {
			_ = os.Remove(tmp)
			b.Fatalf("build bench database: %v", err)
		}
		if err := os.Rename(tmp, path); err != nil {
			b.Fatal(err)
		}
		b.Logf("built %s with %d documents in %s", path, benchDocs, time.Since(start).Round(time.Millisecond))
	}
	s, err := Open(context.Background(), path, WithSynchronous("OFF"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	return s
}

// buildBenchDB fills a new database with n documents: 60% inbound 810s
// (10% of them in exception, with an open exception row), 30% outbound 850s,
// 10% 997s, spread over the year before 2026-06-01, from 200 partners and
// 2000 suppliers. It writes through plain prepared statements in large
// transactions; audit events and bodies are left out because no benchmarked
// query reads them.
func buildBenchDB(path string, n int) error {
	ctx := context.Background()
	s, err := Open(ctx, path, WithSynchronous("OFF"))
	if err != nil {
		return err
	}
	defer s.Close()
	// Bulk-load the usual way: drop the indexes and triggers of the loaded
	// tables, insert, then recreate them and rebuild the full-text indexes
	// in one pass (far faster than maintaining them row by row).
	type schemaObj struct{ typ, name, sql string }
	var objs []schemaObj
	rows, err := s.w.QueryContext(ctx, `SELECT type, name, sql FROM sqlite_master
		WHERE tbl_name IN ('documents', 'exceptions') AND type IN ('index', 'trigger') AND sql IS NOT NULL
		ORDER BY type, name`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var o schemaObj
		if err := rows.Scan(&o.typ, &o.name, &o.sql); err != nil {
			rows.Close()
			return err
		}
		objs = append(objs, o)
	}
	rows.Close()
	for _, o := range objs {
		if _, err := s.w.ExecContext(ctx, "DROP "+strings.ToUpper(o.typ)+" "+o.name); err != nil {
			return err
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	end := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	const batch = 50_000
	for base := 0; base < n; base += batch {
		tx, err := s.w.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		docStmt, err := tx.PrepareContext(ctx, `INSERT INTO documents (id, direction, type, partner, supplier_id,
			business_key, status, reason, message, attempts, ifs_company, ifs_invoice_id, cleo_name, isa_control,
			gs_control, st_control, content_hash, fingerprint, amount, amount_e4, currency, created_at, updated_at)
			VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`)
		if err != nil {
			_ = tx.Rollback()
			return err
		}
		excStmt, err := tx.PrepareContext(ctx, `INSERT INTO exceptions (document_id, state, reason, message, fix,
			partner, supplier_id, business_key, doc_type, amount, amount_e4, currency, created_at)
			VALUES (?, 'open', ?, ?, ?, ?, ?, ?, '810', ?, ?, 'USD', ?)`)
		if err != nil {
			_ = tx.Rollback()
			return err
		}
		for i := base; i < base+batch && i < n; i++ {
			id := int64(i + 1)
			created := end.Add(-time.Duration(n-i) * (365 * 24 * time.Hour / time.Duration(n)))
			at := fmtTime(created)
			partner := fmt.Sprintf("PARTNER%03d", rng.IntN(200))
			supplier := fmt.Sprintf("S%05d", rng.IntN(2000))
			amount := money.New(int64(100+rng.IntN(10_000_000)), 2)
			var dir Direction
			var typ DocType
			var key, status, reason, msg, cleoName string
			r := rng.IntN(10)
			switch {
			case r < 6:
				dir, typ, key = Inbound, Type810, fmt.Sprintf("INV-%08d", i)
				switch x := rng.IntN(100); {
				case x < 17:
					status, reason = string(StatusException), benchReasons[rng.IntN(len(benchReasons))]
					msg = fmt.Sprintf("Invoice %s from %s: %s", key, partner, strings.ReplaceAll(reason, "_", " "))
				case x < 20:
					status = string(StatusReceived)
				default:
					status = string(StatusPosted)
				}
			case r < 9:
				dir, typ, key = Outbound, Type850, fmt.Sprintf("PO-%07d", i)
				cleoName = fmt.Sprintf("%s_850_%09d.edi", key, i)
				status = string(StatusAcknowledged)
				if rng.IntN(20) == 0 {
					status = string(StatusSent)
				}
			default:
				dir, typ, key, status = Inbound, Type997, fmt.Sprintf("%09d", i), string(StatusReceived)
			}
			hash := sha256.Sum256([]byte(key + partner))
			fp := ""
			if typ == Type810 {
				fp = Fingerprint(supplier, key, amount)
			}
			if _, err := docStmt.ExecContext(ctx, id, dir, typ, partner, supplier, key, status, reason, msg, 1, "10",
				0, cleoName, fmt.Sprintf("%09d", i), fmt.Sprint(i), "0001", hex.EncodeToString(hash[:]), fp,
				amount.String(), amountE4(amount, true), "USD", at, at); err != nil {
				_ = tx.Rollback()
				return err
			}
			if reason != "" {
				if _, err := excStmt.ExecContext(ctx, id, reason, msg, "Check the mapping and replay", partner, supplier,
					key, amount.String(), amountE4(amount, true), at); err != nil {
					_ = tx.Rollback()
					return err
				}
			}
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	for _, o := range objs { // "index" sorts before "trigger"
		if _, err := s.w.ExecContext(ctx, o.sql); err != nil {
			return fmt.Errorf("recreate %s %s: %w", o.typ, o.name, err)
		}
	}
	for _, fts := range []string{"documents_fts", "exceptions_fts"} {
		if _, err := s.w.ExecContext(ctx, `INSERT INTO `+fts+` (`+fts+`) VALUES ('rebuild')`); err != nil {
			return fmt.Errorf("rebuild %s: %w", fts, err)
		}
	}
	if _, err := s.w.ExecContext(ctx, `ANALYZE`); err != nil {
		return err
	}
	_, err = s.w.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	return err
}

var benchOnce sync.Once

func reportQuery(b *testing.B, rows int) {
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/query")
	b.ReportMetric(float64(rows), "rows")
}

// BenchmarkExceptionQueue measures the exception-queue screen: the first page
// of 100 plus the total count, on a store with a million documents and about
// 100,000 open exceptions.
func BenchmarkExceptionQueue(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	total, err := s.CountExceptions(ctx, ExceptionQuery{})
	if err != nil {
		b.Fatal(err)
	}
	benchOnce.Do(func() { b.Logf("open exceptions: %d", total) })
	lo, hi := money.MustParse("1000"), money.MustParse("5000")
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name string
		q    ExceptionQuery
	}{
		{"oldest-first", ExceptionQuery{}},
		{"newest-first", ExceptionQuery{Desc: true}},
		{"by-amount-desc", ExceptionQuery{Sort: SortAmount, Desc: true}},
		{"reason+sort-amount", ExceptionQuery{Reasons: []string{"price_mismatch"}, Sort: SortAmount, Desc: true}},
		{"partner+age", ExceptionQuery{Partner: "PARTNER042", OlderThan: 30 * 24 * time.Hour, Now: now}},
		{"supplier", ExceptionQuery{SupplierID: "S00042"}},
		{"amount-range+sort-partner", ExceptionQuery{MinAmount: &lo, MaxAmount: &hi, Sort: SortPartner}},
		{"text-invoice-number", ExceptionQuery{Text: "0012"}},
		{"text-in-every-row", ExceptionQuery{Text: "PARTNER13"}}, // worst case: every row holds "PARTNER"
		{"deep-page-offset-50000", ExceptionQuery{Offset: 50_000}},
	}
	for _, tc := range cases {
		b.Run(benchName(tc.name), func(b *testing.B) {
			q := tc.q
			q.Limit = 100
			var rows, count int
			for b.Loop() {
				page, err := s.Exceptions(ctx, q)
				if err != nil {
					b.Fatal(err)
				}
				if count, err = s.CountExceptions(ctx, q); err != nil {
					b.Fatal(err)
				}
				rows = len(page)
			}
			reportQuery(b, rows)
			b.ReportMetric(float64(count), "matching")
		})
	}
	b.Run(benchName("count-by-reason"), func(b *testing.B) {
		var n int
		for b.Loop() {
			rc, err := s.ExceptionsByReason(ctx, ExceptionQuery{})
			if err != nil {
				b.Fatal(err)
			}
			n = len(rc)
		}
		reportQuery(b, n)
	})
}

// BenchmarkDocumentSearch measures the documents screen's searches (first
// page of 100) on a store with a million documents.
func BenchmarkDocumentSearch(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	from := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name string
		q    DocumentQuery
	}{
		{"po-number-prefix", DocumentQuery{BusinessKey: "PO-00012"}},
		{"invoice-number-exact", DocumentQuery{BusinessKey: "INV-00123456"}},
		{"partner+month", DocumentQuery{Partner: "PARTNER007", From: from}},
		{"status-exception", DocumentQuery{Statuses: []Status{StatusException}}},
		{"type-850-newest", DocumentQuery{Type: Type850}},
		{"text-contains", DocumentQuery{Text: "0012345"}},
	}
	for _, tc := range cases {
		b.Run(benchName(tc.name), func(b *testing.B) {
			q := tc.q
			q.Limit = 100
			var rows int
			for b.Loop() {
				ds, err := s.Documents(ctx, q)
				if err != nil {
					b.Fatal(err)
				}
				rows = len(ds)
			}
			reportQuery(b, rows)
		})
	}
	b.Run(benchName("fingerprint-lookup"), func(b *testing.B) {
		fp := Fingerprint("S00001", "INV-00000001", money.MustParse("1.00"))
		for b.Loop() {
			if _, err := s.FindByFingerprint(ctx, fp); err != nil {
				b.Fatal(err)
			}
		}
		reportQuery(b, 0)
	})
	b.Run(benchName("documents-per-day-30d"), func(b *testing.B) {
		var n int
		for b.Loop() {
			days, err := s.DocumentsPerDay(ctx, from, from.AddDate(0, 0, 29), time.UTC)
			if err != nil {
				b.Fatal(err)
			}
			n = len(days)
		}
		reportQuery(b, n)
	})
}

// BenchmarkInsertDocument measures storing one received invoice (document,
// 2 KB body, audit event) and moving it to posted (status update, audit
// event), each in its own transaction as the engine does, on both
// backends side by side: SQLite with FULL (the production durability, one
// fsync per commit) and OFF (the CPU cost), and PostgreSQL on a local
// server started by the harness (TestMain runs the benchmarks again in a
// process with the PostgreSQL backend, which reports backend=postgres).
// The harness's server runs with fsync off, so compare it with SQLite OFF:
// both then show the CPU and round-trip cost, not the disk's.
func BenchmarkInsertDocument(b *testing.B) {
	if testBackend == "postgres" {
		b.Run("backend=postgres", func(b *testing.B) { benchInsert(b, openBackend(b)) })
		return
	}
	for _, sync := range []string{"FULL", "OFF"} {
		b.Run("backend=sqlite/synchronous="+sync, func(b *testing.B) {
			s, err := Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), WithSynchronous(sync))
			if err != nil {
				b.Fatal(err)
			}
			benchInsert(b, s)
		})
	}
}

func benchInsert(b *testing.B, s *Store) {
	defer s.Close()
	ctx := context.Background()
	raw := []byte(strings.Repeat("IT1*1*10*EA*12.50**VP*WIDGET~", 70))
	i := 0
	for b.Loop() {
		i++
		d := &Document{Direction: Inbound, Type: Type810, Partner: "ACME", SupplierID: "S1",
			BusinessKey: fmt.Sprintf("INV-%d", i), RawEDI: raw, Amount: money.New(int64(i), 2), Currency: "USD"}
		if err := s.InsertDocument(ctx, d, ""); err != nil {
			b.Fatal(err)
		}
		if _, err := s.Transition(ctx, d.ID, Transition{To: StatusPosted}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "docs/s")
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/doc")
}

// sqliteBench skips a SQLite-file benchmark in the PostgreSQL re-run, so
// its figures are not measured twice.
func sqliteBench(b *testing.B) {
	b.Helper()
	if testBackend == "postgres" {
		b.Skip("a SQLite-file benchmark; measured by the first run")
	}
}

// BenchmarkVerifyChain measures re-hashing the audit chain (the "audit
// verify" command) over 100,000 events.
func BenchmarkVerifyChain(b *testing.B) {
	sqliteBench(b)
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(b.TempDir(), "chain.db"), WithSynchronous("OFF"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	const events = 100_000
	for base := 0; base < events; base += 10_000 {
		err := s.Update(ctx, func(tx *Tx) error {
			for i := base; i < base+10_000; i++ {
				if _, err := tx.AppendEvent(Event{Subject: "bench", Action: "status.posted",
					Detail: map[string]any{"from": "posting", "to": "posted", "n": i}}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		rep, err := s.VerifyChain(ctx)
		if err != nil || !rep.OK || rep.Events != events {
			b.Fatalf("%+v %v", rep, err)
		}
	}
	b.ReportMetric(float64(events)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
