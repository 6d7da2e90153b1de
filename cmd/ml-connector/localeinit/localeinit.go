// Package localeinit makes the process's message locale one the GUI
// toolkit understands, before the toolkit's own package initialisation
// reads it.
//
// Fyne's lang package parses the user's locale in its init function and
// logs three "Fyne error: Error parsing user locale C" lines on stderr when
// the environment says C.UTF-8 (the usual value in containers, CI and
// systemd units), for every command, headless ones included. C's messages
// are English, so setting LANGUAGE=en (which only selects message
// translations, and which gettext ignores for a plain "C") says the same
// thing in a form the toolkit parses.
//
// Why a module of its own: Go initialises packages in import-path order
// among those whose imports are done (The Go Programming Language
// Specification, "Package initialization", since Go 1.21). This path,
// early.ml-connector.invalid/…, sorts before fyne.io/…, and the package
// imports only os, which fyne.io/fyne/v2/lang needs too; so this init runs
// first. The .invalid name (RFC 2606) can never be fetched: go.mod replaces
// it with this directory.
package localeinit

import (
	"os"
	"strings"
)

func init() { Apply(os.Getenv, os.Setenv) }

// Apply sets LANGUAGE=en when the message locale (the first of LC_ALL,
// LC_MESSAGES, LANG that is set) is C or POSIX with a codeset, such as
// C.UTF-8, and LANGUAGE is unset. It is exported for tests.
func Apply(getenv func(string) string, setenv func(string, string) error) {
	if getenv("LANGUAGE") != "" {
		return
	}
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		v := getenv(k)
		if v == "" {
			continue
		}
		if strings.HasPrefix(v, "C.") || strings.HasPrefix(v, "POSIX.") {
			_ = setenv("LANGUAGE", "en")
		}
		return
	}
}
