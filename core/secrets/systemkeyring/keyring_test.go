package systemkeyring

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/secrets"
)

const howTo = `run it inside a D-Bus session with an unlocked Secret Service, e.g.
  dbus-run-session -- sh -c 'export XDG_DATA_HOME="$(mktemp -d)"; printf mlc-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null; MLC_KEYRING_TEST=1 go test -count=1 ./core/secrets/...'`

func TestRealKeyring(t *testing.T) {
	if os.Getenv("MLC_KEYRING_TEST") != "1" {
		t.Skip("real keychain test: set MLC_KEYRING_TEST=1 and " + howTo)
	}
	ctx := context.Background()
	k := secrets.NewKeyring(20 * time.Second)
	if err := secrets.Probe(ctx, k); err != nil {
		t.Fatalf("MLC_KEYRING_TEST=1 but the OS keychain cannot be used: %v\nTo fix: %s", err, howTo)
	}
	key := fmt.Sprintf("ml-connector.integration-test.%d", time.Now().UnixNano())
	t.Cleanup(func() { _ = k.Delete(context.Background(), key) })

	if _, err := k.Get(ctx, key); !errors.Is(err, secrets.ErrNotFound) {
		t.Fatalf("get before set: want ErrNotFound, got %v", err)
	}
	value := "pässwörd with spaces\nand a second line"
	if err := k.Set(ctx, key, value); err != nil {
		t.Fatalf("set: %v", err)
	}
	got, err := k.Get(ctx, key)
	if err != nil || got != value {
		t.Fatalf("get: %q %v, want %q", got, err, value)
	}
	if err := k.Set(ctx, key, "rotated"); err != nil {
		t.Fatalf("overwrite: %v", err)
	}
	if got, _ := k.Get(ctx, key); got != "rotated" {
		t.Fatalf("after overwrite: %q", got)
	}
	// A second store instance (as after a restart) sees the same secret.
	if got, err := secrets.NewKeyring(0).Get(ctx, key); err != nil || got != "rotated" {
		t.Fatalf("fresh instance: %q %v", got, err)
	}
	if err := k.Delete(ctx, key); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := k.Get(ctx, key); !errors.Is(err, secrets.ErrNotFound) {
		t.Fatalf("after delete: want ErrNotFound, got %v", err)
	}
}
