package uikit

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"
)

// Shortcut is a keyboard command a screen offers; the shell registers it on
// the window canvas so the app can be driven without a mouse.
type Shortcut struct {
	Desc string
	Key  fyne.KeyName
	Mod  fyne.KeyModifier
	Run  func()
}

// Register adds every shortcut to c.
func Register(c fyne.Canvas, list []Shortcut) {
	for _, s := range list {
		run := s.Run
		c.AddShortcut(&desktop.CustomShortcut{KeyName: s.Key, Modifier: s.Mod}, func(fyne.Shortcut) { run() })
	}
}

// Label renders a shortcut as "Ctrl+Shift+R".
func (s Shortcut) Label() string {
	out := ""
	if s.Mod&fyne.KeyModifierControl != 0 {
		out += "Ctrl+"
	}
	if s.Mod&fyne.KeyModifierAlt != 0 {
		out += "Alt+"
	}
	if s.Mod&fyne.KeyModifierShift != 0 {
		out += "Shift+"
	}
	return out + string(s.Key)
}

// ShortcutEntry is an Entry that still obeys the screen's keyboard commands:
// a focused widget.Entry swallows every shortcut, so Ctrl+R typed in the
// filter box would otherwise do nothing.
type ShortcutEntry struct {
	widget.Entry
	list func() []Shortcut
}

// NewShortcutEntry returns an entry that runs the matching shortcut of list.
func NewShortcutEntry(list func() []Shortcut) *ShortcutEntry {
	e := &ShortcutEntry{list: list}
	e.ExtendBaseWidget(e)
	return e
}

// TypedShortcut implements fyne.Shortcutable.
func (e *ShortcutEntry) TypedShortcut(s fyne.Shortcut) {
	if cs, ok := s.(*desktop.CustomShortcut); ok && e.list != nil {
		for _, sc := range e.list() {
			if sc.Key == cs.KeyName && sc.Mod == cs.Modifier {
				sc.Run()
				return
			}
		}
	}
	e.Entry.TypedShortcut(s)
}
