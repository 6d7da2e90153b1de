// Package testharness starts the real outside parts the tests run against:
// the ml-connector binary, the `ml-connector sandbox` process and an
// OpenSSH sshd for SFTP. It is the one copy of that code; tests of every
// package use it, and nothing outside tests imports it.
package testharness

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
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

var (
	buildOnce sync.Once
	buildBin  string
	buildErr  error
)

// Binary returns $MLC_BINARY (the Makefile's release build) or builds
// ./cmd/ml-connector once per test binary. Every process test runs what
// the Makefile built when there is one, so CI tests the binary it ships.
func Binary(t testing.TB) string {
	t.Helper()
	if b := os.Getenv("MLC_BINARY"); b != "" {
		return b
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "mlc-bin-")
		if err != nil {
			buildErr = err
			return
		}
		buildBin = filepath.Join(dir, "ml-connector")
		goTool, err := exec.LookPath("go")
		if err != nil {
			buildErr = fmt.Errorf("build ml-connector: %w (set MLC_BINARY or put go on PATH)", err)
			return
		}
		cmd := exec.Command(goTool, "build", "-o", buildBin, "./cmd/ml-connector")
		cmd.Dir = moduleRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/ml-connector: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildBin
}

// moduleRoot is the directory of go.mod, found from this source file.
func moduleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// SandboxInfo is the info file `ml-connector sandbox --info` writes.
type SandboxInfo struct {
	IFS struct {
		URL                 string `json:"url"`
		TokenURL            string `json:"token_url"`
		Realm               string `json:"realm"`
		ClientID            string `json:"client_id"`
		ClientSecret        string `json:"client_secret"`
		Company             string `json:"company"`
		ControlURL          string `json:"control_url"`
		LimitedClientID     string `json:"limited_client_id"`
		LimitedClientSecret string `json:"limited_client_secret"`
	} `json:"ifs"`
	Cleo struct {
		URL        string `json:"url"`
		Username   string `json:"username"`
		Password   string `json:"password"`
		ControlURL string `json:"control_url"`
		TokenURL   string `json:"token_url"`
	} `json:"cleo"`
	// Path is the info file itself (for `connect --sandbox`).
	Path string `json:"-"`
	// PID is the sandbox process (a benchmark reads its peak memory).
	PID int `json:"-"`
}

// Command makes the command that runs the binary with args (exec.Command
// by default; the chaos test runs its own test binary with extra
// environment).
type Command func(args ...string) *exec.Cmd

