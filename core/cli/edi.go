package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ml-connector/ifs-cleo/core/x12"
)

// The edi command is a scripting contract: checks outside Go read its JSON
// Lines and exit codes, so field names and codes must stay stable.

func init() {
	Register(Command{Name: "edi", Summary: "parse, validate or acknowledge X12 files (850, 810, 997)", Run: runEDI})
}

const ediUsage = `edi parse FILE...     one JSON object per transaction set (JSON Lines); FILE "-" is stdin;
                                     exit 0 read (set errors are in the output), 1 a file is not X12, 2 unreadable
       ml-connector edi validate FILE...  print every error; exit 0 valid, 1 invalid, 2 unreadable
       ml-connector edi ack FILE          print the 997s acknowledging FILE's functional groups, one interchange
                                     per sender; a TA1 for an interchange whose ISA14 asks for one or whose
                                     envelope failed (that one gets no 997)`

func runEDI(ctx context.Context, env *Env, args []string) int {
	if len(args) == 0 {
		fmt.Fprintf(env.Stderr, "usage: ml-connector %s\n", ediUsage)
		return ExitUsage
	}
	switch args[0] {
	case "parse":
		return ediParse(ctx, env, args[1:])
	case "validate":
		return ediValidate(ctx, env, args[1:])
	case "ack":
		return ediAck(ctx, env, args[1:])
	case "-h", "-help", "--help", "help":
		fmt.Fprintf(env.Stdout, "usage: ml-connector %s\n", ediUsage)
		return ExitOK
	}
	fmt.Fprintf(env.Stderr, "edi: unknown subcommand %q\nusage: ml-connector %s\n", args[0], ediUsage)
	return ExitUsage
}

// eachFile opens every file and runs fn over a Reader; it returns false when
// a file could not be read.
func eachFile(env *Env, files []string, strict bool, fn func(name string, rd *x12.Reader)) bool {
	ok := true
	for _, name := range files {
		var in io.Reader = env.Stdin
		var f *os.File
		if name != "-" { // "-" reads standard input
			var err error
			if f, err = os.Open(name); err != nil {
				fmt.Fprintf(env.Stderr, "edi: %v\n", err)
				ok = false
				continue
			}
			in = f
		}
		rd := x12.NewReader(in)
		if strict {
			rd.Strict()
		}
		fn(name, rd)
		if f != nil {
			f.Close()
		}
	}
	return ok
}

// fileProblems is what a file has outside its sets: orphan issues and the
// error that stopped the reader.
func fileProblems(rd *x12.Reader) (errs, warns []x12.Issue) {
	for _, is := range rd.Issues() {
		if is.Warning {
			warns = append(warns, is)
		} else {
			errs = append(errs, is)
		}
	}
	if err := rd.Err(); err != nil {
		errs = append(errs, x12.Issue{Offset: -1, Level: x12.LevelInterchange, Message: err.Error()})
	}
	return errs, warns
}

