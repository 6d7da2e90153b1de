package cleo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/ml-connector/ifs-cleo/core/domain"
)

// SFTPConfig configures the SFTP mailbox transport (a CIC partner mailbox
// or any SFTP server Cleo delivers to).
type SFTPConfig struct {
	Addr     string // host:port; port 22 when omitted
	Username string
	// Password and/or a private key (PEM, optionally encrypted with
	// Passphrase; PrivateKeyFile is read when PrivateKeyPEM is empty).
	Password       string
	PrivateKeyPEM  []byte
	PrivateKeyFile string
	Passphrase     string
	// The server's host key is always pinned: either a known_hosts file, or
	// the SHA256 fingerprint ("SHA256:…", as ssh-keygen -lf prints it) the
	// admin confirmed. One of the two is required.
	KnownHostsFile     string
	HostKeyFingerprint string
	// Root is the mailbox directory on the server ("" = the login directory).
	Root   string
	Layout Layout
	// Timeout bounds the TCP connect and SSH handshake; default 30 s.
	Timeout time.Duration
	// Now is the clock for the half-written-file check; default time.Now.
	Now func() time.Time
}

// SFTP is the SFTP mailbox transport. It keeps one SSH connection open and
// reconnects on the next call after a failure.
type SFTP struct {
	cfg  SFTPConfig
	auth []ssh.AuthMethod
	hkcb ssh.HostKeyCallback
	mb   *mailbox

	mu     sync.Mutex
	conn   *ssh.Client
	client *sftp.Client
}

// NewSFTP checks the configuration; it does not connect yet.
func NewSFTP(cfg SFTPConfig) (*SFTP, error) {
	cerr := func(msg string, err error) error {
		return &Error{Op: "configure sftp", Kind: domain.KindConfig, Message: msg, Err: err}
	}
	if cfg.Addr == "" || cfg.Username == "" {
		return nil, cerr("server address and username are required", nil)
	}
	if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
		cfg.Addr = net.JoinHostPort(cfg.Addr, "22")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	s := &SFTP{cfg: cfg}
	key := cfg.PrivateKeyPEM
	if len(key) == 0 && cfg.PrivateKeyFile != "" {
		b, err := os.ReadFile(cfg.PrivateKeyFile)
		if err != nil {
			return nil, cerr("read private key", err)
		}
		key = b
	}
	if len(key) > 0 {
		var signer ssh.Signer
		var err error
		if cfg.Passphrase != "" {
			signer, err = ssh.ParsePrivateKeyWithPassphrase(key, []byte(cfg.Passphrase))
		} else {
			signer, err = ssh.ParsePrivateKey(key)
		}
		if err != nil {
			return nil, cerr("parse private key", err)
		}
		s.auth = append(s.auth, ssh.PublicKeys(signer))
	}
	if cfg.Password != "" {
		pw := cfg.Password
		s.auth = append(s.auth, ssh.Password(pw), ssh.KeyboardInteractive(
			func(_, _ string, qs []string, _ []bool) ([]string, error) {
				ans := make([]string, len(qs))
				for i := range ans {
					ans[i] = pw
				}
				return ans, nil
			}))
	}
	if len(s.auth) == 0 {
		return nil, cerr("a password or a private key is required", nil)
	}
	switch {
	case cfg.KnownHostsFile != "":
		cb, err := knownhosts.New(cfg.KnownHostsFile)
		if err != nil {
			return nil, cerr("read known_hosts", err)
		}
		s.hkcb = cb
	case cfg.HostKeyFingerprint != "":
		want := strings.TrimSpace(cfg.HostKeyFingerprint)
		if !strings.HasPrefix(want, "SHA256:") {
			return nil, cerr(`host key fingerprint must look like "SHA256:…" (ssh-keygen -lf)`, nil)
		}
		s.hkcb = func(_ string, _ net.Addr, k ssh.PublicKey) error {
			if got := ssh.FingerprintSHA256(k); got != want {
				return &hostKeyMismatch{got: got, want: want}
			}
			return nil
		}
	default:
		return nil, cerr("the server's host key must be pinned: give a known_hosts file or its SHA256 fingerprint", nil)
	}
	s.mb = newMailbox(sftpFS{s: s}, cfg.Layout, cfg.Now)
	return s, nil
}

type hostKeyMismatch struct{ got, want string }

