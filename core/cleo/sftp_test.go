package cleo_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/ml-connector/ifs-cleo/core/cleo"
	"github.com/ml-connector/ifs-cleo/core/cleo/cleotest"
	"github.com/ml-connector/ifs-cleo/core/domain"
)

const sshdPath = "/usr/sbin/sshd"

// sshServer is a real OpenSSH sshd with internal-sftp on a loopback port.
type sshServer struct {
	addr        string
	clientKey   []byte // PEM private key authorised on the server
	fingerprint string // SHA256 of the host key
	knownHosts  string // a known_hosts file naming the server
}

var (
	sshdOnce sync.Once
	sshd     *sshServer
	sshdErr  error
	sshdStop func()
)

func TestMain(m *testing.M) {
	code := m.Run()
	if sshdStop != nil {
		sshdStop()
	}
	os.Exit(code)
}

// startSSHD starts one sshd for the whole test binary. It skips when sshd
// is not installed, unless MLC_REQUIRE_SSHD=1 demands it.
func startSSHD(t *testing.T) *sshServer {
	t.Helper()
	if _, err := os.Stat(sshdPath); err != nil {
		if os.Getenv("MLC_REQUIRE_SSHD") == "1" {
			t.Fatalf("MLC_REQUIRE_SSHD=1 but %s is missing: install openssh-server", sshdPath)
		}
		t.Skipf("SFTP tests need OpenSSH's %s (apt-get install openssh-server); skipping", sshdPath)
	}
	sshdOnce.Do(func() { sshd, sshdErr = launchSSHD() })
	if sshdErr != nil {
		t.Fatalf("start sshd: %v", sshdErr)
	}
	return sshd
}

