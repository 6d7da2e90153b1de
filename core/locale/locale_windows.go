//go:build windows

package locale

import (
	"unicode/utf8"

	"golang.org/x/sys/windows/registry"
)

// systemListSeparator is the user's "list separator" (Control Panel,
// Region, Additional settings), which is what Excel splits CSV fields on.
func systemListSeparator() (rune, bool) {
	k, err := registry.OpenKey(registry.CURRENT_USER, `Control Panel\International`, registry.QUERY_VALUE)
	if err != nil {
		return 0, false
	}
	defer k.Close()
	v, _, err := k.GetStringValue("sList")
	if err != nil || v == "" {
		return 0, false
	}
	r, _ := utf8.DecodeRuneInString(v)
	return r, r != utf8.RuneError
}
