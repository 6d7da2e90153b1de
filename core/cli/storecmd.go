package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/ml-connector/ifs-cleo/core/connector"
	"github.com/ml-connector/ifs-cleo/core/locations"
)

func init() {
	Register(Command{Name: "store", Summary: "the database: store show, store password (stdin), store use URL|--desk, store copy --to URL, store role USER clerk|approver|admin", Run: runStore})
}

// storeInfo is what `store show --json` prints.
type storeInfo struct {
	Backend       string `json:"backend"`
	Location      string `json:"location"`
	ChosenBy      string `json:"chosen_by"`
	SchemaVersion int    `json:"schema_version"`
}

func runStore(ctx context.Context, env *Env, args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(env.Stderr, "usage: ml-connector store show [--json] | store password [--secrets-dir DIR] < PASSWORD | store use URL | store use --desk | store copy --to URL")
		return ExitUsage
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "show":
		return storeShow(ctx, env, args)
	case "password":
		return storePassword(ctx, env, args)
	case "use":
		return storeUse(ctx, env, args)
	case "copy":
		return storeCopy(ctx, env, args)
	case "role":
		return storeRole(ctx, env, args)
	}
	fmt.Fprintf(env.Stderr, "store: unknown subcommand %q (show, password, use, copy, role)\n", sub)
	return ExitUsage
}

func storeShow(ctx context.Context, env *Env, args []string) int {
	fs := env.Flags("store show", "store show [--json]")
	asJSON := fs.Bool("json", false, "one JSON object")
	if fs.Parse(args) != nil {
		return ExitUsage
	}
	st, loc, err := openStore(ctx, env)
	if err != nil {
		return fail(env, "store show", err)
	}
	defer st.Close()
	choice, _ := connector.ChooseStore(env.Store, loc)
	v, err := st.SchemaVersion(ctx)
	if err != nil {
		return fail(env, "store show", err)
	}
	info := storeInfo{Backend: st.Backend(), Location: choice.Shown(), ChosenBy: choice.Source, SchemaVersion: v}
	if *asJSON {
		_ = json.NewEncoder(env.Stdout).Encode(info)
		return ExitOK
	}
	fmt.Fprintf(env.Stdout, "backend:  %s\nlocation: %s\nchosen by: %s\nschema:   %d\n", info.Backend, info.Location, info.ChosenBy, info.SchemaVersion)
	return ExitOK
}

// storePassword saves the team database's password from the first line of
// stdin (never a flag: command lines are visible to every user).
func storePassword(ctx context.Context, env *Env, args []string) int {
	fs := env.Flags("store password", "store password [--secrets-dir DIR] < PASSWORD")
	secDir := fs.String("secrets-dir", "", "store the password as a file in this folder instead of the OS keychain")
	if fs.Parse(args) != nil {
		return ExitUsage
	}
	line, err := bufio.NewReader(env.Stdin).ReadString('\n')
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		if err == nil {
			err = fmt.Errorf("empty password")
		}
		return fail(env, "store password", fmt.Errorf("read the password from stdin: %w", err))
	}
	where, err := storeSecrets(ctx, *secDir, map[string]string{connector.StorePasswordKey: pw})
	if err != nil {
		return fail(env, "store password", err)
	}
	fmt.Fprintf(env.Stdout, "team database password saved in %s\n", where)
	return ExitOK
}

