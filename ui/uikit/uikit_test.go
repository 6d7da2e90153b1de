package uikit

import (
	"errors"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
)

func TestAge(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		t    time.Time
		want string
	}{
		{time.Time{}, "—"},
		{now.Add(-10 * time.Second), "just now"},
		{now.Add(-12 * time.Minute), "12 min ago"},
		{now.Add(-3 * time.Hour), "3 h ago"},
		{now.Add(-72 * time.Hour), "3 d ago"},
		{now.Add(5 * time.Minute), "in 5 min"},
	}
	for _, c := range cases {
		if got := Age(now, c.t); got != c.want {
			t.Errorf("Age(%v) = %q, want %q", c.t, got, c.want)
		}
	}
}

func TestManualRunnerDrainsNestedTasks(t *testing.T) {
	r := NewManualRunner()
	var order []int
	r.Go(func() {
		order = append(order, 1)
		r.Go(func() { order = append(order, 3) })
	})
	r.Go(func() { order = append(order, 2) })
	if r.Pending() != 2 || len(order) != 0 {
		t.Fatalf("tasks ran before Drain: %v", order)
	}
	r.Drain()
	if len(order) != 3 || order[0] != 1 || order[1] != 2 || order[2] != 3 {
		t.Fatalf("order = %v", order)
	}
}

func TestErrorLabel(t *testing.T) {
	test.NewTempApp(t)
	l := NewErrorLabel()
	if l.Visible() {
		t.Fatal("visible without error")
	}
	l.SetError("load exceptions", errors.New("database is locked"))
	if !l.Visible() || l.Text != "Could not load exceptions: database is locked" {
		t.Fatalf("got %q visible=%v", l.Text, l.Visible())
	}
	l.SetError("load exceptions", nil)
	if l.Visible() {
		t.Fatal("still visible after clearing")
	}
}

func TestShortcutEntryRunsScreenShortcuts(t *testing.T) {
	test.NewTempApp(t)
	ran := 0
	e := NewShortcutEntry(func() []Shortcut {
		return []Shortcut{{Key: fyne.KeyR, Mod: fyne.KeyModifierControl, Run: func() { ran++ }}}
	})
	test.NewTempWindow(t, e)
	e.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyR, Modifier: fyne.KeyModifierControl})
	e.SetText("abc")
	e.TypedShortcut(&fyne.ShortcutSelectAll{})
	if ran != 1 || e.SelectedText() != "abc" {
		t.Fatalf("ran %d, selected %q", ran, e.SelectedText())
	}
}
