package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/ml-connector/ifs-cleo/core/cleo"
	"github.com/ml-connector/ifs-cleo/core/locations"
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

func runConnect(ctx context.Context, env *Env, args []string) int {
	fs := env.Flags("connect", "connect --sandbox INFO.json | connect --ifs-url U --ifs-client-id C --ifs-company X --ifs-secret-file F --cleo-url U --cleo-username N --cleo-password-file F [--secrets-dir DIR] [--no-test]")
	infoPath := fs.String("sandbox", "", "sandbox --info file to take both connections from")
	var manual sandboxInfo
	fs.StringVar(&manual.IFS.URL, "ifs-url", "", "IFS host root, e.g. https://acme.ifs.cloud")
	fs.StringVar(&manual.IFS.TokenURL, "ifs-token-url", "", "IFS token endpoint (default from --ifs-realm)")
	fs.StringVar(&manual.IFS.Realm, "ifs-realm", "", "IFS IAM realm")
	fs.StringVar(&manual.IFS.ClientID, "ifs-client-id", "", "IFS IAM client id")
	fs.StringVar(&manual.IFS.Company, "ifs-company", "", "IFS company invoices are posted in")
	ifsSecretFile := fs.String("ifs-secret-file", "", "file holding the IFS client secret (never give secrets on the command line)")
	fs.StringVar(&manual.Cleo.URL, "cleo-url", "", "Cleo REST host root")
	fs.StringVar(&manual.Cleo.Username, "cleo-username", "", "Cleo API user")
	cleoPassFile := fs.String("cleo-password-file", "", "file holding the Cleo password")
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
	} else {
		info = manual
		for _, f := range []struct {
			path string
			dst  *string
			what string
		}{{*ifsSecretFile, &info.IFS.ClientSecret, "--ifs-secret-file"}, {*cleoPassFile, &info.Cleo.Password, "--cleo-password-file"}} {
			if f.path == "" {
				fmt.Fprintf(env.Stderr, "connect: %s is required\n", f.what)
				return ExitUsage
			}
			b, err := os.ReadFile(f.path)
			if err != nil {
				fmt.Fprintf(env.Stderr, "connect: %s: %v\n", f.what, err)
				return ExitUsage
			}
			*f.dst = strings.TrimRight(string(b), "\r\n")
		}
	}
	if info.IFS.URL == "" || info.IFS.ClientID == "" || info.IFS.Company == "" || info.Cleo.URL == "" || info.Cleo.Username == "" {
		fmt.Fprintln(env.Stderr, "connect: the IFS url, client id and company and the Cleo url and username are all required")
		return ExitUsage
	}
	st, loc, err := openStore(ctx, env)
	if err != nil {
		fmt.Fprintf(env.Stderr, "connect: %v\n", err)
		return ExitFailure
	}
	actor := osUser()
	settings := map[string]string{SettingIFSURL: info.IFS.URL, SettingIFSTokenURL: info.IFS.TokenURL, SettingIFSRealm: info.IFS.Realm,
		SettingIFSClientID: info.IFS.ClientID, SettingIFSCompany: info.IFS.Company, SettingCleoURL: info.Cleo.URL,
		SettingCleoUser: info.Cleo.Username}
	for k, v := range settings {
		if err := st.SetSetting(ctx, actor, k, v); err != nil {
			st.Close()
			fmt.Fprintf(env.Stderr, "connect: %v\n", err)
			return ExitFailure
		}
	}
	// Our X12 id: what the partners expect as receiver.
	if cc, err := cleo.NewREST(cleo.RESTConfig{BaseURL: info.Cleo.URL, Username: info.Cleo.Username, Password: info.Cleo.Password}); err == nil {
		pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		if ps, err := cc.Partners(pctx); err == nil {
			for _, p := range ps {
				if p.OurID != "" {
					_ = st.SetSetting(ctx, actor, SettingOurQual, p.OurQualifier)
					_ = st.SetSetting(ctx, actor, SettingOurID, p.OurID)
					break
				}
			}
		}
		cancel()
		cc.Close()
	}
	st.Close()
	where, err := storeSecrets(ctx, loc, *secDir, map[string]string{SecretIFSClient: info.IFS.ClientSecret, SecretCleoPassword: info.Cleo.Password})
	if err != nil {
		fmt.Fprintf(env.Stderr, "connect: %v\n", err)
		return ExitFailure
	}
	fmt.Fprintf(env.Stdout, "connections saved; secrets in %s\n", where)
	if *noTest {
		return ExitOK
	}
	a, err := openEngine(ctx, env, *secDir, nil)
	if err != nil {
		fmt.Fprintf(env.Stderr, "connect: %v\n", err)
		return ExitFailure
	}
	defer a.close()
	code := ExitOK
	tctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	reports := a.eng.TestConnections(tctx)
	for _, r := range reports {
		for _, s := range r.Steps {
			mark := "ok  "
			if !s.OK {
				mark = "FAIL"
				if s.Skipped {
					mark = "skip"
				}
			}
			fmt.Fprintf(env.Stdout, "%s %-10s %s: %s\n", mark, r.Target, s.Name, s.Detail)
			if !s.OK && s.Fix != "" {
				fmt.Fprintf(env.Stdout, "     fix: %s\n", s.Fix)
			}
		}
		if !r.OK() {
			code = ExitFailure
		}
	}
	return code
}

// storeSecrets puts secrets in the keychain, or in files under the data
// dir's secrets folder (or dir) when dir is given or no keychain answers.
func storeSecrets(ctx context.Context, loc locations.Locations, dir string, vals map[string]string) (string, error) {
	if dir == "" {
		kr := secrets.NewKeyring(10 * time.Second)
		var err error
		for k, v := range vals {
			if err = kr.Set(ctx, k, v); err != nil {
				break
			}
		}
		if err == nil {
			return "the OS keychain", nil
		}
		if !errors.Is(err, secrets.ErrUnavailable) {
			return "", err
		}
		dir = loc.Get(locations.SecretDir)
	}
	for k, v := range vals {
		if err := writeSecretFile(dir, k, v); err != nil {
			return "", fmt.Errorf("store secret %s: %w", k, err)
		}
	}
	return "files under " + dir + " (no keychain in use)", nil
}
