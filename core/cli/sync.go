package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ml-connector/ifs-cleo/core/connector"
	"github.com/ml-connector/ifs-cleo/core/engine"
	"github.com/ml-connector/ifs-cleo/core/enginelock"
	"github.com/ml-connector/ifs-cleo/core/events"
	"github.com/ml-connector/ifs-cleo/core/locations"
	"github.com/ml-connector/ifs-cleo/core/secrets"
	"github.com/ml-connector/ifs-cleo/core/store"
)

// openStore opens the database of the data dir, creating the folders.
func openStore(ctx context.Context, env *Env) (*store.Store, locations.Locations, error) {
	loc, err := locations.New(env.DataDir)
	if err != nil {
		return nil, loc, err
	}
	if err := loc.Ensure(); err != nil {
		return nil, loc, err
	}
	// Every command that opens the store also logs to the data dir's
	// rotating, redacted log file.
	if _, err := env.StartLogging(false); err != nil {
		return nil, loc, err
	}
	choice, err := connector.ChooseStore(env.Store, loc)
	if err != nil {
		return nil, loc, err
	}
	st, err := connector.OpenStore(ctx, choice, secretStore(loc, ""))
	if err != nil {
		return nil, loc, err
	}
	env.Logger.Info("store opened", "backend", st.Backend(), "location", choice.Shown(), "from", choice.Source, "version", Version)
	return st, loc, nil
}

// secretStore is where the CLI reads credentials: $CREDENTIALS_DIRECTORY
// (systemd), then the data dir's secrets folder (written by connect when no
// keychain is available or --secrets-dir is given), then the OS keychain.
func secretStore(loc locations.Locations, dir string) secrets.Store {
	var chain []secrets.Store
	if cd, ok := secrets.CredentialsDirFromEnv(); ok {
		chain = append(chain, cd)
	}
	if dir == "" {
		dir = loc.Get(locations.SecretDir)
	}
	if hasFiles(dir) {
		chain = append(chain, secrets.NewCredentialsDir(dir))
	}
	chain = append(chain, secrets.NewKeyring(0))
	return secrets.NewChain(chain...)
}

func hasFiles(dir string) bool {
	ents, err := os.ReadDir(dir)
	return err == nil && len(ents) > 0
}

// writeSecretFile stores a secret as a 0600 file named like the key, the
// layout secrets.CredentialsDir reads.
func writeSecretFile(dir, key, value string) error {
	name, err := secrets.CredentialFileName(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.WriteString(value); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(dir, name))
}

// app is an engine opened from the data dir's settings.
type app struct {
	st    *store.Store
	loc   locations.Locations
	eng   *engine.Engine
	close func()
}

// openEngine builds the engine from stored settings and secrets.
// lockEngine takes the data dir's engine lock for command: one process
// at a time runs the flows on a data dir (core/enginelock).
func lockEngine(env *Env, command string) (func(), error) {
	loc, err := locations.New(env.DataDir)
	if err == nil {
		err = loc.Ensure()
	}
	if err != nil {
		return nil, err
	}
	l, err := enginelock.Acquire(loc.Get(locations.EngineLock), command)
	if err != nil {
		return nil, err
	}
	return l.Release, nil
}

func openEngine(ctx context.Context, env *Env, secretsDir string, bus *events.Bus) (*app, error) {
	st, loc, err := openStore(ctx, env)
	if err != nil {
		return nil, err
	}
	c, err := connector.Open(ctx, connector.Options{Store: st, Secrets: secretStore(loc, secretsDir), Logger: env.Logger, Bus: bus})
	if err != nil {
		st.Close()
		if errors.Is(err, connector.ErrNotConfigured) {
			return nil, fmt.Errorf("%w: run 'ml-connector connect' first", err)
		}
		return nil, err
	}
	return &app{st: st, loc: loc, eng: c.Engine, close: func() { c.Close(); st.Close() }}, nil
}

func init() {
	Register(Command{Name: "sync", Summary: "run the flows once (--once) and exit", Run: runSync})
}

func runSync(ctx context.Context, env *Env, args []string) int {
	fs := env.Flags("sync", "sync --once [--flow pos|invoices|reference] [--secrets-dir DIR]")
	once := fs.Bool("once", false, "run the flows once and exit (required; use 'run' for the schedule)")
	flow := fs.String("flow", "", "run only this flow: pos, invoices or reference")
	secDir := fs.String("secrets-dir", "", "read secrets from files in this folder")
	if code, ok := Parse(fs, args); !ok {
		return code
	}
	if !*once || fs.NArg() > 0 {
		fmt.Fprintln(env.Stderr, "sync: use 'sync --once [--flow F]' (or 'run' for the schedule)")
		return ExitUsage
	}
	var flows []string
	if *flow != "" {
		switch *flow {
		case engine.FlowPOs, engine.FlowInvoices, engine.FlowReference, engine.FlowInvoicesOut:
			flows = []string{*flow}
		default:
			fmt.Fprintf(env.Stderr, "sync: unknown flow %q (want pos, invoices, invoices_out or reference)\n", *flow)
			return ExitUsage
		}
	}
	release, err := lockEngine(env, "sync")
	if err != nil {
		fmt.Fprintf(env.Stderr, "sync: %v\n", err)
		return ExitFailure
	}
	defer release()
	a, err := openEngine(ctx, env, *secDir, nil)
	if err != nil {
		fmt.Fprintf(env.Stderr, "sync: %v\n", err)
		return ExitFailure
	}
	defer a.close()
	// On a team database a one-off sync runs only when no leader runs the
	// team's engine: two engines must never run the flows side by side.
	lead, err := a.st.TryLead(ctx, store.ThisNode(osUser(), "sync"))
	if err != nil {
		fmt.Fprintf(env.Stderr, "sync: %v: use 'sync' there, or stop it first\n", err)
		return ExitFailure
	}
	defer lead.Release()
	// The invoice and PO flows need reference data (partners) at least once.
	if len(flows) > 0 && flows[0] != engine.FlowReference {
		if ps, _ := a.st.Partners(ctx); len(ps) == 0 {
			flows = append([]string{engine.FlowReference}, flows...)
		}
	}
	// A person at a terminal sees each flow advance (done/total, rate).
	stopProgress := func() {}
	if isTerminal(env.Stderr) && a.eng.Bus() != nil {
		stopProgress = showProgress(env.Stderr, a.eng.Bus())
	}
	res, err := a.eng.SyncOnce(ctx, flows...)
	stopProgress()
	if err == nil && a.eng.Identity().ID == "" && len(flows) != 1 {
		fmt.Fprintln(env.Stderr, "sync: our X12 id is unknown: set edi.our_id or refresh partners")
	}
	for _, r := range res {
		line := fmt.Sprintf("%-9s run %d: %d ok, %d exceptions, %d skipped", r.Flow, r.RunID, r.OK, r.Failed, r.Skipped)
		if r.Err != nil {
			line += ": " + r.Err.Error()
		}
		fmt.Fprintln(env.Stdout, line)
	}
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, engine.ErrStopping) {
			fmt.Fprintln(env.Stderr, "sync: stopped")
		} else {
			fmt.Fprintf(env.Stderr, "sync: %v\n", err)
		}
		return ExitFailure
	}
	return ExitOK
}

// osUser is the actor of CLI actions.
func osUser() string { return engine.OSUser() }
