package cleo_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/ml-connector/ifs-cleo/core/cleo"
	"github.com/ml-connector/ifs-cleo/core/cleo/cleotest"
	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/testharness"
)

// sshServer is the one real OpenSSH sshd of this test binary.
type sshServer struct{ *testharness.SSHD }

var (
	sshdOnce sync.Once
	sshd     *testharness.SSHD
	sshdErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if sshd != nil {
		sshd.Stop()
	}
	os.Exit(code)
}

// startSSHD starts one sshd for the whole test binary. It skips when sshd
// is not installed, unless MLC_REQUIRE_SSHD=1 demands it.
func startSSHD(t *testing.T) *sshServer {
	t.Helper()
	testharness.RequireSSHD(t)
	sshdOnce.Do(func() { sshd, sshdErr = testharness.StartSSHD() })
	if sshdErr != nil {
		t.Fatalf("start sshd: %v", sshdErr)
	}
	return &sshServer{sshd}
}

func (s *sshServer) config(root string, layout cleo.Layout) cleo.SFTPConfig {
	return cleo.SFTPConfig{
		Addr: s.Addr, Username: currentUser(), PrivateKeyPEM: s.ClientKey,
		HostKeyFingerprint: s.Fingerprint, Root: root, Layout: layout, Timeout: 10 * time.Second,
	}
}

func currentUser() string { return testharness.CurrentUser() }

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
	cfg.HostKeyFingerprint, cfg.KnownHostsFile = "", srv.KnownHosts
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

// Over a real sshd: a sent file waiting in the outbox is pending; once the
// far side takes it (deletes it), it is delivered.
func TestSFTPDeliveryIsLeavingTheOutbox(t *testing.T) {
	srv := startSSHD(t)
	root := t.TempDir()
	tr, err := cleo.NewSFTP(srv.config(root, cleo.Layout{Partners: []domain.Partner{testPartner}}))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	ctx := context.Background()
	res, err := tr.Send(ctx, testPartner, "850_P7_1.edi", strings.NewReader("ISA*x~"))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := tr.Delivery(ctx, testPartner, res)
	if err != nil || rep.State != domain.DeliveryPending || !rep.InOutbox {
		t.Fatalf("waiting: %+v %v", rep, err)
	}
	if err := os.Remove(filepath.Join(root, "outbox", "850_P7_1.edi")); err != nil {
		t.Fatal(err)
	}
	rep, err = tr.Delivery(ctx, testPartner, res)
	if err != nil || rep.State != domain.DeliveryDelivered {
		t.Fatalf("taken: %+v %v", rep, err)
	}
}