func (e *hostKeyMismatch) Error() string {
	return fmt.Sprintf("host key %s does not match the pinned %s", e.got, e.want)
}

// sftpClient returns the live client, connecting when needed.
func (s *SFTP) sftpClient(ctx context.Context) (*sftp.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.client != nil {
		return s.client, nil
	}
	d := net.Dialer{Timeout: s.cfg.Timeout}
	nc, err := d.DialContext(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return nil, classifySSH("connect to "+s.cfg.Addr, err)
	}
	_ = nc.SetDeadline(time.Now().Add(s.cfg.Timeout))
	cc, chans, reqs, err := ssh.NewClientConn(nc, s.cfg.Addr, &ssh.ClientConfig{
		User: s.cfg.Username, Auth: s.auth, HostKeyCallback: s.hkcb, Timeout: s.cfg.Timeout,
	})
	if err != nil {
		nc.Close()
		return nil, classifySSH("sign in to "+s.cfg.Addr, err)
	}
	_ = nc.SetDeadline(time.Time{})
	conn := ssh.NewClient(cc, chans, reqs)
	client, err := sftp.NewClient(conn)
	if err != nil {
		conn.Close()
		return nil, classifySSH("start sftp", err)
	}
	s.conn, s.client = conn, client
	return client, nil
}

// drop forgets a broken connection so the next call reconnects.
func (s *SFTP) drop(c *sftp.Client) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.client == c && c != nil {
		s.client.Close()
		s.conn.Close()
		s.client, s.conn = nil, nil
	}
}

func classifySSH(op string, err error) error {
	var hk *hostKeyMismatch
	var kk *knownhosts.KeyError
	switch {
	case errors.As(err, &hk), errors.As(err, &kk):
		return &Error{Op: op, Kind: domain.KindConfig, Message: "server host key not trusted", Err: err}
	case strings.Contains(err.Error(), "unable to authenticate"):
		return &Error{Op: op, Kind: domain.KindAuth, Message: "username, password or key rejected", Err: err}
	}
	return wrapErr(op, err)
}

// Partners returns the configured partners.
func (s *SFTP) Partners(ctx context.Context) ([]domain.Partner, error) { return s.mb.partners(), nil }

// Inbound lists complete files in the mailbox inbox, oldest first.
func (s *SFTP) Inbound(ctx context.Context) ([]domain.RemoteFile, error) { return s.mb.inbound(ctx) }

// Open streams an inbound file.
func (s *SFTP) Open(ctx context.Context, id string) (io.ReadCloser, error) { return s.mb.open(ctx, id) }

// Ack moves the file to the processed folder.
func (s *SFTP) Ack(ctx context.Context, id string) error { return s.mb.ack(ctx, id) }

// Send uploads to a temporary name, then renames (OpenSSH's rename never
// replaces, so an existing name is reported as AlreadyPresent).
func (s *SFTP) Send(ctx context.Context, partner domain.Partner, name string, content io.Reader) (domain.SendResult, error) {
	return s.mb.send(ctx, partner, name, content)
}

// SetPartnerExternalID is not supported: an SFTP mailbox has no partner records.
func (s *SFTP) SetPartnerExternalID(ctx context.Context, partnerID, supplierID string) error {
	return unsupported("set external id of "+partnerID, "an SFTP mailbox has no partner records; keep the mapping in ml-connector")
}

// TestConnection connects, checks the host key and the credentials, and lists.
func (s *SFTP) TestConnection(ctx context.Context) domain.TestReport {
	rep := domain.TestReport{Target: "Cleo (SFTP)"}
	t0 := time.Now()
	s.Close() // test a fresh connection, not a cached one
	_, err := s.sftpClient(ctx)
	st := domain.TestStep{Name: "Connect and sign in", OK: err == nil, Duration: time.Since(t0)}
	if err == nil {
		st.Detail = "connected to " + s.cfg.Addr + " as " + s.cfg.Username
	} else {
		st.Detail = err.Error()
		switch domain.KindOf(err) {
		case domain.KindConfig:
			st.Fix = "The server's host key is not the pinned one. Confirm the fingerprint with the Cleo administrator (ssh-keygen -lf on the server's key) before changing it: a different key can mean someone is intercepting the connection."
		case domain.KindAuth:
			st.Fix = "Check the mailbox username and password or private key; ask Cleo whether the account is locked or the key is registered."
		default:
			st.Fix = "Check the server address and port and that the firewall lets this machine reach it."
		}
	}
	rep.Steps = append(rep.Steps, st)
	if !st.OK {
		rep.Steps = append(rep.Steps, domain.TestStep{Name: "List partners", Skipped: true}, domain.TestStep{Name: "List inbound files", Skipped: true})
		return rep
	}
	s.mb.testSteps(ctx, &rep, "the mailbox")
	return rep
}

