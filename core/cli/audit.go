package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/ml-connector/ifs-cleo/core/evidence"
)

func init() {
	Register(Command{Name: "audit", Summary: "audit ID (timeline), audit export ID (evidence zip), audit verify (hash chain)", Run: runAudit})
}

func runAudit(ctx context.Context, env *Env, args []string) int {
	fs := env.Flags("audit", "audit [--json] DOCUMENT_ID | audit export [--out FILE] DOCUMENT_ID | audit verify")
	asJSON := fs.Bool("json", false, "timeline as JSON lines")
	out := fs.String("out", "", "evidence pack file (default: exports/document-ID.zip in the data dir)")
	if code, ok := Parse(fs, args); !ok {
		return code
	}
	rest := fs.Args()
	verb := "show"
	if len(rest) > 0 && (rest[0] == "export" || rest[0] == "verify") {
		verb = rest[0]
		if err := fs.Parse(rest[1:]); err != nil {
			return ExitUsage
		}
		rest = fs.Args()
	}
	st, loc, err := openStore(ctx, env)
	if err != nil {
		fmt.Fprintf(env.Stderr, "audit: %v\n", err)
		return ExitFailure
	}
	defer st.Close()
	if verb == "verify" {
		rep, err := st.VerifyChain(ctx)
		if err != nil {
			fmt.Fprintf(env.Stderr, "audit verify: %v\n", err)
			return ExitFailure
		}
		if !rep.OK {
			fmt.Fprintf(env.Stdout, "audit chain BROKEN at event %d: %s\n", rep.BrokenAt, rep.Problem)
			return ExitFailure
		}
		fmt.Fprintf(env.Stdout, "audit chain intact: %d events\n", rep.Events)
		return ExitOK
	}
	if len(rest) != 1 {
		fmt.Fprintln(env.Stderr, "audit: give one document id")
		return ExitUsage
	}
	id, err := strconv.ParseInt(rest[0], 10, 64)
	if err != nil {
		fmt.Fprintf(env.Stderr, "audit: %q is not a document id\n", rest[0])
		return ExitUsage
	}
	if verb == "export" {
		path := *out
		if path == "" {
			path = evidence.DefaultPath(loc, id)
		}
		path, err := evidence.Export(ctx, st, id, path)
		if err != nil {
			fmt.Fprintf(env.Stderr, "audit export: %v\n", err)
			return ExitFailure
		}
		fmt.Fprintln(env.Stdout, path)
		return ExitOK
	}
	doc, err := st.Document(ctx, id)
	if err != nil {
		fmt.Fprintf(env.Stderr, "audit: %v\n", err)
		return ExitFailure
	}
	evs, err := st.DocumentEvents(ctx, id)
	if err != nil {
		fmt.Fprintf(env.Stderr, "audit: %v\n", err)
		return ExitFailure
	}
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		for _, e := range evs {
			enc.Encode(evidence.EventOf(e))
		}
		return ExitOK
	}
	fmt.Fprintf(env.Stdout, "document %d: %s %s %s %s, status %s %s\n", doc.ID, doc.Direction, doc.Type, doc.Partner, doc.BusinessKey, doc.Status, doc.Reason)
	tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
	for _, e := range evs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.At.Format(time.RFC3339), e.Actor, e.Action, oneLine(string(e.DetailJSON())))
	}
	tw.Flush()
	return ExitOK
}
