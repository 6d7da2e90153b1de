package locale

import (
	"runtime"
	"testing"
)

func TestSeparatorFor(t *testing.T) {
	for _, c := range []struct {
		loc  string
		want rune
	}{
		{"de_DE.UTF-8", ';'}, {"fr_FR", ';'}, {"sv_SE.UTF-8@euro", ';'}, {"pt_BR", ';'}, {"nl-NL", ';'},
		{"en_US.UTF-8", ','}, {"en_GB", ','}, {"C", ','}, {"", ','}, {"C.UTF-8", ','}, {"ja_JP", ','},
		{"de_CH.UTF-8", ';'}, {"fr_CA", ';'},
	} {
		if got := separatorFor(c.loc); got != c.want {
			t.Errorf("%q: %q, want %q", c.loc, got, c.want)
		}
	}
}

func TestListSeparatorFromEnvironment(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows reads the Region setting")
	}
	t.Setenv("LC_ALL", "")
	t.Setenv("LC_NUMERIC", "de_AT.UTF-8")
	t.Setenv("LANG", "en_US.UTF-8")
	if got := ListSeparator(); got != ';' {
		t.Fatalf("LC_NUMERIC=de_AT: %q", got)
	}
	t.Setenv("LC_ALL", "en_IE.UTF-8")
	if got := ListSeparator(); got != ',' {
		t.Fatalf("LC_ALL=en_IE wins: %q", got)
	}
}
