package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/testharness"
)

// The SFTP mailbox end to end: connect with a private key file (stored as
// a secret, never in the database) and a pinned host key, sync once, and the
// invoices dropped in the server's inbox are posted and moved to processed.
func TestSFTPTransportEndToEnd(t *testing.T) {
	testharness.RequireSSHD(t)
	sshd, err := testharness.StartSSHD()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sshd.Stop)
	addr, key, fp := sshd.Addr, sshd.ClientKey, sshd.Fingerprint
	infoPath, isim, csim := sandboxInfoFile(t)
	var info sandboxInfo
	b, _ := os.ReadFile(infoPath)
	if err := json.Unmarshal(b, &info); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ifsSec, keyFile := filepath.Join(dir, "ifs"), filepath.Join(dir, "id_ed25519")
	os.WriteFile(ifsSec, []byte(info.IFS.ClientSecret+"\n"), 0o600)
	os.WriteFile(keyFile, key, 0o600)

	root := filepath.Join(dir, "mailbox") // the sshd user is us, so the path is the same
	for _, d := range []string{"inbox", "outbox"} {
		os.MkdirAll(filepath.Join(root, d), 0o700)
	}
	old := time.Now().Add(-time.Hour)
	files := 0
	for _, f := range csim.Inbox() {
		if len(f.Content) == 0 {
			continue
		}
		p := filepath.Join(root, "inbox", f.Filename)
		os.WriteFile(p, f.Content, 0o600)
		os.Chtimes(p, old, old)
		files++
	}
	if files == 0 {
		t.Fatal("the Cleo sandbox seeded no inbound files: the end-to-end case has nothing to move")
	}
	w := csim.World()
	var partners []string
	for _, p := range w.Partners() {
		partners = append(partners, fmt.Sprintf("%s=%s:%s@%s", p.Alias, strings.TrimSpace(p.ISAQualifier), strings.TrimSpace(p.ISAID), p.ExternalID))
	}
	dd := t.TempDir()
	secDir := filepath.Join(dd, "secrets")
	code, out, errs := cli(t, "connect", "--data-dir", dd, "--secrets-dir", secDir,
		"--ifs-url", info.IFS.URL, "--ifs-token-url", info.IFS.TokenURL, "--ifs-client-id", info.IFS.ClientID,
		"--ifs-company", info.IFS.Company, "--ifs-secret-file", ifsSec,
		"--cleo-transport", "sftp", "--cleo-host", addr, "--cleo-username", testharness.CurrentUser(), "--cleo-key-file", keyFile,
		"--cleo-host-key", fp, "--cleo-root", root, "--cleo-partners", strings.Join(partners, ","), "--our-id", w.Us.Qualifier+":"+w.Us.ID)
	if code != 0 || !strings.Contains(out, "ok   Cleo (SFTP)") {
		t.Fatalf("connect sftp %d:\n%s\n%s", code, out, errs)
	}
	code, out, errs = cli(t, "sync", "--once", "--data-dir", dd, "--secrets-dir", secDir)
	if code != 0 {
		t.Fatalf("sync %d\n%s\n%s", code, out, errs)
	}
	if len(isim.Invoices()) == 0 {
		t.Fatalf("no invoice posted from the SFTP mailbox:\n%s", out)
	}
	done, _ := os.ReadDir(filepath.Join(root, "processed"))
	if len(done) != files {
		t.Fatalf("processed %d of %d", len(done), files)
	}
	// The private key is a secret: in the secrets folder, nowhere else.
	keyLine := strings.Split(strings.TrimSpace(string(key)), "\n")[1]
	filepath.Walk(dd, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() || strings.HasPrefix(p, secDir) {
			return nil
		}
		if c, _ := os.ReadFile(p); bytes.Contains(c, []byte(keyLine)) {
			t.Errorf("the private key is in %s", p)
		}
		return nil
	})
}
