// Package serve puts the sandboxes on the network: loopback only, as the
// fixed credentials they hand out require. `ml-connector sandbox` serves
// each sandbox with Loopback; `ml-connector demo` and the UI tests start
// both over one world with StartPair and configure the connections with
// Pair.Configure, exactly as an admin's `connect` would.
package serve

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/ml-connector/ifs-cleo/core/connector"
	"github.com/ml-connector/ifs-cleo/core/sandbox/cleosim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/ifssim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/world"
	"github.com/ml-connector/ifs-cleo/core/secrets"
	"github.com/ml-connector/ifs-cleo/core/store"
)

// LoopbackAddr accepts only loopback listen addresses ("" and port-only
// forms mean 127.0.0.1): the sandboxes hand out fixed credentials and must
// not be reachable from the network.
func LoopbackAddr(a string) (string, error) {
	if a == "" {
		a = "127.0.0.1:0"
	}
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

// Server is one sandbox listening on loopback.
type Server struct {
	Root string // "http://127.0.0.1:port"
	srv  *http.Server
}

// Loopback listens on addr (see LoopbackAddr) and serves h in the
// background; a serve error other than a shutdown goes to errc when it is
// not nil.
func Loopback(addr string, h http.Handler, errc chan<- error) (*Server, error) {
	addr, err := LoopbackAddr(addr)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	s := &Server{Root: "http://" + ln.Addr().String(), srv: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) && errc != nil {
			errc <- err
		}
	}()
	return s, nil
}

// Shutdown stops the server, letting requests in flight finish until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error { return s.srv.Shutdown(ctx) }

// Pair is the IFS Cloud and Cleo sandboxes over one seeded world, both on
// loopback: what `ml-connector demo` connects to.
type Pair struct {
	World *world.World
	IFS   *ifssim.Server
	Cleo  *cleosim.Server
	// IFSURL, IFSTokenURL and CleoURL are where the clients connect.
	IFSURL, IFSTokenURL, CleoURL string
	servers                      []*Server
}

// StartPair serves both sandboxes for world.New(seed) on free loopback ports.
func StartPair(seed int64, icfg ifssim.Config, ccfg cleosim.Config) (*Pair, error) {
	w := world.New(seed)
	p := &Pair{World: w, IFS: ifssim.New(w, icfg), Cleo: cleosim.New(w, ccfg)}
	is, err := Loopback("", p.IFS, nil)
	if err != nil {
		return nil, fmt.Errorf("the IFS sandbox: %w", err)
	}
	p.servers = append(p.servers, is)
	cs, err := Loopback("", p.Cleo, nil)
	if err != nil {
		p.Close()
		return nil, fmt.Errorf("the Cleo sandbox: %w", err)
	}
	p.servers = append(p.servers, cs)
	p.IFSURL, p.IFSTokenURL, p.CleoURL = is.Root, is.Root+p.IFS.TokenPath(), cs.Root
	return p, nil
}

// Close stops both sandboxes.
func (p *Pair) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, s := range p.servers {
		_ = s.Shutdown(ctx)
	}
}

// Settings are the connection settings for this pair (REST to Cleo).
func (p *Pair) Settings() connector.Settings {
	user, _ := p.Cleo.Credentials()
	return connector.Settings{
		IFS: connector.IFSSettings{URL: p.IFSURL, TokenURL: p.IFSTokenURL, Realm: p.IFS.Realm(), ClientID: ifssim.DefaultClientID,
			Company: p.World.Company.ID},
		Cleo:         connector.CleoSettings{Transport: connector.TransportREST, URL: p.CleoURL, User: user},
		OurQualifier: p.World.Us.Qualifier, OurID: p.World.Us.ID,
	}
}

// Configure stores the pair's connections as an admin would: the settings
// in st (through connector.Settings), the secrets in sec.
func (p *Pair) Configure(ctx context.Context, st *store.Store, sec secrets.Store) error {
	if err := p.Settings().Save(ctx, st, store.SystemActor); err != nil {
		return err
	}
	if err := sec.Set(ctx, connector.SecretIFSClient, ifssim.DefaultClientSecret); err != nil {
		return fmt.Errorf("store the IFS secret: %w", err)
	}
	_, pass := p.Cleo.Credentials()
	if err := sec.Set(ctx, connector.SecretCleoPassword, pass); err != nil {
		return fmt.Errorf("store the Cleo password: %w", err)
	}
	return nil
}
