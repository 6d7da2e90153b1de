//go:build !windows

package locale

// systemListSeparator: POSIX systems have no list-separator setting; the
// locale's language decides (ListSeparator).
func systemListSeparator() (rune, bool) { return 0, false }
