//go:build !windows

package testharness

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Postgres is a throwaway PostgreSQL server for tests: Debian's own server
// binaries, a cluster made by initdb in a temporary directory, listening on
// a free port of 127.0.0.1 only, password authentication (scram) for its one
// superuser. When the tests run as root the cluster belongs to the
// unprivileged user "nobody", because PostgreSQL refuses to run as root.
type Postgres struct {
	Dir      string // the temporary directory holding the cluster
	Port     int
	User     string // superuser name
	Password string // superuser password (a test value, never a real secret)
	CAFile   string // PEM of the throwaway CA that signed the server's TLS certificate (for 127.0.0.1)

	cmd  *exec.Cmd
	done chan error
	mu   sync.Mutex
	n    int
}

// PostgresBinDir finds the directory of initdb and postgres: the newest
// /usr/lib/postgresql/N/bin (Debian's layout, not on PATH), else PATH.
func PostgresBinDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[i])))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[j])))
		return vi > vj
	})
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	p, err := exec.LookPath("initdb")
	if err != nil {
		return "", errors.New("PostgreSQL server binaries not found (Debian package postgresql; `make deps` installs it)")
	}
	return filepath.Dir(p), nil
}

// StartPostgres makes a new cluster and starts its server. Stop removes it.
func StartPostgres() (*Postgres, error) {
	bin, err := PostgresBinDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "mlc-pg-")
	if err != nil {
		return nil, err
	}
	p := &Postgres{Dir: dir, User: "mlc", Password: "pg-test-" + strconv.Itoa(os.Getpid())}
	fail := func(err error) (*Postgres, error) {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		// initdb and postgres refuse root; "nobody" owns the cluster.
		cred = &syscall.Credential{Uid: 65534, Gid: 65534}
		if err := os.Chmod(dir, 0o755); err != nil {
			return fail(err)
		}
		if err := os.Chown(dir, 65534, 65534); err != nil {
			return fail(err)
		}
	}
	pwfile := filepath.Join(dir, "pw")
	if err := os.WriteFile(pwfile, []byte(p.Password+"\n"), 0o600); err != nil {
		return fail(err)
	}
	if cred != nil {
		_ = os.Chown(pwfile, 65534, 65534)
	}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", p.User, "--pwfile="+pwfile,
		"--auth=scram-sha-256", "-E", "UTF8", "--no-locale", "--no-sync")
	initdb.Dir = dir
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		return fail(fmt.Errorf("initdb: %v\n%s", err, out))
	}
	_ = os.Remove(pwfile)
	// TLS: a throwaway CA and a server certificate for 127.0.0.1, so that
	// sslmode=verify-full with sslrootcert can be tested; plain connections
	// (sslmode=disable) still work.
	caPEM, certPEM, keyPEM, err := ThrowawayTLS()
	if err != nil {
		return fail(err)
	}
	p.CAFile = filepath.Join(dir, "ca.pem")
	for name, b := range map[string][]byte{"ca.pem": caPEM, "server.crt": certPEM, "server.key": keyPEM} {
		f := filepath.Join(data, name)
		if name == "ca.pem" {
			f = p.CAFile
		}
		if err := os.WriteFile(f, b, 0o600); err != nil {
			return fail(err)
		}
		if cred != nil {
			_ = os.Chown(f, 65534, 65534)
		}
	}
	_ = os.Chmod(p.CAFile, 0o644)

	for attempt := 0; ; attempt++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return fail(err)
		}
		p.Port = l.Addr().(*net.TCPAddr).Port
		_ = l.Close()
		p.cmd = exec.Command(filepath.Join(bin, "postgres"), "-D", data, "-p", strconv.Itoa(p.Port),
			"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="+dir,
			"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
			"-c", "max_connections=300", "-c", "log_min_messages=warning",
			"-c", "ssl=on", "-c", "ssl_cert_file=server.crt", "-c", "ssl_key_file=server.key")
		p.cmd.Dir = dir
		p.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true, Pdeathsig: syscall.SIGKILL}
		logf, err := os.Create(filepath.Join(dir, "server.log"))
		if err != nil {
			return fail(err)
		}
		p.cmd.Stdout, p.cmd.Stderr = logf, logf
		if err := p.cmd.Start(); err != nil {
			_ = logf.Close()
			return fail(fmt.Errorf("start postgres: %w", err))
		}
		p.done = make(chan error, 1)
		go func() { p.done <- p.cmd.Wait(); _ = logf.Close() }()
		err = p.waitReady(30 * time.Second)
		if err == nil {
			return p, nil
		}
		_ = p.cmd.Process.Kill()
		<-p.done
		if attempt >= 2 {
			log, _ := os.ReadFile(filepath.Join(dir, "server.log"))
			return fail(fmt.Errorf("postgres did not start: %v\n%s", err, log))
		}
	}
}

