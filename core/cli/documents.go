package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/ml-connector/ifs-cleo/core/domain"
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
	if len(args) > 0 && args[0] == "recode" {
		return runRecode(ctx, env, args[1:])
	}
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
	ids := make([]int64, len(list))
	for i, d := range list {
		ids[i] = d.ID
	}
	deliveries, err := st.DeliveriesOf(ctx, ids)
	if err != nil {
		fmt.Fprintf(env.Stderr, "documents: %v\n", err)
		return ExitFailure
	}
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		for _, d := range list {
			j := docJSON(d)
			if dl, ok := deliveries[d.ID]; ok {
				j = j.WithDelivery(dl)
			}
			if err := enc.Encode(j); err != nil {
				return ExitFailure
			}
		}
		return ExitOK
	}
	tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTYPE\tDIR\tPARTNER\tKEY\tSTATUS\tREASON\tDELIVERY\tTRANSFER")
	for _, d := range list {
		dl := deliveries[d.ID]
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", d.ID, d.Type, d.Direction, d.Partner, d.BusinessKey, d.Status, d.Reason,
			dl.State, dl.TransferID)
	}
	return map[bool]int{true: ExitOK, false: ExitFailure}[tw.Flush() == nil]
}

// runRecode is `documents recode ID --line N --account A [--code-b B] [--rule CHARGE]`:
// the GL coding of a posted invoice's posting-proposal row, changed in IFS
// (read ETag, PATCH If-Match) and audited.
func runRecode(ctx context.Context, env *Env, args []string) int {
	fs := env.Flags("documents recode", "documents recode DOCUMENT_ID --line N --account A [--code-b B] [--rule CHARGE]")
	line := fs.Int("line", 0, "the posting-proposal row to re-code, 1 for the first")
	account := fs.String("account", "", "the new account (code part A)")
	codeB := fs.String("code-b", "", "the new cost centre (code part B), empty for none")
	rule := fs.String("rule", "", "also make this coding the supplier's GL rule for this charge code (NONPO for lines without a PO)")
	asJSON := fs.Bool("json", false, "the result as JSON")
	secDir := fs.String("secrets-dir", "", "read secrets from files in this folder")
	if code, ok := Parse(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 || *line < 1 || *account == "" {
		fmt.Fprintln(env.Stderr, "documents recode: give one document id, --line N and --account A")
		return ExitUsage
	}
	id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
	if err != nil {
		fmt.Fprintf(env.Stderr, "documents recode: %q is not a document id\n", fs.Arg(0))
		return ExitUsage
	}
	a, err := openEngine(ctx, env, *secDir, nil)
	if err != nil {
		fmt.Fprintf(env.Stderr, "documents recode: %v\n", err)
		return ExitFailure
	}
	defer a.close()
	r, err := a.eng.RecodeGL(ctx, id, *line, domain.CodeString{Account: *account, CodeB: *codeB}, strings.ToUpper(*rule))
	if err != nil {
		fmt.Fprintf(env.Stderr, "documents recode: %v\n", err)
		return ExitFailure
	}
	if *asJSON {
		json.NewEncoder(env.Stdout).Encode(r)
		return ExitOK
	}
	fmt.Fprintf(env.Stdout, "document %d: IFS invoice %d posting line %d re-coded from %s/%s to %s/%s (%d conditional writes)\n",
		r.DocumentID, r.IFSInvoiceID, r.Line, r.From.Account, r.From.CodeB, r.To.Account, r.To.CodeB, len(r.Attempts))
	if r.RuleSaved {
		fmt.Fprintf(env.Stdout, "the coding is now the supplier's rule for %s\n", strings.ToUpper(*rule))
	}
	return ExitOK
}
