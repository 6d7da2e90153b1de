package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/ml-connector/ifs-cleo/core/engine"
	"github.com/ml-connector/ifs-cleo/core/store"
)

func init() {
	Register(Command{Name: "replay", Summary: "replay an exception (ID) or all with a reason (--reason CODE); --preview", Run: runReplay})
}

func runReplay(ctx context.Context, env *Env, args []string) int {
	fs := env.Flags("replay", "replay [--preview] [--json] (EXCEPTION_ID | --reason CODE) | replay --update-ifs [--reapply] EXCEPTION_ID | replay --ignore ID --comment TEXT")
	reason := fs.String("reason", "", "replay every open exception with this reason")
	preview := fs.Bool("preview", false, "show what would happen, change nothing")
	asJSON := fs.Bool("json", false, "one JSON object per exception")
	ignore := fs.Int64("ignore", 0, "ignore this exception instead (needs --comment)")
	comment := fs.String("comment", "", "why the exception is ignored")
	secDir := fs.String("secrets-dir", "", "read secrets from files in this folder")
	updateIFS := fs.Bool("update-ifs", false, "apply a CORRECTION_PENDING exception's corrected invoice to the IFS invoice (read ETag, PATCH If-Match)")
	reapply := fs.Bool("reapply", false, "with --update-ifs after a conflict: write the supplier's values over the fields changed in IFS meanwhile")
	if code, ok := Parse(fs, args); !ok {
		return code
	}
	var id int64
	if fs.NArg() == 1 {
		n, err := strconv.ParseInt(fs.Arg(0), 10, 64)
		if err != nil {
			fmt.Fprintf(env.Stderr, "replay: %q is not an exception id\n", fs.Arg(0))
			return ExitUsage
		}
		id = n
	}
	if fs.NArg() > 1 || (id == 0) == (*reason == "") && *ignore == 0 {
		fmt.Fprintln(env.Stderr, "replay: give one exception id or --reason CODE")
		return ExitUsage
	}
	if *ignore != 0 {
		st, _, err := openStore(ctx, env)
		if err != nil {
			fmt.Fprintf(env.Stderr, "replay: %v\n", err)
			return ExitFailure
		}
		defer st.Close()
		if *comment == "" {
			fmt.Fprintln(env.Stderr, "replay: --ignore needs --comment saying why")
			return ExitUsage
		}
		if _, err := st.CloseException(ctx, *ignore, store.ExceptionIgnored, osUser(), *comment); err != nil {
			fmt.Fprintf(env.Stderr, "replay: %v\n", err)
			return ExitFailure
		}
		fmt.Fprintf(env.Stdout, "exception %d ignored\n", *ignore)
		return ExitOK
	}
	a, err := openEngine(ctx, env, *secDir, nil)
	if err != nil {
		fmt.Fprintf(env.Stderr, "replay: %v\n", err)
		return ExitFailure
	}
	defer a.close()
	if *updateIFS {
		if id == 0 || *preview || *reason != "" {
			fmt.Fprintln(env.Stderr, "replay: --update-ifs takes one exception id")
			return ExitUsage
		}
		r, err := a.eng.UpdateIFSInvoice(ctx, id, *reapply)
		if err != nil {
			fmt.Fprintf(env.Stderr, "replay: %v\n", err)
			return ExitFailure
		}
		if *asJSON {
			json.NewEncoder(env.Stdout).Encode(r)
		} else {
			fmt.Fprintf(env.Stdout, "exception %d (document %d): %s: %s (%d conditional writes)\n", r.ExceptionID, r.DocumentID, r.Outcome, r.Message, len(r.Attempts))
			for _, c := range r.Conflicts {
				fmt.Fprintf(env.Stdout, "  conflict %s %s: IFS now %s, correction %s, you had seen %s\n", c.Row, c.Field, c.Now, c.Want, c.Seen)
			}
			if r.Outcome == "conflict" {
				fmt.Fprintln(env.Stdout, "  nothing was written; check with whoever changed IFS, then run again with --reapply, or ignore the exception")
			}
		}
		if r.Outcome != "updated" {
			return ExitFailure
		}
		return ExitOK
	}
	var results []engine.ReplayResult
	switch {
	case *reason != "":
		results, err = a.eng.ReplayByReason(ctx, *reason, *preview)
	case *preview:
		var pv engine.Preview
		pv, err = a.eng.PreviewReplay(ctx, id)
		results = []engine.ReplayResult{{Preview: pv}}
	default:
		var r engine.ReplayResult
		r, err = a.eng.Replay(ctx, id)
		results = []engine.ReplayResult{r}
	}
	code := ExitOK
	for _, r := range results {
		if *asJSON {
			json.NewEncoder(env.Stdout).Encode(r)
			continue
		}
		verb := "replayed"
		if *preview {
			verb = "would"
		}
		line := fmt.Sprintf("exception %d (document %d, %s): %s %s: %s", r.ExceptionID, r.DocumentID, r.Reason, verb, r.Outcome, r.Message)
		if r.Status != "" {
			line += " → " + r.Status
		}
		if r.Err != "" {
			line += " (error: " + r.Err + ")"
			code = ExitFailure
		}
		fmt.Fprintln(env.Stdout, line)
	}
	if err != nil {
		if errors.Is(err, engine.ErrNotReplayable) || errors.Is(err, store.ErrNotFound) {
			fmt.Fprintf(env.Stderr, "replay: %v\n", err)
			return ExitFailure
		}
		fmt.Fprintf(env.Stderr, "replay: %v\n", err)
		return ExitFailure
	}
	if len(results) == 0 {
		fmt.Fprintln(env.Stdout, "nothing to replay")
	}
	return code
}
