package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/ml-connector/ifs-cleo/core/engine"
	"github.com/ml-connector/ifs-cleo/core/locale"
	"github.com/ml-connector/ifs-cleo/core/store"
)

func init() {
	Register(Command{Name: "decide", Summary: "a clerk's decision on an exception: override, hold, dispute, re-reference; roles", Run: runDecide})
	Register(Command{Name: "mappings", Summary: "import mapping CSV files, checked against IFS, with a preview (--preview) and confirmed deletions; export them (--excel)", Run: runMappings})
}

const decideUsage = `decide override ID --comment TEXT          accept despite a variance (approvers; this invoice only)
decide hold ID --until YYYY-MM-DD --comment TEXT   park until a follow-up date
decide dispute ID --note TEXT              record a dispute; prints the draft to send the supplier
decide re-reference ID --po ORDER --comment TEXT   point the invoice at another PO of its supplier
decide roles [--set USER=ROLE]             list or assign roles (clerk, approver, admin; admins only)`

func runDecide(ctx context.Context, env *Env, args []string) int {
	fs := env.Flags("decide", decideUsage)
	comment := fs.String("comment", "", "why (required)")
	note := fs.String("note", "", "the dispute note to the supplier")
	until := fs.String("until", "", "follow-up date of a hold (YYYY-MM-DD, local date)")
	po := fs.String("po", "", "the PO to re-reference the invoice to")
	set := fs.String("set", "", "USER=ROLE to assign (empty ROLE removes)")
	asJSON := fs.Bool("json", false, "the result as JSON")
	secDir := fs.String("secrets-dir", "", "read secrets from files in this folder")
	if len(args) == 0 {
		fmt.Fprintln(env.Stderr, decideUsage)
		return ExitUsage
	}
	verb := args[0]
	pos, code, ok := parseInterspersed(fs, args[1:])
	if !ok {
		return code
	}
	var id int64
	if verb != "roles" {
		if len(pos) != 1 {
			fmt.Fprintf(env.Stderr, "decide %s: give one exception id\n", verb)
			return ExitUsage
		}
		n, err := strconv.ParseInt(pos[0], 10, 64)
		if err != nil {
			fmt.Fprintf(env.Stderr, "decide %s: %q is not an exception id\n", verb, pos[0])
			return ExitUsage
		}
		id = n
	}
	a, err := openEngine(ctx, env, *secDir, nil)
	if err != nil {
		fmt.Fprintf(env.Stderr, "decide: %v\n", err)
		return ExitFailure
	}
	defer a.close()
	e := a.eng
	fail := func(err error) int {
		fmt.Fprintf(env.Stderr, "decide %s: %v\n", verb, err)
		var de *engine.DecisionError
		if errors.As(err, &de) || errors.Is(err, store.ErrInvalid) {
			return ExitUsage
		}
		return ExitFailure
	}
	printResult := func(r engine.ReplayResult) int {
		if *asJSON {
			_ = json.NewEncoder(env.Stdout).Encode(r)
		} else {
			line := fmt.Sprintf("exception %d (document %d): %s", r.ExceptionID, r.DocumentID, r.Status)
			if r.NewReason != "" {
				line += " — now " + r.NewReason + ": " + r.Message
			}
			fmt.Fprintln(env.Stdout, line)
		}
		if r.Err != "" {
			fmt.Fprintf(env.Stderr, "decide %s: %s\n", verb, r.Err)
			return ExitFailure
		}
		if r.Status == string(store.StatusException) {
			return ExitFailure // decided, but the invoice still cannot post
		}
		return ExitOK
	}
	switch verb {
	case "override":
		r, err := e.AcceptWithOverride(ctx, id, *comment)
		if err != nil {
			return fail(err)
		}
		return printResult(r)
	case "re-reference":
		r, err := e.ReReference(ctx, id, *po, *comment)
		if err != nil {
			return fail(err)
		}
		return printResult(r)
	case "hold":
		day, err := time.ParseInLocation("2006-01-02", *until, time.Local)
		if err != nil {
			fmt.Fprintf(env.Stderr, "decide hold: --until %q is not a date YYYY-MM-DD\n", *until)
			return ExitUsage
		}
		if err := e.Hold(ctx, id, day, *comment); err != nil {
			return fail(err)
		}
		fmt.Fprintf(env.Stdout, "exception %d held until %s\n", id, day.Format("2006-01-02"))
		return ExitOK
	case "dispute":
		d, err := e.Dispute(ctx, id, *note)
		if err != nil {
			return fail(err)
		}
		if *asJSON {
			_ = json.NewEncoder(env.Stdout).Encode(d)
			return ExitOK
		}
		fmt.Fprintf(env.Stdout, "To: %s\nSubject: %s\n\n%s", d.To, d.Subject, d.Body)
		return ExitOK
	case "roles":
		if *set != "" {
			user, role, ok := strings.Cut(*set, "=")
			if !ok {
				fmt.Fprintln(env.Stderr, "decide roles: --set USER=ROLE")
				return ExitUsage
			}
			if err := e.SetRole(ctx, user, engine.Role(role)); err != nil {
				return fail(err)
			}
		}
		list, err := e.RoleList(ctx)
		if err != nil {
			return fail(err)
		}
		if len(list) == 0 {
			fmt.Fprintln(env.Stdout, "no roles assigned: this desk's user holds every role")
		}
		for _, r := range list {
			fmt.Fprintf(env.Stdout, "%s\t%s\n", r[0], r[1])
		}
		return ExitOK
	}
	fmt.Fprintf(env.Stderr, "decide: unknown decision %q\n%s\n", verb, decideUsage)
	return ExitUsage
}

