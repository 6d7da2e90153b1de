package store

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/testharness"
)

// TestMigrationsInLockstep fails when one backend has a migration the other
// lacks: the same numbers, the same names, in both directories.
func TestMigrationsInLockstep(t *testing.T) {
	lite, err := loadMigrations(sqliteDialect)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := loadMigrations(postgresDialect)
	if err != nil {
		t.Fatal(err)
	}
	if len(lite) != len(pg) {
		t.Fatalf("SQLite has %d migrations, PostgreSQL %d", len(lite), len(pg))
	}
	for i := range lite {
		if lite[i].name != pg[i].name {
			t.Errorf("migration %d: SQLite %s, PostgreSQL %s", i+1, lite[i].name, pg[i].name)
		}
	}
}

func TestRebindForPostgres(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`SELECT a FROM t WHERE b = ? AND c LIKE ? ESCAPE '\'`, `SELECT a FROM t WHERE b = $1 AND c ILIKE $2 ESCAPE '\'`},
		{`SELECT '?' , ? FROM t`, `SELECT '?' , $1 FROM t`},
		{`SELECT likely, unlike FROM t WHERE x like ?`, `SELECT likely, unlike FROM t WHERE x ILIKE $1`},
	} {
		if got := postgresDialect.rebind(c.in); got != c.want {
			t.Errorf("rebind(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
		if got := sqliteDialect.rebind(c.in); got != c.in {
			t.Errorf("sqlite rebind changed %q", c.in)
		}
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://ap:s3cret@db.example:5432/mlc?sslmode=verify-full": "postgres://ap:xxxxx@db.example:5432/mlc?sslmode=verify-full",
		"postgresql://ap@db/mlc?password=s3cret":                       "postgresql://ap@db/mlc?password=xxxxx",
		"/home/ap/.local/share/ml-connector/ml-connector.db":           "/home/ap/.local/share/ml-connector/ml-connector.db",
	} {
		if got := RedactURL(in); got != want || strings.Contains(got, "s3cret") {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// pgOnly skips a test that needs the PostgreSQL backend.
func pgOnly(t *testing.T) {
	t.Helper()
	if testBackend != "postgres" {
		t.Skip("PostgreSQL run only")
	}
}

// TestPostgresOpenWrongPassword: a refused password is a credentials
// problem in words, and the password is in no error text.
func TestPostgresOpenWrongPassword(t *testing.T) {
	pgOnly(t)
	url, _ := testharness.PostgresDatabase(t)
	_, err := OpenURL(context.Background(), url, WithPassword("wrong-pw-123"))
	if err == nil {
		t.Fatal("opened with a wrong password")
	}
	if domain.KindOf(err) != domain.KindAuth {
		t.Errorf("kind %v, want auth: %v", domain.KindOf(err), err)
	}
	if strings.Contains(err.Error(), "wrong-pw-123") {
		t.Errorf("password in error: %v", err)
	}
}

// TestPostgresConcurrentOpenMigratesOnce: several desks opening one new team
// database at once apply each migration exactly once.
func TestPostgresConcurrentOpenMigratesOnce(t *testing.T) {
	pgOnly(t)
	url, pw := testharness.PostgresDatabase(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 6)
	stores := make([]*Store, 6)
	for i := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stores[i], errs[i] = OpenURL(ctx, url, WithPassword(pw))
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		defer stores[i].Close()
	}
	var n int
	if err := stores[0].r.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_version`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	ms, _ := loadMigrations(postgresDialect)
	if n != len(ms) {
		t.Fatalf("schema_version rows %d, want %d", n, len(ms))
	}
	if stores[0].Backend() != "postgres" || strings.Contains(stores[0].Path(), pw) {
		t.Fatalf("backend %s path %s", stores[0].Backend(), stores[0].Path())
	}
}

// TestPostgresRefusesNewerSchema: a database migrated by a newer release is
// refused, not misread.
func TestPostgresRefusesNewerSchema(t *testing.T) {
	pgOnly(t)
	url, pw := testharness.PostgresDatabase(t)
	ctx := context.Background()
	s, err := OpenURL(ctx, url, WithPassword(pw))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.ExecContext(ctx, `INSERT INTO schema_version (version, name, applied_at) VALUES (999, 'future', '')`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := OpenURL(ctx, url, WithPassword(pw)); err == nil || !strings.Contains(err.Error(), "newer than this program") {
		t.Fatalf("newer schema: %v", err)
	}
}

// writerEnv makes the test binary a writer process for
// TestTwoProcessesShareOneChain: it appends events and allocates control
// numbers in the database named there, printing the numbers it got.
const writerEnv = "MLC_STORE_TEST_WRITER"

// TestTwoProcessesShareOneChain runs two OS processes writing to one team
// database at once: audit events and control numbers interleave, the chain
// verifies, and no control number is handed out twice.
func TestTwoProcessesShareOneChain(t *testing.T) {
	pgOnly(t)
	url, pw := testharness.PostgresDatabase(t)
	ctx := context.Background()
	s, err := OpenURL(ctx, url, WithPassword(pw))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const perWriter = 60
	outs := make([][]byte, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(os.Args[0], "-test.run=^TestWriterProcess$", "-test.count=1")
			cmd.Env = append(os.Environ(), writerEnv+"="+url, "MLC_STORE_TEST_PW="+pw,
				"MLC_STORE_TEST_N="+strconv.Itoa(perWriter), "MLC_STORE_TEST_ACTOR=writer"+strconv.Itoa(i))
			outs[i], errs[i] = cmd.CombinedOutput()
		}()
	}
	// This process writes too: three writers in all.
	for i := range perWriter {
		if _, err := s.AppendEvent(ctx, Event{Subject: "test", Actor: "parent", Action: "test.write",
			Detail: map[string]any{"i": i}}); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	seen := map[int64]string{}
	for i, out := range outs {
		if errs[i] != nil {
			t.Fatalf("writer %d: %v\n%s", i, errs[i], out)
		}
		got := 0
		for _, line := range strings.Split(string(out), "\n") {
			v, ok := strings.CutPrefix(line, "CONTROL ")
			if !ok {
				continue
			}
			n, _ := strconv.ParseInt(v, 10, 64)
			if w, dup := seen[n]; dup {
				t.Fatalf("control number %d handed to writer %s and writer %d", n, w, i)
			}
			seen[n] = strconv.Itoa(i)
			got++
		}
		if got != perWriter {
			t.Fatalf("writer %d reported %d numbers, want %d\n%s", i, got, perWriter, out)
		}
	}
	for n := int64(1); n <= 2*perWriter; n++ {
		if _, ok := seen[n]; !ok {
			t.Fatalf("control number %d never handed out: a gap", n)
		}
	}
	rep, err := s.VerifyChain(ctx)
	if err != nil || !rep.OK {
		t.Fatalf("chain: %+v %v", rep, err)
	}
	var writes int
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_events WHERE action = 'test.write'`).Scan(&writes); err != nil {
		t.Fatal(err)
	}
	if writes != 3*perWriter || rep.Events < writes {
		t.Fatalf("test.write events %d of %d in the chain, want %d", writes, rep.Events, 3*perWriter)
	}
}

// TestWriterProcess is the child of TestTwoProcessesShareOneChain.
func TestWriterProcess(t *testing.T) {
	url := os.Getenv(writerEnv)
	if url == "" {
		t.Skip("helper process")
	}
	n, _ := strconv.Atoi(os.Getenv("MLC_STORE_TEST_N"))
	actor := os.Getenv("MLC_STORE_TEST_ACTOR")
	ctx := context.Background()
	s, err := OpenURL(ctx, url, WithPassword(os.Getenv("MLC_STORE_TEST_PW")))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := range n {
		var got int64
		err := s.Update(ctx, func(tx *Tx) error {
			if _, err := tx.AppendEvent(Event{Subject: "test", Actor: actor, Action: "test.write",
				Detail: map[string]any{"i": i}}); err != nil {
				return err
			}
			var err error
			got, err = tx.NextControlNumber("US", "THEM", ControlISA)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("CONTROL %d\n", got)
	}
}

// TestPostgresSearchUsesTrigramIndex: "contains" search on PostgreSQL is
// answered by pg_trgm, and finds the same rows as SQLite's FTS5 would.
func TestPostgresSearchUsesTrigramIndex(t *testing.T) {
	pgOnly(t)
	s, _ := openTest(t)
	ctx := context.Background()
	var ext string
	if err := s.r.QueryRowContext(ctx, `SELECT extname FROM pg_extension WHERE extname = 'pg_trgm'`).Scan(&ext); err != nil {
		t.Fatalf("pg_trgm not installed: %v", err)
	}
	var idx string
	err := s.r.QueryRowContext(ctx, `SELECT indexdef FROM pg_indexes WHERE indexname = 'documents_trgm'`).Scan(&idx)
	if err != nil || !strings.Contains(idx, "gin_trgm_ops") {
		t.Fatalf("documents_trgm: %q %v", idx, err)
	}
}

// TestPostgresTLSVerifyFull: a team database reached with
// sslmode=verify-full and the IT department's CA file works; the same URL
// with another CA is refused, so the connection cannot be intercepted.
func TestPostgresTLSVerifyFull(t *testing.T) {
	pgOnly(t)
	p := testharness.SharedPostgres(t)
	name, err := p.CreateDatabase("tls")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	url := fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=verify-full&sslrootcert=%s", p.User, p.Port, name, p.CAFile)
	s, err := OpenURL(ctx, url, WithPassword(p.Password))
	if err != nil {
		t.Fatalf("verify-full with the CA: %v", err)
	}
	var ssl bool
	if err := s.r.QueryRowContext(ctx, `SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()`).Scan(&ssl); err != nil || !ssl {
		t.Fatalf("connection not encrypted: %v %v", ssl, err)
	}
	s.Close()
	// Another CA: the server's certificate does not verify.
	other := filepath.Join(t.TempDir(), "other-ca.pem")
	otherPEM, _, _, _ := testharness.ThrowawayTLS()
	if err := os.WriteFile(other, otherPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(url, p.CAFile, other, 1)
	if _, err := OpenURL(ctx, bad, WithPassword(p.Password)); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("verify-full with another CA: %v", err)
	}
}

// TestProbeURL: the connection test of a team database reports the server,
// the schema it is at and TLS, and changes nothing: an empty database stays
// empty after the probe, a wrong password is KindAuth.
func TestProbeURL(t *testing.T) {
	pgOnly(t)
	p := testharness.SharedPostgres(t)
	name, err := p.CreateDatabase("probe")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	url := fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=verify-full&sslrootcert=%s", p.User, p.Port, name, p.CAFile)
	pr, err := ProbeURL(ctx, url, WithPassword(p.Password))
	if err != nil {
		t.Fatal(err)
	}
	ms, _ := loadMigrations(postgresDialect)
	if !strings.HasPrefix(pr.Server, "PostgreSQL ") || pr.Schema != 0 || pr.Latest != len(ms) || !pr.TLS || !pr.Trigram || !pr.OK() ||
		!strings.Contains(pr.Verdict(), "an empty database") {
		t.Fatalf("empty database: %+v %q", pr, pr.Verdict())
	}
	again, _ := ProbeURL(ctx, url, WithPassword(p.Password))
	if again.Schema != 0 {
		t.Fatal("the probe migrated the database")
	}
	s, err := OpenURL(ctx, url, WithPassword(p.Password))
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if pr, err = ProbeURL(ctx, url, WithPassword(p.Password)); err != nil || pr.Schema != len(ms) || pr.Verdict() != "a team database this release knows" {
		t.Fatalf("migrated database: %+v %v", pr, err)
	}
	if _, err := ProbeURL(ctx, url, WithPassword("wrong")); domain.KindOf(err) != domain.KindAuth || strings.Contains(err.Error(), "wrong") {
		t.Fatalf("wrong password: %v (kind %v)", err, domain.KindOf(err))
	}
	if (Probe{Schema: 9, Latest: 7, Trigram: true}).OK() || (Probe{Latest: 7}).OK() {
		t.Fatal("a newer schema or no pg_trgm must not be OK")
	}
}
