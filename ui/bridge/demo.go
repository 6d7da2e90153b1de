package bridge

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/ml-connector/ifs-cleo/core/cli"
	"github.com/ml-connector/ifs-cleo/core/sandbox/cleosim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/ifssim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/world"
	"github.com/ml-connector/ifs-cleo/core/secrets"
	"github.com/ml-connector/ifs-cleo/core/store"
)

// Sandboxes are the IFS Cloud and Cleo sandboxes running in this process on
// 127.0.0.1, over one seeded world: what `ml-connector demo` connects to.
type Sandboxes struct {
	World                           *world.World
	IFSURL, IFSTokenURL, Realm      string
	ClientID, ClientSecret, Company string
	CleoURL, CleoUser, CleoPassword string
	servers                         []*http.Server
}

// StartSandboxes serves both sandboxes for world.New(seed) on loopback ports.
func StartSandboxes(seed int64) (*Sandboxes, error) {
	w := world.New(seed)
	isim := ifssim.New(w, ifssim.Config{})
	csim := cleosim.New(w, cleosim.Config{})
	sb := &Sandboxes{World: w, Realm: isim.Realm(), ClientID: ifssim.DefaultClientID, ClientSecret: ifssim.DefaultClientSecret, Company: w.Company.ID}
	sb.CleoUser, sb.CleoPassword = csim.Credentials()
	for i, h := range []http.Handler{isim, csim} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			sb.Close()
			return nil, fmt.Errorf("listen for sandbox: %w", err)
		}
		root := "http://" + ln.Addr().String()
		if i == 0 {
			sb.IFSURL, sb.IFSTokenURL = root, root+isim.TokenPath()
		} else {
			sb.CleoURL = root
		}
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
		sb.servers = append(sb.servers, srv)
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				_ = err // the engine reports the sandbox as unreachable
			}
		}()
	}
	return sb, nil
}

// Close stops both sandboxes.
func (s *Sandboxes) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, srv := range s.servers {
		_ = srv.Shutdown(ctx)
	}
}

// Configure stores the sandbox connections as an admin would: settings in
// the database, the secrets in sec.
func (s *Sandboxes) Configure(ctx context.Context, st *store.Store, sec secrets.Store) error {
	for k, v := range map[string]string{
		cli.SettingIFSURL: s.IFSURL, cli.SettingIFSTokenURL: s.IFSTokenURL, cli.SettingIFSRealm: s.Realm,
		cli.SettingIFSClientID: s.ClientID, cli.SettingIFSCompany: s.Company,
		cli.SettingCleoURL: s.CleoURL, cli.SettingCleoUser: s.CleoUser, SettingCleoTransport: "rest",
		cli.SettingOurQual: s.World.Us.Qualifier, cli.SettingOurID: s.World.Us.ID,
	} {
		if err := st.SetSetting(ctx, "demo", k, v); err != nil {
			return err
		}
	}
	if err := sec.Set(ctx, cli.SecretIFSClient, s.ClientSecret); err != nil {
		return fmt.Errorf("store the IFS secret: %w", err)
	}
	if err := sec.Set(ctx, cli.SecretCleoPassword, s.CleoPassword); err != nil {
		return fmt.Errorf("store the Cleo password: %w", err)
	}
	return nil
}
