package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// 'partners' lists the sandbox's partners with their X12 strictness;
// 'partners set' changes one (audited, exported with the configuration) and
// refuses a level that does not exist, saying which exist.
func TestPartnersCommand(t *testing.T) {
	dd, secDir := withReference(t)
	code, out, errs := cli(t, "partners", "--json", "--data-dir", dd, "--secrets-dir", secDir)
	rows := jsonLines(t, out)
	if code != 0 || len(rows) == 0 {
		t.Fatalf("partners %d %q %q", code, out, errs)
	}
	key, _ := rows[0]["key"].(string)
	for _, r := range rows {
		if r["x12_strictness"] != "standard" || !strings.Contains(r["key"].(string), ":") {
			t.Fatalf("partner row %v", r)
		}
	}
	if code, out, errs := cli(t, "partners", "set", key, "--strictness", "lenient", "--data-dir", dd, "--secrets-dir", secDir); code != 0 ||
		!strings.Contains(out, "lenient") {
		t.Fatalf("set %d %q %q", code, out, errs)
	}
	code, _, errs = cli(t, "partners", "set", key, "--strictness", "loose", "--data-dir", dd, "--secrets-dir", secDir)
	if code != ExitFailure || !strings.Contains(errs, `"loose" is not standard, strict or lenient`) {
		t.Fatalf("loose: %d %q", code, errs)
	}
	if code, _, _ := cli(t, "partners", "set", "--data-dir", dd); code != ExitUsage {
		t.Fatalf("set without a key: %d", code)
	}
	_, out, _ = cli(t, "partners", "--data-dir", dd, "--secrets-dir", secDir)
	if !strings.Contains(out, "X12") || !strings.Contains(out, "lenient") {
		t.Fatalf("partners table:\n%s", out)
	}
	_, out, _ = cli(t, "config", "export", "--data-dir", dd)
	if !strings.Contains(out, `"x12_strictness": "lenient"`) {
		t.Fatalf("config export without the strictness:\n%s", out)
	}
}

// mappings export: plain CSV for scripts; --excel is what Excel on a
// German desk opens (BOM, CRLF, ';'), and it imports back unchanged.
func TestMappingsExportExcel(t *testing.T) {
	dd, secDir := withReference(t)
	csvIn := filepath.Join(dd, "tol.csv")
	os.WriteFile(csvIn, []byte("supplier_id,price_pct,qty_pct,absolute\n,2.5,0,1.00\n"), 0o600)
	if code, out, errs := cli(t, "mappings", "import", "tolerances", csvIn, "--data-dir", dd, "--secrets-dir", secDir); code != 0 {
		t.Fatalf("import %d %s %s", code, out, errs)
	}
	code, plain, errs := cli(t, "mappings", "export", "tolerances", "--data-dir", dd)
	if code != 0 || plain != "supplier_id,price_pct,qty_pct,absolute,match\n,2.5,0,1.00,two_way\n" {
		t.Fatalf("plain export %d %q %s", code, plain, errs)
	}
	t.Setenv("LC_ALL", "")
	t.Setenv("LC_NUMERIC", "")
	t.Setenv("LANG", "de_DE.UTF-8")
	code, xl, _ := cli(t, "mappings", "export", "tolerances", "--excel", "--data-dir", dd)
	if code != 0 || xl != "\ufeffsupplier_id;price_pct;qty_pct;absolute;match\r\n;2.5;0;1.00;two_way\r\n" {
		t.Fatalf("excel export %d %q", code, xl)
	}
	xlFile := filepath.Join(dd, "tol-excel.csv")
	os.WriteFile(xlFile, []byte(xl), 0o600)
	if code, out, errs := cli(t, "mappings", "import", "tolerances", xlFile, "--data-dir", dd, "--secrets-dir", secDir); code != 0 ||
		!strings.Contains(out, "0 added, 0 changed, 1 unchanged") {
		t.Fatalf("re-import %d %q %s", code, out, errs)
	}
	if code, _, _ := cli(t, "mappings", "export", "tolerances", "--separator", "ab", "--data-dir", dd); code != ExitUsage {
		t.Fatalf("two-character separator: %d", code)
	}
}

// withReference is a data dir connected to a fresh sandbox with its
// reference data read, and its secrets folder.
func withReference(t *testing.T) (dataDir, secDir string) {
	t.Helper()
	info, _, _ := sandboxInfoFile(t)
	dd := t.TempDir()
	secDir = filepath.Join(dd, "secrets")
	if code, out, errs := cli(t, "connect", "--data-dir", dd, "--sandbox", info, "--secrets-dir", secDir); code != 0 {
		t.Fatalf("connect %d\n%s\n%s", code, out, errs)
	}
	if code, out, errs := cli(t, "sync", "--once", "--flow", "reference", "--data-dir", dd, "--secrets-dir", secDir); code != 0 {
		t.Fatalf("sync %d\n%s\n%s", code, out, errs)
	}
	return dd, secDir
}
