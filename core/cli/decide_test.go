package cli

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The clerk's decisions and the checked mapping import, through the
// command line against both sandboxes.
func TestDecideAndMappingsImport(t *testing.T) {
	info, isim, _ := sandboxInfoFile(t)
	dd := t.TempDir()
	secDir := filepath.Join(dd, "secrets")
	run := func(args ...string) (int, string, string) {
		return cli(t, append(args, "--data-dir", dd, "--secrets-dir", secDir)...)
	}
	if code, out, errs := cli(t, "connect", "--data-dir", dd, "--sandbox", info, "--secrets-dir", secDir); code != 0 {
		t.Fatalf("connect %d\n%s\n%s", code, out, errs)
	}
	if code, out, errs := run("sync", "--once"); code != 0 {
		t.Fatalf("sync %d\n%s\n%s", code, out, errs)
	}
	_, out, _ := cli(t, "exceptions", "--json", "--data-dir", dd)
	var pv, qo map[string]any
	for _, x := range jsonLines(t, out) {
		switch x["reason"] {
		case "PRICE_VARIANCE":
			pv = x
		case "QUANTITY_OVER_PO":
			qo = x
		}
	}
	if pv == nil || qo == nil {
		t.Fatalf("seeded variances missing: %s", out)
	}
	// The context tells the tolerance in force.
	if c, _ := pv["context"].(map[string]any); c == nil || c["tolerance"] == nil || c["variance_pct"] == nil {
		t.Fatalf("price variance context %v", pv["context"])
	}
	idOf := func(x map[string]any) string { return strconv.Itoa(int(x["id"].(float64))) }
	// Hold and dispute, then what the queue says.
	if code, _, errs := run("decide", "hold", idOf(qo), "--until", "2099-01-31", "--comment", "buyer checks the delivery note"); code != 0 {
		t.Fatalf("hold: %s", errs)
	}
	if code, out, errs := run("decide", "dispute", idOf(pv), "--note", "Please bill the PO price."); code != 0 || !strings.Contains(out, "Subject: Invoice ") || !strings.Contains(out, "Please bill the PO price.") {
		t.Fatalf("dispute %d: %s %s", code, out, errs)
	}
	_, out, _ = cli(t, "exceptions", "--data-dir", dd)
	if !strings.Contains(out, "hold until 2099-01-31") || !strings.Contains(out, "dispute") {
		t.Fatalf("queue: %s", out)
	}
	// An override without a comment is a usage error; with one it posts
	// (the single desk's user holds every role).
	if code, _, _ := run("decide", "override", idOf(pv)); code != ExitUsage {
		t.Fatalf("override without comment: %d", code)
	}
	// The seeded price variance bills a PO line the supplier's batch file
	// billed already: an approver's override must not post it.
	before := len(isim.Invoices())
	if code, out, _ := run("decide", "override", idOf(pv), "--comment", "price increase agreed with the buyer"); code != ExitFailure ||
		!strings.Contains(out, "now PO_LINE_ALREADY_INVOICED") {
		t.Fatalf("override of a double billing %d: %s", code, out)
	}
	if len(isim.Invoices()) != before {
		t.Fatalf("IFS invoices %d → %d", before, len(isim.Invoices()))
	}
	// Roles: once assigned, another user without one is a clerk.
	if code, out, errs := run("decide", "roles", "--set", "erin=approver"); code != 0 || !strings.Contains(out, "erin\tapprover") {
		t.Fatalf("roles %d: %s %s", code, out, errs)
	}
	// Mapping import: an unknown account is refused with its line; a
	// header-only file deletes nothing without the confirmed count.
	bad := filepath.Join(dd, "gl-bad.csv")
	os.WriteFile(bad, []byte("supplier_id,charge_code,account\n,D240,zzz\n"), 0o600)
	if code, _, errs := run("mappings", "import", "gl", bad); code == 0 || !strings.Contains(errs, `line 2: account "zzz" is not an IFS account`) {
		t.Fatalf("bad GL import %d: %s", code, errs)
	}
	// Two good rules (an account of the sandbox company valid today), then
	// a file with only the header.
	acct := ""
	for _, a := range isim.World().Accounts {
		if a.ValidUntil.IsZero() && !a.ValidFrom.After(time.Now()) {
			acct = a.Value
			break
		}
	}
	good := filepath.Join(dd, "gl-good.csv")
	os.WriteFile(good, []byte("supplier_id,charge_code,account\n,D240,"+acct+"\n,H090,"+acct+"\n"), 0o600)
	if code, out, errs := run("mappings", "import", "gl", good); code != 0 || !strings.Contains(out, "imported: 2 added") {
		t.Fatalf("good GL import %d: %s %s", code, out, errs)
	}
	header := filepath.Join(dd, "gl-empty.csv")
	os.WriteFile(header, []byte("supplier_id,charge_code,account\n"), 0o600)
	code, out, _ := run("mappings", "import", "gl", header, "--replace", "--preview")
	if code != 0 || !strings.Contains(out, "would import: 0 added, 0 changed, 0 unchanged") {
		t.Fatalf("preview %d: %s", code, out)
	}
	n := strings.Count(out, "delete\t")
	if n == 0 {
		t.Fatalf("the sandbox config has no GL rules to delete: %s", out)
	}
	if code, _, errs := run("mappings", "import", "gl", header, "--replace"); code == 0 || !strings.Contains(errs, "--confirm-deletes") {
		t.Fatalf("unconfirmed delete %d: %s", code, errs)
	}
	if code, out, errs := run("mappings", "import", "gl", header, "--replace", "--confirm-deletes", strconv.Itoa(n)); code != 0 || !strings.Contains(out, strconv.Itoa(n)+" deleted") {
		t.Fatalf("confirmed delete %d: %s %s", code, out, errs)
	}
}
