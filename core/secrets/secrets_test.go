package secrets

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zalando/go-keyring"
)

// conformance runs the behaviour every writable store must have.
func conformance(t *testing.T, s Store) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.Get(ctx, "ifs.client_secret"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("get missing: want ErrNotFound, got %v", err)
	}
	if err := s.Set(ctx, "ifs.client_secret", "s3cr3t\nwith newline"); err != nil {
		t.Fatal(err)
	}
	v, err := s.Get(ctx, "ifs.client_secret")
	if err != nil || v != "s3cr3t\nwith newline" {
		t.Fatalf("get: %q %v", v, err)
	}
	if err := s.Set(ctx, "ifs.client_secret", "rotated"); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.Get(ctx, "ifs.client_secret"); v != "rotated" {
		t.Fatalf("after overwrite: %q", v)
	}
	if err := s.Delete(ctx, "ifs.client_secret"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "ifs.client_secret"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after delete: want ErrNotFound, got %v", err)
	}
	if err := s.Delete(ctx, "ifs.client_secret"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("delete missing: want ErrNotFound, got %v", err)
	}
	if err := s.Set(ctx, "", "x"); err == nil {
		t.Fatal("empty key accepted")
	}
}

func TestMemory(t *testing.T) {
	m := NewMemory()
	conformance(t, m)
	if !strings.Contains(m.Label(), "not saved") || !strings.Contains(m.Label(), "demo") {
		t.Fatalf("label %q must say demo and not saved", m.Label())
	}
}

func TestKeyringWithMock(t *testing.T) {
	keyring.MockInit()
	k := NewKeyring(0)
	conformance(t, k)
	// The secret is stored under the service name, keyed by our key.
	if err := k.Set(context.Background(), "cleo.password", "pw"); err != nil {
		t.Fatal(err)
	}
	if v, err := keyring.Get(ServiceName, "cleo.password"); err != nil || v != "pw" {
		t.Fatalf("raw keyring: %q %v", v, err)
	}
}

func TestKeyringUnavailable(t *testing.T) {
	keyring.MockInitWithError(errors.New("The name org.freedesktop.secrets was not provided by any .service files"))
	t.Cleanup(keyring.MockInit)
	k := NewKeyring(0)
	_, err := k.Get(context.Background(), "ifs.client_secret")
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("want ErrUnavailable, got %v", err)
	}
	var ue *UnavailableError
	if !errors.As(err, &ue) || ue.Fix == "" {
		t.Fatalf("want an UnavailableError with a fix, got %#v", err)
	}
	for _, want := range []string{"OS keychain", "Secret Service", "CREDENTIALS_DIRECTORY", "org.freedesktop.secrets"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
	if err := Probe(context.Background(), k); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("probe: %v", err)
	}
}

// blockingBackend never answers until released: a locked keychain showing a prompt.
type blockingBackend struct{ release chan struct{} }

func (b blockingBackend) Get(string, string) (string, error) {
	<-b.release
	return "", keyring.ErrNotFound
}
func (b blockingBackend) Set(string, string, string) error { <-b.release; return nil }
func (b blockingBackend) Delete(string, string) error      { <-b.release; return nil }

func TestKeyringTimeout(t *testing.T) {
	b := blockingBackend{release: make(chan struct{})}
	t.Cleanup(func() { close(b.release) })
	k := &Keyring{service: ServiceName, timeout: 20 * time.Millisecond, backend: b}
	err := k.Set(context.Background(), "ifs.client_secret", "x")
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "locked") {
		t.Fatalf("want a timeout ErrUnavailable mentioning the lock, got %v", err)
	}
	// A cancelled context returns the context's error, not "unavailable".
	k.timeout = time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := k.Get(ctx, "ifs.client_secret"); !errors.Is(err, context.Canceled) || errors.Is(err, ErrUnavailable) {
		t.Fatalf("cancelled: %v", err)
	}
}

