package ifs_test

import (
	"os"
	"testing"

	"github.com/ml-connector/ifs-cleo/core/testharness"
)

// TestMain checks, over every test of the client, that no PATCH reached an
// IFS sandbox without the record's ETag in If-Match.
func TestMain(m *testing.M) {
	os.Exit(testharness.CheckIFSPatches(m.Run()))
}
