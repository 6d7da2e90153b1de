// Package uitest holds helpers for the headless screen tests: goldens with an
// -update flag, a desktop.App fake for the tray, and the standard window size.
package uitest

import (
	"flag"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/ instead of comparing")

// Size is the smallest screen the app must be usable on.
var Size = fyne.NewSize(1366, 768)

// AssertImage compares img with testdata/name, or rewrites it with -update.
func AssertImage(t *testing.T, name string, img image.Image) {
	t.Helper()
	if *update {
		p := filepath.Join("testdata", name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := png.Encode(f, img); err != nil {
			t.Fatal(err)
		}
		return
	}
	test.AssertImageMatches(t, name, img)
}

// AssertMarkup compares the rendered markup of w with testdata/name, or rewrites it with -update.
func AssertMarkup(t *testing.T, name string, w fyne.Window) {
	t.Helper()
	if *update {
		p := filepath.Join("testdata", name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(test.RenderToMarkup(w.Canvas())), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	test.AssertRendersToMarkup(t, name, w.Canvas())
}