// storeUse switches this desk to a team database after opening it (which
// tests the connection, the password and the schema), or back to the
// desk's own file with --desk.
func storeUse(ctx context.Context, env *Env, args []string) int {
	fs := env.Flags("store use", "store use postgres://USER@HOST/DB?sslmode=verify-full | store use --desk")
	desk := fs.Bool("desk", false, "go back to this desk's own SQLite file")
	capable := fs.Bool("leader-capable", false, "this desk may run the team's flows when no server leads (default: a client)")
	if fs.Parse(args) != nil {
		return ExitUsage
	}
	loc, err := env.Locations()
	if err != nil {
		return fail(env, "store use", err)
	}
	if *desk {
		if err := connector.SwitchToTeam(loc, ""); err != nil {
			return fail(env, "store use", err)
		}
		fmt.Fprintf(env.Stdout, "this desk now uses its own database %s\n", loc.Get(locations.Database))
		return ExitOK
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(env.Stderr, "store use: give the team database URL, or --desk")
		return ExitUsage
	}
	choice := connector.StoreChoice{Location: fs.Arg(0), Source: "store use"}
	if !choice.Team() {
		return fail(env, "store use", fmt.Errorf("%q is not a postgres:// URL", fs.Arg(0)))
	}
	if _, err := connector.ChooseStore(choice.Location, loc); err != nil { // refuses a URL with a password
		return fail(env, "store use", err)
	}
	st, err := connector.OpenStore(ctx, choice, secretStore(loc, ""))
	if err != nil {
		return fail(env, "store use", err)
	}
	v, _ := st.SchemaVersion(ctx)
	st.Close()
	if err := connector.SwitchToTeam(loc, choice.Location); err != nil {
		return fail(env, "store use", err)
	}
	if err := connector.SetLeaderCapable(loc, *capable); err != nil {
		return fail(env, "store use", err)
	}
	role := "a client: the flows run in the team's leader"
	if *capable {
		role = "leader-capable: it runs the flows when no other process leads"
	}
	fmt.Fprintf(env.Stdout, "this desk now uses the team database %s (schema %d) as %s\n", choice.Shown(), v, role)
	return ExitOK
}

// storeCopy copies this desk's database into an empty team database.
func storeCopy(ctx context.Context, env *Env, args []string) int {
	fs := env.Flags("store copy", "store copy --to postgres://USER@HOST/DB")
	to := fs.String("to", "", "the empty target database (postgres:// URL or SQLite file)")
	if fs.Parse(args) != nil {
		return ExitUsage
	}
	if *to == "" {
		fmt.Fprintln(env.Stderr, "store copy: --to is required")
		return ExitUsage
	}
	src, loc, err := openStore(ctx, env)
	if err != nil {
		return fail(env, "store copy", err)
	}
	defer src.Close()
	target := connector.StoreChoice{Location: *to, Source: "--to"}
	if target.Team() {
		if _, err := connector.ChooseStore(*to, loc); err != nil { // refuses a URL with a password
			return fail(env, "store copy", err)
		}
	}
	dst, err := connector.OpenStore(ctx, target, secretStore(loc, ""))
	if err != nil {
		return fail(env, "store copy", err)
	}
	defer dst.Close()
	rep, err := src.CopyTo(ctx, dst)
	if err != nil {
		return fail(env, "store copy", err)
	}
	names := make([]string, 0, len(rep.Rows))
	for n := range rep.Rows {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintf(env.Stdout, "copied %s (%s) to %s (%s):\n", src.Path(), src.Backend(), target.Shown(), dst.Backend())
	for _, n := range names {
		fmt.Fprintf(env.Stdout, "  %-16s %d\n", n, rep.Rows[n])
	}
	fmt.Fprintf(env.Stdout, "audit chain on the target: %d events, intact\n", rep.Chain.Events)
	return ExitOK
}

// fail prints a command's error on stderr and returns ExitFailure.
func fail(env *Env, op string, err error) int {
	fmt.Fprintf(env.Stderr, "%s: %v\n", op, err)
	return ExitFailure
}

// storeRole grants a person a role on the database (admins only; the
// store refuses and audits anyone else), or shows one's own role.
func storeRole(ctx context.Context, env *Env, args []string) int {
	fs := env.Flags("store role", "store role [USER [clerk|approver|admin]]")
	if fs.Parse(args) != nil {
		return ExitUsage
	}
	st, _, err := openStore(ctx, env)
	if err != nil {
		return fail(env, "store role", err)
	}
	defer st.Close()
	switch fs.NArg() {
	case 0, 1:
		user := osUser()
		if fs.NArg() == 1 {
			user = fs.Arg(0)
		}
		r, err := st.RoleOf(ctx, user)
		if err != nil {
			return fail(env, "store role", err)
		}
		fmt.Fprintf(env.Stdout, "%s is %s\n", user, r)
		return ExitOK
	case 2:
		if err := st.SetRole(ctx, osUser(), fs.Arg(0), fs.Arg(1)); err != nil {
			return fail(env, "store role", err)
		}
		fmt.Fprintf(env.Stdout, "%s is now %s\n", fs.Arg(0), fs.Arg(1))
		return ExitOK
	}
	fmt.Fprintln(env.Stderr, "store role: give USER and clerk|approver|admin")
	return ExitUsage
}
