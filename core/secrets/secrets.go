// Package secrets keeps the connector's credentials (IFS client secret, Cleo
// password or private key …) out of the database, config exports and logs.
// They live in the OS keychain (Keyring), or, for a headless service, in
// files systemd provides in $CREDENTIALS_DIRECTORY (CredentialsDir); a demo
// without a keychain uses Memory, which says so in its Label. Chain combines
// them with fallback.
//
// Every implementation is safe for concurrent use. Keyring calls can block
// (a locked keychain shows a password prompt), so they run with a timeout;
// call them off the UI goroutine.
package secrets

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Store reads and writes secrets by key ("ifs.client_secret", "cleo.password" …).
type Store interface {
	Get(ctx context.Context, key string) (string, error)
	Set(ctx context.Context, key, value string) error
	Delete(ctx context.Context, key string) error
}

// Labeler is implemented by stores that can say, in a few words for the
// connections screen, where secrets are kept.
type Labeler interface {
	Label() string
}

// ErrNotFound means the store answered and has no secret under the key.
var ErrNotFound = errors.New("secret not found")

// NoKeychainAdvice says what to do when no keychain can store a secret; the
// command line and the Connections screen both say it, word for word.
const NoKeychainAdvice = "no usable OS keychain (missing, or locked with no way to show its unlock prompt): the secrets were not stored.\n" +
	"Unlock the keychain (log in to the desktop session, or 'gnome-keyring-daemon --unlock' on a server) and try again,\n" +
	"or choose a secrets folder explicitly with --secrets-dir DIR (plain 0600 files, for servers),\n" +
	"or let systemd provide them encrypted: LoadCredentialEncrypted= in the unit (see README, 'Running as a service')"

// ErrUnavailable means the store could not be asked at all: no keychain, a
// locked keychain that did not answer in time, no credentials directory.
// Errors matching it are *UnavailableError values with a message that says
// what to do.
var ErrUnavailable = errors.New("secret store unavailable")

// ErrReadOnly means the store cannot be written (systemd credentials).
var ErrReadOnly = errors.New("secret store is read-only")

// UnavailableError explains why a store cannot be used and what to do.
type UnavailableError struct {
	Store  string // "OS keychain", "systemd credentials" …
	Reason string // what happened
	Fix    string // what to do, in plain words
	Err    error  // the underlying error, if any
}

func (e *UnavailableError) Error() string {
	var b strings.Builder
	b.WriteString(e.Store)
	b.WriteString(" is not available: ")
	b.WriteString(e.Reason)
	if e.Err != nil {
		b.WriteString(" (")
		b.WriteString(e.Err.Error())
		b.WriteString(")")
	}
	if e.Fix != "" {
		b.WriteString(". ")
		b.WriteString(e.Fix)
	}
	return b.String()
}

// Is makes errors.Is(err, ErrUnavailable) true.
func (e *UnavailableError) Is(target error) bool { return target == ErrUnavailable }

// Unwrap returns the underlying error.
func (e *UnavailableError) Unwrap() error { return e.Err }

// checkKey refuses keys no backend can hold sensibly.
func checkKey(key string) error {
	if key == "" || strings.TrimSpace(key) != key {
		return fmt.Errorf("secret key %q: must be non-empty without surrounding spaces", key)
	}
	return nil
}

// Probe reports whether s can be used: nil when it answers (a missing probe
// key counts as an answer), the error otherwise (an ErrUnavailable for a
// missing or locked keychain).
func Probe(ctx context.Context, s Store) error {
	_, err := s.Get(ctx, "ml-connector.probe")
	if err == nil || errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// LabelOf returns s's label, or a generic one.
func LabelOf(s Store) string {
	if l, ok := s.(Labeler); ok {
		return l.Label()
	}
	return "secret store"
}
