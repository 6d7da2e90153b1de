package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/ml-connector/ifs-cleo/core/engine"
	"github.com/ml-connector/ifs-cleo/core/store"
)

func init() {
	Register(Command{Name: "config", Summary: "export or import the configuration (no secrets): config export|import", Run: runConfig})
}

func runConfig(ctx context.Context, env *Env, args []string) int {
	fs := env.Flags("config", "config export [--out FILE] | config import FILE")
	out := fs.String("out", "", "write the export to FILE instead of standard output")
	if code, ok := Parse(fs, args); !ok {
		return code
	}
	if fs.NArg() < 1 {
		fs.Usage()
		return ExitUsage
	}
	// Flags may also follow the sub-verb: "config export --out F".
	verb := fs.Arg(0)
	if err := fs.Parse(fs.Args()[1:]); err != nil {
		return ExitUsage
	}
	st, _, err := openStore(ctx, env)
	if err != nil {
		fmt.Fprintf(env.Stderr, "config: %v\n", err)
		return ExitFailure
	}
	defer st.Close()
	switch verb {
	case "export":
		if fs.NArg() > 0 {
			fmt.Fprintf(env.Stderr, "config export: unexpected %q\n", fs.Arg(0))
			return ExitUsage
		}
		c, err := st.ExportConfig(ctx)
		if err != nil {
			fmt.Fprintf(env.Stderr, "config export: %v\n", err)
			return ExitFailure
		}
		var w io.Writer = env.Stdout
		if *out != "" {
			f, err := os.OpenFile(*out, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
			if err != nil {
				fmt.Fprintf(env.Stderr, "config export: %v\n", err)
				return ExitFailure
			}
			defer f.Close()
			w = f
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(c); err != nil {
			fmt.Fprintf(env.Stderr, "config export: %v\n", err)
			return ExitFailure
		}
		return ExitOK
	case "import":
		if fs.NArg() != 1 {
			fmt.Fprintln(env.Stderr, "config import: give one FILE")
			return ExitUsage
		}
		b, err := os.ReadFile(fs.Arg(0))
		if err != nil {
			fmt.Fprintf(env.Stderr, "config import: %v\n", err)
			return ExitUsage
		}
		var c store.Config
		if err := json.Unmarshal(b, &c); err != nil {
			fmt.Fprintf(env.Stderr, "config import: %s is not a configuration export: %v\n", fs.Arg(0), err)
			return ExitFailure
		}
		if err := store.ValidateConfig(c); err != nil {
			fmt.Fprintf(env.Stderr, "config import: %v\n", err)
			return ExitFailure
		}
		for _, sc := range c.Schedules {
			if _, err := engine.ParseSchedule(sc.Cron); err != nil {
				fmt.Fprintf(env.Stderr, "config import: flow %s: %v\n", sc.Flow, err)
				return ExitFailure
			}
		}
		skipped, err := st.ImportConfig(ctx, osUser(), c)
		if err != nil {
			fmt.Fprintf(env.Stderr, "config import: %v\n", err)
			return ExitFailure
		}
		fmt.Fprintf(env.Stdout, "imported: %d settings, %d schedules, %d partner mappings, %d GL rules, %d tolerances",
			len(c.Settings), len(c.Schedules), len(c.Mappings.Partners), len(c.Mappings.GLRules), len(c.Mappings.Tolerances))
		if skipped > 0 {
			fmt.Fprintf(env.Stdout, " (%d partners unknown here were skipped; refresh reference data and import again)", skipped)
		}
		fmt.Fprintln(env.Stdout)
		return ExitOK
	default:
		fmt.Fprintf(env.Stderr, "config: unknown action %q (want export or import)\n", verb)
		return ExitUsage
	}
}
