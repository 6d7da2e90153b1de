package locations

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLocationsUnderDataDir(t *testing.T) {
	dir := t.TempDir()
	l, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	for k, p := range l.All() {
		if !strings.HasPrefix(p, dir+string(filepath.Separator)) {
			t.Errorf("%s = %s, not under %s", k, p, dir)
		}
	}
	if err := l.Ensure(); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(l.Get(LogDir))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o700 {
		t.Errorf("log dir mode %v, want 0700", st.Mode().Perm())
	}
}
