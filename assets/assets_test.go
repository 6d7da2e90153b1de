package assets

import (
	"bytes"
	"image/png"
	"testing"

	"fyne.io/fyne/v2"
)

func TestIconsDecode(t *testing.T) {
	for _, r := range []fyne.Resource{Icon, TrayOK, TraySyncing, TrayAttention} {
		img, err := png.Decode(bytes.NewReader(r.Content()))
		if err != nil {
			t.Fatalf("%s: %v", r.Name(), err)
		}
		if b := img.Bounds(); b.Dx() < 32 || b.Dx() != b.Dy() {
			t.Errorf("%s: size %v, want a square of at least 32 px", r.Name(), b)
		}
	}
	if !bytes.Contains(IconSVG.Content(), []byte("<svg")) {
		t.Error("IconSVG is not SVG")
	}
}
