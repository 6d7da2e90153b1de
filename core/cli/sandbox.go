package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/ml-connector/ifs-cleo/core/sandbox/cleosim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/ifssim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/serve"
	"github.com/ml-connector/ifs-cleo/core/sandbox/world"
)

// sandboxOptions are the flags every sandbox may read.
type sandboxOptions struct {
	Seed          int64
	RateLimit     int           // IFS requests a minute per client; 0 disables
	TokenLifetime time.Duration // announced token lifetime
	PageSize      int
	CleoPageSize  int  // Cleo's page cap (0: drawn per run among cleosim.PageCaps)
	LatencyMS     int  // added to every call of every sandbox (--latency-ms)
	HistoryLog    bool // IFS history logging for purchase orders
	// IFSFaults is the IFS sandbox's effective fault injection: --faults
	// FILE over the defaults, then the individual fault flags.
	IFSFaults ifssim.Faults
	// FaultSeed seeds the IFS faults' random source (0: the world seed).
	FaultSeed int64
	// ObjstateFilter400 imitates the tenant that rejects every Objstate filter.
	ObjstateFilter400 bool
	// DuplicateWarnOnly accepts duplicate supplier invoice numbers.
	DuplicateWarnOnly bool
	// Links are the IFS payload URL forms (nil: drawn at random per run).
	Links *ifssim.LinkForms
	// EmptyInbox starts the Cleo sandbox without its seeded inbound files
	// (a backlog is then injected through its control API).
	EmptyInbox bool
	// OrderCopies adds that many copies of the world's open orders
	// (world.AddCopies, numbered XO00001…): a month-end's worth of orders.
	OrderCopies int
}

// sandboxKind is one sandbox "ml-connector sandbox" can run. Each kind gets
// a --<name>-listen flag and a "<name>" section in the info file. The IFS
// sandbox is registered below; the Cleo sandbox adds itself to sandboxKinds
// (from this file or its own), nothing else needs to change.
type sandboxKind struct {
	Name  string // "ifs", "cleo": flag prefix and info key
	Title string // for the console line
	// Build makes the handler over the shared world. info returns the info
	// file section once the root URL ("http://127.0.0.1:port") is known.
	Build func(w *world.World, opt sandboxOptions) (h http.Handler, info func(root string) any, err error)
}

// sandboxKinds are run in this order.
var sandboxKinds = []sandboxKind{
	{Name: "ifs", Title: "IFS Cloud", Build: buildIFSSandbox},
}

// sandboxListenFlags are the listen flags of the scripting contract. A flag
// whose sandbox is not built yet (cleo) is accepted and ignored.
var sandboxListenFlags = []string{"ifs", "cleo"}

