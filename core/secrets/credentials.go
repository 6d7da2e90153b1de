package secrets

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// CredentialsEnv is the variable systemd sets to the directory holding a
// service's credentials (LoadCredential=, SetCredential=,
// LoadCredentialEncrypted=).
const CredentialsEnv = "CREDENTIALS_DIRECTORY"

// CredentialsDir reads secrets from files in a directory, as systemd provides
// them to a service in $CREDENTIALS_DIRECTORY. It is read-only: Set and
// Delete return ErrReadOnly.
//
// Key → file name: the file is named exactly like the key
// ("ifs.client_secret" is $CREDENTIALS_DIRECTORY/ifs.client_secret). Keys
// must therefore be valid credential names: letters, digits, '.', '_', '-',
// not starting with '.'. A unit file provides one with, for example:
//
//	LoadCredential=ifs.client_secret:/etc/ml-connector/ifs.client_secret
//
// One trailing newline ("\n" or "\r\n") is removed from the file's content,
// because files written with echo end with one; other whitespace is kept.
type CredentialsDir struct {
	dir string
}

// NewCredentialsDir returns a store reading from dir.
func NewCredentialsDir(dir string) *CredentialsDir { return &CredentialsDir{dir: dir} }

// CredentialsDirFromEnv returns the store for $CREDENTIALS_DIRECTORY; ok is
// false when the variable is not set (not running under systemd with credentials).
func CredentialsDirFromEnv() (*CredentialsDir, bool) {
	dir := os.Getenv(CredentialsEnv)
	if dir == "" {
		return nil, false
	}
	return NewCredentialsDir(dir), true
}

// Dir returns the directory read.
func (c *CredentialsDir) Dir() string { return c.dir }

// Label says where secrets are kept.
func (c *CredentialsDir) Label() string { return "systemd credentials (" + c.dir + ", read-only)" }

// CredentialFileName returns the file name a key is read from, or an error
// when the key cannot be a credential name.
func CredentialFileName(key string) (string, error) {
	if key == "" || strings.HasPrefix(key, ".") || len(key) > 255 {
		return "", fmt.Errorf("secret key %q cannot be a credential file name", key)
	}
	for _, r := range key {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-'
		if !ok {
			return "", fmt.Errorf("secret key %q cannot be a credential file name (use letters, digits, '.', '_', '-')", key)
		}
	}
	return key, nil
}

// Get reads the file named like key.
func (c *CredentialsDir) Get(ctx context.Context, key string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if c.dir == "" {
		return "", fmt.Errorf("get secret %s: %w", key, &UnavailableError{Store: "systemd credentials",
			Reason: "$" + CredentialsEnv + " is not set",
			Fix:    "Run the service under systemd with LoadCredential=" + key + ":/path/to/file"})
	}
	name, err := CredentialFileName(key)
	if err != nil {
		return "", err
	}
	b, err := os.ReadFile(filepath.Join(c.dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		if _, derr := os.Stat(c.dir); derr != nil {
			return "", fmt.Errorf("get secret %s: %w", key, &UnavailableError{Store: "systemd credentials",
				Reason: "the directory " + c.dir + " cannot be read", Err: derr,
				Fix: "Check $" + CredentialsEnv + " and the unit's LoadCredential= lines"})
		}
		return "", fmt.Errorf("get secret %s from %s: %w", key, c.dir, ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("get secret %s from %s: %w", key, c.dir, err)
	}
	s := string(b)
	if strings.HasSuffix(s, "\r\n") {
		s = s[:len(s)-2]
	} else if strings.HasSuffix(s, "\n") {
		s = s[:len(s)-1]
	}
	return s, nil
}

// Set is refused: systemd credentials are provisioned by the unit file.
func (c *CredentialsDir) Set(ctx context.Context, key, value string) error {
	return fmt.Errorf("set secret %s: %w: provide it with LoadCredential=%s:/path/to/file in the systemd unit", key, ErrReadOnly, key)
}

// Delete is refused: systemd credentials are provisioned by the unit file.
func (c *CredentialsDir) Delete(ctx context.Context, key string) error {
	return fmt.Errorf("delete secret %s: %w: remove its LoadCredential= line from the systemd unit", key, ErrReadOnly)
}
