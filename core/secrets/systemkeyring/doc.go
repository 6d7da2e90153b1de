// Package systemkeyring holds the integration test of secrets.Keyring
// against the real OS keychain. It is a package of its own because the unit
// tests of core/secrets replace go-keyring's global provider with a mock,
// which could not be undone for a real test in the same test binary.
//
// The test runs only when MLC_KEYRING_TEST=1, and then it must pass: an
// unavailable keychain is a failure, not a skip. On Linux without a desktop:
//
//	dbus-run-session -- sh -c 'printf "" | gnome-keyring-daemon --unlock --components=secrets >/dev/null; MLC_KEYRING_TEST=1 go test ./core/secrets/...'
package systemkeyring
