package ifssim

import (
	"strings"
	"testing"
)

func TestPatchAuditFlagsMissingAndStarIfMatch(t *testing.T) {
	total0, bad0 := PatchAudit()
	recordPatch("PATCH /SupplierInvoiceSet(1)", `W/"abc"`)
	recordPatch("PATCH /SupplierInvoiceSet(2)", "")
	recordPatch("PATCH /SupplierInvoiceSet(3)", "*")
	total, bad := PatchAudit()
	if total != total0+3 {
		t.Fatalf("total %d → %d", total0, total)
	}
	got := strings.Join(bad[len(bad0):], "; ")
	if !strings.Contains(got, "(2) (If-Match: )") || !strings.Contains(got, "(3) (If-Match: *)") || strings.Contains(got, "(1)") {
		t.Fatalf("offenders %q", got)
	}
}