func (p *Postgres) waitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		select {
		case err := <-p.done:
			p.done <- err
			return fmt.Errorf("server exited: %v", err)
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		c, err := pgx.Connect(ctx, p.URL("postgres", true))
		if err == nil {
			_ = c.Close(ctx)
			cancel()
			return nil
		}
		cancel()
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// URL is a connection URL to database db; the password is included only
// when withPassword (to test the path where it comes from the secret store,
// leave it out).
func (p *Postgres) URL(db string, withPassword bool) string {
	user := p.User
	if withPassword {
		user += ":" + p.Password
	}
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", user, p.Port, db)
}

// CreateDatabase makes a new empty database and returns its name, unique in
// this server (prefix plus a counter).
func (p *Postgres) CreateDatabase(prefix string) (string, error) {
	p.mu.Lock()
	p.n++
	name := fmt.Sprintf("%s_%d", strings.ToLower(prefix), p.n)
	p.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, p.URL("postgres", true))
	if err != nil {
		return "", err
	}
	defer func() { _ = c.Close(ctx) }()
	if _, err := c.Exec(ctx, `CREATE DATABASE `+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	return name, nil
}

// Stop shuts the server down (fast shutdown) and removes the cluster.
func (p *Postgres) Stop() {
	if p.cmd != nil && p.cmd.Process != nil {
		_ = p.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-p.done:
		case <-time.After(20 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	}
	_ = os.RemoveAll(p.Dir)
}

var (
	sharedPG     *Postgres
	sharedPGErr  error
	sharedPGOnce sync.Once
)

// SharedPostgres starts one server for the whole test process on first use
// (stopped by StopSharedPostgres from TestMain, or by Pdeathsig when the test
// process dies). Without PostgreSQL installed it skips the test, unless
// MLC_REQUIRE_POSTGRES=1 (set by `make test`), where it fails.
func SharedPostgres(tb testing.TB) *Postgres {
	tb.Helper()
	sharedPGOnce.Do(func() { sharedPG, sharedPGErr = StartPostgres() })
	if sharedPGErr != nil {
		if os.Getenv("MLC_REQUIRE_POSTGRES") == "1" {
			tb.Fatalf("PostgreSQL required: %v", sharedPGErr)
		}
		tb.Skipf("PostgreSQL not available: %v", sharedPGErr)
	}
	return sharedPG
}

// StopSharedPostgres stops the shared server if one was started.
func StopSharedPostgres() {
	if sharedPG != nil {
		sharedPG.Stop()
	}
}

// PostgresDatabase returns a URL (without the password) and the password
// of a new empty database on the shared server.
func PostgresDatabase(tb testing.TB) (url, password string) {
	tb.Helper()
	p := SharedPostgres(tb)
	name, err := p.CreateDatabase("t")
	if err != nil {
		tb.Fatal(err)
	}
	return p.URL(name, false), p.Password
}

// ThrowawayTLS makes a CA and a server certificate for 127.0.0.1 and
// localhost, valid for a day, as PEM.
func ThrowawayTLS() (caPEM, certPEM, keyPEM []byte, err error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, nil, err
	}
	now := time.Now()
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ml-connector test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, nil, nil, err
	}
	srvKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, nil, err
	}
	srv := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), DNSNames: []string{"localhost"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	srvDER, err := x509.CreateCertificate(rand.Reader, srv, ca, &srvKey.PublicKey, caKey)
	if err != nil {
		return nil, nil, nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(srvKey)
	if err != nil {
		return nil, nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srvDER}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), nil
}
