package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

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
	noWait := fs.Bool("no-wait", false, "team database: queue the request for the leader and return without waiting for its outcome")
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
	if !*preview && !*updateIFS {
		if code, handled := replayViaLeader(ctx, env, id, *reason, *ignore, *comment, *noWait); handled {
			return code
		}
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

// replayViaLeader is replay and ignore on a team database: the action is
// written as a request with the acting person and host, the team's leader
// executes it (checking the person's role), and this command follows it
// queued → running → done/failed/refused. handled is false on a desk's own
// file, where the command runs the engine itself.
func replayViaLeader(ctx context.Context, env *Env, id int64, reason string, ignore int64, comment string, noWait bool) (code int, handled bool) {
	st, _, err := openStore(ctx, env)
	if err != nil {
		fmt.Fprintf(env.Stderr, "replay: %v\n", err)
		return ExitFailure, true
	}
	defer st.Close()
	if st.Backend() != "postgres" {
		return 0, false
	}
	req := store.Request{Kind: "replay", Target: strconv.FormatInt(id, 10), Actor: osUser(), Host: store.ThisNode("", "").Host}
	switch {
	case ignore != 0:
		if comment == "" {
			fmt.Fprintln(env.Stderr, "replay: --ignore needs --comment saying why")
			return ExitUsage, true
		}
		b, _ := json.Marshal(map[string]string{"comment": comment})
		req.Kind, req.Target, req.Args = "ignore", strconv.FormatInt(ignore, 10), string(b)
	case reason != "":
		req.Kind, req.Target = "replay_reason", reason
	}
	r, err := st.EnqueueRequest(ctx, req)
	if err != nil {
		fmt.Fprintf(env.Stderr, "replay: %v\n", err)
		return ExitFailure, true
	}
	fmt.Fprintf(env.Stdout, "request %d queued for the team's engine (%s %s by %s)\n", r.ID, r.Kind, r.Target, r.Actor)
	if noWait {
		return ExitOK, true
	}
	last := r.State
	deadline := time.Now().Add(2 * time.Minute)
	for !r.State.Final() {
		if time.Now().After(deadline) {
			fmt.Fprintf(env.Stderr, "replay: request %d still %s after 2 minutes: is a leader running? (ml-connector status)\n", r.ID, r.State)
			return ExitFailure, true
		}
		select {
		case <-ctx.Done():
			fmt.Fprintf(env.Stderr, "replay: stopped waiting; request %d stays %s\n", r.ID, r.State)
			return ExitFailure, true
		case <-time.After(200 * time.Millisecond):
		}
		if r, err = st.Request(ctx, r.ID); err != nil {
			fmt.Fprintf(env.Stderr, "replay: %v\n", err)
			return ExitFailure, true
		}
		if r.State != last {
			fmt.Fprintf(env.Stdout, "request %d %s\n", r.ID, r.State)
			last = r.State
		}
	}
	fmt.Fprintf(env.Stdout, "request %d %s: %s\n", r.ID, r.State, r.Result)
	if r.State != store.RequestDone {
		return ExitFailure, true
	}
	return ExitOK, true
}
