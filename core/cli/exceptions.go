package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ml-connector/ifs-cleo/core/store"
)

func init() {
	Register(Command{Name: "exceptions", Summary: "list open exceptions (--json: one object a line)", Run: runExceptions})
}

// exceptionJSON is the scripting contract of 'exceptions --json'.
type exceptionJSON struct {
	ID          int64     `json:"id"`
	DocumentID  int64     `json:"document_id"`
	Subject     string    `json:"subject,omitempty"`
	Reason      string    `json:"reason"`
	Message     string    `json:"message"`
	Fix         string    `json:"fix"`
	State       string    `json:"state"`
	Partner     string    `json:"partner"`
	SupplierID  string    `json:"supplier_id"`
	BusinessKey string    `json:"business_key"`
	DocType     string    `json:"doc_type"`
	Amount      string    `json:"amount,omitempty"`
	Currency    string    `json:"currency,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	// A clerk's decision: "hold" (until HeldUntil) or "dispute", with who and why.
	Decision     string     `json:"decision,omitempty"`
	DecisionBy   string     `json:"decision_by,omitempty"`
	DecisionNote string     `json:"decision_note,omitempty"`
	HeldUntil    *time.Time `json:"held_until,omitempty"`
	// Context is the typed context of the reason (PO line, quantities,
	// tolerance in force … for match problems).
	Context json.RawMessage `json:"context,omitempty"`
}

func runExceptions(ctx context.Context, env *Env, args []string) int {
	fs := env.Flags("exceptions", "exceptions [--json] [--reason CODE] [--partner P] [--all] [--limit N]")
	asJSON := fs.Bool("json", false, "one JSON object per exception, one per line")
	reason := fs.String("reason", "", "only this reason code")
	partner := fs.String("partner", "", "only this partner (QUAL:ID)")
	all := fs.Bool("all", false, "include resolved and ignored exceptions")
	limit := fs.Int("limit", 0, "at most N (0: all)")
	if code, ok := Parse(fs, args); !ok {
		return code
	}
	st, _, err := openStore(ctx, env)
	if err != nil {
		fmt.Fprintf(env.Stderr, "exceptions: %v\n", err)
		return ExitFailure
	}
	defer st.Close()
	q := store.ExceptionQuery{AnyState: *all, Partner: *partner, Limit: *limit}
	if q.Limit <= 0 {
		q.Limit = 1 << 30
	}
	if *reason != "" {
		q.Reasons = []string{*reason}
	}
	list, err := st.Exceptions(ctx, q)
	if err != nil {
		fmt.Fprintf(env.Stderr, "exceptions: %v\n", err)
		return ExitFailure
	}
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		for _, x := range list {
			j := exceptionJSON{ID: x.ID, DocumentID: x.DocumentID, Subject: x.Subject, Reason: x.Reason, Message: x.Message, Fix: x.Fix,
				State: string(x.State), Partner: x.Partner, SupplierID: x.SupplierID, BusinessKey: x.BusinessKey, DocType: string(x.DocType),
				Currency: x.Currency, CreatedAt: x.CreatedAt, Decision: x.Decision, DecisionBy: x.DecisionBy, DecisionNote: x.DecisionNote}
			if !x.HeldUntil.IsZero() {
				j.HeldUntil = &x.HeldUntil
			}
			if len(x.Context) > 0 && string(x.Context) != "{}" && string(x.Context) != "null" {
				j.Context = x.Context
			}
			if !x.Amount.IsZero() {
				j.Amount = x.Amount.String()
			}
			if err := enc.Encode(j); err != nil {
				return ExitFailure
			}
		}
		return ExitOK
	}
	tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tDOC\tREASON\tPARTNER\tKEY\tDECISION\tMESSAGE")
	for _, x := range list {
		dec := x.Decision
		if dec == store.DecisionHold {
			dec += " until " + x.HeldUntil.Format("2006-01-02")
		}
		fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%s\t%s\t%s\n", x.ID, x.DocumentID, x.Reason, x.Partner, x.BusinessKey, dec, oneLine(x.Message))
	}
	tw.Flush()
	if len(list) == 0 {
		fmt.Fprintln(env.Stdout, "no open exceptions")
	}
	return ExitOK
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}
