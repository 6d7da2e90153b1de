//go:build !windows

package cli

import (
	"os"
	"testing"

	"github.com/ml-connector/ifs-cleo/core/testharness"
)

// TestMain stops the PostgreSQL server a team-mode test started and
// removes its cluster.
func TestMain(m *testing.M) {
	code := m.Run()
	testharness.StopSharedPostgres()
	// Suite-wide: no PATCH to IFS without the record's ETag in If-Match.
	os.Exit(testharness.CheckIFSPatches(code))
}