func TestCredentialsDir(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o400); err != nil {
			t.Fatal(err)
		}
	}
	write("ifs.client_secret", "abc\n")
	write("cleo.password", "pw with trailing space \r\n")
	write("cleo.key", "line1\nline2\n\n")
	c := NewCredentialsDir(dir)
	ctx := context.Background()
	for key, want := range map[string]string{"ifs.client_secret": "abc", "cleo.password": "pw with trailing space ",
		"cleo.key": "line1\nline2\n"} {
		got, err := c.Get(ctx, key)
		if err != nil || got != want {
			t.Errorf("%s: %q %v, want %q", key, got, err, want)
		}
	}
	if _, err := c.Get(ctx, "missing"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing: %v", err)
	}
	for _, bad := range []string{"../etc/passwd", "a/b", ".hidden", "sp ace"} {
		if _, err := c.Get(ctx, bad); err == nil || errors.Is(err, ErrNotFound) {
			t.Errorf("key %q: want a name error, got %v", bad, err)
		}
	}
	if err := c.Set(ctx, "x", "y"); !errors.Is(err, ErrReadOnly) {
		t.Errorf("set: %v", err)
	}
	if err := c.Delete(ctx, "x"); !errors.Is(err, ErrReadOnly) {
		t.Errorf("delete: %v", err)
	}
	gone := NewCredentialsDir(filepath.Join(dir, "nope"))
	if _, err := gone.Get(ctx, "x"); !errors.Is(err, ErrUnavailable) {
		t.Errorf("missing dir: %v", err)
	}
	if _, err := NewCredentialsDir("").Get(ctx, "x"); !errors.Is(err, ErrUnavailable) {
		t.Errorf("empty dir: %v", err)
	}
}

func TestCredentialsDirFromEnv(t *testing.T) {
	t.Setenv(CredentialsEnv, "")
	if _, ok := CredentialsDirFromEnv(); ok {
		t.Fatal("ok without the variable")
	}
	dir := t.TempDir()
	t.Setenv(CredentialsEnv, dir)
	c, ok := CredentialsDirFromEnv()
	if !ok || c.Dir() != dir {
		t.Fatalf("%v %v", c, ok)
	}
}

// unavailable is a store that can never be asked.
type unavailable struct{}

func (unavailable) Get(context.Context, string) (string, error) {
	return "", &UnavailableError{Store: "test", Reason: "down"}
}
func (unavailable) Set(context.Context, string, string) error {
	return &UnavailableError{Store: "test", Reason: "down"}
}
func (unavailable) Delete(context.Context, string) error {
	return &UnavailableError{Store: "test", Reason: "down"}
}

func TestChain(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "ifs.client_secret"), []byte("from-systemd\n"), 0o400); err != nil {
		t.Fatal(err)
	}
	mem := NewMemory()
	c := NewChain(unavailable{}, NewCredentialsDir(dir), mem)
	if v, err := c.Get(ctx, "ifs.client_secret"); err != nil || v != "from-systemd" {
		t.Fatalf("get: %q %v", v, err)
	}
	// Set skips the unavailable and the read-only store.
	if err := c.Set(ctx, "cleo.password", "pw"); err != nil {
		t.Fatal(err)
	}
	if v, _ := mem.Get(ctx, "cleo.password"); v != "pw" {
		t.Fatalf("memory got %q", v)
	}
	if v, err := c.Get(ctx, "cleo.password"); err != nil || v != "pw" {
		t.Fatalf("get through chain: %q %v", v, err)
	}
	_, err := c.Get(ctx, "nothing")
	if !errors.Is(err, ErrNotFound) || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("missing everywhere: %v", err)
	}
	if err := c.Delete(ctx, "cleo.password"); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, "cleo.password"); err == nil {
		t.Fatal("second delete succeeded")
	}
	if !strings.Contains(c.Label(), "then") {
		t.Fatalf("label %q", c.Label())
	}
	// Only read-only and unavailable stores: Set fails clearly.
	ro := NewChain(NewCredentialsDir(dir))
	if err := ro.Set(ctx, "x", "y"); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("read-only chain set: %v", err)
	}
	if _, err := NewChain().Get(ctx, "x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("empty chain: %v", err)
	}
}