var mappingKinds = map[string]store.MappingKind{"partners": store.MappingPartners, "gl": store.MappingGLRules,
	"units": store.MappingUnits, "tolerances": store.MappingTolerances}

func runMappings(ctx context.Context, env *Env, args []string) int {
	if len(args) > 0 && args[0] == "export" {
		return mappingsExport(ctx, env, args[1:])
	}
	const usage = "mappings import (partners|gl|units|tolerances) FILE [--replace] [--preview] [--confirm-deletes N] | mappings export KIND [--excel] [--separator C]"
	fs := env.Flags("mappings", usage)
	replace := fs.Bool("replace", false, "delete mappings the file does not list (needs --confirm-deletes)")
	preview := fs.Bool("preview", false, "show adds, changes and deletes; change nothing")
	confirm := fs.Int("confirm-deletes", 0, "the number of deletions the preview showed")
	secDir := fs.String("secrets-dir", "", "read secrets from files in this folder")
	if len(args) < 3 || args[0] != "import" {
		fmt.Fprintln(env.Stderr, usage)
		return ExitUsage
	}
	kind, ok := mappingKinds[args[1]]
	if !ok {
		fmt.Fprintf(env.Stderr, "mappings import: %q is not partners, gl, units or tolerances\n", args[1])
		return ExitUsage
	}
	file := args[2]
	if rest, code, ok := parseInterspersed(fs, args[3:]); !ok {
		return code
	} else if len(rest) > 0 {
		fmt.Fprintf(env.Stderr, "mappings import: unexpected %q\n", rest[0])
		return ExitUsage
	}
	f, err := os.Open(file)
	if err != nil {
		fmt.Fprintf(env.Stderr, "mappings import: %v\n", err)
		return ExitUsage
	}
	defer f.Close()
	a, err := openEngine(ctx, env, *secDir, nil)
	if err != nil {
		fmt.Fprintf(env.Stderr, "mappings import: %v\n", err)
		return ExitFailure
	}
	defer a.close()
	res, err := a.eng.ImportMappings(ctx, kind, f, *replace, *preview, *confirm)
	if err != nil {
		fmt.Fprintf(env.Stderr, "mappings import: %v\n", err)
		if errors.Is(err, store.ErrConfirmDeletes) {
			fmt.Fprintln(env.Stderr, "mappings import: run with --preview, check the deletions, then pass --confirm-deletes N")
		}
		return ExitFailure
	}
	for _, c := range res.Changes {
		if c.Line > 0 {
			fmt.Fprintf(env.Stdout, "%s\t%s\t(line %d)\n", c.Op, c.Key, c.Line)
		} else {
			fmt.Fprintf(env.Stdout, "%s\t%s\n", c.Op, c.Key)
		}
	}
	verb := "imported"
	if *preview {
		verb = "would import"
	}
	fmt.Fprintf(env.Stdout, "%s: %d added, %d changed, %d unchanged, %d deleted\n", verb, res.Created, res.Updated, res.Unchanged, res.Deleted)
	return ExitOK
}

// parseInterspersed parses flags that may come before or after the
// positional arguments ("decide hold 12 --until …"), returning the
// positional ones in order.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, int, bool) {
	var pos []string
	for {
		if code, ok := Parse(fs, args); !ok {
			return nil, code, false
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, ExitOK, true
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// mappingsExport writes a mapping table as CSV to stdout: plain by default
// (',' and LF, for scripts), or with --excel what Excel on this desk opens
// cleanly: a UTF-8 BOM, CRLF and the desk's list separator (';' where
// numbers have a decimal comma), unless --separator says otherwise.
func mappingsExport(ctx context.Context, env *Env, args []string) int {
	fs := env.Flags("mappings export", "mappings export (partners|gl|units|tolerances) [--excel] [--separator C] > FILE")
	excel := fs.Bool("excel", false, "UTF-8 with BOM, CRLF and the desk's list separator, as Excel opens it")
	sep := fs.String("separator", "", "the field separator (one character, e.g. ';'); default ',' or, with --excel, the desk's")
	if len(args) < 1 {
		fs.Usage()
		return ExitUsage
	}
	kind, ok := mappingKinds[args[0]]
	if !ok {
		fmt.Fprintf(env.Stderr, "mappings export: %q is not partners, gl, units or tolerances\n", args[0])
		return ExitUsage
	}
	if rest, code, ok := parseInterspersed(fs, args[1:]); !ok {
		return code
	} else if len(rest) > 0 {
		fmt.Fprintf(env.Stderr, "mappings export: unexpected %q\n", rest[0])
		return ExitUsage
	}
	style := store.CSVStyle{Excel: *excel}
	switch r := []rune(*sep); {
	case len(r) == 1 && r[0] != '"' && r[0] != '\r' && r[0] != '\n':
		style.Comma = r[0]
	case *sep != "":
		fmt.Fprintf(env.Stderr, "mappings export: separator %q must be one character other than a quote or a line end\n", *sep)
		return ExitUsage
	case *excel:
		style.Comma = locale.ListSeparator()
	}
	st, _, err := openStore(ctx, env)
	if err != nil {
		fmt.Fprintf(env.Stderr, "mappings export: %v\n", err)
		return ExitFailure
	}
	defer st.Close()
	w := bufio.NewWriter(env.Stdout)
	if err := st.ExportMappingsCSVAs(ctx, kind, w, style); err != nil {
		fmt.Fprintf(env.Stderr, "mappings export: %v\n", err)
		return ExitFailure
	}
	if err := w.Flush(); err != nil {
		return ExitFailure
	}
	return ExitOK
}