func ediParse(ctx context.Context, env *Env, args []string) int {
	fs := env.Flags("edi parse", "edi parse [-strict] FILE...")
	strict := fs.Bool("strict", false, "treat envelope deviations common in real files (ISA widths, GS08 vs ISA12) as errors")
	if code, ok := Parse(fs, args); !ok {
		return code
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return ExitUsage
	}
	out := bufio.NewWriter(env.Stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	notX12 := false
	readable := eachFile(env, fs.Args(), *strict, func(name string, rd *x12.Reader) {
		rd.Recycle() // each set is written out before the next is read
		sets := 0
		for rd.Next() {
			if ctx.Err() != nil {
				return
			}
			sets++
			if err := enc.Encode(x12.NewReport(name, rd.Set())); err != nil {
				return
			}
		}
		errs, warns := fileProblems(rd)
		if len(errs)+len(warns) > 0 {
			_ = enc.Encode(x12.Report{File: name, Errors: x12.ReportIssues(errs), Warnings: x12.ReportIssues(warns)})
		}
		if sets == 0 {
			// Set errors are data (validate fails on them); a file with no
			// transaction set at all is not X12, which a script must see.
			notX12 = true
			msg := "no X12 transaction set found"
			if len(errs) > 0 {
				msg = errs[0].Message
			}
			fmt.Fprintf(env.Stderr, "edi parse: %s is not X12: %s\n", name, msg)
		}
	})
	if !readable {
		return ExitUsage
	}
	if notX12 {
		return ExitFailure
	}
	return ExitOK
}

func ediValidate(ctx context.Context, env *Env, args []string) int {
	fs := env.Flags("edi validate", "edi validate [-warnings] [-strict] FILE...")
	showWarn := fs.Bool("warnings", false, "print warnings too")
	strict := fs.Bool("strict", false, "treat envelope deviations common in real files (ISA widths, GS08 vs ISA12) as errors")
	if code, ok := Parse(fs, args); !ok {
		return code
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return ExitUsage
	}
	out := bufio.NewWriter(env.Stdout)
	defer out.Flush()
	invalid := false
	sets, held := 0, 0
	print := func(name string, errs, warns []x12.Issue) {
		for _, e := range errs {
			fmt.Fprintf(out, "%s: %s\n", name, e.Error())
		}
		if *showWarn {
			for _, e := range warns {
				fmt.Fprintf(out, "%s: warning: %s\n", name, e.Error())
			}
		}
		invalid = invalid || len(errs) > 0
	}
	readable := eachFile(env, fs.Args(), *strict, func(name string, rd *x12.Reader) {
		rd.Recycle() // each set's problems are printed before the next is read
		for rd.Next() {
			if ctx.Err() != nil {
				return
			}
			sets++
			l := x12.NewReport(name, rd.Set())
			var errs, warns []x12.Issue
			for _, e := range l.Errors {
				errs = append(errs, e.Issue)
			}
			for _, e := range l.Warnings {
				warns = append(warns, e.Issue)
			}
			print(name, errs, warns)
			// Business problems are not X12's: printed apart, they do not
			// make the file invalid (its 997 accepts it) but the engine
			// would hold the invoice as an exception.
			for _, b := range l.Business {
				fmt.Fprintf(out, "%s: business: set %s: %s\n", name, l.Set.ControlNumber, b.Issue.Error())
			}
			if len(l.Business) > 0 {
				held++
			}
		}
		errs, warns := fileProblems(rd)
		print(name, errs, warns)
	})
	switch {
	case !readable:
		return ExitUsage
	case invalid:
		return ExitFailure
	}
	if held > 0 {
		fmt.Fprintf(out, "ok: %d transaction sets valid X12; %d of them cannot be posted as they are (business problems above)\n", sets, held)
		return ExitOK
	}
	fmt.Fprintf(out, "ok: %d transaction sets valid\n", sets)
	return ExitOK
}

func ediAck(ctx context.Context, env *Env, args []string) int {
	fs := env.Flags("edi ack", "edi ack [flags] FILE")
	icn := fs.Int64("icn", 1, "interchange control number of the first 997 interchange (ISA13; one more for each further one)")
	gcn := fs.Int64("gcn", 1, "group control number of the first 997 group (GS06; one more for each further one)")
	at := fs.String("time", "", "timestamp for ISA09/GS04 as RFC 3339 (default: now, UTC)")
	newline := fs.Bool("newline", true, "write a newline after every segment")
	lenient := fs.Bool("lenient", false, "accept sets whose only problems are undefined segments, extra elements or lengths, with the errors noted (AK5*E), as for a partner set to lenient")
	if code, ok := Parse(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return ExitUsage
	}
	when := time.Now().UTC()
	if *at != "" {
		t, err := time.Parse(time.RFC3339, *at)
		if err != nil {
			fmt.Fprintf(env.Stderr, "edi ack: -time: %v\n", err)
			return ExitUsage
		}
		when = t
	}
	// Sets grouped by interchange and group, in input order.
	type key struct{ ic, grp int }
	var order []key
	groups := map[key][]*x12.Set{}
	var rdErr error
	readable := eachFile(env, fs.Args(), false, func(name string, rd *x12.Reader) {
		for rd.Next() {
			s := rd.Set()
			k := key{s.Interchange.Index, s.Group.Index}
			if _, seen := groups[k]; !seen {
				order = append(order, k)
			}
			groups[k] = append(groups[k], s)
		}
		rdErr = rd.Err()
	})
	if !readable {
		return ExitUsage
	}
	if rdErr != nil {
		fmt.Fprintf(env.Stderr, "edi ack: %v\n", rdErr)
	}
	// One reply interchange per received interchange (per GS sender and
	// receiver within it), addressed back to its own sender with the ISA
	// and GS ids swapped: a file from several senders gets several 997s.
	type reply struct {
		first *x12.Set
		acks  []*x12.Ack
	}
	var replies []*reply
	byKey := map[string]*reply{}
	// Interchanges whose envelope failed, or whose ISA14 asks for it, get a
	// TA1; a failed one gets no 997 at all (X12 never accepts its sets).
	type ta1Reply struct {
		first *x12.Set
		ta1   x12.TA1
	}
	var ta1s []ta1Reply
	failedIC := map[int]bool{}
	doneIC := map[int]bool{}
	for _, k := range order {
		if doneIC[k.ic] {
			continue
		}
		doneIC[k.ic] = true
		var envErrs []x12.Issue
		var first *x12.Set
		for _, k2 := range order {
			if k2.ic != k.ic {
				continue
			}
			for _, st := range groups[k2] {
				if first == nil {
					first = st
				}
				envErrs = append(envErrs, x12.EnvelopeErrors(st.Errors)...)
			}
		}
		if len(envErrs) > 0 {
			failedIC[k.ic] = true
		}
		if len(envErrs) > 0 || first.Interchange.AckRequested {
			ta1s = append(ta1s, ta1Reply{first: first, ta1: x12.BuildTA1(*first.Interchange, envErrs)})
		}
	}
	n := int64(0)
	for _, t := range ta1s {
		e := x12.ReplyEnvelope(t.first)
		e.InterchangeControl, e.GroupControl, e.Time, e.Newline = *icn+n, 1, when, *newline // GroupControl unused: a TA1 interchange has no group
		n++
		if e.Usage == "" {
			e.Usage = "P"
		}
		if err := x12.WriteTA1(env.Stdout, e, t.ta1); err != nil {
			fmt.Fprintf(env.Stderr, "edi ack: %v\n", err)
			return ExitFailure
		}
	}
	for _, k := range order {
		sets := groups[k]
		if sets[0].Group.FunctionalID == "FA" || failedIC[k.ic] {
			continue
		}
		a, err := x12.Build997With(sets, x12.AckOptions{Lenient: *lenient})
		if err != nil {
			fmt.Fprintf(env.Stderr, "edi ack: %v\n", err)
			return ExitFailure
		}
		g := sets[0].Group
		rk := fmt.Sprintf("%d|%s|%s|%s", k.ic, g.SenderCode, g.ReceiverCode, g.Version)
		r, ok := byKey[rk]
		if !ok {
			r = &reply{first: sets[0]}
			byKey[rk] = r
			replies = append(replies, r)
		}
		r.acks = append(r.acks, a)
	}
	if len(replies) == 0 && len(ta1s) == 0 {
		fmt.Fprintln(env.Stderr, "edi ack: no functional group to acknowledge (997 groups are never acknowledged)")
		return ExitFailure
	}
	for i, r := range replies {
		e := x12.ReplyEnvelope(r.first)
		e.InterchangeControl, e.GroupControl, e.SetControl, e.Time, e.Newline = *icn+n+int64(i), *gcn+int64(i), 1, when, *newline
		if e.Usage == "" {
			e.Usage = "P"
		}
		if err := x12.Write997(env.Stdout, e, r.acks...); err != nil {
			fmt.Fprintf(env.Stderr, "edi ack: %v\n", err)
			return ExitFailure
		}
	}
	return ExitOK
}