// ifsInfo is the "ifs" section of the info file.
type ifsInfo struct {
	URL          string `json:"url"`
	TokenURL     string `json:"token_url"`
	Realm        string `json:"realm"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	Company      string `json:"company"`
	ControlURL   string `json:"control_url"`
	// LimitedClientID/Secret have no grant for anything but purchase orders (403 tests).
	LimitedClientID     string `json:"limited_client_id"`
	LimitedClientSecret string `json:"limited_client_secret"`
}

func buildIFSSandbox(w *world.World, opt sandboxOptions) (http.Handler, func(string) any, error) {
	cfg := ifssim.Config{TokenLifetime: opt.TokenLifetime, PageSize: opt.PageSize, HistoryLog: opt.HistoryLog,
		Faults: opt.IFSFaults, FaultSeed: opt.FaultSeed, ObjstateFilterAlways400: opt.ObjstateFilter400,
		DuplicateInvoiceWarnOnly: opt.DuplicateWarnOnly, Links: opt.Links}
	s := ifssim.New(w, cfg)
	info := func(root string) any {
		return ifsInfo{
			URL: root, TokenURL: root + s.TokenPath(), Realm: s.Realm(),
			ClientID: ifssim.DefaultClientID, ClientSecret: ifssim.DefaultClientSecret,
			Company: w.Company.ID, ControlURL: root + s.ControlPrefix(),
			LimitedClientID: ifssim.LimitedClientID, LimitedClientSecret: ifssim.LimitedClientSecret,
		}
	}
	return s, info, nil
}

func init() {
	Register(Command{
		Name:    "sandbox",
		Summary: "run the IFS Cloud (and Cleo) sandboxes on 127.0.0.1 for tests and demos",
		Run:     runSandbox,
	})
}

// sandboxUsage is the head of "ml-connector sandbox -h"; every flag's own
// line follows it.
const sandboxUsage = `sandbox [flags]

Runs the IFS Cloud and Cleo sandboxes on 127.0.0.1 until SIGINT/SIGTERM. Once
they listen, --info FILE gets {"ifs": {url, token_url, realm, client_id,
client_secret, company, control_url, ...}, "cleo": {url, username, password,
control_url, token_url}}.

IFS fault injection (not IFS behaviour; for resilience tests and demos) is set
by --faults FILE and the individual fault flags, and changed at run time
through the control API at <control_url> (GET/PUT faults, POST
lose-next-writes, POST invoices/{id}, POST tokens/expire, POST reset, GET
stats). --faults FILE is JSON as GET <control_url>/faults shows it, e.g.

  {"rate_limit_per_minute": 1000, "rate_burst": 16, "server_rate_limit_per_minute": 0,
   "error_429_rate": 0.01, "error_503_rate": 0.05, "gateway_502_rate": 0.02, "latency_ms": 25,
   "token_lifetime_s": 0, "concurrent_edit_rate": 0, "concurrent_edits": 0,
   "lost_answer_rate": 0.01, "lost_answers": 0, "lost_answer_mode": "gateway"}

Fields missing from the file keep their defaults (rate limit 1000 a minute
per client, everything else off); a fault flag given on the command line
wins over the file.

Flags:`

// sandboxFlags are the command's flags and where they land.
type sandboxFlags struct {
	listen     map[string]*string
	infoPath   *string
	faultsFile *string
	links      *string
	opt        sandboxOptions
	// Individual IFS fault flags; they override --faults only when given.
	rateBurst, serverRate, tokenLifetimeS     int
	err429, err503, gw502, lostRate, editRate float64
	lostMode                                  string
}

func newSandboxFlags(env *Env) (*flag.FlagSet, *sandboxFlags) {
	fs := env.Flags("sandbox", sandboxUsage)
	f := &sandboxFlags{listen: map[string]*string{}}
	for _, name := range sandboxListenFlags {
		f.listen[name] = fs.String(name+"-listen", "127.0.0.1:0", "address of the "+name+" sandbox on the loopback interface (port 0: any free port)")
	}
	opt := &f.opt
	fs.Int64Var(&opt.Seed, "seed", 1, "seed of the sandbox world (same seed, same data)")
	f.infoPath = fs.String("info", "", "write the URLs and credentials as JSON to this `file` once listening")
	fs.DurationVar(&opt.TokenLifetime, "token-lifetime", 180*time.Second, "token lifetime (expires_in) announced by the IFS token endpoint")
	fs.IntVar(&opt.PageSize, "page-size", 100, "IFS server-driven page size (rows before @odata.nextLink)")
	fs.IntVar(&opt.CleoPageSize, "cleo-page-size", 0, "most resources a Cleo page holds, whatever count the client asks for (0: drawn per run from $"+
		ifssim.SeedEnv+" among "+fmt.Sprint(cleosim.PageCaps)+"; Cleo's own client asks for 100)")
	fs.BoolVar(&opt.HistoryLog, "history-log", true, "IFS writes History Log entries when purchase orders change")
	fs.BoolVar(&opt.ObjstateFilter400, "objstate-filter-400", false,
		"imitate the IFS tenant that answers 400 to every $filter touching Objstate (clients must filter states themselves)")
	fs.BoolVar(&opt.DuplicateWarnOnly, "duplicate-invoice-warn-only", false,
		"IFS accepts a duplicate supplier+invoice number instead of answering 400 DATABASE_ERROR (company setting)")
	f.links = fs.String("links", "random", "URL forms of the IFS payloads: random (drawn per run from $"+ifssim.SeedEnv+
		"), absolute, or a comma list of relative-next, relative-context, skip-paging")
	fs.Int64Var(&opt.FaultSeed, "fault-seed", 0, "seed of the IFS faults' random choices (0: the world --seed)")

	f.faultsFile = fs.String("faults", "", "IFS fault injection as a JSON `file` (format above); fault flags override it")
	fs.IntVar(&opt.RateLimit, "rate-limit", ifssim.DefaultRateLimit, "IFS requests a minute per IAM client before 429 + Retry-After (0: no limit)")
	fs.IntVar(&f.rateBurst, "rate-burst", 0, "IFS rate-limit burst per client (0: a second's worth of --rate-limit)")
	fs.IntVar(&f.serverRate, "server-rate-limit", 0, "IFS requests a minute for all clients together before 429 (0: no overall cap)")
	fs.Float64Var(&f.err429, "error-429-rate", 0, "share (0..1) of IFS calls answered 429 with Retry-After whatever the client's rate (fair-use throttling)")
	fs.Float64Var(&f.err503, "error-503-rate", 0, "share (0..1) of IFS calls answered 503 SERVICE_UNAVAILABLE with Retry-After")
	fs.Float64Var(&f.gw502, "gateway-502-rate", 0, "share (0..1) of IFS calls answered by the gateway's HTML 502 page (nothing processed)")
	fs.Float64Var(&f.lostRate, "lost-answer-rate", 0,
		"share (0..1) of committed IFS writes whose answer is lost: stored, but the client gets --lost-answer-mode")
	fs.StringVar(&f.lostMode, "lost-answer-mode", ifssim.LostGateway, `how an IFS answer is lost: "gateway" (HTML 502) or "reset" (connection reset)`)
	fs.IntVar(&opt.LatencyMS, "latency-ms", 0, "milliseconds added to every IFS and Cleo sandbox call")
	fs.BoolVar(&opt.EmptyInbox, "empty-inbox", false, "start the Cleo sandbox without its seeded inbound files (inject them through its control API)")
	fs.IntVar(&opt.OrderCopies, "order-copies", 0, "add this many copies of the world's open orders, numbered XO00001… (load tests: many orders, a few invoices each)")
	fs.IntVar(&f.tokenLifetimeS, "token-expiry-s", 0, "IFS tokens die after this many seconds while announcing --token-lifetime (0: they live as announced)")
	fs.Float64Var(&f.editRate, "concurrent-edit-rate", 0,
		"share (0..1) of IFS single-record GETs after which a \"concurrent user\" changes the record (the next PATCH gets 412)")
	return fs, f
}

// faults builds the IFS faults: defaults, then --faults FILE, then the
// fault flags given on the command line.
func (f *sandboxFlags) faults(fs *flag.FlagSet) (ifssim.Faults, error) {
	out := ifssim.Faults{RateLimitPerMinute: ifssim.DefaultRateLimit}
	if *f.faultsFile != "" {
		b, err := os.ReadFile(*f.faultsFile)
		if err != nil {
			return out, fmt.Errorf("--faults: %w", err)
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&out); err != nil {
			return out, fmt.Errorf("--faults %s: %w", *f.faultsFile, err)
		}
	}
	fs.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "rate-limit":
			out.RateLimitPerMinute = f.opt.RateLimit
		case "rate-burst":
			out.RateBurst = f.rateBurst
		case "server-rate-limit":
			out.ServerRateLimitPerMinute = f.serverRate
		case "error-429-rate":
			out.Error429Rate = f.err429
		case "error-503-rate":
			out.Error503Rate = f.err503
		case "gateway-502-rate":
			out.Gateway502Rate = f.gw502
		case "lost-answer-rate":
			out.LostAnswerRate = f.lostRate
		case "lost-answer-mode":
			out.LostAnswerMode = f.lostMode
		case "latency-ms":
			out.LatencyMS = f.opt.LatencyMS
		case "token-expiry-s":
			out.TokenLifetimeS = f.tokenLifetimeS
		case "concurrent-edit-rate":
			out.ConcurrentEditRate = f.editRate
		}
	})
	if err := out.Validate(); err != nil {
		return out, fmt.Errorf("IFS faults: %w", err)
	}
	return out, nil
}

func runSandbox(ctx context.Context, env *Env, args []string) int {
	fs, flags := newSandboxFlags(env)
	if code, ok := Parse(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "sandbox: unexpected argument %q\n", fs.Arg(0))
		return ExitUsage
	}
	opt := flags.opt
	var err error
	if opt.IFSFaults, err = flags.faults(fs); err != nil {
		fmt.Fprintf(env.Stderr, "sandbox: %v\n", err)
		return ExitUsage
	}
	if opt.OrderCopies < 0 {
		fmt.Fprintf(env.Stderr, "sandbox: --order-copies must not be negative (%d)\n", opt.OrderCopies)
		return ExitUsage
	}
	if opt.Links, err = ifssim.ParseLinkForms(*flags.links); err != nil {
		fmt.Fprintf(env.Stderr, "sandbox: --links: %v\n", err)
		return ExitUsage
	}
	listen, infoPath := flags.listen, flags.infoPath
	addrs := map[string]string{}
	for name, p := range listen {
		a, err := serve.LoopbackAddr(*p)
		if err != nil {
			fmt.Fprintf(env.Stderr, "sandbox: --%s-listen: %v\n", name, err)
			return ExitUsage
		}
		addrs[name] = a
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	w := world.New(opt.Seed)
	w.AddCopies(opt.OrderCopies, "XO", world.OpenStates...)
	info := map[string]any{}
	var servers []*serve.Server
	errc := make(chan error, len(sandboxKinds))
	shutdown := func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		for _, s := range servers {
			_ = s.Shutdown(sctx)
		}
	}
	for _, k := range sandboxKinds {
		h, infoFn, err := k.Build(w, opt)
		if err != nil {
			fmt.Fprintf(env.Stderr, "sandbox: build %s sandbox: %v\n", k.Name, err)
			shutdown()
			return ExitFailure
		}
		srv, err := serve.Loopback(addrs[k.Name], h, errc)
		if err != nil {
			fmt.Fprintf(env.Stderr, "sandbox: %s sandbox: %v\n", k.Name, err)
			shutdown()
			return ExitFailure
		}
		servers = append(servers, srv)
		root := srv.Root
		info[k.Name] = infoFn(root)
		fmt.Fprintf(env.Stdout, "%s sandbox listening on %s\n", k.Title, root)
	}
	// All console output is written before the info file appears, so a
	// script that waits for the file sees the complete startup banner.
	fmt.Fprintf(env.Stdout, "IFS faults: %s\n", describeFaults(opt.IFSFaults))
	fmt.Fprintf(env.Stdout, "seed %d; stop with Ctrl+C\n", opt.Seed)
	if *infoPath != "" {
		if err := writeInfoFile(*infoPath, info); err != nil {
			fmt.Fprintf(env.Stderr, "sandbox: %v\n", err)
			shutdown()
			return ExitFailure
		}
	}
	code := ExitOK
	select {
	case <-ctx.Done():
	case err := <-errc:
		fmt.Fprintf(env.Stderr, "sandbox: %v\n", err)
		code = ExitFailure
	}
	shutdown()
	return code
}

// writeInfoFile writes the info JSON atomically, so a script polling for the
// file never reads half of it.
func writeInfoFile(path string, info map[string]any) error {
	b, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return fmt.Errorf("encode info: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".sandbox-info-*")
	if err != nil {
		return fmt.Errorf("write info %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("write info %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write info %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write info %s: %w", path, err)
	}
	return nil
}

// describeFaults is the one-line summary of the IFS faults on the console.
func describeFaults(f ifssim.Faults) string {
	var parts []string
	if f.RateLimitPerMinute > 0 {
		parts = append(parts, fmt.Sprintf("%d requests/min per client", f.RateLimitPerMinute))
	}
	if f.ServerRateLimitPerMinute > 0 {
		parts = append(parts, fmt.Sprintf("%d requests/min in all", f.ServerRateLimitPerMinute))
	}
	for _, r := range []struct {
		name string
		v    float64
	}{{"random 429", f.Error429Rate}, {"503", f.Error503Rate}, {"HTML 502", f.Gateway502Rate}, {"concurrent edits", f.ConcurrentEditRate}} {
		if r.v > 0 {
			parts = append(parts, fmt.Sprintf("%s %g%%", r.name, r.v*100))
		}
	}
	if f.LostAnswerRate > 0 || f.LostAnswers > 0 {
		mode := f.LostAnswerMode
		if mode == "" {
			mode = ifssim.LostGateway
		}
		parts = append(parts, fmt.Sprintf("lost answers %g%% + next %d (%s)", f.LostAnswerRate*100, f.LostAnswers, mode))
	}
	if f.LatencyMS > 0 {
		parts = append(parts, fmt.Sprintf("+%d ms", f.LatencyMS))
	}
	if f.TokenLifetimeS > 0 {
		parts = append(parts, fmt.Sprintf("tokens die after %d s", f.TokenLifetimeS))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}
