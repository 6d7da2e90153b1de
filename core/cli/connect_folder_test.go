package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The folder transport end to end: connect with flags (no Cleo REST at
// all), drop the sandbox's inbound files in the mailbox folder, sync once,
// and the invoices are posted in IFS and the files moved to processed.
func TestFolderTransportEndToEnd(t *testing.T) {
	infoPath, isim, csim := sandboxInfoFile(t)
	var info sandboxInfo
	b, _ := os.ReadFile(infoPath)
	if err := json.Unmarshal(b, &info); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ifsSec := filepath.Join(dir, "ifs")
	os.WriteFile(ifsSec, []byte(info.IFS.ClientSecret+"\n"), 0o600)

	root := filepath.Join(dir, "mailbox")
	for _, d := range []string{"inbox", "outbox"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-time.Hour) // older than the half-written-file window
	files := 0
	for _, f := range csim.Inbox() {
		if len(f.Content) == 0 {
			continue
		}
		p := filepath.Join(root, "inbox", f.Filename)
		if err := os.WriteFile(p, f.Content, 0o600); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(p, old, old)
		files++
	}
	if files == 0 {
		t.Fatal("the Cleo sandbox seeded no inbound files: the end-to-end case has nothing to move")
	}
	w := csim.World()
	var partners []string
	for _, p := range w.Partners() {
		partners = append(partners, p.Alias+"="+strings.TrimSpace(p.ISAQualifier)+":"+strings.TrimSpace(p.ISAID)+"@"+p.ExternalID)
	}

	dd := t.TempDir()
	secDir := filepath.Join(dd, "secrets")
	base := []string{"connect", "--data-dir", dd, "--secrets-dir", secDir,
		"--ifs-url", info.IFS.URL, "--ifs-token-url", info.IFS.TokenURL, "--ifs-client-id", info.IFS.ClientID,
		"--ifs-company", info.IFS.Company, "--ifs-secret-file", ifsSec, "--cleo-transport", "folder"}
	// Without the folder, connect names the missing setting.
	if code, _, errs := cli(t, base...); code != ExitUsage || !strings.Contains(errs, "cleo.root") {
		t.Fatalf("connect without --cleo-root: %d %s", code, errs)
	}
	args := append(base, "--cleo-root", root, "--cleo-partners", strings.Join(partners, ","),
		"--our-id", w.Us.Qualifier+":"+w.Us.ID)
	code, out, errs := cli(t, args...)
	if code != 0 || !strings.Contains(out, "ok   IFS Cloud") || !strings.Contains(out, "Cleo (folder)") {
		t.Fatalf("connect folder %d:\n%s\n%s", code, out, errs)
	}
	// A run that meets a transient failure (a timeout on a loaded CI machine)
	// leaves its documents for the next run, as the daemon would; three runs
	// must get everything through.
	for run := 1; run <= 3; run++ {
		code, out, errs = cli(t, "sync", "--once", "--data-dir", dd, "--secrets-dir", secDir)
		if code != 0 {
			t.Fatalf("sync %d\n%s\n%s", code, out, errs)
		}
		left, _ := os.ReadDir(filepath.Join(root, "inbox"))
		if len(isim.Invoices()) > 0 && len(left) == 0 {
			break
		}
		t.Logf("after run %d: %d invoices in IFS, %d files in the inbox\n%s%s", run, len(isim.Invoices()), len(left), out, errs)
	}
	if len(isim.Invoices()) == 0 {
		t.Fatal("no invoice posted from the folder mailbox")
	}
	left, _ := os.ReadDir(filepath.Join(root, "inbox"))
	done, _ := os.ReadDir(filepath.Join(root, "processed"))
	if len(left) != 0 || len(done) != files {
		t.Fatalf("inbox has %d files left, processed %d of %d", len(left), len(done), files)
	}
	acks, _ := os.ReadDir(filepath.Join(root, "outbox"))
	if len(acks) == 0 {
		t.Fatal("no 997 written to the outbox")
	}
	// Every file is a document: posted or an exception, none dropped.
	code, out, _ = cli(t, "documents", "--json", "--data-dir", dd, "--type", "810")
	if code != 0 || len(jsonLines(t, out)) < files {
		t.Fatalf("documents %d: %d lines for %d files", code, len(jsonLines(t, out)), files)
	}
}
