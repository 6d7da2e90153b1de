// Package nokeychain_test runs `connect` on a machine whose keychain cannot
// be used. It is its own test binary because it replaces go-keyring's
// process-wide provider with one that fails, as a locked or missing
// Secret Service does, and that must not leak into other tests.
package nokeychain_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zalando/go-keyring"

	"github.com/ml-connector/ifs-cleo/core/cli"
	"github.com/ml-connector/ifs-cleo/core/sandbox/cleosim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/ifssim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/world"
)

func TestConnectWithoutAKeychainStoresNoSecret(t *testing.T) {
	keyring.MockInitWithError(errors.New("Cannot create an item in a locked collection: the unlock prompt cannot be shown"))
	t.Setenv("CREDENTIALS_DIRECTORY", "")
	w := world.New(1)
	isim := ifssim.New(w, ifssim.Config{})
	csim := cleosim.New(w, cleosim.Config{SupplierDelay: -1})
	isrv, csrv := httptest.NewServer(isim), httptest.NewServer(csim)
	defer isrv.Close()
	defer csrv.Close()
	user, pass := csim.Credentials()
	info, _ := json.Marshal(map[string]any{
		"ifs": map[string]string{"url": isrv.URL, "token_url": isrv.URL + isim.TokenPath(), "realm": isim.Realm(),
			"client_id": ifssim.DefaultClientID, "client_secret": ifssim.DefaultClientSecret, "company": w.Company.ID},
		"cleo": map[string]string{"url": csrv.URL, "username": user, "password": pass},
	})
	dd := t.TempDir()
	infoPath := filepath.Join(t.TempDir(), "info.json")
	if err := os.WriteFile(infoPath, info, 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := cli.Main(context.Background(), []string{"connect", "--data-dir", dd, "--sandbox", infoPath, "--no-test"}, strings.NewReader(""), &out, &errb, "help")
	if code == cli.ExitOK {
		t.Fatalf("connect succeeded without a keychain: %s", out.String())
	}
	for _, want := range []string{"no usable OS keychain", "the secrets were not stored", "--secrets-dir", "LoadCredentialEncrypted"} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("error %q lacks %q", errb.String(), want)
		}
	}
	// No secret anywhere: not in the data dir, not in what was printed.
	for _, secret := range []string{ifssim.DefaultClientSecret, pass} {
		if strings.Contains(out.String()+errb.String(), secret) {
			t.Errorf("secret printed")
		}
		filepath.Walk(dd, func(p string, fi os.FileInfo, err error) error {
			if err != nil || fi.IsDir() {
				return nil
			}
			if b, _ := os.ReadFile(p); bytes.Contains(b, []byte(secret)) {
				t.Errorf("secret %q written to %s", secret, p)
			}
			return nil
		})
	}
	if _, err := os.Stat(filepath.Join(dd, "secrets")); !os.IsNotExist(err) {
		t.Errorf("a secrets folder was created: %v", err)
	}
	// Choosing a folder explicitly is the server's way: plain 0600 files, said so.
	sec := filepath.Join(dd, "chosen-secrets")
	out.Reset()
	errb.Reset()
	code = cli.Main(context.Background(), []string{"connect", "--data-dir", dd, "--sandbox", infoPath, "--no-test", "--secrets-dir", sec}, strings.NewReader(""), &out, &errb, "help")
	if code != cli.ExitOK || !strings.Contains(out.String(), "plain 0600 files under "+sec) {
		t.Fatalf("with --secrets-dir: %d %s %s", code, out.String(), errb.String())
	}
}
