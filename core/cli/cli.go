// Package cli holds the ml-connector subcommands that need no display: each
// is a Command registered from its own file (edi.go, sandbox.go, sync.go …),
// so the binary in cmd/ml-connector only adds the GUI commands and calls Main.
//
// Keeping the commands here rather than in package main lets them be tested
// with CGO_ENABLED=0, without the GL headers the Fyne driver needs.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"sync"

	"github.com/ml-connector/ifs-cleo/core/locations"
	"github.com/ml-connector/ifs-cleo/core/logging"
)

// Exit codes shared by every subcommand, so scripts can tell failure kinds apart.
const (
	ExitOK      = 0 // success
	ExitFailure = 1 // the command ran and found a problem (invalid EDI, failed sync …)
	ExitUsage   = 2 // bad flags or arguments, or an unreadable input
)

// Version data, set with -ldflags "-X" by the Makefile.
var (
	Version = "dev"
	Commit  = "unknown"
)

// Env is what a subcommand runs with: its streams and the global settings.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// DataDir holds the SQLite file, logs and exports (see core/locations).
	DataDir string
	// Store chooses the database (--store): a postgres:// URL for a team
	// database, or a SQLite file; empty means $ML_CONNECTOR_STORE, the
	// desk's team-store.url or the data dir's file (connector.ChooseStore).
	Store string
	// Logger is set up by Main for stderr, and pointed at the data dir's log
	// file too by StartLogging.
	Logger *slog.Logger

	logStop func() // closes the log file; set by StartLogging, run by Main
}

const storeFlagUsage = "the database: postgres://USER@HOST/DB?sslmode=verify-full (team; password from 'store password') or a SQLite file (default: $ML_CONNECTOR_STORE, this desk's team database, or the data dir's file)"

// Flags returns a FlagSet for the named subcommand that already knows the
// global --data-dir flag, so "ml-connector sync --data-dir X" works as well as
// "ml-connector --data-dir X sync".
func (e *Env) Flags(name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.Stderr)
	fs.StringVar(&e.DataDir, "data-dir", e.DataDir, "directory for the database, logs and exports")
	fs.StringVar(&e.Store, "store", e.Store, storeFlagUsage)
	fs.Usage = func() {
		fmt.Fprintf(e.Stderr, "usage: ml-connector %s\n\n", usage)
		fs.PrintDefaults()
	}
	return fs
}

// Locations returns the file registry for the data dir and creates the
// folders every run needs.
func (e *Env) Locations() (locations.Locations, error) {
	l, err := locations.New(e.DataDir)
	if err != nil {
		return l, err
	}
	return l, l.Ensure()
}

// StartLogging points e.Logger at the rotating log file in the data dir
// (info and up) and at stderr (warnings and up), both behind the
// secret-redacting handler. Commands that touch the data dir call it; pure
// tools such as "edi parse" do not, so they leave no files behind.
//
// It is idempotent: a second call returns the first call's stop function.
// Main closes the file when the command returns.
func (e *Env) StartLogging(verbose bool) (stop func(), err error) {
	if e.logStop != nil {
		return e.logStop, nil
	}
	l, err := e.Locations()
	if err != nil {
		return func() {}, err
	}
	lvl := slog.LevelWarn
	if verbose {
		lvl = slog.LevelDebug
	}
	logger, closer, err := logging.New(logging.Options{
		File: l.Get(locations.LogFile), Stderr: e.Stderr, StderrLevel: lvl, FileLevel: slog.LevelInfo,
	})
	if err != nil {
		return func() {}, err
	}
	e.Logger = logger
	var once sync.Once
	e.logStop = func() { once.Do(func() { closer.Close() }) }
	return e.logStop, nil
}

// Parse parses args into fs and maps the outcome to an exit code: ok is false
// when the command should return code at once (help asked for, or bad flags).
func Parse(fs *flag.FlagSet, args []string) (code int, ok bool) {
	err := fs.Parse(args)
	switch {
	case err == nil:
		return ExitOK, true
	case errors.Is(err, flag.ErrHelp):
		return ExitOK, false
	default:
		return ExitUsage, false
	}
}

// Command is one subcommand.
type Command struct {
	Name    string
	Summary string
	// Run executes the command and returns the process exit code.
	Run func(ctx context.Context, env *Env, args []string) int
}

