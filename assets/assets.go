// Package assets holds the ml-connector artwork: the app icon and the tray
// icons for each connector state, drawn as SVG (the sources beside this file)
// and rasterised to PNG so every desktop's tray can show them.
package assets

import (
	_ "embed"

	"fyne.io/fyne/v2"
)

var (
	//go:embed icon.png
	iconPNG []byte
	//go:embed icon.svg
	iconSVG []byte
	//go:embed tray-ok.png
	trayOK []byte
	//go:embed tray-syncing.png
	traySyncing []byte
	//go:embed tray-attention.png
	trayAttention []byte
)

// Icon is the app icon (256×256 PNG), used for the window, the app and notifications.
var Icon = fyne.NewStaticResource("ml-connector.png", iconPNG)

// IconSVG is the vector source of Icon, for scalable places such as the About screen.
var IconSVG = fyne.NewStaticResource("ml-connector.svg", iconSVG)

// Tray icons: the app icon with a status badge (green tick, blue dots, red mark).
var (
	TrayOK        = fyne.NewStaticResource("tray-ok.png", trayOK)
	TraySyncing   = fyne.NewStaticResource("tray-syncing.png", traySyncing)
	TrayAttention = fyne.NewStaticResource("tray-attention.png", trayAttention)
)
