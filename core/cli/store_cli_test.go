//go:build !windows

package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ml-connector/ifs-cleo/core/store"
	"github.com/ml-connector/ifs-cleo/core/testharness"
)

func runIn(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = Main(context.Background(), args, strings.NewReader(stdin), &o, &e, "version")
	return code, o.String(), e.String()
}

// TestTeamDatabaseJourney: an admin saves the team database's password (a
// secret, from stdin), copies a desk's history into the empty team
// database, switches the desk to it, and every command then works on
// PostgreSQL; the password is in no file the app wrote but the secret
// file the admin asked for, and in no output.
func TestTeamDatabaseJourney(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL")
	}
	url, pw := testharness.PostgresDatabase(t)
	desk := t.TempDir()
	secDir := filepath.Join(desk, "secrets")

	// A desk with some history: a partner mapping in two versions, audited.
	ds, err := store.Open(context.Background(), filepath.Join(desk, "ml-connector.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, sup := range []string{"S100", "S200"} {
		if _, err := ds.SetPartnerMapping(context.Background(), "ann", store.PartnerMapping{ISAQualifier: "ZZ", ISAID: "ACME01", SupplierID: sup}); err != nil {
			t.Fatal(err)
		}
	}
	ds.Close()

	// A URL with a password is refused, and the password is not echoed.
	withPW := strings.Replace(url, "mlc@", "mlc:"+pw+"@", 1)
	code, out, errOut := runIn(t, "", "--data-dir", desk, "--store", withPW, "store", "show")
	if code != ExitFailure || !strings.Contains(errOut, "carries a password") || strings.Contains(out+errOut, pw) {
		t.Fatalf("password URL: %d %q %q", code, out, errOut)
	}
	// Without the password saved, the server refuses, in words.
	code, _, errOut = runIn(t, "", "--data-dir", desk, "--store", url, "store", "show")
	if code != ExitFailure || !strings.Contains(errOut, "password") {
		t.Fatalf("no password: %d %q", code, errOut)
	}
	if code, out, errOut := runIn(t, pw+"\n", "--data-dir", desk, "store", "password", "--secrets-dir", secDir); code != ExitOK {
		t.Fatalf("store password: %d %s %s", code, out, errOut)
	}
	if code, out, errOut = runIn(t, "", "--data-dir", desk, "store", "copy", "--to", url); code != ExitOK ||
		!strings.Contains(out, "audit chain on the target") {
		t.Fatalf("store copy: %d %s %s", code, out, errOut)
	}
	if code, out, errOut = runIn(t, "", "--data-dir", desk, "store", "use", url); code != ExitOK {
		t.Fatalf("store use: %d %s %s", code, out, errOut)
	}
	code, out, errOut = runIn(t, "", "--data-dir", desk, "store", "show", "--json")
	var info storeInfo
	if code != ExitOK || json.Unmarshal([]byte(out), &info) != nil || info.Backend != "postgres" ||
		info.ChosenBy != "team-store.url" || info.SchemaVersion < 4 {
		t.Fatalf("store show: %d %s %s", code, out, errOut)
	}
	if code, out, errOut = runIn(t, "", "--data-dir", desk, "audit", "verify"); code != ExitOK || !strings.Contains(out, "intact: 2 events") {
		t.Fatalf("audit verify on the team database: %d %s %s", code, out, errOut)
	}
	// Clerk actions on a team database are requests for the leader.
	if code, out, errOut = runIn(t, "", "--data-dir", desk, "replay", "--no-wait", "999"); code != ExitOK ||
		!strings.Contains(out, "queued for the team's engine (replay 999 by") {
		t.Fatalf("replay on the team database: %d %s %s", code, out, errOut)
	}
	// The first person is admin; a role is granted by an admin only.
	if code, out, errOut = runIn(t, "", "--data-dir", desk, "store", "role", "carol", "admin"); code != ExitOK {
		t.Fatalf("grant: %d %s %s", code, out, errOut)
	}
	if code, out, _ = runIn(t, "", "--data-dir", desk, "store", "role", "carol"); !strings.Contains(out, "carol is admin") {
		t.Fatalf("role: %d %s", code, out)
	}
	// The environment variable chooses too, a server's password comes from
	// systemd credentials, and a second copy into the now non-empty team
	// database is refused.
	t.Setenv("ML_CONNECTOR_STORE", url)
	t.Setenv("CREDENTIALS_DIRECTORY", secDir)
	other := t.TempDir()
	if code, _, errOut = runIn(t, "", "--data-dir", other, "--store", filepath.Join(other, "x.db"), "store", "copy", "--to", url); code != ExitFailure ||
		!strings.Contains(errOut, "not empty") {
		t.Fatalf("copy into non-empty: %d %s", code, errOut)
	}
	// The password is only in the secret file the admin asked for.
	_ = filepath.Walk(desk, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() || strings.HasPrefix(p, secDir) {
			return nil
		}
		b, _ := os.ReadFile(p)
		if bytes.Contains(b, []byte(pw)) {
			t.Errorf("password written to %s", p)
		}
		return nil
	})
	if code, out, _ = runIn(t, "", "--data-dir", desk, "store", "use", "--desk"); code != ExitOK || !strings.Contains(out, "own database") {
		t.Fatalf("back to desk: %d %s", code, out)
	}
}
