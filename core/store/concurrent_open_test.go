package store

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
)

// Two stores opened on one new file at the same moment (the demo opens the
// store for connect and for the GUI) must both come up, each migration
// applied once. It used to fail about one run in ten with SQLITE_BUSY;
// 40 rounds of four concurrent opens run in every `make test`.
func TestConcurrentOpenMigratesOnce(t *testing.T) {
	sqliteOnly(t)
	for i := 0; i < 40; i++ {
		path := filepath.Join(t.TempDir(), "c.db")
		var wg sync.WaitGroup
		errs := make([]error, 4)
		stores := make([]*Store, 4)
		for j := range stores {
			wg.Add(1)
			go func() {
				defer wg.Done()
				stores[j], errs[j] = Open(context.Background(), path)
			}()
		}
		wg.Wait()
		for j, err := range errs {
			if err != nil {
				t.Fatalf("round %d open %d: %v", i, j, err)
			}
			defer stores[j].Close()
		}
		var n, distinct int
		if err := stores[0].r.QueryRow(`SELECT COUNT(*), COUNT(DISTINCT version) FROM schema_version`).Scan(&n, &distinct); err != nil {
			t.Fatal(err)
		}
		if n != distinct {
			t.Fatalf("round %d: %d schema_version rows for %d versions", i, n, distinct)
		}
	}
}