func launchSSHD() (*sshServer, error) {
	dir, err := os.MkdirTemp("", "mlc-sshd-")
	if err != nil {
		return nil, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	hostKey := filepath.Join(dir, "host_ed25519")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hostKey).CombinedOutput(); err != nil {
		cleanup()
		return nil, fmt.Errorf("ssh-keygen: %v: %s", err, out)
	}
	hostPub, err := os.ReadFile(hostKey + ".pub")
	if err != nil {
		cleanup()
		return nil, err
	}
	hpk, _, _, _, err := ssh.ParseAuthorizedKey(hostPub)
	if err != nil {
		cleanup()
		return nil, err
	}
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		cleanup()
		return nil, err
	}
	signer, _ := ssh.NewSignerFromKey(priv)
	if err := os.WriteFile(filepath.Join(dir, "authorized_keys"), ssh.MarshalAuthorizedKey(signer.PublicKey()), 0o600); err != nil {
		cleanup()
		return nil, err
	}
	if os.Geteuid() == 0 {
		// sshd started as root insists on its privilege-separation directory.
		_ = os.MkdirAll("/run/sshd", 0o755)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		cleanup()
		return nil, err
	}
	addr := l.Addr().String()
	_, port, _ := net.SplitHostPort(addr)
	l.Close()
	conf := strings.Join([]string{
		"Port " + port,
		"ListenAddress 127.0.0.1",
		"HostKey " + hostKey,
		"PidFile " + filepath.Join(dir, "sshd.pid"),
		"AuthorizedKeysFile " + filepath.Join(dir, "authorized_keys"),
		"Subsystem sftp internal-sftp",
		"UsePAM no",
		"StrictModes no",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"PubkeyAuthentication yes",
		"PermitRootLogin prohibit-password",
		"AllowTcpForwarding no",
		"X11Forwarding no",
		"LogLevel ERROR",
		"MaxStartups 50",
		"MaxSessions 50",
	}, "\n") + "\n"
	cfgPath := filepath.Join(dir, "sshd_config")
	if err := os.WriteFile(cfgPath, []byte(conf), 0o600); err != nil {
		cleanup()
		return nil, err
	}
	var stderr bytes.Buffer
	cmd := exec.Command(sshdPath, "-D", "-e", "-f", cfgPath)
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		cleanup()
		return nil, err
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	sshdStop = func() {
		cmd.Process.Kill()
		<-done
		cleanup()
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		select {
		case <-done:
			return nil, fmt.Errorf("sshd exited: %s", stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("sshd did not listen on %s: %s", addr, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	kh := filepath.Join(dir, "known_hosts")
	line := fmt.Sprintf("[127.0.0.1]:%s %s", port, hostPub)
	if err := os.WriteFile(kh, []byte(line), 0o600); err != nil {
		return nil, err
	}
	return &sshServer{
		addr:        addr,
		clientKey:   pem.EncodeToMemory(block),
		fingerprint: ssh.FingerprintSHA256(hpk),
		knownHosts:  kh,
	}, nil
}

func (s *sshServer) config(root string, layout cleo.Layout) cleo.SFTPConfig {
	return cleo.SFTPConfig{
		Addr: s.addr, Username: currentUser(), PrivateKeyPEM: s.clientKey,
		HostKeyFingerprint: s.fingerprint, Root: root, Layout: layout, Timeout: 10 * time.Second,
	}
}

func currentUser() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	out, _ := exec.Command("id", "-un").Output()
	return strings.TrimSpace(string(out))
}

func TestSFTPConformance(t *testing.T) {
	srv := startSSHD(t)
	for _, perPartner := range []bool{true, false} {
		name := "Flat"
		if perPartner {
			name = "PerPartner"
		}
		t.Run(name, func(t *testing.T) {
			cleotest.RunTests(t, func(t *testing.T) *cleotest.Env {
				root := t.TempDir()
				layout := cleo.Layout{PerPartner: perPartner, Partners: []domain.Partner{testPartner}}
				// SFTP reports whole-second modification times: start the clock on one.
				clock := &testClock{t: time.Now().UTC().Truncate(time.Second)}
				return fileEnv(t, root, layout, clock, func(t *testing.T) cleo.Transport {
					cfg := srv.config(root, layout)
					cfg.Now = clock.Now
					tr, err := cleo.NewSFTP(cfg)
					if err != nil {
						t.Fatal(err)
					}
					return tr
				})
			})
		})
	}
}

func TestSFTPKnownHostsAndHostKeyMismatch(t *testing.T) {
	srv := startSSHD(t)
	root := t.TempDir()
	layout := cleo.Layout{Partners: []domain.Partner{testPartner}}
	os.MkdirAll(filepath.Join(root, "inbox"), 0o755)
	ctx := context.Background()

	cfg := srv.config(root, layout)
	cfg.HostKeyFingerprint, cfg.KnownHostsFile = "", srv.knownHosts
	tr, err := cleo.NewSFTP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if rep := tr.TestConnection(ctx); !rep.OK() {
		t.Fatalf("known_hosts: %+v", rep)
	}
	tr.Close()

	cfg = srv.config(root, layout)
	cfg.HostKeyFingerprint = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	tr, _ = cleo.NewSFTP(cfg)
	_, err = tr.Inbound(ctx)
	if domain.KindOf(err) != domain.KindConfig {
		t.Fatalf("wrong host key: %v, want a config error", err)
	}
	rep := tr.TestConnection(ctx)
	if rep.OK() || !strings.Contains(rep.Steps[0].Fix, "fingerprint") || !rep.Steps[1].Skipped {
		t.Fatalf("wrong host key report: %+v", rep)
	}

	_, other, _ := ed25519.GenerateKey(rand.Reader)
	block, _ := ssh.MarshalPrivateKey(other, "")
	cfg = srv.config(root, layout)
	cfg.PrivateKeyPEM = pem.EncodeToMemory(block)
	tr, _ = cleo.NewSFTP(cfg)
	if _, err := tr.Inbound(ctx); domain.KindOf(err) != domain.KindAuth {
		t.Fatalf("unknown key: %v, want an auth error", err)
	}
}

func TestSFTPConfigRequiresPinnedHostKey(t *testing.T) {
	_, err := cleo.NewSFTP(cleo.SFTPConfig{Addr: "127.0.0.1:22", Username: "u", Password: "p"})
	if domain.KindOf(err) != domain.KindConfig || !strings.Contains(err.Error(), "pinned") {
		t.Fatalf("no host key pin: %v", err)
	}
}

func TestSFTPReconnectsAfterDrop(t *testing.T) {
	srv := startSSHD(t)
	root := t.TempDir()
	layout := cleo.Layout{Partners: []domain.Partner{testPartner}}
	os.MkdirAll(filepath.Join(root, "inbox"), 0o755)
	tr, _ := cleo.NewSFTP(srv.config(root, layout))
	defer tr.Close()
	ctx := context.Background()
	if _, err := tr.Inbound(ctx); err != nil {
		t.Fatal(err)
	}
	tr.Close()
	if _, err := tr.Inbound(ctx); err != nil {
		t.Fatalf("after close: %v", err)
	}
}
