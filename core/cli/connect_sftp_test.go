package cli

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// startSSHD runs a real OpenSSH sshd with internal-sftp on a loopback port
// for this test, authorising a fresh client key. It returns the address,
// the client key (PEM) and the host key's SHA256 fingerprint.
func startSSHD(t *testing.T) (addr string, clientKey []byte, fingerprint string) {
	t.Helper()
	const sshdPath = "/usr/sbin/sshd"
	if _, err := os.Stat(sshdPath); err != nil {
		if os.Getenv("MLC_REQUIRE_SSHD") == "1" {
			t.Fatalf("MLC_REQUIRE_SSHD=1 but %s is missing", sshdPath)
		}
		t.Skipf("needs OpenSSH's %s (apt-get install openssh-server)", sshdPath)
	}
	dir := t.TempDir()
	hostKey := filepath.Join(dir, "host_ed25519")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hostKey).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v: %s", err, out)
	}
	hostPub, err := os.ReadFile(hostKey + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	hpk, _, _, _, err := ssh.ParseAuthorizedKey(hostPub)
	if err != nil {
		t.Fatal(err)
	}
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := ssh.NewSignerFromKey(priv)
	if err := os.WriteFile(filepath.Join(dir, "authorized_keys"), ssh.MarshalAuthorizedKey(signer.PublicKey()), 0o600); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		_ = os.MkdirAll("/run/sshd", 0o755)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr = l.Addr().String()
	_, port, _ := net.SplitHostPort(addr)
	l.Close()
	conf := strings.Join([]string{"Port " + port, "ListenAddress 127.0.0.1", "HostKey " + hostKey,
		"PidFile " + filepath.Join(dir, "sshd.pid"), "AuthorizedKeysFile " + filepath.Join(dir, "authorized_keys"),
		"Subsystem sftp internal-sftp", "UsePAM no", "StrictModes no", "PasswordAuthentication no",
		"KbdInteractiveAuthentication no", "PubkeyAuthentication yes", "PermitRootLogin prohibit-password",
		"AllowTcpForwarding no", "X11Forwarding no", "LogLevel ERROR"}, "\n") + "\n"
	cfgPath := filepath.Join(dir, "sshd_config")
	if err := os.WriteFile(cfgPath, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(sshdPath, "-D", "-e", "-f", cfgPath)
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() { cmd.Process.Kill(); <-done })
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		select {
		case <-done:
			t.Fatalf("sshd exited: %s", stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("sshd did not listen on %s: %s", addr, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return addr, pem.EncodeToMemory(block), ssh.FingerprintSHA256(hpk)
}

func currentUserName() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	out, _ := exec.Command("id", "-un").Output()
	return strings.TrimSpace(string(out))
}

// The SFTP mailbox end to end: connect with a private key file (stored as
// a secret, never in the database) and a pinned host key, sync once, and the
// invoices dropped in the server's inbox are posted and moved to processed.
func TestSFTPTransportEndToEnd(t *testing.T) {
	addr, key, fp := startSSHD(t)
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
		t.Skip("the Cleo sandbox seeds no inbound files")
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
		"--cleo-transport", "sftp", "--cleo-host", addr, "--cleo-username", currentUserName(), "--cleo-key-file", keyFile,
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
