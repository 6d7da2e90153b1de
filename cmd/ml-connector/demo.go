package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/ml-connector/ifs-cleo/core/cli"
	"github.com/ml-connector/ifs-cleo/core/sandbox/cleosim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/ifssim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/serve"
	"github.com/ml-connector/ifs-cleo/core/secrets"
	"github.com/ml-connector/ifs-cleo/core/store"
)

// demoCommand starts the app against the embedded IFS and Cleo sandboxes,
// pre-configured, so a person sees it work within a minute.
func demoCommand() cli.Command {
	return cli.Command{
		Name:    "demo",
		Summary: "start the desktop app against the embedded IFS and Cleo sandboxes (temporary data dir)",
		Run:     runDemo,
	}
}

func runDemo(ctx context.Context, env *cli.Env, args []string) int {
	fs := env.Flags("demo", "demo [--data-dir DIR (default: a new temporary dir, removed at exit)] [--seed N] [--open SCREEN]")
	seed := fs.Int64("seed", 1, "seed of the sandboxes' world")
	open := fs.String("open", "", "screen to open on: "+strings.Join(screenNames, ", "))
	if code, ok := cli.Parse(fs, args); !ok {
		return code
	}
	if env.DataDir == cli.DefaultDataDir() {
		dir, err := os.MkdirTemp("", "ml-connector-demo-")
		if err != nil {
			fmt.Fprintf(env.Stderr, "demo: %v\n", err)
			return cli.ExitFailure
		}
		defer os.RemoveAll(dir)
		env.DataDir = dir
	}
	sb, err := serve.StartPair(*seed, ifssim.Config{}, cleosim.Config{})
	if err != nil {
		fmt.Fprintf(env.Stderr, "demo: %v\n", err)
		return cli.ExitFailure
	}
	defer sb.Close()
	fmt.Fprintf(env.Stdout, "demo: IFS sandbox %s, Cleo sandbox %s, data in %s\n", sb.IFSURL, sb.CleoURL, env.DataDir)

	// The keychain when one answers quickly; otherwise memory, labelled as demo.
	var sec secrets.Store = secrets.NewMemory()
	kr := secrets.NewKeyring(2 * time.Second)
	pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	if secrets.Probe(pctx, kr) == nil {
		sec = kr
	}
	cancel()
	banner := fmt.Sprintf("Sandboxes on 127.0.0.1 (seed %d); secrets in %s. Nothing here touches a real IFS or Cleo.",
		*seed, secrets.LabelOf(sec))
	return runGUI(ctx, env, guiOptions{
		secrets:     sec,
		demo:        banner,
		syncAtStart: true,
		open:        *open,
		prepare: func(ctx context.Context, st *store.Store) error {
			return sb.Configure(ctx, st, sec)
		},
	})
}
