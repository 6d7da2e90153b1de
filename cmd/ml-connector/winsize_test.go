package main

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// The window opens at 1024×700 until the user sizes it; that size is
// remembered, and nonsense (a hidden window's 0×0) never is.
func TestWindowSizeRemembered(t *testing.T) {
	a := test.NewTempApp(t)
	p := a.Preferences()
	if got := windowSize(p); got != fyne.NewSize(1024, 700) {
		t.Fatalf("first start %v", got)
	}
	rememberWindowSize(p, fyne.NewSize(1400, 900))
	rememberWindowSize(p, fyne.NewSize(0, 0))
	if got := windowSize(p); got != fyne.NewSize(1400, 900) {
		t.Fatalf("after the user's 1400×900: %v", got)
	}
}
