package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/ml-connector/ifs-cleo/core/evidence"
	"github.com/ml-connector/ifs-cleo/core/store"
)

func init() {
	Register(Command{Name: "documents", Summary: "list documents (--json, --status S, --type 810|850|997)", Run: runDocuments})
}

// documentJSON is the scripting contract of 'documents --json'.
type documentJSON = evidence.Document

func docJSON(d store.Document) documentJSON { return evidence.DocumentOf(d) }

func runDocuments(ctx context.Context, env *Env, args []string) int {
	fs := env.Flags("documents", "documents [--json] [--status S] [--type 810|850|997] [--direction inbound|outbound] [--key K] [--limit N]")
	asJSON := fs.Bool("json", false, "one JSON object per document, one per line")
	status := fs.String("status", "", "only documents in this status (posted, sent, acknowledged, exception …)")
	typ := fs.String("type", "", "only this transaction set: 810, 850 or 997")
	dir := fs.String("direction", "", "inbound or outbound")
	key := fs.String("key", "", "business key (PO or invoice number) prefix")
	limit := fs.Int("limit", 0, "at most N, newest first (0: all, oldest first)")
	if code, ok := Parse(fs, args); !ok {
		return code
	}
	q := store.DocumentQuery{Type: store.DocType(*typ), Direction: store.Direction(*dir), BusinessKey: *key, Limit: *limit}
	switch q.Type {
	case "", store.Type810, store.Type850, store.Type997:
	default:
		fmt.Fprintf(env.Stderr, "documents: --type %q: want 810, 850 or 997\n", *typ)
		return ExitUsage
	}
	if q.Direction != "" && q.Direction != store.Inbound && q.Direction != store.Outbound {
		fmt.Fprintf(env.Stderr, "documents: --direction %q: want inbound or outbound\n", *dir)
		return ExitUsage
	}
	if *status != "" {
		q.Statuses = []store.Status{store.Status(*status)}
	}
	if q.Limit <= 0 {
		q.Limit, q.Oldest = 1<<30, true
	}
	st, _, err := openStore(ctx, env)
	if err != nil {
		fmt.Fprintf(env.Stderr, "documents: %v\n", err)
		return ExitFailure
	}
	defer st.Close()
	list, err := st.Documents(ctx, q)
	if err != nil {
		fmt.Fprintf(env.Stderr, "documents: %v\n", err)
		return ExitFailure
	}
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		for _, d := range list {
			if err := enc.Encode(docJSON(d)); err != nil {
				return ExitFailure
			}
		}
		return ExitOK
	}
	tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTYPE\tDIR\tPARTNER\tKEY\tSTATUS\tREASON")
	for _, d := range list {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", d.ID, d.Type, d.Direction, d.Partner, d.BusinessKey, d.Status, d.Reason)
	}
	return map[bool]int{true: ExitOK, false: ExitFailure}[tw.Flush() == nil]
}
