package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

// 'partners' lists the sandbox's partners with their X12 strictness;
// 'partners set' changes one (audited, exported with the configuration) and
// refuses a level that does not exist, saying which exist.
func TestPartnersCommand(t *testing.T) {
	info, _, _ := sandboxInfoFile(t)
	dd := t.TempDir()
	secDir := filepath.Join(dd, "secrets")
	if code, out, errs := cli(t, "connect", "--data-dir", dd, "--sandbox", info, "--secrets-dir", secDir); code != 0 {
		t.Fatalf("connect %d\n%s\n%s", code, out, errs)
	}
	if code, out, errs := cli(t, "sync", "--once", "--flow", "reference", "--data-dir", dd, "--secrets-dir", secDir); code != 0 {
		t.Fatalf("sync %d\n%s\n%s", code, out, errs)
	}
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
