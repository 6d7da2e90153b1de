package main

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/widget"

	"github.com/ml-connector/ifs-cleo/core/cli"
)

// appID is the stable identity for preferences and the tray.
const appID = "io.github.ml_connector.ifs_cleo"

// guiCommands are the subcommands that open a window.
func guiCommands() []cli.Command {
	return []cli.Command{{
		Name:    "gui",
		Summary: "start the desktop app (the default)",
		Run: func(ctx context.Context, env *cli.Env, args []string) int {
			fs := env.Flags("gui", "gui [--data-dir DIR]")
			if code, ok := cli.Parse(fs, args); !ok {
				return code
			}
			a := app.NewWithID(appID)
			w := a.NewWindow("ml-connector")
			w.SetContent(widget.NewLabel("ml-connector"))
			w.Resize(fyne.NewSize(1200, 760))
			w.ShowAndRun()
			return cli.ExitOK
		},
	}}
}
