// Package systemkeyring holds the integration test of secrets.Keyring
// against the real OS keychain. It is a package of its own because the unit
// tests of core/secrets replace go-keyring's global provider with a mock,
// which could not be undone for a real test in the same test binary.
//
// The test runs only when MLC_KEYRING_TEST=1, and then it must pass: an
// unavailable keychain is a failure, not a skip. On Linux without a desktop:
// (the unlock password must not be empty, or gnome-keyring creates no login
// keyring, and a private XDG_DATA_HOME keeps an existing keyring with another
// password out of the way)
//
//	dbus-run-session -- sh -c 'export XDG_DATA_HOME="$(mktemp -d)"; printf mlc-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null; MLC_KEYRING_TEST=1 go test -count=1 ./core/secrets/...'
package systemkeyring
