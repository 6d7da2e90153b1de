package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/ml-connector/ifs-cleo/core/sandbox/ifssim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/world"
)

// sandboxOptions are the flags every sandbox may read.
type sandboxOptions struct {
	Seed          int64
	RateLimit     int           // requests a minute; 0 disables
	TokenLifetime time.Duration // announced token lifetime
	PageSize      int
	LatencyMS     int
	HistoryLog    bool // IFS history logging for purchase orders
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
	cfg := ifssim.Config{TokenLifetime: opt.TokenLifetime, PageSize: opt.PageSize, HistoryLog: opt.HistoryLog}
	cfg.Faults.RateLimitPerMinute = opt.RateLimit
	cfg.Faults.LatencyMS = opt.LatencyMS
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

func runSandbox(ctx context.Context, env *Env, args []string) int {
	fs := env.Flags("sandbox", "sandbox [--ifs-listen ADDR] [--cleo-listen ADDR] [--seed N] [--info FILE]")
	listen := map[string]*string{}
	for _, name := range sandboxListenFlags {
		listen[name] = fs.String(name+"-listen", "127.0.0.1:0", "address of the "+name+" sandbox on the loopback interface (port 0: any free port)")
	}
	var opt sandboxOptions
	fs.Int64Var(&opt.Seed, "seed", 1, "seed of the sandbox world (same seed, same data)")
	infoPath := fs.String("info", "", "write the URLs and credentials as JSON to this file once listening")
	fs.IntVar(&opt.RateLimit, "rate-limit", ifssim.DefaultRateLimit, "IFS requests a minute before 429 (0: no limit)")
	fs.DurationVar(&opt.TokenLifetime, "token-lifetime", 180*time.Second, "token lifetime announced by the IFS token endpoint")
	fs.IntVar(&opt.PageSize, "page-size", 100, "IFS server-driven page size")
	fs.IntVar(&opt.LatencyMS, "latency-ms", 0, "latency added to every sandbox call")
	fs.BoolVar(&opt.HistoryLog, "history-log", true, "IFS writes History Log entries when purchase orders change")
	if code, ok := Parse(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "sandbox: unexpected argument %q\n", fs.Arg(0))
		return ExitUsage
	}
	addrs := map[string]string{}
	for name, p := range listen {
		a, err := loopbackAddr(*p)
		if err != nil {
			fmt.Fprintf(env.Stderr, "sandbox: --%s-listen: %v\n", name, err)
			return ExitUsage
		}
		addrs[name] = a
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	w := world.New(opt.Seed)
	info := map[string]any{}
	var servers []*http.Server
	var wg sync.WaitGroup
	errc := make(chan error, len(sandboxKinds))
	shutdown := func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		for _, s := range servers {
			s.Shutdown(sctx)
		}
		wg.Wait()
	}
	for _, k := range sandboxKinds {
		h, infoFn, err := k.Build(w, opt)
		if err != nil {
			fmt.Fprintf(env.Stderr, "sandbox: build %s sandbox: %v\n", k.Name, err)
			shutdown()
			return ExitFailure
		}
		ln, err := net.Listen("tcp", addrs[k.Name])
		if err != nil {
			fmt.Fprintf(env.Stderr, "sandbox: listen for %s sandbox: %v\n", k.Name, err)
			shutdown()
			return ExitFailure
		}
		root := "http://" + ln.Addr().String()
		info[k.Name] = infoFn(root)
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
		servers = append(servers, srv)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("%s sandbox: %w", k.Name, err)
			}
		}()
		fmt.Fprintf(env.Stdout, "%s sandbox listening on %s\n", k.Title, root)
	}
	// All console output is written before the info file appears, so a
	// script that waits for the file sees the complete startup banner.
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

// loopbackAddr accepts only loopback listen addresses: the sandboxes hand
// out fixed credentials and must not be reachable from the network.
func loopbackAddr(a string) (string, error) {
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		return "", err
	}
	switch host {
	case "", "127.0.0.1", "localhost":
		host = "127.0.0.1"
	case "::1":
	default:
		return "", fmt.Errorf("%s is not a loopback address; the sandbox only listens on 127.0.0.1", host)
	}
	return net.JoinHostPort(host, port), nil
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
