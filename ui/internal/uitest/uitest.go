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
	"fyne.io/fyne/v2/widget"
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
	// Compared here rather than with test.AssertImageMatches, whose failure
	// message is a hex dump of megabytes.
	want, err := readPNG(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("golden %s: %v (run the test with -update to create it)", name, err)
	}
	if diff := differing(want, img); diff != 0 {
		p := filepath.Join("testdata", "failed", name)
		_ = os.MkdirAll(filepath.Dir(p), 0o755)
		if f, err := os.Create(p); err == nil {
			_ = png.Encode(f, img)
			f.Close()
		}
		t.Errorf("image %s: %d pixels differ from the golden; actual written to %s (accept with -update)", name, diff, p)
	}
}

func readPNG(p string) (image.Image, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return png.Decode(f)
}

// differing counts the pixels that differ (every pixel when the sizes differ).
func differing(a, b image.Image) int {
	ab, bb := a.Bounds(), b.Bounds()
	if ab.Size() != bb.Size() {
		return ab.Dx()*ab.Dy() + 1
	}
	n := 0
	for y := 0; y < ab.Dy(); y++ {
		for x := 0; x < ab.Dx(); x++ {
			r1, g1, b1, a1 := a.At(ab.Min.X+x, ab.Min.Y+y).RGBA()
			r2, g2, b2, a2 := b.At(bb.Min.X+x, bb.Min.Y+y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 || a1 != a2 {
				n++
			}
		}
	}
	return n
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

// Hyperlink finds the hyperlink showing text among o and its descendants
// (nil when there is none): tests click what a user would click.
func Hyperlink(o fyne.CanvasObject, text string) *widget.Hyperlink {
	return Find(o, func(h *widget.Hyperlink) bool { return h.Text == text })
}

// Find returns the first object of type T among o and its descendants
// (containers and widgets' renderers) for which match holds; the zero T
// when there is none.
func Find[T fyne.CanvasObject](o fyne.CanvasObject, match func(T) bool) T {
	v, _ := find(o, match)
	return v
}

func find[T fyne.CanvasObject](o fyne.CanvasObject, match func(T) bool) (T, bool) {
	if v, ok := o.(T); ok && match(v) {
		return v, true
	}
	var children []fyne.CanvasObject
	switch v := o.(type) {
	case *fyne.Container:
		children = v.Objects
	case fyne.Widget:
		if r := test.WidgetRenderer(v); r != nil {
			children = r.Objects()
		}
	}
	for _, c := range children {
		if f, ok := find(c, match); ok {
			return f, true
		}
	}
	var zero T
	return zero, false
}
