// Package locale answers the one regional question the app has: which
// character separates the fields of a CSV file a spreadsheet on this desk
// opens cleanly.
package locale

import (
	"os"
	"strings"
)

// commaDecimal are the languages whose numbers use a decimal comma, where
// spreadsheets (Excel's "list separator", LibreOffice's default) separate
// CSV fields with ';' because ',' is inside numbers.
var commaDecimal = map[string]bool{
	"af": true, "az": true, "be": true, "bg": true, "bs": true, "ca": true, "cs": true, "da": true, "de": true,
	"el": true, "es": true, "et": true, "eu": true, "fi": true, "fo": true, "fr": true, "gl": true, "hr": true,
	"hu": true, "hy": true, "id": true, "is": true, "it": true, "ka": true, "kk": true, "ky": true, "lb": true,
	"lt": true, "lv": true, "mk": true, "mn": true, "nb": true, "nl": true, "nn": true, "no": true, "pl": true,
	"pt": true, "ro": true, "ru": true, "sk": true, "sl": true, "sq": true, "sr": true, "sv": true, "tr": true,
	"uk": true, "uz": true, "vi": true,
}

// ListSeparator is the CSV field separator for this desk: on Windows the
// user's own "list separator" (Region settings), elsewhere ';' for a
// decimal-comma locale (LC_ALL, then LC_NUMERIC, then LANG) and ',' for
// the rest.
func ListSeparator() rune {
	if r, ok := systemListSeparator(); ok {
		return r
	}
	return separatorFor(firstSet(os.Getenv("LC_ALL"), os.Getenv("LC_NUMERIC"), os.Getenv("LANG")))
}

// separatorFor maps a POSIX locale name (de_DE.UTF-8, fr_CA, C) to its
// CSV separator.
func separatorFor(loc string) rune {
	loc, _, _ = strings.Cut(loc, ".")
	loc, _, _ = strings.Cut(loc, "@")
	lang, _, _ := strings.Cut(strings.ReplaceAll(loc, "-", "_"), "_")
	if commaDecimal[strings.ToLower(lang)] {
		return ';'
	}
	return ','
}

func firstSet(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