// Close closes the connection; the transport reconnects when used again.
func (s *SFTP) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.client != nil {
		s.client.Close()
		s.conn.Close()
		s.client, s.conn = nil, nil
	}
	return nil
}

// sftpFS is mailboxFS over the SFTP connection.
type sftpFS struct{ s *SFTP }

func (f sftpFS) abs(name string) string {
	if f.s.cfg.Root == "" {
		return name
	}
	return path.Join(f.s.cfg.Root, name)
}

// with runs op with a client, dropping the connection when it failed at
// the connection level rather than with a status.
func (f sftpFS) with(ctx context.Context, op func(*sftp.Client) error) error {
	c, err := f.s.sftpClient(ctx)
	if err != nil {
		return err
	}
	err = op(c)
	var se *sftp.StatusError
	if err != nil && !errors.As(err, &se) && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, fs.ErrExist) && !errors.Is(err, fs.ErrPermission) {
		f.s.drop(c)
	}
	return err
}

func (f sftpFS) ReadDir(ctx context.Context, dir string) (out []fs.FileInfo, err error) {
	err = f.with(ctx, func(c *sftp.Client) error {
		out, err = c.ReadDirContext(ctx, f.abs(dir))
		return err
	})
	return out, err
}

func (f sftpFS) Stat(ctx context.Context, name string) (fi fs.FileInfo, err error) {
	err = f.with(ctx, func(c *sftp.Client) error {
		fi, err = c.Stat(f.abs(name))
		return err
	})
	return fi, err
}

func (f sftpFS) Open(ctx context.Context, name string) (rc io.ReadCloser, err error) {
	err = f.with(ctx, func(c *sftp.Client) error {
		fh, err := c.Open(f.abs(name))
		if err == nil {
			rc = fh
		}
		return err
	})
	return rc, err
}

func (f sftpFS) MkdirAll(ctx context.Context, dir string) error {
	return f.with(ctx, func(c *sftp.Client) error { return c.MkdirAll(f.abs(dir)) })
}

func (f sftpFS) Remove(ctx context.Context, name string) error {
	return f.with(ctx, func(c *sftp.Client) error { return c.Remove(f.abs(name)) })
}

func (f sftpFS) Move(ctx context.Context, from, to string) error {
	return f.with(ctx, func(c *sftp.Client) error {
		if _, err := c.Lstat(f.abs(to)); err == nil {
			return fs.ErrExist
		}
		err := c.Rename(f.abs(from), f.abs(to))
		if err != nil {
			if _, serr := c.Lstat(f.abs(to)); serr == nil {
				return fs.ErrExist
			}
			if _, serr := c.Lstat(f.abs(from)); errors.Is(serr, fs.ErrNotExist) {
				return fs.ErrNotExist
			}
		}
		return err
	})
}

func (f sftpFS) WriteNew(ctx context.Context, dir, name string, content io.Reader) (exists bool, err error) {
	err = f.with(ctx, func(c *sftp.Client) error {
		final := f.abs(path.Join(dir, name))
		if _, err := c.Lstat(final); err == nil {
			exists = true
			return nil
		}
		var rnd [6]byte
		_, _ = rand.Read(rnd[:])
		tmp := f.abs(path.Join(dir, "."+name+"."+hex.EncodeToString(rnd[:])+".tmp"))
		fh, err := c.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL)
		if err != nil {
			return err
		}
		defer c.Remove(tmp) // fails harmlessly once renamed
		if _, err := fh.ReadFrom(content); err != nil {
			fh.Close()
			return err
		}
		if err := fh.Close(); err != nil {
			return err
		}
		// Rename, not PosixRename: the plain SFTP rename fails when the
		// target exists, which is exactly the duplicate check we want.
		if err := c.Rename(tmp, final); err != nil {
			if _, serr := c.Lstat(final); serr == nil {
				exists = true
				return nil
			}
			return err
		}
		return nil
	})
	return exists, err
}
