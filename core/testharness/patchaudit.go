package testharness

import (
	"fmt"
	"os"

	"github.com/ml-connector/ifs-cleo/core/sandbox/ifssim"
)

// CheckIFSPatches is for a package's TestMain after m.Run: it turns code
// into a failure when any IFS sandbox of the test process received a
// PATCH without the record's ETag in If-Match (or with "*"), the
// product's promise for every IFS update, checked over the whole suite.
func CheckIFSPatches(code int) int {
	total, bad := ifssim.PatchAudit()
	if len(bad) > 0 {
		fmt.Fprintf(os.Stderr, "%d IFS PATCHes in this suite; without an ETag in If-Match: %v\n", total, bad)
		return 1
	}
	if total > 0 {
		fmt.Fprintf(os.Stderr, "%d IFS PATCHes in this suite, each with the record's ETag in If-Match\n", total)
	}
	return code
}