var (
	regMu    sync.Mutex
	registry = map[string]Command{}
)

// Register adds a subcommand; it is called from init functions.
func Register(c Command) {
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := registry[c.Name]; dup {
		panic("cli: duplicate command " + c.Name)
	}
	registry[c.Name] = c
}

// Commands returns the registered subcommands sorted by name.
func Commands() []Command {
	regMu.Lock()
	defer regMu.Unlock()
	out := make([]Command, 0, len(registry))
	for _, c := range registry {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// DefaultDataDir is the OS user config dir + "ml-connector", or a dot folder
// in the working directory when the OS reports no config dir.
func DefaultDataDir() string {
	if d, err := os.UserConfigDir(); err == nil {
		return filepath.Join(d, "ml-connector")
	}
	return ".ml-connector"
}

// Main runs the command line. defaultCmd is run when no subcommand is given
// (the GUI in the real binary); extra adds commands that live outside this
// package (the GUI ones, which need cgo).
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, defaultCmd string, extra ...Command) int {
	env := &Env{Stdin: stdin, Stdout: stdout, Stderr: stderr, DataDir: DefaultDataDir()}
	cmds := map[string]Command{}
	for _, c := range Commands() {
		cmds[c.Name] = c
	}
	for _, c := range extra {
		cmds[c.Name] = c
	}
	global := flag.NewFlagSet("ml-connector", flag.ContinueOnError)
	global.SetOutput(stderr)
	global.StringVar(&env.DataDir, "data-dir", env.DataDir, "directory for the database, logs and exports")
	global.StringVar(&env.Store, "store", env.Store, storeFlagUsage)
	global.Usage = func() { usage(stderr, cmds) }
	if err := global.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitUsage
	}
	rest := global.Args()
	name := defaultCmd
	if len(rest) > 0 {
		name, rest = rest[0], rest[1:]
	}
	if name == "help" {
		usage(stdout, cmds)
		return ExitOK
	}
	c, ok := cmds[name]
	if !ok {
		fmt.Fprintf(stderr, "ml-connector: unknown command %q\n", name)
		usage(stderr, cmds)
		return ExitUsage
	}
	if env.Logger == nil {
		env.Logger = slog.New(logging.NewRedactingHandler(
			slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}), logging.Default))
	}
	code := c.Run(ctx, env, rest)
	if env.logStop != nil {
		env.logStop()
	}
	return code
}

func usage(w io.Writer, cmds map[string]Command) {
	fmt.Fprintln(w, "usage: ml-connector [--data-dir DIR] [--store URL|FILE] [command] [flags]")
	fmt.Fprintln(w, "\nWith no command the desktop app starts. Commands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-11s %s\n", n, cmds[n].Summary)
	}
	fmt.Fprintln(w, "\nRun 'ml-connector COMMAND -h' for a command's flags.")
	fmt.Fprintln(w, "\nData goes to stdout, diagnostics to stderr. Exit codes:")
	fmt.Fprintf(w, "  %d  success\n", ExitOK)
	fmt.Fprintf(w, "  %d  the command ran and found a problem (invalid EDI, input that is not X12, a failed sync or test,\n"+
		"     a decision that leaves the invoice unposted)\n", ExitFailure)
	fmt.Fprintf(w, "  %d  bad flags or arguments, or an input that cannot be read\n", ExitUsage)
}

// VersionString is the one-line version report.
func VersionString() string {
	commit := Commit
	if commit == "unknown" {
		if bi, ok := debug.ReadBuildInfo(); ok {
			for _, s := range bi.Settings {
				if s.Key == "vcs.revision" {
					commit = s.Value
				}
			}
		}
	}
	return fmt.Sprintf("ml-connector %s (commit %s, %s, %s/%s)", Version, commit, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func init() {
	Register(Command{
		Name:    "version",
		Summary: "print the version, commit and Go version",
		Run: func(ctx context.Context, env *Env, args []string) int {
			fs := env.Flags("version", "version")
			if code, ok := Parse(fs, args); !ok {
				return code
			}
			if fs.NArg() > 0 {
				fmt.Fprintf(env.Stderr, "version: unexpected argument %q\n", strings.Join(fs.Args(), " "))
				return ExitUsage
			}
			fmt.Fprintln(env.Stdout, VersionString())
			return ExitOK
		},
	})
}
