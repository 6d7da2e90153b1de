package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"github.com/ml-connector/ifs-cleo/core/cli"
	"github.com/ml-connector/ifs-cleo/core/connector"
	"github.com/ml-connector/ifs-cleo/core/engine"
	"github.com/ml-connector/ifs-cleo/core/enginelock"
	"github.com/ml-connector/ifs-cleo/core/events"
	"github.com/ml-connector/ifs-cleo/core/locations"
	"github.com/ml-connector/ifs-cleo/core/secrets"
	"github.com/ml-connector/ifs-cleo/core/store"
	"github.com/ml-connector/ifs-cleo/ui"
	"github.com/ml-connector/ifs-cleo/ui/bridge"
)

// appID is the stable identity for preferences and the tray.
const appID = "io.github.ml_connector.ifs_cleo"

// guiCommands are the subcommands that open a window.
func guiCommands() []cli.Command {
	return []cli.Command{{
		Name:    "gui",
		Summary: "start the desktop app (the default)",
		Run: func(ctx context.Context, env *cli.Env, args []string) int {
			fs := env.Flags("gui", "gui [--data-dir DIR] [--open SCREEN]")
			open := fs.String("open", "", "screen to open on: "+strings.Join(screenNames, ", "))
			if code, ok := cli.Parse(fs, args); !ok {
				return code
			}
			return runGUI(ctx, env, guiOptions{open: *open})
		},
	}, demoCommand()}
}

// guiOptions are what the demo changes about the app.
type guiOptions struct {
	secrets secrets.Store // nil: the keychain chain the CLI uses
	demo    string        // banner text; "" for the real app
	// prepare runs once the store is open, before the engine starts.
	prepare func(ctx context.Context, st *store.Store) error
	// syncAtStart runs every flow once the engine is up.
	syncAtStart bool
	open        string // screen name to open on
}

// screenNames are the values of --open, in navigation order.
var screenNames = []string{"dashboard", "exceptions", "documents", "mappings", "connections", "schedules"}

// secretChain is where the app reads and writes credentials: systemd
// credentials, then the data dir's secrets folder, then the OS keychain.
func secretChain(loc locations.Locations) secrets.Store {
	var chain []secrets.Store
	if cd, ok := secrets.CredentialsDirFromEnv(); ok {
		chain = append(chain, cd)
	}
	if ents, err := os.ReadDir(loc.Get(locations.SecretDir)); err == nil && len(ents) > 0 {
		chain = append(chain, secrets.NewCredentialsDir(loc.Get(locations.SecretDir)))
	}
	chain = append(chain, secrets.NewKeyring(10*time.Second))
	return secrets.NewChain(chain...)
}

// runGUI is the composition root of the desktop app: store, secrets,
// bridge (engine), window and tray.
func runGUI(ctx context.Context, env *cli.Env, opt guiOptions) int {
	loc, err := locations.New(env.DataDir)
	if err == nil {
		err = loc.Ensure()
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "gui: data dir: %v\n", err)
		return cli.ExitFailure
	}
	// One engine per data dir: a second launch says which process runs it.
	lock, err := enginelock.Acquire(loc.Get(locations.EngineLock), "gui")
	if err != nil {
		fmt.Fprintf(env.Stderr, "gui: %v\n", err)
		return cli.ExitFailure
	}
	defer lock.Release()
	choice, err := connector.ChooseStore(env.Store, loc)
	if err != nil {
		fmt.Fprintf(env.Stderr, "gui: %v\n", err)
		return cli.ExitFailure
	}
	// The team database's password is read from the keychain here, off the
	// UI goroutine: the window does not exist yet.
	st, err := connector.OpenStore(ctx, choice, secretChain(loc))
	if err != nil {
		fmt.Fprintf(env.Stderr, "gui: %v\n", err)
		return cli.ExitFailure
	}
	defer st.Close()
	if opt.prepare != nil {
		if err := opt.prepare(ctx, st); err != nil {
			fmt.Fprintf(env.Stderr, "gui: %v\n", err)
			return cli.ExitFailure
		}
	}
	sec := opt.secrets
	if sec == nil {
		sec = secretChain(loc)
	}
	bus := events.NewBus()
	b := bridge.New(bridge.Config{Store: st, Secrets: sec, SecretLabel: secrets.LabelOf(sec), Bus: bus, Logger: env.Logger, DataDir: env.DataDir,
		LeaderCapable: connector.LeaderCapable(loc), Node: store.ThisNode(engine.OSUser(), "gui"), StoreChoice: choice})
	defer b.Close()

	// The screens' context ends when the app quits (window, tray or signal):
	// fetches in flight are cancelled and their results dropped.
	ctx, quit := context.WithCancel(ctx)
	defer quit()
	a := app.NewWithID(appID)
	w := a.NewWindow("ml-connector")
	w.Resize(windowSize(a.Preferences()))
	a.Lifecycle().SetOnStopped(func() {
		rememberWindowSize(a.Preferences(), w.Canvas().Size())
		quit()
	})
	p := b.Params()
	p.Demo = opt.demo
	if opt.demo != "" {
		p.Database = nil // the demo runs on its own throwaway file
	}
	p.Ctx = ctx
	p.NoTray = !sessionBusAvailable()
	u := ui.New(a, w, p)
	for i, n := range screenNames {
		if n == opt.open {
			u.Show(i)
		}
	}
	u.Start(ctx)
	go func() {
		err := b.Start(ctx) // keychain and network: never on the UI goroutine
		if err == nil && opt.syncAtStart && b.Configured() {
			err = p.Control.SyncNow(ctx)
		}
		fyne.Do(func() {
			u.SetError("start the sync engine", err)
			switch {
			case err != nil:
			case b.Team():
				// A desk on a team database: the flows run in the team's
				// engine; this desk needs no IFS or Cleo credentials.
				u.SetStatus("Team database " + choice.Shown() + ": the flows run in the team's engine (Dashboard shows where).")
			case b.Configured():
				u.SetStatus("Syncing on schedule.")
			default:
				u.SetStatus("Set up the connections to start syncing.")
				if opt.open == "" {
					u.Show(ui.ScreenConnections)
				}
				u.Welcome() // once per desk: this desk only, or a team database
			}
			u.ReloadAll()
		})
	}()
	go func() {
		<-ctx.Done()
		fyne.Do(a.Quit)
	}()
	w.ShowAndRun()
	return cli.ExitOK
}

// The window opens at the size the user left it, else at 1024×700, which
// fits the smallest screen AP desks use (Fyne cannot tell the screen's size
// before the window shows, so a larger default could open past its edges).
const (
	prefWindowWidth  = "window.width"
	prefWindowHeight = "window.height"
)

var defaultWindow = fyne.NewSize(1024, 700)

func windowSize(p fyne.Preferences) fyne.Size {
	w, h := p.FloatWithFallback(prefWindowWidth, 0), p.FloatWithFallback(prefWindowHeight, 0)
	if w < 640 || h < 480 || w > 8192 || h > 8192 {
		return defaultWindow
	}
	return fyne.NewSize(float32(w), float32(h))
}

func rememberWindowSize(p fyne.Preferences, s fyne.Size) {
	if s.Width < 640 || s.Height < 480 {
		return // hidden to the tray or not shown: keep what was remembered
	}
	p.SetFloat(prefWindowWidth, float64(s.Width))
	p.SetFloat(prefWindowHeight, float64(s.Height))
}
