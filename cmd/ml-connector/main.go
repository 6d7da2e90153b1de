// Command ml-connector is the IFS Cloud ⇄ Cleo EDI connector: a desktop app
// with a tray icon, and the same engine headless on the command line.
//
// This is the composition root. The headless subcommands live in core/cli;
// this package adds the ones that need a display (gui, demo), because only it
// may import fyne.io/fyne/v2/app and so need cgo and the GL headers.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	// Before Fyne's package init reads the locale: no toolkit noise on
	// stderr for LANG=C.UTF-8 (see the package comment).
	_ "early.ml-connector.invalid/localeinit"

	"github.com/ml-connector/ifs-cleo/core/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, "gui", guiCommands()...)
	stop()
	os.Exit(code)
}