// StartSandbox runs `sandbox` on free loopback ports with the world of
// seed 1 and extra flags, waits up to 30 s for its info file, and stops it
// (SIGTERM, then SIGKILL after 10 s) when the test ends.
func StartSandbox(t testing.TB, run Command, extra ...string) SandboxInfo {
	t.Helper()
	infoPath := filepath.Join(t.TempDir(), "info.json")
	args := append([]string{"sandbox", "--ifs-listen", "127.0.0.1:0", "--cleo-listen", "127.0.0.1:0", "--seed", "1",
		"--info", infoPath, "--data-dir", t.TempDir()}, extra...)
	cmd := run(args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	for deadline := time.Now().Add(30 * time.Second); ; {
		if b, err := os.ReadFile(infoPath); err == nil {
			var info SandboxInfo
			if err := json.Unmarshal(b, &info); err != nil || !strings.HasPrefix(info.IFS.URL, "http://127.0.0.1:") ||
				!strings.HasPrefix(info.Cleo.URL, "http://127.0.0.1:") {
				t.Fatalf("sandbox info file: %v %s", err, b)
			}
			info.Path, info.PID = infoPath, cmd.Process.Pid
			return info
		}
		select {
		case err := <-done:
			t.Fatalf("sandbox exited (%v): %s", err, out.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("sandbox wrote no info file in 30 s: %s", out.String())
		}
	}
}

// ExecCommand runs bin with args.
func ExecCommand(bin string) Command {
	return func(args ...string) *exec.Cmd { return exec.Command(bin, args...) }
}

// SSHD is a real OpenSSH sshd with internal-sftp on a loopback port.
type SSHD struct {
	Addr        string
	ClientKey   []byte // PEM private key authorised on the server
	Fingerprint string // SHA256 of the host key
	KnownHosts  string // a known_hosts file naming the server
	stop        func()
}

// Stop ends the sshd and removes its files.
func (s *SSHD) Stop() { s.stop() }

// SSHDPath is where Debian's openssh-server puts sshd.
const SSHDPath = "/usr/sbin/sshd"

// RequireSSHD skips the test when sshd is not installed, unless
// MLC_REQUIRE_SSHD=1 (make test) demands it: then it fails.
func RequireSSHD(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(SSHDPath); err != nil {
		if os.Getenv("MLC_REQUIRE_SSHD") == "1" {
			t.Fatalf("MLC_REQUIRE_SSHD=1 but %s is missing: install openssh-server", SSHDPath)
		}
		t.Skipf("SFTP tests need OpenSSH's %s (apt-get install openssh-server)", SSHDPath)
	}
}

// StartSSHD starts an sshd authorising a fresh client key, for the current
// user, serving internal-sftp; the caller stops it (tests that share one
// sshd per binary stop it in TestMain).
func StartSSHD() (*SSHD, error) {
	dir, err := os.MkdirTemp("", "mlc-sshd-")
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*SSHD, error) { os.RemoveAll(dir); return nil, err }
	hostKey := filepath.Join(dir, "host_ed25519")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hostKey).CombinedOutput(); err != nil {
		return fail(fmt.Errorf("ssh-keygen: %v: %s", err, out))
	}
	hostPub, err := os.ReadFile(hostKey + ".pub")
	if err != nil {
		return fail(err)
	}
	hpk, _, _, _, err := ssh.ParseAuthorizedKey(hostPub)
	if err != nil {
		return fail(err)
	}
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		return fail(err)
	}
	signer, _ := ssh.NewSignerFromKey(priv)
	if err := os.WriteFile(filepath.Join(dir, "authorized_keys"), ssh.MarshalAuthorizedKey(signer.PublicKey()), 0o600); err != nil {
		return fail(err)
	}
	if os.Geteuid() == 0 {
		// sshd started as root insists on its privilege-separation directory.
		_ = os.MkdirAll("/run/sshd", 0o755)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fail(err)
	}
	addr := l.Addr().String()
	_, port, _ := net.SplitHostPort(addr)
	l.Close()
	conf := strings.Join([]string{
		"Port " + port, "ListenAddress 127.0.0.1", "HostKey " + hostKey,
		"PidFile " + filepath.Join(dir, "sshd.pid"), "AuthorizedKeysFile " + filepath.Join(dir, "authorized_keys"),
		"Subsystem sftp internal-sftp", "UsePAM no", "StrictModes no", "PasswordAuthentication no",
		"KbdInteractiveAuthentication no", "PubkeyAuthentication yes", "PermitRootLogin prohibit-password",
		"AllowTcpForwarding no", "X11Forwarding no", "LogLevel ERROR", "MaxStartups 50", "MaxSessions 50",
	}, "\n") + "\n"
	cfgPath := filepath.Join(dir, "sshd_config")
	if err := os.WriteFile(cfgPath, []byte(conf), 0o600); err != nil {
		return fail(err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(SSHDPath, "-D", "-e", "-f", cfgPath)
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return fail(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	stop := func() {
		_ = cmd.Process.Kill()
		<-done
		os.RemoveAll(dir)
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		select {
		case <-done:
			stop()
			return nil, fmt.Errorf("sshd exited: %s", stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("sshd did not listen on %s: %s", addr, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	kh := filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(kh, []byte(fmt.Sprintf("[127.0.0.1]:%s %s", port, hostPub)), 0o600); err != nil {
		stop()
		return nil, err
	}
	return &SSHD{Addr: addr, ClientKey: pem.EncodeToMemory(block), Fingerprint: ssh.FingerprintSHA256(hpk), KnownHosts: kh, stop: stop}, nil
}

// CurrentUser is the login the sshd accepts the client key for.
func CurrentUser() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	out, _ := exec.Command("id", "-un").Output()
	return strings.TrimSpace(string(out))
}
