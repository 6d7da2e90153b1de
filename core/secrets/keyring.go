package secrets

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/zalando/go-keyring"
)

// ServiceName is the keychain service every secret is stored under; the key
// is the keychain "user"/account name.
const ServiceName = "ml-connector"

// DefaultKeyringTimeout bounds one keychain call. It leaves a person time to
// type the keychain password into an unlock prompt, yet a headless run with
// no one to answer fails instead of hanging.
const DefaultKeyringTimeout = 30 * time.Second

// keyringBackend is the part of go-keyring used; tests replace it to
// simulate a keychain that never answers.
type keyringBackend interface {
	Get(service, user string) (string, error)
	Set(service, user, password string) error
	Delete(service, user string) error
}

type goKeyring struct{}

func (goKeyring) Get(s, u string) (string, error) { return keyring.Get(s, u) }
func (goKeyring) Set(s, u, p string) error        { return keyring.Set(s, u, p) }
func (goKeyring) Delete(s, u string) error        { return keyring.Delete(s, u) }

// Keyring stores secrets in the OS keychain: the Secret Service (GNOME
// Keyring, KWallet, KeePassXC) on Linux, Keychain on macOS, Credential
// Manager on Windows, through github.com/zalando/go-keyring.
type Keyring struct {
	service string
	timeout time.Duration
	backend keyringBackend
}

// NewKeyring returns the keychain store for ServiceName. A timeout of 0
// means DefaultKeyringTimeout.
func NewKeyring(timeout time.Duration) *Keyring {
	if timeout <= 0 {
		timeout = DefaultKeyringTimeout
	}
	return &Keyring{service: ServiceName, timeout: timeout, backend: goKeyring{}}
}

// Label says where secrets are kept.
func (k *Keyring) Label() string { return "OS keychain" }

// call runs fn in its own goroutine so that a keychain blocked on an unlock
// prompt cannot hang the caller beyond the timeout or ctx. When it gives up,
// the goroutine is left to finish on its own (its result is dropped).
func (k *Keyring) call(ctx context.Context, op, key string, fn func() (string, error)) (string, error) {
	if err := checkKey(key); err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, k.timeout)
	defer cancel()
	type result struct {
		v   string
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := fn()
		ch <- result{v, err}
	}()
	select {
	case r := <-ch:
		return r.v, k.classify(op, key, r.err)
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return "", fmt.Errorf("%s secret %s: %w", op, key, &UnavailableError{Store: k.Label(),
				Reason: fmt.Sprintf("it did not answer within %s", k.timeout),
				Fix:    "It may be locked and waiting for its password in a prompt: unlock it and try again",
				Err:    ctx.Err()})
		}
		return "", fmt.Errorf("%s secret %s: %w", op, key, ctx.Err())
	}
}

func (k *Keyring) classify(op, key string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, keyring.ErrNotFound):
		return fmt.Errorf("%s secret %s: %w", op, key, ErrNotFound)
	case errors.Is(err, keyring.ErrSetDataTooBig):
		return fmt.Errorf("%s secret %s: %w", op, key, err)
	}
	// Anything else from go-keyring means the keychain itself could not be
	// used: no D-Bus session, no Secret Service, a dismissed prompt.
	return fmt.Errorf("%s secret %s: %w", op, key, &UnavailableError{Store: k.Label(), Reason: "the keychain did not work",
		Fix: "On Linux, run a Secret Service keyring (GNOME Keyring, KWallet or KeePassXC) in your desktop session and unlock it. " +
			"On a server, run `ml-connector run` under systemd with LoadCredential= so secrets come from $CREDENTIALS_DIRECTORY",
		Err: err})
}

// Get returns the secret stored under key.
func (k *Keyring) Get(ctx context.Context, key string) (string, error) {
	return k.call(ctx, "get", key, func() (string, error) { return k.backend.Get(k.service, key) })
}

// Set stores value under key, replacing any previous value.
func (k *Keyring) Set(ctx context.Context, key, value string) error {
	_, err := k.call(ctx, "set", key, func() (string, error) { return "", k.backend.Set(k.service, key, value) })
	return err
}

// Delete removes the secret under key (ErrNotFound when there is none).
func (k *Keyring) Delete(ctx context.Context, key string) error {
	_, err := k.call(ctx, "delete", key, func() (string, error) { return "", k.backend.Delete(k.service, key) })
	return err
}
