package store

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ml-connector/ifs-cleo/core/testharness"
)

// The store's tests are its conformance suite: TestMain runs every test on
// SQLite, then runs the test binary again with backendEnv=postgres, where
// openTest opens a new database on a real PostgreSQL server started by
// core/testharness. A test that is about the SQLite file itself (modes,
// WAL, two opens of one path) calls sqliteOnly.
const backendEnv = "MLC_STORE_TEST_BACKEND"

// testBackend is the backend openTest opens in this process.
var testBackend = os.Getenv(backendEnv)

func TestMain(m *testing.M) {
	if testBackend == "postgres" {
		code := m.Run()
		testharness.StopSharedPostgres()
		os.Exit(code)
	}
	code := m.Run()
	if code != 0 {
		os.Exit(code)
	}
	if _, err := testharness.PostgresBinDir(); err != nil {
		if os.Getenv("MLC_REQUIRE_POSTGRES") == "1" {
			fmt.Fprintln(os.Stderr, "store conformance on PostgreSQL:", err)
			os.Exit(1)
		}
		fmt.Fprintln(os.Stderr, "store conformance on PostgreSQL skipped:", err)
		os.Exit(0)
	}
	// Again, on the other backend: the same tests, the same binary.
	cmd := exec.Command(os.Args[0], os.Args[1:]...)
	cmd.Env = append(os.Environ(), backendEnv+"=postgres")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "store conformance on PostgreSQL failed:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// sqliteOnly skips a test that is about the SQLite file when the suite runs
// on PostgreSQL.
func sqliteOnly(t testing.TB) {
	t.Helper()
	if testBackend == "postgres" {
		t.Skip("about the SQLite file")
	}
}

// openBackend opens a new, empty store on this run's backend.
func openBackend(t testing.TB, opts ...Option) *Store {
	t.Helper()
	var s *Store
	var err error
	if testBackend == "postgres" {
		url, pw := testharness.PostgresDatabase(t)
		s, err = OpenURL(context.Background(), url, append(opts, WithPassword(pw))...)
	} else {
		s, err = Open(context.Background(), filepath.Join(t.TempDir(), "data", "ml-connector.db"),
			append(opts, WithSynchronous("OFF"))...)
	}
	if err != nil {
		t.Fatal(err)
	}
	return s
}
