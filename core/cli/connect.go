package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ml-connector/ifs-cleo/core/cleo"
	"github.com/ml-connector/ifs-cleo/core/connector"
	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/secrets"
)

func init() {
	Register(Command{Name: "connect", Summary: "configure the IFS and Cleo connections (--sandbox INFO.json)", Run: runConnect})
}

// sandboxInfo is the part of the sandbox --info file connect reads.
type sandboxInfo struct {
	IFS struct {
		URL          string `json:"url"`
		TokenURL     string `json:"token_url"`
		Realm        string `json:"realm"`
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
		Company      string `json:"company"`
	} `json:"ifs"`
	Cleo struct {
		URL      string `json:"url"`
		Username string `json:"username"`
		Password string `json:"password"`
	} `json:"cleo"`
}

// cleoFlags are the connect flags of the file transports (sftp, folder).
type cleoFlags struct {
	transport, host, hostKey, knownHosts, root, partners, ourID string
	perPartner                                                  bool
	keyFile, passphraseFile                                     string
}

func runConnect(ctx context.Context, env *Env, args []string) int {
	fs := env.Flags("connect", "connect --sandbox INFO.json | connect --ifs-url U --ifs-client-id C --ifs-company X --ifs-secret-file F "+
		"[--cleo-transport rest] --cleo-url U --cleo-username N --cleo-password-file F | "+
		"... --cleo-transport sftp --cleo-host H:P --cleo-username N (--cleo-password-file F | --cleo-key-file K) (--cleo-host-key SHA256:… | --cleo-known-hosts F) [--cleo-root DIR] [--cleo-partners ALIAS=QUAL:ID,…] | "+
		"... --cleo-transport folder --cleo-root DIR [--cleo-partners …] [--secrets-dir DIR] [--no-test]")
	infoPath := fs.String("sandbox", "", "sandbox --info file to take both connections from")
	var manual sandboxInfo
	var cf cleoFlags
	fs.StringVar(&manual.IFS.URL, "ifs-url", "", "IFS host root, e.g. https://acme.ifs.cloud")
	fs.StringVar(&manual.IFS.TokenURL, "ifs-token-url", "", "IFS token endpoint (default from --ifs-realm)")
	fs.StringVar(&manual.IFS.Realm, "ifs-realm", "", "IFS IAM realm")
	fs.StringVar(&manual.IFS.ClientID, "ifs-client-id", "", "IFS IAM client id")
	fs.StringVar(&manual.IFS.Company, "ifs-company", "", "IFS company invoices are posted in")
	ifsSecretFile := fs.String("ifs-secret-file", "", "file holding the IFS client secret (never give secrets on the command line)")
	ifsProfile := fs.String("ifs-profile", "", "IFS resource profile (JSON) naming the tenant's projections and fields; default: the built-in one")
	ifsCA := fs.String("ifs-ca-file", "", "PEM CA bundle to trust for IFS besides the system roots (private certificates)")
	cleoCA := fs.String("cleo-ca-file", "", "PEM CA bundle to trust for Cleo REST besides the system roots")
	fs.StringVar(&cf.transport, "cleo-transport", connector.TransportREST, "how Cleo is reached: rest, sftp (mailbox) or folder (local or mounted mailbox)")
	fs.StringVar(&manual.Cleo.URL, "cleo-url", "", "Cleo REST host root")
	fs.StringVar(&manual.Cleo.Username, "cleo-username", "", "Cleo API or SFTP user")
	cleoPassFile := fs.String("cleo-password-file", "", "file holding the Cleo REST or SFTP password")
	fs.StringVar(&cf.keyFile, "cleo-key-file", "", "sftp: private key (PEM) to log in with; stored as a secret")
	fs.StringVar(&cf.passphraseFile, "cleo-key-passphrase-file", "", "sftp: file holding the private key's passphrase")
	fs.StringVar(&cf.host, "cleo-host", "", "sftp: server host:port")
	fs.StringVar(&cf.hostKey, "cleo-host-key", "", "sftp: the server's host-key fingerprint, SHA256:… as ssh-keygen -lf prints it")
	fs.StringVar(&cf.knownHosts, "cleo-known-hosts", "", "sftp: known_hosts file pinning the server's key (instead of --cleo-host-key)")
	fs.StringVar(&cf.root, "cleo-root", "", "sftp: mailbox folder on the server; folder: the mailbox folder")
	fs.BoolVar(&cf.perPartner, "cleo-per-partner", false, "sftp/folder: one subfolder per partner alias (inbox/ACME/…)")
	fs.StringVar(&cf.partners, "cleo-partners", "", "sftp/folder: the mailbox's partners, ALIAS=QUAL:ID[@IFS_SUPPLIER] separated by commas")
	fs.StringVar(&cf.ourID, "our-id", "", "our X12 id as QUAL:ID (read from the Cleo partners when the REST transport is used)")
	secDir := fs.String("secrets-dir", "", "store secrets as files in this folder instead of the OS keychain")
	noTest := fs.Bool("no-test", false, "do not test the connections")
	if code, ok := Parse(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 || (*infoPath == "") == (manual.IFS.URL == "") {
		fmt.Fprintln(env.Stderr, "connect: give --sandbox INFO.json, or the --ifs-* and --cleo-* flags")
		return ExitUsage
	}
	var info sandboxInfo
	secretsOut := map[string]string{}
	if *infoPath != "" {
		b, err := os.ReadFile(*infoPath)
		if err != nil {
			fmt.Fprintf(env.Stderr, "connect: %v\n", err)
			return ExitUsage
		}
		if err := json.Unmarshal(b, &info); err != nil {
			fmt.Fprintf(env.Stderr, "connect: %s is not a sandbox info file: %v\n", *infoPath, err)
			return ExitUsage
		}
		cf = cleoFlags{transport: connector.TransportREST}
	} else {
		info = manual
		files := []struct {
			path     string
			key      string
			what     string
			required bool
		}{{*ifsSecretFile, connector.SecretIFSClient, "--ifs-secret-file", true},
			{*cleoPassFile, connector.SecretCleoPassword, "--cleo-password-file", cf.transport == connector.TransportREST},
			{cf.keyFile, connector.SecretCleoKey, "--cleo-key-file", false},
			{cf.passphraseFile, connector.SecretCleoKeyPassphrase, "--cleo-key-passphrase-file", false}}
		for _, f := range files {
			if f.path == "" {
				if f.required {
					fmt.Fprintf(env.Stderr, "connect: %s is required\n", f.what)
					return ExitUsage
				}
				continue
			}
			b, err := os.ReadFile(f.path)
			if err != nil {
				fmt.Fprintf(env.Stderr, "connect: %s: %v\n", f.what, err)
				return ExitUsage
			}
			v := string(b)
			if f.key != connector.SecretCleoKey {
				v = strings.TrimRight(v, "\r\n")
			}
			secretsOut[f.key] = v
		}
		if cf.transport == connector.TransportSFTP && *cleoPassFile == "" && cf.keyFile == "" {
			fmt.Fprintln(env.Stderr, "connect: sftp needs --cleo-password-file or --cleo-key-file")
			return ExitUsage
		}
	}
	if info.IFS.ClientSecret != "" {
		secretsOut[connector.SecretIFSClient] = info.IFS.ClientSecret
	}
	if info.Cleo.Password != "" {
		secretsOut[connector.SecretCleoPassword] = info.Cleo.Password
	}
	set := connector.Settings{
		IFS: connector.IFSSettings{URL: info.IFS.URL, TokenURL: info.IFS.TokenURL, Realm: info.IFS.Realm, ClientID: info.IFS.ClientID,
			Company: info.IFS.Company},
		Cleo: connector.CleoSettings{Transport: cf.transport, URL: info.Cleo.URL, User: info.Cleo.Username, Host: cf.host,
			HostKey: cf.hostKey, KnownHosts: cf.knownHosts, Root: cf.root, Partners: cf.partners, PerPartner: cf.perPartner},
	}
	// Paths are stored absolute, so the daemon finds them whatever its working directory.
	for _, f := range []struct {
		flag, path string
		dst        *string
	}{{"--ifs-profile", *ifsProfile, &set.IFS.Profile}, {"--ifs-ca-file", *ifsCA, &set.IFS.CAFile}, {"--cleo-ca-file", *cleoCA, &set.Cleo.CAFile}} {
		if f.path == "" {
			continue
		}
		abs, err := filepath.Abs(f.path)
		if err == nil {
			_, err = os.Stat(abs)
		}
		if err != nil {
			fmt.Fprintf(env.Stderr, "connect: %s: %v\n", f.flag, err)
			return ExitUsage
		}
		*f.dst = abs
	}
	if cf.ourID != "" {
		q, id, ok := strings.Cut(cf.ourID, ":")
		if !ok || q == "" || id == "" {
			fmt.Fprintln(env.Stderr, "connect: --our-id must be QUAL:ID, e.g. ZZ:OURCO")
			return ExitUsage
		}
		set.OurQualifier, set.OurID = q, id
	}
	switch cf.transport {
	case connector.TransportREST, connector.TransportSFTP, connector.TransportFolder:
	default:
		fmt.Fprintf(env.Stderr, "connect: unknown --cleo-transport %q (want rest, sftp or folder)\n", cf.transport)
		return ExitUsage
	}
	if err := connector.Check(set.Map()); err != nil {
		fmt.Fprintf(env.Stderr, "connect: %v\n", err)
		return ExitUsage
	}
	if err := set.Validate(); err != nil {
		fmt.Fprintf(env.Stderr, "connect: --cleo-partners: %v\n", err)
		return ExitUsage
	}
	// Our X12 id: what the partners expect as receiver (only the REST API
	// knows it; file mailboxes take --our-id).
	if cf.transport == connector.TransportREST && cf.ourID == "" {
		if cc, err := cleo.NewREST(cleo.RESTConfig{BaseURL: info.Cleo.URL, Username: info.Cleo.Username, Password: secretsOut[connector.SecretCleoPassword]}); err == nil {
			pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			if ps, err := cc.Partners(pctx); err == nil {
				for _, p := range ps {
					if p.OurID != "" {
						set.OurQualifier, set.OurID = p.OurQualifier, p.OurID
						break
					}
				}
			}
			cancel()
			cc.Close()
		}
	}
	st, loc, err := openStore(ctx, env)
	if err != nil {
		fmt.Fprintf(env.Stderr, "connect: %v\n", err)
		return ExitFailure
	}
	if set.OurID == "" {
		// Neither --our-id nor the REST API said: keep what was configured.
		if old, err := connector.LoadSettings(ctx, st); err == nil {
			set.OurQualifier, set.OurID = old.OurQualifier, old.OurID
		}
	}
	if err := set.Save(ctx, st, osUser()); err != nil {
		st.Close()
		fmt.Fprintf(env.Stderr, "connect: %v\n", err)
		return ExitFailure
	}
	where, err := storeSecrets(ctx, *secDir, secretsOut)
	if err != nil {
		st.Close()
		fmt.Fprintf(env.Stderr, "connect: %v\n", err)
		return ExitFailure
	}
	fmt.Fprintf(env.Stdout, "connections saved; secrets in %s\n", where)
	defer st.Close()
	if *noTest {
		return ExitOK
	}
	// Each connection is tested on its own, so a broken Cleo setup still
	// shows whether IFS works.
	o := connector.Options{Store: st, Secrets: secretStore(loc, *secDir), Logger: env.Logger}
	tctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	code := ExitOK
	for _, r := range []domain.TestReport{connector.TestIFS(tctx, o), connector.TestCleo(tctx, o)} {
		for _, s := range r.Steps {
			mark := "ok  "
			if s.OK && s.Warning {
				mark = "WARN"
			}
			if !s.OK {
				mark = "FAIL"
				if s.Skipped {
					mark = "skip"
				}
			}
			fmt.Fprintf(env.Stdout, "%s %-10s %s: %s\n", mark, r.Target, s.Name, s.Detail)
			if (!s.OK || s.Warning) && s.Fix != "" {
				fmt.Fprintf(env.Stdout, "     fix: %s\n", s.Fix)
			}
		}
		if !r.OK() {
			code = ExitFailure
		}
	}
	return code
}

// ErrNoKeychain refuses to store secrets when no keychain answers and the
// admin chose no other place: they are never written as plain files behind
// the admin's back.
var ErrNoKeychain = errors.New(secrets.NoKeychainAdvice)

// storeSecrets puts secrets in the keychain, or in plain 0600 files under
// dir when the admin named one (--secrets-dir). Without a usable keychain
// and without dir it stores nothing and returns ErrNoKeychain, unless the
// service gets its secrets from systemd credentials ($CREDENTIALS_DIRECTORY),
// which connect never writes.
func storeSecrets(ctx context.Context, dir string, vals map[string]string) (string, error) {
	if dir == "" {
		kr := secrets.NewKeyring(10 * time.Second)
		var done []string
		var err error
		for k, v := range vals {
			if err = kr.Set(ctx, k, v); err != nil {
				break
			}
			done = append(done, k)
		}
		if err == nil {
			return "the OS keychain", nil
		}
		for _, k := range done {
			_ = kr.Delete(ctx, k) // all or nothing
		}
		if !errors.Is(err, secrets.ErrUnavailable) {
			return "", err
		}
		if cd, ok := secrets.CredentialsDirFromEnv(); ok {
			var missing []string
			for k := range vals {
				if _, gerr := cd.Get(ctx, k); gerr != nil {
					missing = append(missing, k)
				}
			}
			if len(missing) == 0 {
				return "systemd credentials ($CREDENTIALS_DIRECTORY; not written by connect)", nil
			}
			return "", fmt.Errorf("%w\n($CREDENTIALS_DIRECTORY is set but lacks %s)", ErrNoKeychain, strings.Join(missing, ", "))
		}
		return "", ErrNoKeychain
	}
	for k, v := range vals {
		if err := writeSecretFile(dir, k, v); err != nil {
			return "", fmt.Errorf("store secret %s: %w", k, err)
		}
	}
	return "plain 0600 files under " + dir + " (--secrets-dir)", nil
}
